"""A quotation (报价单) as a PDF to send or print: A4 portrait, Chinese embedded.

A customer gets the quotation by e-mail or WeChat, prints it, stamps it and
sends it back: so it must read the same on any machine (the CJK font of
localapp/fonts.py is embedded as a subset, tens of KB) and look like the form a
Chinese buyer expects — the seller's header, both parties, a ruled table of the
items, the totals with the gross in Chinese capitals (rmb.py), the terms, room
for both stamps, and "第 N 页，共 M 页" with the quote number on every page so
loose pages go back together. It only lays out what the caller computed (all
money integer cents), so the PDF cannot disagree with the screen. No bottle.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .. import fonts
from . import images
from .rmb import capitals

Color = tuple[int, int, int]
Style = tuple[float, bool, Color]  # (size in pt, bold, colour)
FieldRow = tuple[str, list[str], Style]  # a label, its value's lines, their style
Logo = tuple[io.BytesIO, int, int]  # the file to embed, its width and height in pixels

PAGE_W, PAGE_H = 210.0, 297.0  # A4 portrait, in mm
MARGIN, TOP = 12.0, 12.0
INNER_W = PAGE_W - 2 * MARGIN
FOOT_MID = PAGE_H - 8.0  # the footer's text line
BODY_BOTTOM = FOOT_MID - 6.0  # nothing else goes below this
LOGO_W, LOGO_H = 34.0, 17.0  # the most a logo takes, in mm
LOGO_PX = (480, 240)  # a logo is scaled down to this (300 dpi at its largest) before embedding

INK, MUTED, RULE = (33, 37, 41), (108, 117, 125), (200, 206, 212)
ACCENT, HEAD_BG, SOFT = (29, 60, 110), (232, 238, 246), (247, 248, 250)
#: Text styles: (size in pt, bold, colour).
TITLE, NAME, HEAD = (22, True, ACCENT), (14, True, INK), (8, True, ACCENT)
BODY, STRONG, LABEL = (8.5, False, INK), (8.5, True, INK), (8.5, False, MUTED)
SMALL, CELL = (7.5, False, MUTED), (8, False, INK)

#: The table's columns: (label, the line's field, width in mm, alignment, most
#: lines: text wraps to them and is cut with an ellipsis, 0 for one line of a
#: number, which shrinks to fit and is never cut). The widths add up to INNER_W.
COLUMNS: tuple[tuple[str, str, float, str, int], ...] = (
    ("col_no", "", 9.0, "C", 0),
    ("col_sku", "sku", 22.0, "L", 2),
    ("col_name", "name", 44.0, "L", 3),
    ("col_spec", "spec", 28.0, "L", 3),
    ("col_unit", "unit", 11.0, "C", 1),
    ("col_qty", "qty", 16.0, "R", 0),
    ("col_price", "price_cents", 21.0, "R", 0),
    ("col_tax", "tax_rate", 11.0, "C", 0),
    ("col_amount", "amount_cents", 24.0, "R", 0),
)
#: x of the table's vertical rules: its sides and between the columns
EDGES = tuple(MARGIN + sum(c[2] for c in COLUMNS[:i]) for i in range(len(COLUMNS) + 1))
PAD = 1.5  # inside a table cell
CELL_LH = 3.9  # a line of text in the table
NOTE_H = 3.2  # the list price under an overridden price
TERMS = (("payment", "payment_terms"), ("delivery", "delivery_terms"), ("notes", "notes"))

#: Each label in Chinese and in English.
LABELS: dict[str, tuple[str, str]] = {
    "title": ("报价单", "QUOTATION"),
    "number": ("报价单号", "Quote No."),
    "revision": ("第 {n} 版", "Rev. {n}"),
    "date": ("日期", "Date"),
    "valid_until": ("有效期至", "Valid until"),
    "pricing": ("计价方式", "Prices"),
    "inclusive": ("含税价，人民币（元）", "Tax included, CNY"),
    "exclusive": ("不含税价，人民币（元）", "Tax excluded, CNY"),
    "customer": ("客户", "Customer"),
    "contact": ("联系人", "Contact"),
    "phone": ("电话", "Phone"),
    "address": ("地址", "Address"),
    "tax_id": ("税号", "Tax ID"),
    "bank": ("开户行及账号", "Bank account"),
    "intro": (
        "感谢贵司垂询，现将报价详列如下：",
        "Thank you for your enquiry. We quote as follows:",
    ),
    "col_no": ("序号", "No."),
    "col_sku": ("编码", "Code"),
    "col_name": ("名称", "Item"),
    "col_spec": ("规格", "Spec."),
    "col_unit": ("单位", "Unit"),
    "col_qty": ("数量", "Qty"),
    "col_price": ("单价", "Unit price"),
    "col_tax": ("税率", "Tax"),
    "col_amount": ("金额", "Amount"),
    "list_price": ("原价", "List"),
    "empty": ("（无明细）", "(no items)"),
    "items": ("共 {n} 项", "{n} items"),
    "net": ("不含税金额", "Net amount"),
    "tax": ("税额", "Tax"),
    "gross": ("价税合计", "Total incl. tax"),
    "in_words": ("大写金额", "Amount (Chinese capitals)"),
    "payment": ("付款方式", "Payment terms"),
    "delivery": ("交货方式", "Delivery terms"),
    "notes": ("备注", "Notes"),
    "quoted_by": ("报价方（盖章）", "Quoted by (company stamp)"),
    "confirmed_by": ("客户确认（盖章）", "Accepted by customer (company stamp)"),
    "signature": ("签字", "Signature"),
    "page": ("第 {n} 页，共 {m} 页", "Page {n} of {m}"),
    "continued": ("报价单 {number}（续）", "Quotation {number} (continued)"),
}

#: Statuses stamped by the title: (Chinese, English, colour); draft and sent get none.
STAMPS: dict[str, tuple[str, str, Color]] = {
    "accepted": ("已接受", "ACCEPTED", (38, 128, 74)),
    "ordered": ("已下单", "ORDERED", (29, 90, 160)),
    "expired": ("已过期", "EXPIRED", (176, 58, 46)),
}


def quote_pdf(quote: Mapping[str, Any], *, lang: str = "zh", logo: bytes | None = None) -> bytes:
    """The quotation as PDF bytes; `lang` "en" writes the labels in English.

    `quote` holds what the caller computed: number, revision, status, date,
    valid_until, company{}, customer{}, tax_inclusive, lines[], totals{},
    payment_terms, delivery_terms, notes; a key left out leaves its line out.
    `logo` is PNG or JPEG bytes drawn left of the company's name; one Pillow
    cannot read is left out rather than failing the document. Raises
    fonts.FontMissing when no CJK font is installed.
    """
    doc = _Document(quote, "en" if lang == "en" else "zh", _logo(logo))
    doc.header()
    doc.parties()
    doc.table([line for line in quote.get("lines") or [] if isinstance(line, Mapping)])
    doc.totals()
    doc.terms()
    doc.signatures()
    doc.footers()
    return bytes(doc.pdf.output())


def yuan(cents: Any) -> str:
    """Integer cents as money on the page: 123450 -> "¥1,234.50", -50 -> "-¥0.50"."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        return "—" if cents in (None, "") else str(cents)
    sign = "-" if cents < 0 else ""
    whole, fen = divmod(abs(cents), 100)
    return f"{sign}¥{whole:,}.{fen:02d}"


