"""Key rotation: with a new key first in the keyring, values sealed under the old one
still read; ``rotate`` re-seals everything (plaintext from before encryption too) in
batches, can be stopped and run again, and afterwards the old key can go. A new
lookup key is taken up by remaking the address hashes."""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dunwell.app.channels.outbox import set_channel_address
from dunwell.app.keys import generate_key_line, key_status, rotate_keys
from dunwell.bootstrap import Dunwell, bootstrap
from dunwell.cli.main import app as cli
from dunwell.compliance.model import Jurisdiction
from dunwell.core.errors import InvalidInput
from dunwell.field.model import Address, GeoPoint
from dunwell.settings import Settings
from dunwell.store import crypto
from dunwell.store.channel_tables import channel_addresses
from dunwell.store.collection_tables import borrowers
from dunwell.store.field_tables import borrower_addresses

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
BORROWERS = 7
runner = CliRunner()


def b64(n: int) -> str:
    return base64.b64encode(bytes([n]) * 32).decode()


K1, K2 = f"k1:{b64(1)}", f"k2:{b64(2)}"
LOOKUP, LOOKUP_NEW = b64(50), b64(51)


@pytest.fixture(autouse=True)
def development_keys_after() -> Iterator[None]:
    yield
    crypto.configure(Settings(data_keys="", lookup_key=""))


def open_book(db_url: str, data_keys: str, lookup_key: str = LOOKUP) -> Dunwell:
    """The book at ``db_url`` as a process with these keys serves it."""
    return bootstrap(Settings(db_url=db_url, data_keys=data_keys, lookup_key=lookup_key,
                              log_level="WARNING"))


def fill(app: Dunwell, ids: range) -> None:
    """Borrowers with names, phone numbers and addresses with coordinates."""
    with app.uow() as uow:
        for b in ids:
            uow.borrowers.put(borrower_id=b, name=f"上官明哲{b}", jurisdiction=Jurisdiction.CN_NIFA,
                              timezone="Asia/Shanghai", language="zh-CN")
            uow.field.put_address(Address(b, f"成都市武侯区科华北路{b}号",
                                          GeoPoint(30.6 + b / 1000, 104.0 + b / 1000)), at=NOW)
        uow.commit()
    for b in ids:
        set_channel_address(app, borrower_id=b, channel="sms", address=f"+86139570000{b:02d}")


def read_back(app: Dunwell, ids: range) -> list[tuple[str, str, GeoPoint | None]]:
    with app.uow() as uow:
        names = uow.borrowers.many(list(ids))
        places = uow.field.addresses(list(ids))
    return [(names[b].name, places[b].text, places[b].location) for b in ids]


def expected(ids: range) -> list[tuple[str, str, GeoPoint | None]]:
    return [(f"上官明哲{b}", f"成都市武侯区科华北路{b}号",
             GeoPoint(30.6 + b / 1000, 104.0 + b / 1000)) for b in ids]


def counts(app: Dunwell, table: str, column: str) -> tuple[dict[str, int], int, int]:
    found = next(c for c in key_status(app).columns if (c.table, c.column) == (table, column))
    return found.by_key, found.unknown_key, found.plaintext


def test_rotation_moves_every_value_to_the_new_key_and_the_old_key_can_go(db_url: str) -> None:
    old = open_book(db_url, K1)
    fill(old, range(1, BORROWERS + 1))
    old.engine.dispose()

    both = open_book(db_url, f"{K2},{K1}")
    assert read_back(both, range(1, BORROWERS + 1)) == expected(range(1, BORROWERS + 1))
    fill(both, range(BORROWERS + 1, BORROWERS + 3))  # written meanwhile: under k2
    assert counts(both, "borrowers", "name") == ({"k2": 2, "k1": BORROWERS}, 0, 0)
    status = key_status(both)
    assert status.newest == "k2" and status.not_newest > 0 and not status.development

    seen: list[tuple[str, int, int]] = []
    report = rotate_keys(both, batch=3, progress=lambda *p: seen.append(p))
    assert report.newest == "k2" and report.remaining == 0
    assert report.by_table["borrowers"] == BORROWERS
    assert report.by_table["borrower_addresses"] == BORROWERS
    assert seen[-1][1] == seen[-1][2] > 0
    assert counts(both, "borrowers", "name") == ({"k2": BORROWERS + 2, "k1": 0}, 0, 0)
    assert key_status(both).not_newest == 0
    assert rotate_keys(both, batch=3).rows_changed == 0  # a second run finds nothing
    both.engine.dispose()

    new = open_book(db_url, K2)  # the old key removed
    try:
        assert read_back(new, range(1, BORROWERS + 3)) == expected(range(1, BORROWERS + 3))
        with new.uow() as uow:
            assert uow.borrowers.by_address("sms", "+8613957000003") == 3
    finally:
        new.engine.dispose()


