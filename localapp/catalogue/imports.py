"""Spreadsheet reading and column mapping for product and order imports.

- `read_table(data)` turns uploaded bytes into rows of cell values. The kind
  is found from the content, never the file name: xlsx (a zip holding
  xl/workbook.xml) and xls (an OLE2 file) are read with python-calamine,
  in a child process (see sheet_reader.py: some files make calamine abort);
  anything else must be CSV text, in UTF-8 (with or without BOM), UTF-16
  with BOM, or GBK/GB18030 (what Excel in China writes).
- Before calamine sees an xlsx, the zip's own declared sizes are checked with
  zipfile and its members are streamed once (zipfile stops at the declared
  size and then fails the CRC check, so the declaration cannot lie): a zip
  bomb is refused before it can be expanded in memory. Rows are capped
  (default 200,000).
- Formula cells: calamine returns the value Excel saved with the file; no
  formula is ever evaluated. A formula saved without a value reads as empty,
  and the row error says so.
- `map_columns` finds the header row (the first of the top rows that names
  known columns: 名称/品名/商品名称/name, 编码/货号/SKU, 单价/价格/售价/price ...)
  and applies the user's override mapping.
- `parse_products` checks every row and reports problems per row as
  `{row, column, letter, reason, code}`, including SKUs repeated in one file.

Library errors (calamine, zipfile, csv, codecs) become our AppError
subclasses here, at the edge; nothing else escapes for any input.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import logging
import pickle
import subprocess
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import errors, kinds, sheet_reader
from ..checks import Invalid, cell_text
from ..money import parse_money
from .columns import (
    HEADER_SEARCH_ROWS,
    MONEY_COLUMNS,
    PRODUCT_FIELDS,
    PRODUCT_SYNONYMS,
    WHOLESALE_GRADE,
    ColumnMap,
    map_columns,
    total_row,
)

MAX_ROWS = 200_000
#: Largest total uncompressed size of an xlsx. openpyxl writes 100,000 rows
#: of 7 columns as 42 MB of XML; Excel's shared strings make it smaller.
MAX_UNZIPPED = 256 * 1024 * 1024
MAX_ZIP_MEMBERS = 5_000

XLSX, XLS, CSV = "xlsx", "xls", "csv"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"

log = logging.getLogger(__name__)


# -- reading -------------------------------------------------------------------------


@dataclass
class Table:
    """The cells of one sheet. `first_row`/`first_col` are 0-based offsets in the sheet."""

    kind: str
    sheet: str
    rows: list[list[Any]]
    first_row: int = 0
    first_col: int = 0

    def row_number(self, index: int) -> int:
        """The row number a person sees in Excel (1-based) for rows[index]."""
        return self.first_row + index + 1

    def letter(self, col: int) -> str:
        return column_letter(self.first_col + col)


def column_letter(col: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    out = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def sniff(data: bytes) -> str | None:
    """xlsx, xls, csv, or None when the bytes are not a spreadsheet."""
    if data.startswith(_ZIP):
        return XLSX
    if data.startswith(_OLE2):
        return XLS
    head = data[:8192]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return CSV
    if b"\x00" in head:
        return None
    # Text has few control characters besides tab, CR and LF.
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 13))
    return None if controls > len(head) // 100 + 1 else CSV


def read_table(data: bytes, *, max_rows: int = MAX_ROWS, max_unzipped: int = MAX_UNZIPPED) -> Table:
    """The first non-empty visible sheet of an xlsx/xls, or a CSV's rows."""
    if not data:
        raise errors.ValidationError("The file is empty.", fields={"file": "empty"})
    kind = sniff(data)
    if kind is None:
        raise errors.UnsupportedType(
            "This file is not a spreadsheet. Upload an Excel workbook (.xlsx, .xls) or a CSV file.",
            fields={"file": "not xlsx, xls or csv"},
        )
    if kind == CSV:
        table = _read_csv(data, max_rows)
    else:
        if kind == XLSX:
            check_zip(data, max_unzipped)
        table = _read_workbook(data, kind, max_rows)
    if not table.rows:
        raise errors.ValidationError("The spreadsheet has no rows.", fields={"file": "empty"})
    return table


