"""Which column of a spreadsheet holds which field: the header row found among the
first rows by known names (synonyms, compared loosely: 单价（元） is 单价), and
the user's own choices, which win.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import errors
from ..checks import cell_text
from .search import fold

if TYPE_CHECKING:
    from .imports import Table

#: how many rows from the top may hold the header
HEADER_SEARCH_ROWS = 20
#: columns looked at in the header row
MAX_COLUMNS = 200


_BRACKETED = re.compile(r"[(\[【].*?[)\]】]")
#: what the first filled cell of a total row under the data says (compared as headers are)
TOTAL_WORDS = frozenset({"合计", "总计", "小计", "共计", "total", "subtotal", "sum", "grandtotal"})


def normalise_header(value: Any) -> str:
    """A header as compared: 单价（元） and "Unit Price*" become 单价 and unitprice."""
    text = unicodedata.normalize("NFKC", cell_text(value)).casefold()
    text = _BRACKETED.sub("", text)
    return re.sub(r"[\s*:：_\-./]", "", text)


@dataclass
class Column:
    index: int
    letter: str
    header: str
    field: str | None


@dataclass
class ColumnMap:
    """Which column holds which field, and where the header row is."""

    header_index: int  # index into Table.rows
    header_row: int  # as Excel shows it
    columns: list[Column]
    fields: dict[str, int]  # field -> column index

    def row_error(
        self, row: int, fld: str, reason: str, code: str = "invalid", **params: Any
    ) -> dict[str, Any]:
        """A problem with `fld` in sheet row `row`, named by its column's header and
        letter; `params` are the values the reason names, for the UI's own words."""
        col = self.fields.get(fld)
        column = self.columns[col] if col is not None else None  # columns[i].index == i
        return {
            "row": row,
            "column": column.header if column else fld,
            "letter": column.letter if column else None,
            "field": fld,
            "reason": reason,
            "code": code,
            "params": params,
        }

    def describe(self, all_fields: Sequence[str]) -> dict[str, Any]:
        headers = {c.index: c.header for c in self.columns}
        return {
            "header_row": self.header_row,
            "columns": [c.__dict__.copy() for c in self.columns],
            "mapping": {
                f: (headers.get(self.fields[f]) if f in self.fields else None) for f in all_fields
            },
            "fields": list(all_fields),
        }


def _score(row: Sequence[Any], synonyms: Mapping[str, tuple[str, ...]]) -> int:
    lookup = {s: f for f, names in synonyms.items() for s in names}
    return len({lookup[h] for h in map(normalise_header, row) if h in lookup})


