"""Reading an order sheet: its line table and the order's details above it.

An order sheet is an xlsx, xls or csv file read like a product import
(imports.py): the line table starts at the first row naming known columns
(编码/SKU, 名称, 数量/qty, 单价/price, 金额/amount ...); cells above it such as
"客户：张三五金店" or "订单号 | SO-001" give the order's customer, number and
date. Blank rows and a 合计 (total) row under the lines are skipped; a line
that cannot be read (a quantity that is not a number, a negative price) is a
row error with its reason.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .. import errors
from ..checks import Invalid, cell_text
from ..money import parse_money, to_decimal
from . import columns, imports

MAX_LINES = 10_000
MAX_QTY = Decimal(10) ** 9

_P = imports.PRODUCT_SYNONYMS
LINE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sku": _P["sku"],
    "name": _P["name"],
    "qty": (
        "数量",
        "订购数量",
        "订货数量",
        "采购数量",
        "件数",
        "数目",
        "qty",
        "quantity",
        "count",
        "pcs",
    ),
    "unit_price": _P["price"],
    "amount": (
        "金额",
        "小计",
        "总价",
        "总额",
        "金额合计",
        "amount",
        "subtotal",
        "lineamount",
        "linetotal",
        "total",
    ),
}
LINE_FIELDS = tuple(LINE_SYNONYMS)
INFO_SYNONYMS: dict[str, tuple[str, ...]] = {
    "number": (
        "订单号",
        "单号",
        "订单编号",
        "订单",
        "采购单号",
        "销售单号",
        "单据编号",
        "ordernumber",
        "orderno",
        "order",
        "po",
        "pono",
        "number",
    ),
    "customer": (
        "客户",
        "客户名称",
        "购买方",
        "采购方",
        "购货单位",
        "收货人",
        "customer",
        "client",
        "buyer",
    ),
    "date": ("日期", "订单日期", "下单日期", "制单日期", "date", "orderdate"),
}
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


def parse_qty(value: Any) -> Decimal:
    """A line's quantity: more than 0, at most MAX_QTY, six decimals at most."""
    qty = to_decimal(value)
    if qty <= 0:
        raise Invalid("must be more than 0", "not_positive")
    if qty > MAX_QTY:
        raise Invalid("is too large", "too_large")
    if qty != qty.quantize(Decimal("0.000001")):
        raise Invalid("has more than 6 decimal places", "too_many_decimals")
    return qty


def qty_text(qty: Decimal) -> str:
    """2 -> "2", 2.50 -> "2.5": the exact quantity as stored."""
    text = format(qty.normalize(), "f")
    return text


def parse_date(value: Any) -> str | None:
    """A date cell or text (2025-03-01, 2025/3/1, 2025年3月1日) as YYYY-MM-DD, or None."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    match = _DATE_TEXT.search(unicodedata.normalize("NFKC", cell_text(value)))
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return None


def _info_key(text: str) -> str | None:
    key = columns.normalise_header(text)
    return next((f for f, names in INFO_SYNONYMS.items() if key in names), None)


def read_info(rows: list[list[Any]]) -> dict[str, Any]:
    """Order number, customer and date from the cells above the line table."""
    info: dict[str, Any] = {}
    for row in rows:
        cells = list(row)
        for i, cell in enumerate(cells):
            text = unicodedata.normalize("NFKC", cell_text(cell)).strip()
            if not text:
                continue
            if ":" in text:
                label, _, rest = text.partition(":")
                key = _info_key(label)
                if key and rest.strip() and key not in info:
                    info[key] = rest.strip()
                continue
            key = _info_key(text)
            if key and key not in info:
                value = next((c for c in cells[i + 1 :] if cell_text(c).strip()), None)
                if value is not None:
                    info[key] = value
    return info


def parse_sheet(data: bytes) -> tuple[imports.Table, columns.ColumnMap, dict[str, Any]]:
    table = imports.read_table(data, max_rows=MAX_LINES)
    mapping = columns.map_columns(table, LINE_SYNONYMS, required=(("sku", "name"), ("qty",)))
    info = read_info(table.rows[: mapping.header_index])
    return table, mapping, info


def read_lines(
    table: imports.Table, mapping: columns.ColumnMap
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(lines, row errors); lines carry Decimal qty and stated values, unmatched."""
    lines: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []

    def error(row: int, fld: str, reason: str, code: str) -> None:
        problems.append(mapping.row_error(row, fld, reason, code))

    for offset, cells in enumerate(table.rows[mapping.header_index + 1 :]):
        number = table.row_number(mapping.header_index + 1 + offset)

        def cell(fld: str, cells: list[Any] = cells) -> Any:
            col = mapping.fields.get(fld)
            return cells[col] if col is not None and col < len(cells) else None

        texts = {f: cell_text(cell(f)).strip() for f in ("sku", "name")}
        stated = {f: cell(f) for f in ("qty", "unit_price", "amount")}
        filled = {f: v for f, v in stated.items() if cell_text(v).strip()}
        if not any(texts.values()) and not filled:
            continue  # a blank row
        if "qty" not in filled and any(
            columns.normalise_header(c) in columns.TOTAL_WORDS
            for c in cells
            if cell_text(c).strip()
        ):
            continue  # a 合计 / total row under the lines
        if len(lines) >= MAX_LINES:
            raise errors.TooLarge(
                f"An order can have at most {MAX_LINES:,} lines.",
                fields={"file": "too many lines"},
            )
        line: dict[str, Any] = {
            "row": number,
            "sku": texts["sku"][:100],
            "name": texts["name"][:200],
        }
        ok = True
        for fld, parse in (
            ("qty", parse_qty),
            ("unit_price", parse_money),
            ("amount", parse_money),
        ):
            if fld not in filled:
                line[fld] = None
                continue
            try:
                line[fld] = parse(filled[fld])
            except Invalid as exc:
                ok = False
                error(number, fld, f"{fld.replace('_', ' ')} {exc.reason}", exc.code)
        if ok and line["qty"] is None:
            ok = False
            error(number, "qty", "qty is required", "required")
        if ok:
            lines.append(line)
    return lines, problems
