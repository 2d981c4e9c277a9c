"""One JSONL scenario line (DESIGN.md §4) -> plain data for the guard.

Beyond §4, a borrower may carry ``consents`` (``[{"channel", "party", "purpose",
"granted_at", "withdrawn_at", "source", "evidence"}]``; ``party`` defaults to
``borrower``, ``purpose`` to ``collections``, ``source`` to ``import``) and a
proposed action may name its ``party`` (``spouse`` reached as a ``relative``...).

Extra keys (``description``, ``expected``, ``rule``, ``note``...) are ignored. An
unknown flag, channel, recipient, outcome, tag or jurisdiction, a timestamp without
a UTC offset, or malformed JSON is an :class:`InvalidInput` whose message starts
with the field (or the column) and whose details carry ``field`` and, once known,
``scenario_id``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NoReturn, TypeVar

from dunwell.compliance.consent import Consent, ConsentSource, Purpose
from dunwell.compliance.model import (
    Borrower,
    Channel,
    ContactEvent,
    ContactPreferences,
    ContentTag,
    Direction,
    Flag,
    Jurisdiction,
    Outcome,
    Party,
    ProposedAction,
    Recipient,
    zone_of,
)
from dunwell.core.errors import InvalidInput

_E = TypeVar("_E", bound=StrEnum)
_CLOCK = re.compile(r"\d{2}:\d{2}(:\d{2})?")
#: History events one scenario may carry.
HISTORY_EVENTS_MAX = 10_000
#: Consent records one scenario's borrower may carry.
CONSENTS_MAX = 1_000


@dataclass(frozen=True)
class Scenario:
    id: str
    jurisdiction: Jurisdiction
    borrower: Borrower
    history: tuple[ContactEvent, ...]
    action: ProposedAction


def parse_scenario(text: str) -> Scenario:
    """Parse one scenario line; raises :class:`InvalidInput` naming the field."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"column {exc.colno}: malformed JSON ({exc.msg})",
            code="scenario_must_be_json",
            field="(json)",
            column=exc.colno,
        ) from None
    root = _object(data, "(scenario)")
    scenario_id = _scenario_id(root)
    try:
        return Scenario(
            id=scenario_id,
            jurisdiction=_enum(Jurisdiction, _need(root, "jurisdiction", ""), "jurisdiction"),
            borrower=_borrower(_object(_need(root, "borrower", ""), "borrower")),
            history=_history(root.get("history", [])),
            action=_action(_object(_need(root, "proposed_action", ""), "proposed_action")),
        )
    except InvalidInput as exc:
        raise InvalidInput(
            exc.message, code=exc.code, **{**exc.details, "scenario_id": scenario_id}
        ) from None


def _scenario_id(root: Mapping[str, Any]) -> str:
    value = _need(root, "id", "")
    if isinstance(value, bool) or not isinstance(value, str | int):
        _fail("id", f"must be a string, got {value!r}", "field_must_have_type")
    return str(value)


def _borrower(raw: Mapping[str, Any]) -> Borrower:
    timezone = _string(_need(raw, "timezone", "borrower."), "borrower.timezone")
    try:
        zone_of(timezone)
    except InvalidInput as exc:
        _fail("borrower.timezone", exc.message, exc.code)
    flags = _list(raw.get("flags", []), "borrower.flags")
    channels = _list(raw.get("preferred_channels", []), "borrower.preferred_channels")
    language = raw.get("language")
    return Borrower(
        timezone=timezone,
        flags=frozenset(
            _enum(Flag, v, f"borrower.flags[{i}]", "flag") for i, v in enumerate(flags)
        ),
        preferred_channels=tuple(
            _enum(Channel, v, f"borrower.preferred_channels[{i}]", "channel")
            for i, v in enumerate(channels)
        ),
        contact_preferences=_preferences(raw.get("contact_preferences")),
        language=None if language is None else _string(language, "borrower.language"),
        consents=_consents(raw.get("consents", [])),
    )


def _consents(raw: Any) -> tuple[Consent, ...]:
    items = _list(raw, "borrower.consents")
    if len(items) > CONSENTS_MAX:
        _fail("borrower.consents", f"has {len(items)} records; at most {CONSENTS_MAX}",
              "consents_must_be_bounded")
    out = []
    for i, item in enumerate(items):
        where = f"borrower.consents[{i}]"
        record = _object(item, where)
        withdrawn = record.get("withdrawn_at")
        evidence = record.get("evidence")
        try:
            out.append(Consent(
                channel=_enum(Channel, _need(record, "channel", where + "."), where + ".channel"),
                party=_enum(Party, record.get("party", "borrower"), where + ".party", "party"),
                purpose=_enum(Purpose, record.get("purpose", "collections"), where + ".purpose",
                              "purpose"),
                granted_at=_timestamp(_need(record, "granted_at", where + "."),
                                      where + ".granted_at"),
                withdrawn_at=None if withdrawn is None else _timestamp(
                    withdrawn, where + ".withdrawn_at"),
                source=_enum(ConsentSource, record.get("source", "import"), where + ".source",
                             "consent source"),
                evidence="" if evidence is None else _string(evidence, where + ".evidence"),
            ))
        except InvalidInput as exc:
            if exc.details.get("field", "").startswith(where):
                raise
            _fail(where, exc.message, exc.code)
    return tuple(out)