def parse_override(raw: Any, fields: Sequence[str]) -> dict[str, str | int | None]:
    """The user's mapping {field: header text | column index | null}, checked."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str | bytes):
        import orjson

        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise errors.ValidationError(
                'mapping must be a JSON object such as {"name": "品名", "price": "单价"}.',
                fields={"mapping": "not valid JSON"},
            ) from None
    if not isinstance(raw, dict):
        raise errors.ValidationError(
            'mapping must be a JSON object such as {"name": "品名", "price": "单价"}.',
            fields={"mapping": "must be an object"},
        )
    problems: dict[str, str] = {}
    out: dict[str, str | int | None] = {}
    for key, value in raw.items():
        if key not in fields:
            problems[f"mapping.{key}"] = "unknown field; use one of " + ", ".join(fields)
        elif value is None or (isinstance(value, str) and value.strip()):
            out[key] = value
        elif isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 16384:
            out[key] = value
        else:
            problems[f"mapping.{key}"] = "must be a column header, a column number or null"
    if problems:
        raise errors.ValidationError("The column mapping is not valid.", fields=problems)
    return out


def map_columns(
    table: Table,
    synonyms: Mapping[str, tuple[str, ...]],
    override: Mapping[str, str | int | None] | None = None,
    required: Sequence[Sequence[str]] = (),
) -> ColumnMap:
    """Find the header row and map its columns to fields.

    `required` lists groups of fields of which at least one must be mapped,
    e.g. (("name", "sku"), ("price",)).
    """
    override = dict(override or {})
    best = _header_row(table, synonyms, override)
    lookup = {s: f for f, names in synonyms.items() for s in names}
    columns: list[Column] = []
    fields: dict[str, int] = {}
    for col, cell in enumerate(table.rows[best][:MAX_COLUMNS]):
        text = cell_text(cell).strip()
        fld = lookup.get(normalise_header(cell))
        if fld is not None and (fld in fields or fld in override):
            fld = None  # the first column with a name wins; the user's choice wins over both
        if fld is not None:
            fields[fld] = col
        columns.append(Column(col, table.letter(col), text, fld))
    _apply_override(columns, fields, override)
    for group in required:
        if not any(f in fields for f in group):
            names = " or ".join(f"{synonyms[f][0]}/{f}" for f in group)
            raise errors.ValidationError(
                f"The file has no {names} column. Found: "
                f"{', '.join(c.header for c in columns if c.header) or '(no headers)'}.",
                fields={
                    "header": f"missing column: {' or '.join(group)}",
                    **{f: "no column" for f in group},
                },
                extra={"columns": [c.header for c in columns]},
            )
    return ColumnMap(best, table.row_number(best), columns, fields)


def _header_row(
    table: Table, synonyms: Mapping[str, tuple[str, ...]], override: Mapping[str, Any]
) -> int:
    """The index of the row that names the most known columns (or the user's)."""
    named = {fold(v) for v in override.values() if isinstance(v, str)}
    best, best_score = None, 0
    for i, row in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        if len(row) > MAX_COLUMNS and not any(cell_text(c).strip() for c in row[MAX_COLUMNS:]):
            row = row[:MAX_COLUMNS]
        score = _score(row, synonyms) + 2 * len(named & {fold(cell_text(c)) for c in row})
        if score > best_score:
            best, best_score = i, score
    if best is not None:
        return best
    first = next(
        (
            i
            for i, r in enumerate(table.rows[:HEADER_SEARCH_ROWS])
            if any(cell_text(c).strip() for c in r)
        ),
        0,
    )
    if not any(isinstance(v, int) for v in override.values()):
        seen = [cell_text(c).strip() for c in table.rows[first] if cell_text(c).strip()]
        known = " / ".join(names[0] for names in synonyms.values())
        raise errors.ValidationError(
            "No column header was recognised. The first rows should hold headers such as "
            f"{known}. Found: {', '.join(seen[:20]) or '(empty)'}. Choose the columns "
            "yourself with a mapping.",
            fields={"header": "no known column names"},
            extra={"columns": seen[:MAX_COLUMNS]},
        )
    return first


def _apply_override(
    columns: list[Column], fields: dict[str, int], override: Mapping[str, str | int | None]
) -> None:
    """The user's choices win: a field moved to the column they named, or unmapped."""
    problems: dict[str, str] = {}
    for fld, target in override.items():
        if target is None:
            continue
        if isinstance(target, int):
            col = target
        else:
            col = next((c.index for c in columns if fold(c.header) == fold(target)), -1)
        if not 0 <= col < len(columns):
            problems[f"mapping.{fld}"] = f"no column {target!r} in the header row"
            continue
        for other, index in list(fields.items()):
            if index == col:
                del fields[other]
                columns[index].field = None
        fields[fld] = col
        columns[col].field = fld
    for fld, target in override.items():
        if target is None and fld in fields:
            columns[fields.pop(fld)].field = None
    if problems:
        raise errors.ValidationError(
            "The column mapping names columns the file does not have.",
            fields=problems,
            extra={"columns": [c.header for c in columns]},
        )


def total_row(cells: Sequence[Any]) -> str | None:
    """The word of a total row (合计, 小计, 总计, Total ...), as written: the row's
    first filled cell says it; None for any other row."""
    for cell in cells:
        text = cell_text(cell).strip()
        if text:
            return text if normalise_header(text) in TOTAL_WORDS else None
    return None


#: Product fields and the headers that name them, compared after `normalise_header`.
PRODUCT_SYNONYMS: dict[str, tuple[str, ...]] = {
    "sku": (
        "编码",
        "货号",
        "sku",
        "商品编码",
        "产品编码",
        "物料编码",
        "编号",
        "code",
        "itemcode",
        "productcode",
        "itemno",
        "partno",
        "partnumber",
    ),
    "name": (
        "名称",
        "品名",
        "商品名称",
        "产品名称",
        "商品名",
        "物料名称",
        "name",
        "productname",
        "itemname",
        "product",
        "item",
    ),
    "price": (
        "单价",
        "价格",
        "售价",
        "销售价",
        "零售价",
        "含税单价",
        "price",
        "unitprice",
        "saleprice",
    ),
    "barcode": ("条码", "条形码", "商品条码", "国际条码", "barcode", "ean", "ean13", "upc", "gtin"),
    "spec": ("规格", "规格型号", "型号", "spec", "specs", "specification", "model"),
    # money columns besides the price, read as yuan like it (MONEY_COLUMNS)
    "cost": ("进价", "成本价", "采购价", "进货价", "cost", "costprice", "purchaseprice"),
    "wholesale": ("批发价", "wholesale", "wholesaleprice"),
    "unit": ("单位", "计量单位", "unit", "uom"),
    "category": ("分类", "类别", "商品分类", "品类", "类目", "category", "type"),
    "supplier": (
        "供应商",
        "厂家",
        "生产厂家",
        "品牌",
        "supplier",
        "vendor",
        "brand",
        "manufacturer",
    ),
    "currency": ("币种", "货币", "currency"),
    "tags": ("标签", "tags", "tag"),
    "notes": ("备注", "说明", "notes", "note", "remark", "remarks", "comment", "comments"),
}
PRODUCT_FIELDS: tuple[str, ...] = tuple(PRODUCT_SYNONYMS)
#: the headers of the import template (导入模板.xlsx): the industry's usual ones,
#: each a synonym above, so a filled template imports with no mapping step
PRODUCT_TEMPLATE: tuple[str, ...] = (
    "商品编码",
    "条码",
    "商品名称",
    "规格型号",
    "单位",
    "分类",
    "品牌",
    "进价",
    "售价",
    "批发价",
    "备注",
)
#: the money columns other than the price: column -> how its cents are stored
#: (进价 as the cost; 批发价 as the price of the grade named 批发价)
WHOLESALE_GRADE = "批发价"
MONEY_COLUMNS: tuple[str, ...] = ("cost", "wholesale")
