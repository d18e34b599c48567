"""The catalogue's spreadsheet export (xlsx).

Products use the Chinese headers the importer recognises (名称, 编码, 单价 ...),
so an exported file can be edited in Excel and imported back unchanged.
Prices are written as numbers in yuan with two decimals (exact: cents / 100
as a Decimal); times (更新时间) as date-time cells in this computer's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .. import kinds
from ..money import cents_text
from ..sheets import Cell, text, write_sheet

#: (field, header, column width): the kinds' exported fields with the labels the
#: UI shows (and its CSV export writes), from the registry (kinds.py)
PRODUCT_COLUMNS: tuple[tuple[str, str, int], ...] = kinds.PRODUCT.export_columns()


#: fields only signed-in users see (the cost price): never in a public answer
PRIVATE_FIELDS: frozenset[str] = frozenset({"cost"})


def products_xlsx(
    products: Iterable[dict[str, Any]], sheet: str = "商品", *, private: bool = True
) -> bytes:
    """The products as an xlsx file's bytes; without PRIVATE_FIELDS unless `private`."""
    columns = tuple(c for c in PRODUCT_COLUMNS if private or c[0] not in PRIVATE_FIELDS)

    def row(doc: dict[str, Any]) -> list[Cell]:
        out: list[Cell] = []
        for field, _title, _width in columns:
            value = doc.get(field)
            if field in ("price", "cost"):
                out.append(Decimal(cents_text(value)) if isinstance(value, int) else None)
            elif field == "tags":
                out.append("，".join(value or []))
            elif kinds.PRODUCT.fields[field].type == "time":
                out.append(_local_time(value))
            else:
                out.append(text(value))
        return out

    return write_sheet(sheet, columns, (row(doc) for doc in products))


def _local_time(value: Any) -> Cell:
    """A stored UTC time ("2026-12-03T06:21:09.123Z") as a date-time cell in this
    computer's time zone, to the minute; the text itself if it is not one."""
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return text(value)
    if moment.tzinfo is None:
        return moment.replace(second=0, microsecond=0)
    return moment.astimezone().replace(tzinfo=None, second=0, microsecond=0)
