"""The evidence bundle's content as data: sections (contract terms, schedule, payment
history, contact and decision log, letters, visits, offers, the referral and its
approval, legal events) and the printable :class:`Document` built from them.

A section whose source holds nothing still appears, saying "none recorded", so a
reader can tell "nothing happened" from "not included". Pure: the shell gathers the
rows; this module only arranges them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from dunwell.channels.document import Block, Document, Heading, KeyValues, Paragraph, Table

#: Rows printed per section in the PDF; the section's CSV always holds every row.
PDF_ROWS_MAX = 400

#: Section key -> (Chinese title, English title), in bundle order.
SECTION_TITLES: dict[str, tuple[str, str]] = {
    "contract_terms": ("合同条款", "Contract terms"),
    "schedule": ("还款计划", "Repayment schedule"),
    "payments": ("还款记录", "Payment history"),
    "decisions": ("催收行动及合规审查记录", "Collection actions and compliance decisions"),
    "contacts": ("联系记录", "Contact log"),
    "letters": ("函件及送达证明", "Letters and proof of delivery"),
    "visits": ("上门拜访记录", "Field visits"),
    "offers": ("还款方案及协商记录", "Repayment offers and plans"),
    "referral": ("移交审批", "Referral and approval"),
    "legal_events": ("诉讼进展及费用", "Legal case events and costs"),
}


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # one of SECTION_TITLES; names the CSV file
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    description: str  # for the manifest (English)
    note: str = ""  # printed above the table, e.g. the audit chain check
    #: How the PDF shows it: ``table``; ``records`` (one key/value block per row, for
    #: wide rows); ``fields`` (two columns, field and value).
    layout: Literal["table", "records", "fields"] = "table"
    #: For ``table``: which columns share a printed column (e.g. ``((0, 1), (2,))``
    #: prints columns 0 and 1 one above the other); empty: every column on its own.
    merge: tuple[tuple[int, ...], ...] = ()

    def __post_init__(self) -> None:
        if self.key not in SECTION_TITLES:
            raise ValueError(f"section {self.key!r} has no title; add it to SECTION_TITLES")


@dataclass(frozen=True, slots=True)
class Evidence:
    referral_id: int
    case_id: str
    language: str  # the borrower's: zh-CN or en
    summary: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]
    footer: str = ""


def title_of(key: str, language: str) -> str:
    zh, en = SECTION_TITLES[key]
    return f"{zh} {en}" if language.startswith("zh") else en


def none_recorded(language: str) -> str:
    return "无记录 (none recorded)" if language.startswith("zh") else "None recorded."


def evidence_document(evidence: Evidence) -> Document:
    """The bundle's PDF as a document: a summary, then every section in order."""
    zh = evidence.language.startswith("zh")
    title = (f"证据材料 Evidence bundle — 移交 {evidence.referral_id}" if zh
             else f"Evidence bundle — referral {evidence.referral_id}")
    blocks: list[Block] = [Heading(title, 1), KeyValues(evidence.summary)]
    for number, section in enumerate(evidence.sections, start=1):
        blocks.append(Heading(f"{number}. {title_of(section.key, evidence.language)}", 2))
        if section.note:
            blocks.append(Paragraph(section.note))
        if not section.rows:
            blocks.append(Paragraph(none_recorded(evidence.language)))
            continue
        shown = section.rows[:PDF_ROWS_MAX]
        blocks.extend(_printed(section, shown))
        if len(section.rows) > len(shown):
            blocks.append(Paragraph(
                f"{len(shown)} of {len(section.rows)} rows shown; every row is in "
                f"{section_file_name(number, section)}."))
    return Document(title=title, language=evidence.language, blocks=tuple(blocks),
                    footer=evidence.footer)


def _printed(section: Section, rows: tuple[tuple[str, ...], ...]) -> list[Block]:
    if section.layout == "fields":
        return [KeyValues(tuple((r[0], " ".join(r[1:])) for r in rows))]
    if section.layout == "records":
        return [KeyValues(tuple(zip(section.header, r, strict=True))) for r in rows]
    groups = section.merge or tuple((k,) for k in range(len(section.header)))

    def joined(cells: tuple[str, ...]) -> tuple[str, ...]:
        return tuple("\n".join(cells[k] for k in g if cells[k]) for g in groups)

    return [Table(tuple(" / ".join(section.header[k] for k in g) for g in groups),
                  tuple(joined(r) for r in rows))]


def section_file_name(number: int, section: Section) -> str:
    return f"sections/{number:02d}_{section.key}.csv"


def section_csv(section: Section) -> bytes:
    """The section as CSV (UTF-8, header first, ``\\n`` line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(section.header)
    writer.writerows(section.rows)
    return buf.getvalue().encode("utf-8")


def rows_of(records: Sequence[Sequence[object]]) -> tuple[tuple[str, ...], ...]:
    """Cells as text: None becomes an empty cell."""
    return tuple(tuple("" if v is None else str(v) for v in r) for r in records)