def test_a_rotation_stopped_half_way_finishes_when_run_again(db_url: str) -> None:
    old = open_book(db_url, K1)
    fill(old, range(1, BORROWERS + 1))
    old.engine.dispose()
    both = open_book(db_url, f"{K2},{K1}")
    try:
        def stop_after_two_batches(table: str, done: int, _total: int) -> None:
            if table == "borrowers" and done >= 2:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            rotate_keys(both, batch=1, progress=stop_after_two_batches)
        by_key, _, _ = counts(both, "borrowers", "name")
        assert 0 < by_key["k2"] < BORROWERS  # the committed batches stay done
        rotate_keys(both, batch=2)
        assert key_status(both).not_newest == 0
        assert read_back(both, range(1, BORROWERS + 1)) == expected(range(1, BORROWERS + 1))
    finally:
        both.engine.dispose()


def test_plaintext_from_before_encryption_is_sealed_by_the_rotation(db_url: str) -> None:
    app = open_book(db_url, K1)
    try:
        with app.engine.begin() as conn:  # a book written before encryption
            for b in (1, 2):
                conn.execute(sa.insert(borrowers).values(
                    borrower_id=b, name=sa.type_coerce(f"上官明哲{b}", sa.Text),
                    jurisdiction="CN-NIFA", timezone="Asia/Shanghai", language="zh-CN"))
                conn.execute(sa.insert(borrower_addresses).values(
                    borrower_id=b,
                    address_text=sa.type_coerce(f"成都市武侯区科华北路{b}号", sa.Text),
                    latitude=sa.type_coerce(repr(30.6 + b / 1000), sa.Text),
                    longitude=sa.type_coerce(repr(104.0 + b / 1000), sa.Text),
                    updated_at=NOW.isoformat()))
                conn.execute(sa.insert(channel_addresses).values(
                    borrower_id=b, channel="sms",
                    address=sa.type_coerce(f"+86139570000{b:02d}", sa.Text)))
        assert counts(app, "borrowers", "name") == ({"k1": 0}, 0, 2)
        assert key_status(app).hashes.missing == 2
        report = rotate_keys(app)
        assert report.by_table == {"borrowers": 2, "borrower_addresses": 2,
                                   "channel_addresses": 2}
        assert counts(app, "borrowers", "name") == ({"k1": 2}, 0, 0)
        assert counts(app, "borrower_addresses", "latitude") == ({"k1": 2}, 0, 0)
        assert key_status(app).hashes.current == 2
        assert read_back(app, range(1, 3)) == expected(range(1, 3))
        with app.uow() as uow:  # found by the hash now, in any spelling
            assert uow.borrowers.by_address("sms", "+86 139 5700 0002") == 2
    finally:
        app.engine.dispose()


def test_a_new_lookup_key_is_taken_up_by_remaking_the_hashes(db_url: str) -> None:
    old = open_book(db_url, K1, LOOKUP)
    fill(old, range(1, 4))
    old.engine.dispose()
    app = open_book(db_url, K1, LOOKUP_NEW)
    try:
        hashes = key_status(app).hashes
        assert (hashes.current, hashes.stale, hashes.missing) == (0, 3, 0)
        with app.uow() as uow:  # not found until the hashes are remade
            assert uow.borrowers.by_address("sms", "+8613957000002") is None
        report = rotate_keys(app, batch=2)
        assert report.by_table == {"channel_addresses": 3}
        assert key_status(app).hashes.current == 3
        with app.uow() as uow:
            assert uow.borrowers.by_address("sms", "+8613957000002") == 2
    finally:
        app.engine.dispose()