def check_zip(data: bytes, max_unzipped: int) -> None:
    """Refuse damaged, foreign or bomb-like zips before anything expands them."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # BadZipFile, ValueError, EOFError, struct.error ...
        raise errors.ValidationError(
            "The xlsx file is damaged (it is not a readable zip).", fields={"file": "damaged"}
        ) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise errors.TooLarge(
                f"The xlsx file holds {len(infos)} parts; that is not a normal workbook.",
                fields={"file": "too many parts"},
            )
        names = {i.filename.lower() for i in infos}
        if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
            raise errors.UnsupportedType(
                "This is a zip file but not an Excel workbook (.xlsx).",
                fields={"file": "zip without an Excel workbook"},
            )
        declared = sum(i.file_size for i in infos)
        if declared > max_unzipped:
            raise errors.TooLarge(
                f"The xlsx file expands to {declared // (1024 * 1024)} MiB; the most this "
                f"server reads is {max_unzipped // (1024 * 1024)} MiB. Split it into "
                "smaller files.",
                fields={"file": "uncompressed size over the limit"},
                extra={"limit": max_unzipped},
            )
        try:
            for info in infos:
                if info.flag_bits & 0x1:
                    raise errors.ValidationError(
                        "The xlsx file is encrypted; save it without a password.",
                        fields={"file": "encrypted"},
                    )
                with zf.open(info) as member:
                    # zipfile reads at most the declared size, then checks the CRC.
                    while member.read(1 << 20):
                        pass
        except errors.AppError:
            raise
        except Exception:  # BadZipFile, zlib.error, EOFError, NotImplementedError ...
            raise errors.ValidationError(
                "The xlsx file is damaged (a part of it cannot be unpacked).",
                fields={"file": "damaged"},
            ) from None


#: How long reading one workbook may take in the child process.
READ_TIMEOUT = 120


def _read_in_child(data: bytes, limit: int) -> sheet_reader.Result:
    """sheet_reader.read() in a child process: a crash there cannot take the server down."""
    try:
        done = subprocess.run(
            sheet_reader.command(limit),
            input=data,
            capture_output=True,
            timeout=READ_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise errors.ValidationError(
            f"Reading the spreadsheet took longer than {READ_TIMEOUT} s; it may be damaged.",
            fields={"file": "too slow to read"},
        ) from None
    if done.returncode == 0:
        try:
            result = pickle.loads(done.stdout)  # our own child's answer
        except Exception:
            result = None
        if isinstance(result, tuple) and result:
            return result
    log.warning(
        "Reading a workbook in a child process failed (exit code %s): %s",
        done.returncode,
        done.stderr.decode(errors="replace").strip()[-300:],
    )
    return ("error", "crashed", done.returncode)


def _read_workbook(data: bytes, kind: str, max_rows: int) -> Table:
    label = "xlsx" if kind == XLSX else "xls"
    result = _read_in_child(data, max_rows + HEADER_SEARCH_ROWS)
    if result[0] == "ok":
        _status, sheet, (first_row, first_col), rows = result
        return Table(kind, sheet, rows, first_row, first_col)
    problem = result[1]
    if problem == "too_many_rows":
        _too_many_rows(int(result[2]), max_rows)
    if problem == "empty":
        raise errors.ValidationError(
            "The workbook has no sheet with data.", fields={"file": "empty"}
        )
    if problem == "password":
        raise errors.ValidationError(
            f"The {label} file is password protected; save it without a password.",
            fields={"file": "encrypted"},
        )
    if problem in ("crashed", "memory"):
        raise errors.ValidationError(
            f"The {label} file cannot be read: it is damaged, or its used area is far larger "
            "than its data (a stray cell far to the right or below?). Delete the empty rows "
            "and columns, save it, and try again.",
            fields={"file": "damaged or too large"},
        )
    raise errors.ValidationError(
        f"The {label} file is damaged or not a workbook this program can read.",
        fields={"file": "damaged"},
    )


def _too_many_rows(count: int, max_rows: int) -> None:
    raise errors.TooLarge(
        f"The spreadsheet has {count:,} rows; at most {max_rows:,} can be read at once. "
        "Split it into smaller files.",
        fields={"file": "too many rows"},
        extra={"limit": max_rows},
    )


def decode_text(data: bytes) -> str:
    """CSV bytes as text: UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (a GBK superset)."""
    if data.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise errors.ValidationError(
        'The CSV file is not UTF-8 or GBK text. Save it from Excel as "CSV UTF-8".',
        fields={"file": "unknown text encoding"},
    )


def _delimiter(text: str) -> str:
    sample = text[:8192]
    line = next((ln for ln in sample.splitlines() if ln.strip()), "")
    counts = {d: line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(data: bytes, max_rows: int) -> Table:
    text = decode_text(data)
    if "\x00" in text:
        raise errors.UnsupportedType(
            "This file is not a spreadsheet (it holds binary data).",
            fields={"file": "not xlsx, xls or csv"},
        )
    rows: list[list[Any]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for row in reader:
            if len(rows) >= max_rows + HEADER_SEARCH_ROWS:
                _too_many_rows(len(rows) + 1 + sum(1 for _ in reader), max_rows)
            rows.append(row)
    except csv.Error as exc:
        raise errors.ValidationError(
            f"The CSV file cannot be read at line {reader.line_num}: {exc}.",
            fields={"file": "damaged"},
        ) from None
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    return Table(CSV, "", rows)


def _blank(row: Sequence[Any]) -> bool:
    return not any(c is not None and cell_text(c).strip() for c in row)


# -- products ----------------------------------------------------------------------------


@dataclass
class ProductRow:
    row: int  # as Excel shows it
    values: dict[str, Any]


@dataclass
class ParsedProducts:
    """Rows read from a product sheet, with the problems found in them."""

    table: Table
    mapping: ColumnMap
    rows: list[ProductRow] = field(default_factory=list)
    row_errors: list[dict[str, Any]] = field(default_factory=list)
    #: total rows (合计, 小计 ...) left out: [{"row", "text"}]
    skipped: list[dict[str, Any]] = field(default_factory=list)

    @property
    def mapped(self) -> set[str]:
        """The product fields the sheet sets (批发价 sets grade_prices)."""
        fields = set(self.mapping.fields)
        return fields | {"grade_prices"} if "wholesale" in fields else fields

    def describe(self) -> dict[str, Any]:
        return {
            "sheet": self.table.sheet,
            "kind": self.table.kind,
            **self.mapping.describe(PRODUCT_FIELDS),
            "skipped": self.skipped,
        }


def _money_values(
    cells: Sequence[Any],
    money_cols: Sequence[tuple[str, int]],
    values: dict[str, Any],
    mapping: ColumnMap,
    number: int,
) -> list[dict[str, Any]]:
    """Read a row's 进价 and 批发价 cells into `values` (cost, grade_prices); their
    problems. An empty cell changes nothing."""
    problems: list[dict[str, Any]] = []
    for fld, col in money_cols:
        raw = cells[col] if col < len(cells) else None
        if raw is None or (raw.__class__ is str and not raw.strip()):
            continue
        try:
            cents = parse_money(raw)
        except Invalid as exc:
            problems.append(mapping.row_error(number, fld, f"{fld} {exc.reason}", exc.code))
            continue
        if fld == "cost":
            values["cost"] = cents
        else:
            values["grade_prices"] = {WHOLESALE_GRADE: cents}
    return problems


_EMPTY_PRICE = (
    "is empty. A formula cell reads as empty when the file was saved without "
    "its value: open and save it in Excel"
)


def _cell_checks(
    mapping: ColumnMap,
) -> tuple[list[tuple[str, int, Any]], list[tuple[str, int]]]:
    """(field, column, check) of the mapped text fields; (field, column) of the
    money columns other than the price."""
    product = kinds.PRODUCT.checks()
    fields = mapping.fields.items()
    checks = [(f, col, product[f]) for f, col in fields if f != "price" and f not in MONEY_COLUMNS]
    return checks, [(f, col) for f, col in fields if f in MONEY_COLUMNS]


def parse_products(
    table: Table,
    override: Mapping[str, str | int | None] | None = None,
    *,
    max_rows: int = MAX_ROWS,
) -> ParsedProducts:
    """Check each row of a product sheet; values are clean, prices in cents."""
    mapping = map_columns(table, PRODUCT_SYNONYMS, override, required=(("name", "sku"), ("price",)))
    parsed = ParsedProducts(table, mapping)
    first = mapping.header_index + 1
    body = table.rows[first:]
    number0 = table.row_number(first)
    checks, money_cols = _cell_checks(mapping)
    price_col = mapping.fields.get("price")
    empty_price = _EMPTY_PRICE if table.kind != CSV else "is required"
    seen: dict[str, list[tuple[int, str]]] = {}
    seen_names: dict[str, list[tuple[int, str]]] = {}
    rows, row_errors = parsed.rows, parsed.row_errors
    for offset, cells in enumerate(body):
        for c in cells:  # skip blank rows (calamine gives "" for empty cells)
            if c != "" and c is not None and (c.__class__ is not str or c.strip()):
                break
        else:
            continue
        word = total_row(cells)
        if word is not None:  # a 合计 row under the products is not a product named 合计
            parsed.skipped.append({"row": number0 + offset, "text": word})
            continue
        if len(rows) >= max_rows:
            _too_many_rows(len(rows) + sum(1 for r in body[offset:] if not _blank(r)), max_rows)
        number = number0 + offset
        width = len(cells)
        values: dict[str, Any] = {}
        problems: list[dict[str, Any]] = []
        for fld, col, check in checks:
            raw = cells[col] if col < width else None
            try:
                values[fld] = check(raw if raw.__class__ is str else cell_text(raw))
            except Invalid as exc:
                problems.append(
                    parsed.mapping.row_error(
                        number, fld, f"{fld} {exc.reason}", exc.code, **exc.params
                    )
                )
        if price_col is not None:
            raw = cells[price_col] if price_col < width else None
            try:
                if raw is None or (raw.__class__ is str and not raw.strip()):
                    raise Invalid(empty_price, "required")
                values["price"] = parse_money(raw)
            except Invalid as exc:
                reason, params = exc.reason, dict(exc.params)
                if exc.code == "not_a_number" and raw is not None:
                    params["value"] = cell_text(raw).strip()[:40]
                    reason = f"{params['value']!r} is not a number"
                problems.append(
                    parsed.mapping.row_error(number, "price", f"price {reason}", exc.code, **params)
                )
        if money_cols:
            problems += _money_values(cells, money_cols, values, mapping, number)
        sku, name = values.get("sku"), values.get("name")
        if not sku and not name and not any(p["field"] in ("sku", "name") for p in problems):
            fld = "name" if "name" in mapping.fields else "sku"
            problems.append(parsed.mapping.row_error(number, fld, f"{fld} is required", "required"))
        rows.append(ProductRow(number, values))
        if problems:
            row_errors.extend(problems)
        # keyed ignoring case, each row with the value as its file wrote it
        if sku:
            seen.setdefault(sku.casefold(), []).append((number, sku))
        elif name:
            seen_names.setdefault(name.casefold(), []).append((number, name))
    _flag_repeats(parsed, seen, seen_names)
    return parsed


def _flag_repeats(
    parsed: ParsedProducts,
    seen: dict[str, list[tuple[int, str]]],
    seen_names: dict[str, list[tuple[int, str]]],
) -> None:
    """A row error on every row whose SKU (or, without one, name) another row has too."""
    row_errors = parsed.row_errors
    for found, fld, code in (
        *((v, "sku", "duplicate_sku") for v in seen.values()),
        *((v, "name", "duplicate_name") for v in seen_names.values()),
    ):
        if len(found) < 2:
            continue
        what = "SKU" if fld == "sku" else "name (rows without a SKU are matched by name)"
        numbers = [n for n, _value in found]
        for number, value in found:
            # At most ten other rows named: a SKU repeated 10,000 times stays linear.
            others = [str(n) for n in itertools.islice((n for n in numbers if n != number), 10)]
            more = " ..." if len(numbers) > 11 else ""
            rows = ", ".join(others) + more
            row_errors.append(
                parsed.mapping.row_error(
                    number,
                    fld,
                    f"the same {what} {value!r} is also in row(s) {rows}",
                    code,
                    value=value,
                    rows=rows,
                )
            )
