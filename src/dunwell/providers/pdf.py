"""PDF rendering of a :class:`~dunwell.channels.document.Document` with ReportLab.

Every glyph is drawn with WenQuanYi Zen Hei, a TrueType font that covers both Chinese
and Latin text, and ReportLab embeds the glyphs actually used as TrueType subsets
(``FontFile2``) so the PDF prints and displays the same everywhere. ReportLab's
built-in CID fonts (STSong-Light) are *not* embedded and Noto CJK (CFF outlines)
cannot be embedded by ReportLab, which is why this font is used.

Output is A4 with page numbers and the document's footer on every page; rendering is
deterministic (ReportLab's invariant mode) so the same document always gives the
same bytes.
"""

from __future__ import annotations

import io
import threading
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
)
from reportlab.platypus import PageBreak as RlPageBreak
from reportlab.platypus import Paragraph as RlParagraph
from reportlab.platypus import Table as RlTable
from reportlab.platypus import TableStyle as RlTableStyle

from dunwell.channels.document import (
    Block,
    Document,
    Heading,
    KeyValues,
    PageBreak,
    Paragraph,
    Qr,
    Table,
)
from dunwell.core.errors import DomainError

DEFAULT_CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FONT_NAME = "WenQuanYiZenHei"
_lock = threading.Lock()
_registered: dict[Path, str] = {}


class FontMissing(DomainError):
    """The CJK font file is not installed or is not a usable TrueType font."""

    code = "cjk_font_must_be_installed"


def _font_path() -> Path:
    from dunwell.settings import Settings

    return Path(Settings().cjk_font)


def register_cjk_font(path: Path | None = None) -> str:
    """Register the CJK font with ReportLab once per path; returns its font name."""
    font_path = Path(path) if path is not None else _font_path()
    with _lock:
        if font_path in _registered:
            return _registered[font_path]
        if not font_path.is_file():
            raise FontMissing(
                f"the CJK font {font_path} is not installed: install the Debian package "
                "fonts-wqy-zenhei (apt-get install fonts-wqy-zenhei) or point "
                "DUNWELL_CJK_FONT at a TrueType font with Chinese glyphs",
                path=str(font_path),
            )
        name = FONT_NAME if not _registered else f"{FONT_NAME}-{len(_registered)}"
        try:
            if font_path.suffix.lower() == ".ttc":
                font = TTFont(name, str(font_path), subfontIndex=0)
            else:
                font = TTFont(name, str(font_path))
        except Exception as exc:  # ReportLab raises TTFError and plain errors alike
            raise FontMissing(
                f"{font_path} is not a TrueType font ReportLab can embed ({exc}); install "
                "fonts-wqy-zenhei or set DUNWELL_CJK_FONT to a TrueType (glyf) font",
                path=str(font_path),
            ) from exc
        pdfmetrics.registerFont(font)
        _registered[font_path] = name
        return name


def _styles(font: str, language: str) -> dict[str, ParagraphStyle]:
    wrap = "CJK" if language.lower().startswith("zh") else None
    base = ParagraphStyle(
        "body", fontName=font, fontSize=10.5, leading=16, wordWrap=wrap, spaceAfter=6
    )
    return {
        "body": base,
        "h1": ParagraphStyle("h1", parent=base, fontSize=17, leading=24, spaceBefore=4,
                             spaceAfter=10, alignment=1),
        "h2": ParagraphStyle("h2", parent=base, fontSize=13, leading=19, spaceBefore=8,
                             spaceAfter=4),
        "h3": ParagraphStyle("h3", parent=base, fontSize=11.5, leading=17, spaceBefore=6,
                             spaceAfter=3),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13, spaceAfter=0),
        "caption": ParagraphStyle("caption", parent=base, fontSize=8.5, leading=12,
                                  spaceAfter=0),
    }


def _markup(text: str) -> str:
    return "<br/>".join(escape(line) for line in text.split("\n"))