def test_a_batch_outside_its_bounds_is_refused(app: Dunwell) -> None:
    for batch in (0, 10_001):
        with pytest.raises(InvalidInput) as err:
            rotate_keys(app, batch=batch)
        assert err.value.code == "rotation_batch_must_be_in_range"


def test_a_generated_key_line_is_accepted_as_a_keyring() -> None:
    line = generate_key_line(key_id="k20261203")
    assert re.fullmatch(r"k20261203:[A-Za-z0-9+/]{43}=", line)
    ring = crypto.keyring_from(Settings(data_keys=line, lookup_key=line.split(":")[1]))
    assert ring.key_ids == ("k20261203",)
    assert generate_key_line(key_id="k1") != generate_key_line(key_id="k1")
    with pytest.raises(InvalidInput) as err:
        generate_key_line(key_id="k:1")
    assert err.value.code == "key_id_must_be_well_formed"


# --- the command line -------------------------------------------------------------------

def test_the_commands_show_rotate_and_generate(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                                wide_console: None) -> None:
    old = open_book(db_url, K1)
    fill(old, range(1, 4))
    old.engine.dispose()
    monkeypatch.setenv("DUNWELL_DATA_KEYS", f"{K2},{K1}")
    monkeypatch.setenv("DUNWELL_LOOKUP_KEY", LOOKUP)
    monkeypatch.setenv("DUNWELL_LOG_LEVEL", "WARNING")

    shown = runner.invoke(cli, ["keys", "status", "--db", db_url])
    assert shown.exit_code == 0, shown.output
    row = next(line for line in shown.output.splitlines() if "borrowers.name" in line)
    assert re.search(r"borrowers\.name\s+│\s+0\s+│\s+3\s+│\s+0\s+│\s+0", row), row
    assert "k2 (newest)" in shown.output and "to rotate:" in shown.output

    rotated = runner.invoke(cli, ["keys", "rotate", "--batch", "2", "--db", db_url])
    assert rotated.exit_code == 0, rotated.output
    assert "rotated to key k2" in rotated.output
    again = runner.invoke(cli, ["keys", "status", "--db", db_url])
    assert "to rotate: 0 (every value is under the newest key, k2)" in again.output

    made = runner.invoke(cli, ["keys", "generate", "--id", "k3"])
    assert made.exit_code == 0 and re.fullmatch(r"k3:[A-Za-z0-9+/]{43}=\n", made.output)
    bad = runner.invoke(cli, ["keys", "generate", "--id", "bad id"])
    assert bad.exit_code == 2 and "key_id_must_be_well_formed" in bad.output


def test_a_malformed_keyring_stops_a_command_with_one_line(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUNWELL_DATA_KEYS", "k1:short")
    result = runner.invoke(cli, ["keys", "status", "--db", db_url])
    assert result.exit_code == 2
    assert "data_keys_must_be_well_formed" in result.output


def test_after_rotating_a_book_from_before_encryption_its_file_holds_no_plaintext(
        tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    app = open_book(f"sqlite:///{path}", K1)
    with app.engine.begin() as conn:  # written before encryption
        for b in range(1, 301):
            conn.execute(sa.insert(borrowers).values(
                borrower_id=b, name=sa.type_coerce(f"Zebulon Plaintextson {b:04d}", sa.Text),
                jurisdiction="CN-NIFA", timezone="Asia/Shanghai", language="en"))

    def in_clear() -> int:
        files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
        return b"".join(p.read_bytes() for p in files).count(b"Zebulon Plaintextson")

    assert in_clear() >= 300
    rotate_keys(app, batch=100)
    app.engine.dispose()  # the last connection folds the write-ahead log in
    assert in_clear() == 0
