"""A hash chain over append-only records: each record's hash covers its content and
the previous record's hash, so editing, deleting or reordering any record breaks
every hash after it. Pure: records come in as data.

A chain checks itself only against itself: whoever can write the whole table can
rewrite it from the first record (or cut it short and move its head) into another
chain that is just as whole. An **anchor**, ``SEQ:HASH`` of a record taken at some
moment and kept outside the database, closes that gap: the chain must still hold
record SEQ with that very hash, and every record after it links back to it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dunwell.core.errors import InvalidInput

GENESIS = "0" * 64
_ANCHOR = re.compile(r"^\s*(\d{1,19}):([0-9a-fA-F]{64})\s*$")


def canonical(payload: Mapping[str, Any]) -> str:
    """The one serialisation hashed and stored: sorted keys, no spaces, UTF-8."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def link_hash(prev_hash: str, seq: int, recorded_at: str, kind: str, subject: str,
              payload_json: str) -> str:
    body = "\x1f".join((prev_hash, str(seq), recorded_at, kind, subject, payload_json))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainRecord:
    seq: int
    recorded_at: str
    kind: str
    subject: str
    payload_json: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    problem: str  # "edited", "deleted_before", "broken_link", "deleted_after",
    #               "anchor_missing", "anchor_mismatch"
    detail: str


@dataclass(frozen=True, slots=True)
class Anchor:
    """Record ``seq`` had hash ``hash`` when the anchor was taken (``SEQ:HASH``)."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


def parse_anchor(text: str) -> Anchor:
    """``"SEQ:HASH"`` (as ``dunwell audit anchor`` prints it) as an anchor."""
    match = _ANCHOR.match(text)
    if match is None:
        raise InvalidInput(f"{text[:80]!r} is not an anchor; an anchor is SEQ:HASH, the "
                           "record number and its 64 hex digits, as `dunwell audit anchor` "
                           "prints it", code="audit_anchor_must_be_seq_and_hash",
                           field="anchor")
    return Anchor(int(match[1]), match[2].lower())


def anchor_problem(anchor: Anchor, found: str | None, last_seq: int) -> ChainProblem | None:
    """What is wrong when the chain holds ``found`` (None: nothing) at the anchor's
    record and ends at ``last_seq``; None when it matches."""
    if anchor.seq == 0:
        return None if anchor.hash == GENESIS else ChainProblem(
            0, "anchor_mismatch", "record 0 is the chain's start; its hash is all zeros")
    if found is None:
        return ChainProblem(anchor.seq, "anchor_missing",
                            f"the anchor names record {anchor.seq} but the chain "
                            f"{'is empty' if last_seq == 0 else f'ends at record {last_seq}'}"
                            ": records were removed after the anchor was taken")
    if found != anchor.hash:
        return ChainProblem(anchor.seq, "anchor_mismatch",
                            f"record {anchor.seq} now hashes to {found[:16]}..., not "
                            f"{anchor.hash[:16]}... as anchored: the chain was rewritten "
                            "since the anchor was taken")
    return None


def verify_chain(records: Iterable[ChainRecord], *, head: tuple[int, str] | None = None,
                 anchor: Anchor | None = None) -> list[ChainProblem]:
    """Every problem in ``records`` (in ``seq`` order); empty when the chain is whole.

    ``head`` is the (seq, hash) the writer last recorded: a chain whose tail was cut
    off no longer reaches it. ``anchor`` is a record's hash kept outside the database:
    the chain must still hold that record with that hash.
    """
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    expected_seq = 1
    last: tuple[int, str] = (0, GENESIS)
    at_anchor: str | None = None
    for r in records:
        if r.seq != expected_seq:
            problems.append(ChainProblem(r.seq, "deleted_before",
                                         f"records {expected_seq}..{r.seq - 1} are missing"))
        if r.prev_hash != expected_prev:
            problems.append(ChainProblem(r.seq, "broken_link",
                                         "its link to the previous record does not match"))
        actual = link_hash(r.prev_hash, r.seq, r.recorded_at, r.kind, r.subject,
                           r.payload_json)
        if actual != r.hash:
            problems.append(ChainProblem(r.seq, "edited",
                                         "its content does not match its hash"))
        if anchor is not None and r.seq == anchor.seq:
            at_anchor = r.hash
        expected_prev = r.hash
        expected_seq = r.seq + 1
        last = (r.seq, r.hash)
    if head is not None and head != last and head[0] > 0:
        problems.append(ChainProblem(head[0], "deleted_after",
                                     f"the chain ends at record {last[0]} but "
                                     f"{head[0]} were written"))
    if anchor is not None:
        problem = anchor_problem(anchor, at_anchor, last[0])
        if problem is not None:
            problems.append(problem)
    return problems
