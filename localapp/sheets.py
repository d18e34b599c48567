"""Writing spreadsheets: one sheet with a frozen header row, as xlsx bytes.

openpyxl in write-only mode. Text is always written as text: a name such as
"=1+1" stays text in Excel and is never turned into a formula. Decimals
(prices) are numbers with two decimals, dates real date cells. No domain names: the catalogue's and
the schedule's exports build on it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | Decimal | date | None


def write_sheet(
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
            elif isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"  # a real date cell: sorts, filters, adds up
            row.append(cell)
        ws.append(row)
    with tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024) as out:
        wb.save(out)
        out.seek(0)
        return out.read()


def text(value: Any) -> str:
    return "" if value is None else str(value)