def _qr(block: Qr, styles: dict[str, ParagraphStyle]) -> Flowable:
    widget = QrCodeWidget(block.payload, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    size = 32 * mm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    drawing.initialFontName = styles["caption"].fontName  # not the renderer's Helvetica
    caption = RlParagraph(_markup(block.caption), styles["caption"])
    table = RlTable([[drawing, caption]], colWidths=[size + 4 * mm, None])
    table.setStyle(RlTableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                 ("FONT", (0, 0), (-1, -1), styles["caption"].fontName)]))
    return KeepTogether([Spacer(1, 4 * mm), table])


def _column_widths(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...],
                   width: float) -> list[float]:
    """Share the width by each column's longest cell (CJK characters count double),
    within bounds so no column is squeezed to nothing. A heading may wrap between its
    words, so only its longest word counts: an amount is never broken to make room for
    a heading like "Penalty interest"."""

    def size(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    def heading(text: str) -> int:
        return max((size(word) for word in text.split()), default=0)

    weights = [min(max(heading(h), *(size(r[k]) for r in rows), 4), 28)
               for k, h in enumerate(header)] if rows else [1] * len(header)
    total = sum(weights)
    return [width * w / total for w in weights]


def _flowables(block: Block, styles: dict[str, ParagraphStyle],
               width: float) -> list[Flowable]:
    match block:
        case Heading(text=text, level=level):
            return [RlParagraph(_markup(text), styles[f"h{level}"])]
        case Paragraph(text=text):
            return [RlParagraph(_markup(text), styles["body"])]
        case KeyValues(rows=rows):
            data = [[RlParagraph(_markup(k), styles["cell"]),
                     RlParagraph(_markup(v), styles["cell"])] for k, v in rows]
            table = RlTable(data, colWidths=[width * 0.32, width * 0.68], hAlign="LEFT")
            table.setStyle(RlTableStyle([
                ("FONT", (0, 0), (-1, -1), styles["cell"].fontName),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
            ]))
            return [table, Spacer(1, 3 * mm)]
        case Table(header=header, rows=rows):
            cells = [[RlParagraph(_markup(h), styles["cell"]) for h in header]]
            cells += [[RlParagraph(_markup(c), styles["cell"]) for c in row] for row in rows]
            table = RlTable(cells, colWidths=_column_widths(header, rows, width),
                            repeatRows=1, hAlign="LEFT")
            table.setStyle(RlTableStyle([
                ("FONT", (0, 0), (-1, -1), styles["cell"].fontName),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]))
            return [table, Spacer(1, 3 * mm)]
        case Qr():
            return [_qr(block, styles)]
        case PageBreak():
            return [RlPageBreak()]
    raise AssertionError(f"unknown block {block!r}")  # pragma: no cover


def _page_furniture(canvas: Canvas, doc: SimpleDocTemplate, *, font: str, footer: str,
                    language: str) -> None:
    canvas.saveState()
    canvas.setFont(font, 8)
    page = canvas.getPageNumber()
    label = f"第 {page} 页" if language.lower().startswith("zh") else f"Page {page}"
    canvas.drawRightString(A4[0] - doc.rightMargin, 12 * mm, label)
    if footer:
        canvas.drawString(doc.leftMargin, 12 * mm, footer[:110])
    canvas.restoreState()


def render_pdf(doc: Document, *, font_path: Path | None = None) -> bytes:
    """Render ``doc`` as an A4 PDF with the CJK font embedded; same document, same bytes.

    ``font_path`` overrides the ``DUNWELL_CJK_FONT`` setting. A missing font raises
    :class:`FontMissing` naming the package to install.
    """
    font = register_cjk_font(font_path)
    styles = _styles(font, doc.language)
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=22 * mm,
        title=doc.title,
        author="Dunwell",
        creator="Dunwell",
        lang=doc.language,
        invariant=1,
        # the canvas starts in the CJK font, so no non-embedded standard font is referenced
        initialFontName=font,
    )
    story: list[Flowable] = []
    for block in doc.blocks:
        story.extend(_flowables(block, styles, template.width))
    furniture = partial(_page_furniture, font=font, footer=doc.footer, language=doc.language)
    template.build(story, onFirstPage=furniture, onLaterPages=furniture)
    return buffer.getvalue()