def _preferences(raw: Any) -> ContactPreferences:
    if raw is None:
        return ContactPreferences()
    prefs = _object(raw, "borrower.contact_preferences")
    field = "borrower.contact_preferences."
    reason = prefs.get("reason")
    return ContactPreferences(
        no_contact_before=_clock(prefs.get("no_contact_before"), field + "no_contact_before"),
        no_contact_after=_clock(prefs.get("no_contact_after"), field + "no_contact_after"),
        reason=None if reason is None else _string(reason, field + "reason"),
    )


def _history(raw: Any) -> tuple[ContactEvent, ...]:
    items = _list(raw, "history")
    if len(items) > HISTORY_EVENTS_MAX:
        _fail(
            "history",
            f"has {len(items)} events; at most {HISTORY_EVENTS_MAX}",
            "history_must_be_bounded",
        )
    events = []
    for i, item in enumerate(items):
        where = f"history[{i}]"
        event = _object(item, where)
        events.append(
            ContactEvent(
                ts=_timestamp(_need(event, "ts", where + "."), where + ".ts"),
                channel=_enum(Channel, _need(event, "channel", where + "."), where + ".channel"),
                direction=_enum(
                    Direction, event.get("direction", "outbound"), where + ".direction"
                ),
                outcome=_enum(Outcome, _need(event, "outcome", where + "."), where + ".outcome"),
            )
        )
    return tuple(events)


def _action(raw: Mapping[str, Any]) -> ProposedAction:
    where = "proposed_action."
    tags = _list(raw.get("content_tags", []), where + "content_tags")
    party = raw.get("party")
    return ProposedAction(
        ts=_timestamp(_need(raw, "ts", where), where + "ts"),
        channel=_enum(Channel, _need(raw, "channel", where), where + "channel"),
        recipient=_enum(Recipient, raw.get("recipient", "borrower"), where + "recipient"),
        content_tags=frozenset(
            _enum(ContentTag, v, f"{where}content_tags[{i}]", "content tag")
            for i, v in enumerate(tags)
        ),
        party=None if party is None else _enum(Party, party, where + "party", "party"),
    )


def _need(raw: Mapping[str, Any], key: str, prefix: str) -> Any:
    if key not in raw or raw[key] is None:
        _fail(prefix + key, "is missing", "field_must_be_present")
    return raw[key]


def _object(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        _fail(field, f"must be a JSON object, got {value!r}", "field_must_have_type")
    return value


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        _fail(field, f"must be a JSON list, got {value!r}", "field_must_have_type")
    return value


def _string(value: Any, field: str) -> str:
    if not isinstance(value, str):
        _fail(field, f"must be a string, got {value!r}", "field_must_have_type")
    return value


def _enum(kind: type[_E], value: Any, field: str, noun: str | None = None) -> _E:
    name = noun or field.rsplit(".", 1)[-1]
    for member in kind:
        if member.value == value:
            return member
    known = ", ".join(m.value for m in kind)
    _fail(
        field,
        f"{value!r} is not a known {name}; use one of {known}",
        f"{name.replace(' ', '_')}_must_be_known",
    )


def _timestamp(value: Any, field: str) -> dt.datetime:
    text = _string(value, field)
    try:
        ts = dt.datetime.fromisoformat(text)
    except ValueError:
        _fail(
            field,
            f"{text!r} is not an ISO 8601 timestamp like 2025-03-01T10:00:00+08:00",
            "timestamp_must_be_iso",
        )
    if ts.tzinfo is None or ts.utcoffset() is None:
        _fail(
            field,
            f"{text!r} has no UTC offset; write it like 2025-03-01T10:00:00+08:00",
            "timestamp_must_carry_offset",
        )
    return ts


def _clock(value: Any, field: str) -> dt.time | None:
    if value is None:
        return None
    text = _string(value, field)
    try:
        if not _CLOCK.fullmatch(text):
            raise ValueError(text)
        return dt.time.fromisoformat(text)
    except ValueError:
        _fail(field, f"{text!r} is not a local time like 09:00", "time_of_day_must_be_hh_mm")


def _fail(field: str, problem: str, code: str) -> NoReturn:
    raise InvalidInput(f"{field}: {problem}", code=code, field=field)
