"""The evidence bundle's document as data: every section appears, an empty one says
so, wide rows print as field/value blocks or merged columns, and the CSV keeps every
column and row."""

from __future__ import annotations

from dunwell.channels.document import Heading, KeyValues, Paragraph, Table, document_text
from dunwell.legal.evidence import (
    PDF_ROWS_MAX,
    Evidence,
    Section,
    evidence_document,
    section_csv,
    section_file_name,
)

TERMS = Section("contract_terms", ("Loan", "Principal"), (("1", "6000.00"),), "terms",
                layout="records")
EMPTY = Section("visits", ("Visit", "Outcome"), (), "visits")
ACTS = Section("decisions", ("Action", "Date", "Kind", "Reason"),
               (("7", "2025-03-01", "call", "allowed, 11:00-20:00 local"),), "actions",
               note="Audit chain check: intact.", merge=((0, 1), (2,), (3,)))


def evidence(language: str, *sections: Section) -> Evidence:
    return Evidence(3, "case-1-20250216", language, (("Borrower", "张伟"),), sections)


def test_a_chinese_borrowers_bundle_has_bilingual_headings_and_says_none_recorded() -> None:
    doc = evidence_document(evidence("zh-CN", TERMS, EMPTY, ACTS))
    headings = [b.text for b in doc.blocks if isinstance(b, Heading)]
    assert headings == ["证据材料 Evidence bundle — 移交 3", "1. 合同条款 Contract terms",
                        "2. 上门拜访记录 Field visits",
                        "3. 催收行动及合规审查记录 Collection actions and compliance decisions"]
    assert Paragraph("无记录 (none recorded)") in doc.blocks
    assert KeyValues((("Loan", "1"), ("Principal", "6000.00"))) in doc.blocks
    assert Table(("Action / Date", "Kind", "Reason"),
                 (("7\n2025-03-01", "call", "allowed, 11:00-20:00 local"),)) in doc.blocks
    assert "Audit chain check: intact." in document_text(doc)


def test_an_english_bundle_has_english_headings() -> None:
    doc = evidence_document(evidence("en", EMPTY))
    assert [b.text for b in doc.blocks if isinstance(b, Heading)] == [
        "Evidence bundle — referral 3", "1. Field visits"]
    assert Paragraph("None recorded.") in doc.blocks


def test_a_long_section_is_cut_in_the_pdf_but_whole_in_its_csv() -> None:
    rows = tuple((str(k), "2025-03-01", "sms", "delivered") for k in range(PDF_ROWS_MAX + 5))
    long = Section("decisions", ACTS.header, rows, "actions")
    doc = evidence_document(evidence("en", long))
    (table,) = [b for b in doc.blocks if isinstance(b, Table)]
    assert len(table.rows) == PDF_ROWS_MAX
    assert f"{PDF_ROWS_MAX} of {PDF_ROWS_MAX + 5} rows shown" in document_text(doc)
    assert section_file_name(1, long) in document_text(doc)
    assert section_csv(long).decode().count("\n") == PDF_ROWS_MAX + 6  # header + rows


def test_csv_keeps_commas_quotes_and_chinese_intact() -> None:
    s = Section("contacts", ("Note", "Who"), (('said "no", twice', "张伟"),), "contacts")
    assert section_csv(s).decode() == 'Note,Who\n"said ""no"", twice",张伟\n'
