"""An anchor kept outside the database finds what the chain cannot find by itself: a
log rewritten from a record onwards with every hash recomputed, or cut short with
its head moved back, is whole in itself and passes `audit verify`, but no longer
holds the anchored record's hash."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dunwell.app.audit import anchor, record, verify
from dunwell.bootstrap import Dunwell
from dunwell.cli.main import app as cli
from dunwell.core.errors import InvalidInput
from dunwell.core.hashchain import GENESIS, Anchor, canonical, link_hash, parse_anchor
from dunwell.store import tables as t

AT = dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def write(app: Dunwell, count: int, *, start: int = 0) -> None:
    with app.uow() as uow:
        record(uow, at=AT, entries=[
            ("guard_decision", f"borrower:{k}", {"decision": "allow", "n": k})
            for k in range(start, start + count)])
        uow.commit()


def rewrite_from(app: Dunwell, seq: int) -> None:
    """Change record ``seq``'s payload and recompute every hash from there on, and the
    head, as someone with write access to the whole table could."""
    with app.uow() as uow:
        records = list(uow.audit.records())
    prev = records[seq - 2].hash if seq > 1 else GENESIS
    with app.engine.begin() as conn:
        for r in records[seq - 1:]:
            payload = (canonical({"decision": "deny", "n": "rewritten"}) if r.seq == seq
                       else r.payload_json)
            digest = link_hash(prev, r.seq, r.recorded_at, r.kind, r.subject, payload)
            conn.execute(sa.update(t.audit_log).where(t.audit_log.c.seq == r.seq)
                         .values(payload_json=payload, prev_hash=prev, hash=digest))
            prev = digest
        conn.execute(sa.update(t.audit_head).values(hash=prev))


def cut_after(app: Dunwell, seq: int) -> None:
    """Delete every record after ``seq`` and move the head back to it."""
    with app.uow() as uow:
        kept = next(r for r in uow.audit.records() if r.seq == seq)
    with app.engine.begin() as conn:
        conn.execute(sa.delete(t.audit_log).where(t.audit_log.c.seq > seq))
        conn.execute(sa.update(t.audit_head).values(seq=seq, hash=kept.hash))


def test_an_anchor_is_the_head_and_reads_back() -> None:
    head = Anchor(10, "ab" * 32)
    assert str(head) == "10:" + "ab" * 32
    assert parse_anchor(f"  10:{'AB' * 32}\n") == head
    for bad in ("10", f"x:{'ab' * 32}", "10:abc", f"-1:{'ab' * 32}", ""):
        with pytest.raises(InvalidInput) as refused:
            parse_anchor(bad)
        assert refused.value.code == "audit_anchor_must_be_seq_and_hash"


def test_an_empty_log_anchors_at_its_start(app: Dunwell) -> None:
    assert anchor(app) == Anchor(0, GENESIS)
    assert verify(app, anchor=Anchor(0, GENESIS)).intact


def test_a_growing_log_still_matches_its_earlier_anchors(app: Dunwell) -> None:
    write(app, 4)
    first = anchor(app)
    write(app, 3, start=4)
    assert anchor(app).seq == 7 and first.seq == 4
    report = verify(app, anchor=first)
    assert report.intact and report.records == 7 and report.anchor == first


def test_a_log_rewritten_from_its_start_passes_alone_but_not_against_the_anchor(
        app: Dunwell) -> None:
    write(app, 10)
    kept = anchor(app)
    rewrite_from(app, 1)
    assert verify(app).intact  # whole in itself
    report = verify(app, anchor=kept)
    assert [(p.seq, p.problem) for p in report.problems] == [(10, "anchor_mismatch")]
    assert "rewritten" in report.problems[0].detail


def test_a_log_cut_short_below_the_anchor_is_found(app: Dunwell) -> None:
    write(app, 10)
    kept = anchor(app)
    cut_after(app, 6)
    assert verify(app).intact  # the head was moved back with it
    report = verify(app, anchor=kept)
    assert [(p.seq, p.problem) for p in report.problems] == [(10, "anchor_missing")]
    assert "ends at record 6" in report.problems[0].detail


def test_a_rewrite_after_the_anchor_changes_nothing_it_vouches_for(app: Dunwell) -> None:
    """The anchor vouches for the records up to it; later ones are checked by the chain
    and by later anchors."""
    write(app, 10)
    with app.uow() as uow:
        early = Anchor(5, next(r for r in uow.audit.records() if r.seq == 5).hash)
    rewrite_from(app, 8)
    assert verify(app, anchor=early).intact
    assert not verify(app, anchor=Anchor(10, anchor(app).hash[::-1])).intact


def test_the_commands_print_the_anchor_and_refuse_a_rewritten_log(app: Dunwell,
                                                                   db_url: str) -> None:
    write(app, 10)
    runner = CliRunner()
    printed = runner.invoke(cli, ["audit", "anchor", "--db", db_url])
    assert printed.exit_code == 0, printed.output
    text = printed.output.strip()
    assert parse_anchor(text) == anchor(app) and text.startswith("10:")
    as_json = json.loads(runner.invoke(cli, ["audit", "anchor", "--json", "--db",
                                             db_url]).output)
    assert as_json == {"seq": 10, "hash": text[3:], "anchor": text}
    ok = runner.invoke(cli, ["audit", "verify", "--anchor", text, "--db", db_url])
    assert ok.exit_code == 0 and "intact: 10 records, head 10, matches anchor 10" in ok.output
    rewrite_from(app, 2)
    assert runner.invoke(cli, ["audit", "verify", "--db", db_url]).exit_code == 0
    bad = runner.invoke(cli, ["audit", "verify", "--anchor", text, "--db", db_url])
    assert bad.exit_code == 1
    assert "error: audit log does not match the anchor: record 10 now hashes to" in bad.output
    typo = runner.invoke(cli, ["audit", "verify", "--anchor", "10:xyz", "--db", db_url])
    assert typo.exit_code == 2 and "[audit_anchor_must_be_seq_and_hash]" in typo.output
