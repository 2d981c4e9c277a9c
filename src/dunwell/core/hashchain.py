"""A hash chain over append-only records: each record's hash covers its content and
the previous record's hash, so editing, deleting or reordering any record breaks
every hash after it. Pure: records come in as data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


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
    problem: str  # "edited", "deleted_before", "broken_link"
    detail: str


def verify_chain(records: Iterable[ChainRecord], *, head: tuple[int, str] | None = None,
                 ) -> list[ChainProblem]:
    """Every problem in ``records`` (in ``seq`` order); empty when the chain is whole.

    ``head`` is the (seq, hash) the writer last recorded: a chain whose tail was cut
    off no longer reaches it.
    """
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    expected_seq = 1
    last: tuple[int, str] = (0, GENESIS)
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
        expected_prev = r.hash
        expected_seq = r.seq + 1
        last = (r.seq, r.hash)
    if head is not None and head != last and head[0] > 0:
        problems.append(ChainProblem(head[0], "deleted_after",
                                     f"the chain ends at record {last[0]} but "
                                     f"{head[0]} were written"))
    return problems