def rate(value: Any) -> str:
    """A tax rate in per cent as shown: 13 -> "13%", "9" -> "9%", 1.5 -> "1.5%"."""
    if value is None or value == "" or isinstance(value, bool):
        return "—"
    try:
        number = Decimal(str(value).strip().removesuffix("%"))
    except InvalidOperation:
        return str(value)
    return f"{number.normalize():f}%" if number.is_finite() else str(value)


def _text_of(mapping: Mapping[str, Any], key: str) -> str:
    return _plain(mapping.get(key))


def _label(key: str, lang: str, **values: Any) -> str:
    text = LABELS[key][1 if lang == "en" else 0]
    return text.format(**values) if values else text


def _logo(data: bytes | None) -> Logo | None:
    """The logo, checked and scaled down for embedding, or None to leave it out.

    images.check_image refuses non-images, damaged files and decompression
    bombs; the picture is shrunk to LOGO_PX (a phone photo would make the PDF
    megabytes) and re-encoded: JPEG when opaque, PNG to keep transparency.
    Returns the file and its size in pixels.
    """
    if not data:
        return None
    try:
        fmt, _w, _h = images.check_image(data)
        if fmt not in ("PNG", "JPEG"):
            return None
        from PIL import Image, ImageOps

        with Image.open(io.BytesIO(data)) as opened:
            picture = ImageOps.exif_transpose(opened)
            picture.thumbnail(LOGO_PX)
            alpha = picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info
            picture = picture.convert("RGBA" if alpha else "RGB")
            out = io.BytesIO()
            picture.save(out, "PNG" if alpha else "JPEG", quality=90)
    except Exception:  # check_image's AppError, and Pillow's many types for broken files
        return None
    out.seek(0)
    return out, picture.width, picture.height


