"""Spreadsheet exports (xlsx), written with openpyxl in write-only mode.

Products use the Chinese headers the importer recognises (名称, 编码, 单价 ...),
so an exported file can be edited in Excel and imported back unchanged.
Prices are written as numbers in yuan with two decimals (exact: cents / 100
as a Decimal). Text is always written as text: a name such as "=1+1" stays
text in Excel and is never turned into a formula.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from . import kinds
from .money import cents_text

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: (field, header, column width): the kinds' exported fields with the labels the
#: UI shows (and its CSV export writes), from the registry (kinds.py)
PRODUCT_COLUMNS: tuple[tuple[str, str, int], ...] = kinds.PRODUCT.export_columns()

Cell = str | int | Decimal | None


def _xlsx(
    sheet: str, columns: Sequence[tuple[str, str, int]], rows: Iterable[Sequence[Cell]]
) -> bytes:
    """One sheet with a frozen header row, as an xlsx file's bytes."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for i, (_field, _title, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.append([title for _field, title, _width in columns])
    for values in rows:
        row = []
        for value in values:
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # never a formula
            elif isinstance(value, Decimal):
                cell.number_format = "0.00"
            row.append(cell)
        ws.append(row)
    with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as out:
        wb.save(out)
        out.seek(0)
        return out.read()


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def products_xlsx(products: Iterable[dict[str, Any]], sheet: str = "商品") -> bytes:
    """The products as an xlsx file's bytes."""

    def row(doc: dict[str, Any]) -> list[Cell]:
        out: list[Cell] = []
        for field, _title, _width in PRODUCT_COLUMNS:
            value = doc.get(field)
            if field == "price":
                out.append(Decimal(cents_text(value)) if isinstance(value, int) else None)
            elif field == "tags":
                out.append("，".join(value or []))
            else:
                out.append(_text(value))
        return out

    return _xlsx(sheet, PRODUCT_COLUMNS, (row(doc) for doc in products))


def tasks_xlsx(
    tasks: Iterable[Mapping[str, Any]],
    project_names: Mapping[str, str],
    type_names: Mapping[str, str],
    task_names: Mapping[str, str],
    sheet: str = "任务",
) -> bytes:
    """Schedule tasks as an xlsx file's bytes, with names instead of ids.

    The columns are the task kind's exported fields (kinds.py), each cell
    written by the field's type: references by the name of what they refer
    to, flags as 是, numbers as numbers, the rest as text.
    """
    names = {"projects": project_names, "task_types": type_names, "tasks": task_names}
    columns = kinds.TASK.export_columns()
    fields = [kinds.TASK.fields[name] for name, _title, _width in columns]

    def cell(fld: kinds.Field, value: Any) -> Cell:
        if fld.type == "ref":
            return names[fld.ref or ""].get(value or "", _text(value))
        if fld.type == "refs":
            return "，".join(names[fld.ref or ""].get(v, v) for v in value or [])
        if fld.type == "bool":
            return "是" if value else ""
        if fld.type == "int":
            return int(value or 0)
        return _text(value)

    def row(task: Mapping[str, Any]) -> list[Cell]:
        return [
            cell(fld, task.get(name)) for fld, (name, _t, _w) in zip(fields, columns, strict=True)
        ]

    return _xlsx(sheet, columns, (row(t) for t in tasks))
