"""A printable document as plain data: headings, paragraphs, key/value rows, tables,
a QR code and page breaks.

Builders (letters, evidence bundles) produce a :class:`Document`; a renderer in
``dunwell.providers.pdf`` turns it into PDF bytes. Nothing here knows about fonts,
page sizes or any rendering library, so a document can be compared, hashed and
tested as data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from dunwell.core.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Heading:
    """A heading; ``level`` 1 is the document's title size, 2 and 3 are smaller."""

    text: str
    level: int = 1

    def __post_init__(self) -> None:
        if self.level not in (1, 2, 3):
            raise InvalidInput(
                f"heading level must be 1, 2 or 3, not {self.level}",
                code="heading_level_must_be_1_to_3",
            )


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Running text. Line breaks inside ``text`` start new lines."""

    text: str


@dataclass(frozen=True, slots=True)
class KeyValues:
    """Label/value rows printed as two aligned columns (e.g. letter number, date)."""

    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Table:
    """A table with a header row; every row has as many cells as the header."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        width = len(self.header)
        if width == 0:
            raise InvalidInput("a table needs at least one column", code="table_must_have_columns")
        for index, row in enumerate(self.rows):
            if len(row) != width:
                raise InvalidInput(
                    f"table row {index} has {len(row)} cells but the header has {width}",
                    code="table_rows_must_match_header",
                )


@dataclass(frozen=True, slots=True)
class Qr:
    """A QR code encoding ``payload`` (e.g. a verification URL) with a caption."""

    payload: str
    caption: str

    def __post_init__(self) -> None:
        if not self.payload:
            raise InvalidInput("a QR code needs a payload", code="qr_payload_must_not_be_empty")


@dataclass(frozen=True, slots=True)
class PageBreak:
    """Start a new page."""


Block = Heading | Paragraph | KeyValues | Table | Qr | PageBreak


@dataclass(frozen=True, slots=True)
class Document:
    """A document in one language (``zh-CN`` or ``en``) with an optional footer that
    is printed on every page beside the page number."""

    title: str
    language: str
    blocks: tuple[Block, ...]
    footer: str = ""


def document_as_data(doc: Document) -> dict[str, object]:
    """The document as JSON-ready data: every block tagged with its type."""

    def block(b: Block) -> dict[str, object]:
        match b:
            case Heading(text=text, level=level):
                return {"type": "heading", "text": text, "level": level}
            case Paragraph(text=text):
                return {"type": "paragraph", "text": text}
            case KeyValues(rows=rows):
                return {"type": "key_values", "rows": [list(r) for r in rows]}
            case Table(header=header, rows=rows):
                return {"type": "table", "header": list(header), "rows": [list(r) for r in rows]}
            case Qr(payload=payload, caption=caption):
                return {"type": "qr", "payload": payload, "caption": caption}
            case PageBreak():
                return {"type": "page_break"}
        raise AssertionError(f"unknown block {b!r}")  # pragma: no cover

    return {
        "title": doc.title,
        "language": doc.language,
        "footer": doc.footer,
        "blocks": [block(b) for b in doc.blocks],
    }


def document_from_data(data: object) -> Document:
    """Rebuild a document from :func:`document_as_data` output (e.g. a stored letter)."""
    if not isinstance(data, dict):
        raise InvalidInput("document data must be an object", code="document_data_must_be_valid")
    blocks: list[Block] = []
    for raw in data.get("blocks", []):
        kind = raw.get("type")
        if kind == "heading":
            blocks.append(Heading(str(raw["text"]), int(raw.get("level", 1))))
        elif kind == "paragraph":
            blocks.append(Paragraph(str(raw["text"])))
        elif kind == "key_values":
            blocks.append(KeyValues(tuple((str(k), str(v)) for k, v in raw["rows"])))
        elif kind == "table":
            blocks.append(
                Table(
                    tuple(str(h) for h in raw["header"]),
                    tuple(tuple(str(c) for c in row) for row in raw["rows"]),
                )
            )
        elif kind == "qr":
            blocks.append(Qr(str(raw["payload"]), str(raw["caption"])))
        elif kind == "page_break":
            blocks.append(PageBreak())
        else:
            raise InvalidInput(
                f"unknown document block type {kind!r}", code="document_data_must_be_valid"
            )
    return Document(
        title=str(data.get("title", "")),
        language=str(data.get("language", "en")),
        blocks=tuple(blocks),
        footer=str(data.get("footer", "")),
    )


def document_json(doc: Document) -> str:
    """Canonical JSON of the document: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(document_as_data(doc), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def document_sha256(doc: Document) -> str:
    """The hex SHA-256 of the canonical JSON: what a letter's content hash is."""
    return hashlib.sha256(document_json(doc).encode("utf-8")).hexdigest()


def document_text(doc: Document) -> str:
    """All the words of the document, one block per line (for search and tests)."""
    lines: list[str] = [doc.title]
    for b in doc.blocks:
        match b:
            case Heading(text=text) | Paragraph(text=text):
                lines.append(text)
            case KeyValues(rows=rows):
                lines.extend(f"{k}: {v}" for k, v in rows)
            case Table(header=header, rows=rows):
                lines.append(" | ".join(header))
                lines.extend(" | ".join(r) for r in rows)
            case Qr(caption=caption):
                lines.append(caption)
            case PageBreak():
                pass
    if doc.footer:
        lines.append(doc.footer)
    return "\n".join(lines)