# ---- the document --------------------------------------------------------------

#: a run of Latin letters and digits kept on one line, a space, or one other character
_TOKEN = re.compile(r"[0-9A-Za-z_.,:;%#@&+\-/()'\"×*]+|\s+|.", re.S)
#: punctuation that must not start a line (it is moved down with the character before it)
_NO_LINE_START = set("，。、；：？！）》」』”’%,.;:?!)")


@dataclass
class _Cell:
    """One table cell: its lines of text, alignment and, for an overridden
    price, the list price note under it."""

    lines: list[str]
    align: str
    note: str = ""

    @property
    def height(self) -> float:
        return len(self.lines) * CELL_LH + (NOTE_H if self.note else 0.0)


class _Document:
    """One quotation being drawn: the fonts, the cursor `y`, and page by page."""

    def __init__(self, quote: Mapping[str, Any], lang: str, logo: Logo | None) -> None:
        pdf, bold = fonts.cjk_document("P")
        self.quote, self.lang, self.logo = quote, lang, logo
        self.company = _mapping(quote.get("company"))
        self.customer = _mapping(quote.get("customer"))
        self.number = _text_of(quote, "number")
        rev = quote.get("revision")
        self.revision = _label("revision", lang, n=rev) if rev not in (None, "", 0) else ""
        pdf.set_title(f"{_label('title', lang)} {self.number}".strip())
        pdf.set_author(_text_of(self.company, "name"))
        pdf.set_lang("en" if lang == "en" else "zh-CN")
        self.pdf, self.bold = pdf, "B" if bold else ""
        self.label_w = 22.0 if lang == "en" else 17.0  # the labels of the parties' panels
        pdf.add_page()
        self.y, self.count = TOP, 0

    def _font(self, style: Style) -> None:
        size, bold, color = style
        self.pdf.set_font("cjk", self.bold if bold else "", size)
        self.pdf.set_text_color(*color)

    def _colon(self, key: str) -> str:
        """A label followed by its colon: "客户：", "Customer:"."""
        return _label(key, self.lang) + (":" if self.lang == "en" else "：")

    def _text(
        self, x: float, mid: float, text: str, style: Style, align: str = "L", fit: float = 0
    ) -> float:
        """`text` in `style`, its middle at height `mid`, starting (L), centred (C)
        or ending (R) at x; cut with an ellipsis to `fit` mm when given. Returns its width."""
        self._font(style)
        return fonts.place_text(self.pdf, x, mid, text, align, fit)

    def _shrunk(self, text: str, style: Style, width: float, smallest: float = 6.0) -> Style:
        """`style` at a smaller size until `text` fits `width`: an amount is never cut."""
        size, bold, color = style
        while size > smallest:
            self._font((size, bold, color))
            if self.pdf.get_string_width(text) <= width:
                break
            size -= 0.5
        return (size, bold, color)

    def _wrap(self, text: str, width: float, style: Style, max_lines: int = 0) -> list[str]:
        """`text` broken into lines of at most `width` mm: between any two Chinese
        characters, between Latin words (a word longer than a line is cut), never
        before closing punctuation; newlines kept. With `max_lines`, the last line
        kept ends in an ellipsis when text was left out."""

        def fits(part: str) -> bool:
            return bool(self.pdf.get_string_width(part) <= width)

        self._font(style)
        lines: list[str] = []
        for paragraph in str(text).splitlines() or [""]:
            line = ""
            for token in _TOKEN.findall(paragraph):
                if fits(line + token):
                    line += token
                elif token.isspace():
                    lines.append(line.rstrip())
                    line = ""
                else:
                    if token[0] in _NO_LINE_START and len(line) > 1:
                        line, token = line[:-1], line[-1] + token
                    if line.strip():
                        lines.append(line.rstrip())
                    line = ""
                    for char in token:
                        if line and not fits(line + char):
                            lines.append(line)
                            line = ""
                        line += char
            lines.append(line.rstrip())
        if max_lines and len(lines) > max_lines:
            last = lines[max_lines - 1] + "…"
            while len(last) > 1 and not fits(last):
                last = last[:-2] + "…"
            lines = lines[: max_lines - 1] + [last]
        return lines

    def _room(self, height: float) -> None:
        """A new page (with the continuation band) unless `height` mm fit below `y`."""
        if self.y + height > BODY_BOTTOM:
            self._next_page()

    def _next_page(self) -> None:
        """A page after the first: a slim band with the seller and the quote number."""
        self.pdf.add_page()
        mid = TOP + 2.5
        self._text(MARGIN, mid, _text_of(self.company, "name"), (9, True, INK), fit=INNER_W / 2)
        cont = _label("continued", self.lang, number=self.number)
        self._text(PAGE_W - MARGIN, mid, cont, (8, False, MUTED), "R")
        fonts.set_pen(self.pdf, ACCENT, 0.5)
        self.pdf.line(MARGIN, mid + 4.0, PAGE_W - MARGIN, mid + 4.0)
        self.y = mid + 8.0

    # -- the blocks, top to bottom

    def header(self) -> None:
        """The seller (logo, name, address, phone, tax number, bank) on the left,
        the title on the right with the status stamp beside it, a double rule."""
        x, bottom = MARGIN, TOP + 6.0
        if self.logo is not None:
            w, h = self._place_logo()
            x, bottom = MARGIN + w + 4.0, TOP + h
        title_w = self._title()
        stamp_w = self._stamp(PAGE_W - MARGIN - title_w - 5.0)
        name_fit = PAGE_W - MARGIN - title_w - stamp_w - 8.0 - x
        self._text(x, TOP + 3.5, _text_of(self.company, "name"), NAME, fit=name_fit)
        mid = TOP + 10.0
        for line in self._company_lines():
            self._text(x, mid, line, SMALL, fit=PAGE_W - MARGIN - x)
            bottom = max(bottom, mid + 2.0)
            mid += 3.8
        self.y = max(bottom, TOP + 15.0) + 2.5
        for offset, pen in ((0.0, 0.7), (1.0, 0.2)):  # a thick and a thin rule
            fonts.set_pen(self.pdf, ACCENT, pen)
            self.pdf.line(MARGIN, self.y + offset, PAGE_W - MARGIN, self.y + offset)
        self.y += 4.5

    def _company_lines(self) -> list[str]:
        """The seller's details under its name, those given: address and phone;
        tax number, bank and account."""
        c = self.company
        lines = [
            "    ".join(f"{self._colon(k)} {_text_of(c, k)}" for k in keys if _text_of(c, k))
            for keys in (("address", "phone"), ("tax_id", "bank"))
        ]
        return [line.replace("： ", "：") for line in lines if line]

    def _place_logo(self) -> tuple[float, float]:
        """Draws the logo in the top left corner, as large as LOGO_W × LOGO_H
        allows; returns the width and height it takes."""
        assert self.logo is not None
        data, px_w, px_h = self.logo
        scale = min(LOGO_W / px_w, LOGO_H / px_h)
        w, h = px_w * scale, px_h * scale
        self.pdf.image(data, x=MARGIN, y=TOP + (LOGO_H - h) / 2 - 1.0, w=w, h=h)
        return w, LOGO_H - 1.0

    def _title(self) -> float:
        """报价单 / QUOTATION at the top right, the other language small under
        it; returns the width taken."""
        right, zh = PAGE_W - MARGIN, self.lang == "zh"
        title, sub = LABELS["title"][:: 1 if zh else -1]
        width = self._text(right, TOP + 4.0, title, TITLE if zh else (18, True, ACCENT), "R")
        self.pdf.set_char_spacing(1.2 if zh else 0)  # QUOTATION spaced out under 报价单
        self._text(right + (1.2 if zh else 0), TOP + 11.0, sub, (8 if zh else 9, False, MUTED), "R")
        self.pdf.set_char_spacing(0)
        return max(width, 24.0)

    def _stamp(self, right: float) -> float:
        """A status other than draft or sent as a tilted, outlined label ending at
        `right`, like a rubber stamp; returns the width it takes (0 for none)."""
        status = _text_of(self.quote, "status").lower()
        if status not in STAMPS:
            return 0.0
        zh, en, color = STAMPS[status]
        text = zh if self.lang == "zh" else en
        style: Style = (10, True, color)
        self._font(style)
        w, h = self.pdf.get_string_width(text) + 7.0, 8.0
        left, top = right - w, TOP + 1.5
        with self.pdf.rotation(8, left + w / 2, top + h / 2):
            for inset, pen in ((0.0, 0.6), (0.9, 0.2)):  # a double edge, as a stamp's
                fonts.set_pen(self.pdf, color, pen)
                box = (left + inset, top + inset, w - 2 * inset, h - 2 * inset)
                self.pdf.rect(*box, style="D", round_corners=True, corner_radius=1.2 - inset / 2)
            self._text(left + w / 2, top + h / 2, text, style, "C")
        return w

    def parties(self) -> None:
        """The customer (left) and the quotation's number, dates and pricing
        (right), each on a light panel, then a line of courtesy before the table."""
        q, c, lang = self.quote, self.customer, self.lang
        number = f"{self.number}  {self.revision}".strip()
        pricing = "inclusive" if q.get("tax_inclusive") else "exclusive"
        left = [("customer", _text_of(c, "name"))]
        left += [(k, _text_of(c, k)) for k in ("contact", "phone", "address", "tax_id")]
        right = [("number", number), ("date", _text_of(q, "date"))]
        right += [("valid_until", _text_of(q, "valid_until")), ("pricing", _label(pricing, lang))]
        wide, narrow = 112.0, INNER_W - 116.0
        panels = [(MARGIN, wide, self._field_rows(wide, left))]
        panels.append((PAGE_W - MARGIN - narrow, narrow, self._field_rows(narrow, right)))
        most = max(sum(len(lines) for _l, lines, _s in rows) for _x, _w, rows in panels)
        height = most * 4.6 + 4.0
        for x, w, rows in panels:
            fonts.set_pen(self.pdf, RULE, 0.2, SOFT)
            self.pdf.rect(x, self.y, w, height, style="DF", round_corners=True, corner_radius=1.2)
            mid = self.y + 2.0 + 2.3
            for label, lines, style in rows:
                self._text(x + 3.0, mid, label, LABEL)
                for line in lines:
                    self._text(x + 3.0 + self.label_w, mid, line, style)
                    mid += 4.6
        self.y += height + 6.0
        self._text(MARGIN, self.y, _label("intro", lang), BODY)
        self.y += 3.5

    def _field_rows(self, width: float, fields: Sequence[tuple[str, str]]) -> list[FieldRow]:
        """(label, wrapped value, style) of the fields that have a value; the
        first (customer, quote number) in bold."""
        rows: list[FieldRow] = []
        for i, (key, value) in enumerate(fields):
            if not value:
                continue
            style: Style = (9.0, True, INK) if i == 0 else BODY
            label = self._colon(key)
            lines = self._wrap(value, width - 6.0 - self.label_w, style, max_lines=3)
            rows.append((label, lines, style))
        return rows

    # -- the table of items

    def table(self, lines: Sequence[Mapping[str, Any]]) -> None:
        """The items, a row each, on as many pages as needed: a row never splits,
        and each page the table continues on starts with its header again."""
        self.count = len(lines)
        self._room(7.0 + 9.0)
        self._table_head()
        if not lines:
            self._row([_Cell([_label("empty", self.lang)], "C")], 8.0, False)
        for n, line in enumerate(lines, 1):
            cells = self._cells(n, line)
            height = max(7.0, max(cell.height for cell in cells) + 2 * PAD)
            if self.y + height > BODY_BOTTOM:
                self._next_page()
                self._table_head()
            self._row(cells, height, n % 2 == 0)

    def _table_head(self) -> None:
        height, x = 7.5, MARGIN
        fonts.set_pen(self.pdf, fill=HEAD_BG)
        self.pdf.rect(MARGIN, self.y, INNER_W, height, style="F")
        for key, _field, width, _align, _most in COLUMNS:
            text = _label(key, self.lang)
            style = self._shrunk(text, HEAD, width - 2 * PAD)
            self._text(x + width / 2, self.y + height / 2, text, style, "C")
            x += width
        self._grid(self.y, height)
        fonts.set_pen(self.pdf, ACCENT, 0.4)
        self.pdf.line(MARGIN, self.y, PAGE_W - MARGIN, self.y)
        self.y += height

    def _cells(self, n: int, line: Mapping[str, Any]) -> list[_Cell]:
        """The texts of one item's cells, wrapped to their columns; under an
        overridden price, its list price. Money fields are read as `price_cents`
        or as the quote record stores them, `price` (the same for list_price)."""
        cells: list[_Cell] = []
        for _key, field, width, align, most in COLUMNS:
            value = line.get(field, line.get(field.removesuffix("_cents"))) if field else n
            shown = _SHOWN.get(field, _plain)(value)
            lines = self._wrap(shown, width - 2 * PAD, CELL, most) if most else [shown]
            cells.append(_Cell(lines, align))
        listed = line.get("list_price_cents", line.get("list_price"))
        if line.get("overridden") and isinstance(listed, int) and not isinstance(listed, bool):
            cells[6].note = yuan(listed)
        return cells

    def _row(self, cells: Sequence[_Cell], height: float, banded: bool) -> None:
        """One row: a faint band on every other, each cell's lines centred in the
        row's height, numbers shrunk to fit rather than cut, then the rules. A
        single cell spans the table (the line saying there are no items)."""
        if banded:
            fonts.set_pen(self.pdf, fill=SOFT)
            self.pdf.rect(MARGIN, self.y, INNER_W, height, style="F")
        x = MARGIN
        whole = len(cells) == 1
        widths = [INNER_W] if whole else [column[2] for column in COLUMNS]
        for cell, width in zip(cells, widths, strict=True):
            inner = width - 2 * PAD
            mid = self.y + (height - cell.height) / 2 + CELL_LH / 2
            at = {"L": x + PAD, "C": x + width / 2, "R": x + width - PAD}[cell.align]
            for text in cell.lines:
                style = CELL if cell.align == "L" else self._shrunk(text, CELL, inner)
                self._text(at, mid, text, style, cell.align)
                mid += CELL_LH
            if cell.note:
                self._list_price(x + width - PAD, mid - 0.5, cell.note, inner)
            x += width
        self._grid(self.y, height, whole)
        fonts.set_pen(self.pdf, RULE, 0.2)
        self.pdf.line(MARGIN, self.y + height, PAGE_W - MARGIN, self.y + height)
        self.y += height

    def _list_price(self, right: float, mid: float, price: str, width: float) -> None:
        """Under an overridden price, the list price struck through, after a small
        "原价" so the line also reads right where strike-through is not seen."""
        label = _label("list_price", self.lang)
        style = self._shrunk(f"{label} {price}", (6.5, False, MUTED), width, 5.0)
        price_w = self._text(right, mid, price, style, "R")
        self._text(right - price_w - 0.8, mid, label, style, "R")
        fonts.set_pen(self.pdf, MUTED, 0.2)
        self.pdf.line(right - price_w - 0.2, mid, right + 0.2, mid)

    def _grid(self, top: float, height: float, whole: bool = False) -> None:
        """The column rules of one row, the table's sides included."""
        fonts.set_pen(self.pdf, RULE, 0.2)
        for x in (EDGES[0], EDGES[-1]) if whole else EDGES:
            self.pdf.line(x, top, x, top + height)

    # -- below the table

    def totals(self) -> None:
        """Net, tax and gross on the right, the number of items on the left, then
        the gross amount in Chinese capitals across the page, as on a 发票."""
        totals = _mapping(self.quote.get("totals"))
        self._room(38.0)
        top, box_w, row_h = self.y + 3.0, 78.0, 6.2
        left = PAGE_W - MARGIN - box_w
        self._text(MARGIN, top + row_h / 2, _label("items", self.lang, n=self.count), LABEL)
        rows = (("net", BODY), ("tax", BODY), ("gross", (10.5, True, ACCENT)))
        for i, (key, style) in enumerate(rows):
            mid = top + row_h * (i + 0.5)
            if key == "gross":
                fonts.set_pen(self.pdf, fill=HEAD_BG)
                self.pdf.rect(left, top + row_h * i, box_w, row_h, style="F")
            label_style = (style[0] - 1.0, style[1], style[2] if key == "gross" else MUTED)
            self._text(left + 3.0, mid, _label(key, self.lang), label_style)
            amount = yuan(totals.get(f"{key}_cents"))
            style = self._shrunk(amount, style, box_w - 28.0)
            self._text(PAGE_W - MARGIN - 3.0, mid, amount, style, "R")
            fonts.set_pen(self.pdf, RULE, 0.2)
            self.pdf.line(left, top + row_h * (i + 1), PAGE_W - MARGIN, top + row_h * (i + 1))
        self.y = top + 3 * row_h + 3.0
        self._in_words(totals.get("gross_cents"))

    def _in_words(self, gross: Any) -> None:
        """The gross amount in capitals on a ruled band: what a buyer's finance
        department reads first, so it is never left out, in English too."""
        ok = isinstance(gross, int) and not isinstance(gross, bool)
        words = ("人民币" if self.lang == "zh" else "") + capitals(gross) if ok else "—"
        height, label = 9.0, self._colon("in_words")
        fonts.set_pen(self.pdf, ACCENT, 0.3)
        for y in (self.y, self.y + height):
            self.pdf.line(MARGIN, y, PAGE_W - MARGIN, y)
        label_w = self._text(MARGIN + 2.0, self.y + height / 2, label, LABEL)
        room = INNER_W - label_w - 7.0
        style = self._shrunk(words, (10.5, True, INK), room)
        self._text(MARGIN + label_w + 5.0, self.y + height / 2, words, style)
        self.y += height + 5.0

    def terms(self) -> None:
        """Payment, delivery and notes: a label and its wrapped text each, line
        by line onto the next page when long notes need it."""
        label_w, line_h = (28.0 if self.lang == "en" else 20.0), 4.6
        for key, field in TERMS:
            value = _text_of(self.quote, field)
            if not value:
                continue
            self._room(line_h + 1.0)
            self._text(MARGIN, self.y + line_h / 2, self._colon(key), LABEL)
            for line in self._wrap(value, INNER_W - label_w, BODY):
                self._room(line_h)
                self._text(MARGIN + label_w, self.y + line_h / 2, line, BODY)
                self.y += line_h
            self.y += 1.2

    def signatures(self) -> None:
        """Two boxes to stamp and sign: the seller's and the customer's confirmation."""
        height, gap = 31.0, 6.0
        self._room(height + 6.0)
        top, width = self.y + 5.0, (INNER_W - gap) / 2
        parties = (("quoted_by", self.company), ("confirmed_by", self.customer))
        for i, (key, party) in enumerate(parties):
            x = MARGIN + i * (width + gap)
            fonts.set_pen(self.pdf, RULE, 0.3)
            self.pdf.rect(x, top, width, height, style="D")
            self._text(x + 3.0, top + 4.5, _label(key, self.lang), STRONG, fit=width - 6.0)
            self._text(x + 3.0, top + 9.5, _text_of(party, "name"), BODY, fit=width - 6.0)
            mid = top + height - 5.0
            after = x + 3.0 + self._text(x + 3.0, mid, self._colon("signature"), LABEL) + 1.0
            date_x = x + width * 0.56
            fonts.set_pen(self.pdf, MUTED, 0.2)
            self.pdf.line(after, mid + 1.8, date_x - 3.0, mid + 1.8)
            after = date_x + self._text(date_x, mid, self._colon("date"), LABEL) + 1.0
            self.pdf.line(after, mid + 1.8, x + width - 3.0, mid + 1.8)
        self.y = top + height

    def footers(self) -> None:
        """On every page, now that their number is known: the quote number and
        revision, "第 N 页，共 M 页" and the seller, under a rule."""
        total = self.pdf.pages_count
        left = " · ".join(part for part in (self.number, self.revision) if part)
        for n in range(1, total + 1):
            self.pdf.page = n
            fonts.set_pen(self.pdf, RULE, 0.2)
            self.pdf.line(MARGIN, FOOT_MID - 3.5, PAGE_W - MARGIN, FOOT_MID - 3.5)
            self._text(MARGIN, FOOT_MID, left, SMALL, fit=INNER_W / 3 - 4)
            self._text(PAGE_W / 2, FOOT_MID, _label("page", self.lang, n=n, m=total), SMALL, "C")
            name = _text_of(self.company, "name")
            self._text(PAGE_W - MARGIN, FOOT_MID, name, SMALL, "R", fit=INNER_W / 3 - 4)


def _plain(value: Any) -> str:
    return "" if value is None else str(value).strip()


#: how a line's field is shown in its cell, when not as plain text
_SHOWN = {"price_cents": yuan, "amount_cents": yuan, "tax_rate": rate}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
