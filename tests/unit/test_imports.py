"""Spreadsheet reading, column mapping and applying imports, with real files.

Workbooks are written with openpyxl into memory; formula cells with a saved
value and zip bombs are made by editing the zip, the way another program
would have written them. A hypothesis fuzz feeds broken CSV and xlsx bytes:
nothing but our own AppError subclasses may come out.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from localapp import errors
from localapp.catalogue import Catalogue, ImportOptions, columns, imports
from localapp.store import Store

DATA = ROOT / "tests" / "data"


def xlsx(rows: list[list[Any]], title: str = "Sheet1") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rewrite_member(data: bytes, name: str, edit: Any) -> bytes:
    """A copy of a zip with one member's text changed by `edit`."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == name:
                body = edit(body.decode()).encode()
            dst.writestr(info, body)
    return out.getvalue()


def with_cached_formula(data: bytes, cell: str, formula: str, cached: str | None) -> bytes:
    """Turn `cell` of sheet1 into a formula, with or without the value Excel saves."""

    def edit(xml: str) -> str:
        value = f"<v>{cached}</v>" if cached is not None else ""
        return re.sub(
            rf'<c r="{cell}"[^>]*?(/>|>.*?</c>)',
            f'<c r="{cell}"><f>{formula}</f>{value}</c>',
            xml,
            count=1,
        )

    return rewrite_member(data, "xl/worksheets/sheet1.xml", edit)


def parse(data: bytes, override: dict[str, Any] | None = None, **kw: Any) -> imports.ParsedProducts:
    return imports.parse_products(imports.read_table(data, **kw), override)


def row_errors(parsed: imports.ParsedProducts) -> set[tuple[int, str, str]]:
    return {(e["row"], e["field"], e["code"]) for e in parsed.row_errors}


# -- reading -------------------------------------------------------------------------


CSV_TEXT = "名称,编码,单价,规格\n十字螺丝刀,SD-1,12.50,PH2\n扳手,BS-1,￥8,\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_encodings_are_detected(encoding: str) -> None:
    parsed = parse(CSV_TEXT.encode(encoding))
    assert [(r.values["name"], r.values["sku"], r.values["price"]) for r in parsed.rows] == [
        ("十字螺丝刀", "SD-1", 1250),
        ("扳手", "BS-1", 800),
    ]
    assert parsed.table.kind == "csv"


def test_gb18030_only_characters_and_other_delimiters() -> None:
    text = "品名;货号;售价\n𠮷野家定食;X-1;20\n"  # 𠮷 exists in GB18030, not in GBK
    parsed = parse(text.encode("gb18030"))
    assert parsed.rows[0].values == {"name": "𠮷野家定食", "sku": "X-1", "price": 2000}
    tabbed = parse(b"name\tSKU\tprice\nDrill\tD-1\t99.9\n")
    assert tabbed.rows[0].values["price"] == 9990


def test_xlsx_with_a_title_row_and_unit_suffixes() -> None:
    data = xlsx(
        [
            ["2025年 价格表"],
            [],
            ["商品名称", "货号", "单价（元）", "类别", "供应商", "单位", "备注"],
            ["螺丝刀", 10086, 12.5, "五金", "上海五金", "把", "=1+1 是文字"],
            [None, None, None, None, None, None, None],
            ["扳手", "BS-1", 8, "五金", "", "把", ""],
        ]
    )
    parsed = parse(data)
    assert parsed.mapping.header_row == 3
    assert parsed.mapping.fields == {
        "name": 0,
        "sku": 1,
        "price": 2,
        "category": 3,
        "supplier": 4,
        "unit": 5,
        "notes": 6,
    }
    assert [r.row for r in parsed.rows] == [4, 6]  # Excel's row numbers; the blank row skipped
    assert parsed.rows[0].values["sku"] == "10086"  # a number cell, read as the text people see
    assert parsed.rows[0].values["price"] == 1250
    assert not parsed.row_errors


def test_legacy_xls_is_read() -> None:
    parsed = parse((DATA / "products.xls").read_bytes())
    assert (parsed.table.kind, parsed.table.sheet, parsed.mapping.header_row) == (
        "xls",
        "价格表",
        3,
    )
    assert [(r.row, r.values["sku"], r.values["price"]) for r in parsed.rows] == [
        (4, "SD-001", 1250),
        (5, "10086", 3500),
        (6, "QZ-01", 30),
    ]  # 0.1 + 0.2 is 30 cents
    assert not parsed.row_errors
    damaged = (DATA / "products.xls").read_bytes()[:3000]
    with pytest.raises(errors.ValidationError):
        imports.read_table(damaged)


def test_formula_cells_use_the_saved_value_and_are_never_evaluated() -> None:
    base = xlsx([["名称", "编码", "单价"], ["螺丝刀", "S-1", 1], ["扳手", "B-1", 1]])
    data = with_cached_formula(base, "C2", "10+2.5", "12.5")
    data = with_cached_formula(data, "C3", "1/0", None)
    parsed = parse(data)
    assert parsed.rows[0].values["price"] == 1250
    (err,) = parsed.row_errors
    assert err["row"] == 3 and err["column"] == "单价" and "formula" in err["reason"]


def test_override_mapping_by_header_or_index() -> None:
    data = "品名,含税单价,单价,代码\n螺丝刀,13,12,S-1\n".encode()
    auto = parse(data)
    assert auto.rows[0].values["price"] == 1300  # 含税单价 is a price synonym and comes first
    chosen = parse(data, {"price": "单价", "sku": 3})
    assert chosen.rows[0].values == {"name": "螺丝刀", "price": 1200, "sku": "S-1"}
    described = chosen.describe()
    assert described["mapping"]["price"] == "单价" and described["mapping"]["sku"] == "代码"
    with pytest.raises(errors.ValidationError) as exc:
        parse(data, {"price": "价格"})
    assert "mapping.price" in exc.value.fields
    with pytest.raises(errors.ValidationError):
        columns.parse_override('{"colour": "x"}', imports.PRODUCT_FIELDS)
    with pytest.raises(errors.ValidationError):
        columns.parse_override("[1]", imports.PRODUCT_FIELDS)
    assert columns.parse_override('{"spec": null}', imports.PRODUCT_FIELDS) == {"spec": None}


def test_header_matching_nothing_is_a_clear_error() -> None:
    with pytest.raises(errors.ValidationError) as exc:
        parse("颜色,尺寸\n红,大\n".encode())
    assert exc.value.fields == {"header": "no known column names"}
    assert "颜色" in exc.value.message and "名称" in exc.value.message
    with pytest.raises(errors.ValidationError) as exc:
        parse("名称,规格\n螺丝刀,PH2\n".encode())  # no price column
    assert "price" in exc.value.fields


def test_row_problems_are_reported_per_row() -> None:
    data = (
        "编码,名称,单价\n"
        "A-1,螺丝刀,12\n"
        "a-1,螺丝刀大号,13\n"  # same SKU, other case
        "B-1,扳手,-3\n"
        "C-1,钳子,十元\n"
        "D-1,锤子,1.234\n"
        ",,5\n"
        "E-1,灯泡,\n"
    ).encode()
    parsed = parse(data)
    assert row_errors(parsed) == {
        (2, "sku", "duplicate_sku"),
        (3, "sku", "duplicate_sku"),
        (4, "price", "negative"),
        (5, "price", "not_a_number"),
        (6, "price", "too_many_decimals"),
        (7, "name", "required"),
        (8, "price", "required"),
    }
    dup = next(e for e in parsed.row_errors if e["row"] == 2)
    assert "3" in dup["reason"] and dup["column"] == "编码" and dup["letter"] == "A"


def test_whole_file_problems() -> None:
    with pytest.raises(errors.ValidationError):
        imports.read_table(b"")
    with pytest.raises(errors.UnsupportedType):
        imports.read_table(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 50)
    with pytest.raises(errors.ValidationError):  # a zip header, then garbage
        imports.read_table(b"PK\x03\x04" + b"\x00" * 200)
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    with pytest.raises(errors.UnsupportedType):
        imports.read_table(other_zip.getvalue())
    empty_book = xlsx([])
    with pytest.raises(errors.ValidationError) as exc:
        imports.read_table(empty_book)
    assert exc.value.fields == {"file": "empty"}
    truncated = xlsx([["名称", "单价"], ["a", 1]])[:-40]
    with pytest.raises(errors.ValidationError):
        imports.read_table(truncated)


def test_zip_bomb_is_refused_before_expanding() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (64 * 1024 * 1024))
    bomb = out.getvalue()
    assert len(bomb) < 200_000
    with pytest.raises(errors.TooLarge) as exc:
        imports.read_table(bomb, max_unzipped=32 * 1024 * 1024)
    assert "MiB" in exc.value.message
    assert imports.MAX_UNZIPPED == 256 * 1024 * 1024


def test_a_zip_that_lies_about_its_sizes_is_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<x>" * 300_000)
    data = bytearray(out.getvalue())
    # Declare 100 bytes for the sheet in both the local and the central header.
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (pos := data.find(sig, start)) >= 0:
            name_len_at = pos + (26 if sig == b"PK\x03\x04" else 28)
            name_len = struct.unpack_from("<H", data, name_len_at)[0]
            name_at = pos + (30 if sig == b"PK\x03\x04" else 46)
            if bytes(data[name_at : name_at + name_len]) == b"xl/worksheets/sheet1.xml":
                struct.pack_into("<I", data, pos + offset, 100)
            start = pos + 4
    with pytest.raises(errors.ValidationError) as exc:
        imports.read_table(bytes(data))
    assert exc.value.fields == {"file": "damaged"}


def far_cell_book(ref: str) -> bytes:
    """A tiny xlsx whose second cell sits at `ref`: calamine would allocate the whole range."""
    base = xlsx([["名称", "单价"], ["a", 1]])
    return rewrite_member(
        base, "xl/worksheets/sheet1.xml", lambda x: x.replace('r="B2"', f'r="{ref}"')
    )


@pytest.mark.parametrize("ref", ["XFD1048576", "A4000000000"])
def test_a_cell_far_away_cannot_crash_the_process(ref: str) -> None:
    # In-process, calamine would try to allocate 500 GB and abort Python.
    with pytest.raises(errors.ValidationError) as exc:
        imports.read_table(far_cell_book(ref))
    assert exc.value.fields == {"file": "damaged or too large"}
    assert "stray cell" in exc.value.message


def test_rows_are_capped() -> None:
    rows = "名称,单价\n" + "".join(f"p{i},1\n" for i in range(150))
    with pytest.raises(errors.TooLarge) as exc:
        parse(rows.encode(), max_rows=100)  # refused while reading: 151 lines
    assert "151" in exc.value.message and "100" in exc.value.message
    with pytest.raises(errors.TooLarge) as exc:
        imports.parse_products(imports.read_table(rows.encode()), max_rows=100)
    assert "150" in exc.value.message  # refused while parsing: 150 product rows
    book = xlsx([["名称", "单价"], *[[f"p{i}", 1] for i in range(150)]])
    with pytest.raises(errors.TooLarge):
        parse(book, max_rows=100)
    assert imports.MAX_ROWS == 200_000


# -- applying ----------------------------------------------------------------------------


@pytest.fixture
def cat(tmp_path: Path) -> Catalogue:
    store = Store.open(tmp_path / "data")
    yield Catalogue(store)
    store.close()


def run(cat: Catalogue, data: bytes, commit: bool = True, **kw: Any) -> dict[str, Any]:
    parsed = imports.parse_products(imports.read_table(data))
    return cat.apply_import(parsed, ImportOptions(commit=commit, file_name="价格表.csv", **kw))


def test_import_preview_then_commit_then_reimport(cat: Catalogue) -> None:
    first = "编码,名称,单价,分类\nS-1,螺丝刀,12.5,五金\nB-1,扳手,8,五金\n".encode()
    preview = run(cat, first, commit=False)
    assert preview["counts"] == {
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errored": 0,
    }
    assert preview["dry_run"] and not preview["committed"]
    assert cat.list()["total"] == 0  # a preview writes nothing
    done = run(cat, first)
    assert done["committed"] and done["counts"]["created"] == 2
    assert cat.list({"q": "lsd"})["items"][0]["price"] == 1250
    again = run(cat, "编码,名称,单价\ns-1,螺丝刀,13\nB-1,扳手,8\n".encode())
    assert again["counts"] == {"rows": 2, "created": 0, "updated": 1, "unchanged": 1, "errored": 0}
    product = cat.get(cat.index.by_sku("S-1")[1]["id"])  # type: ignore[index]
    assert product["sku"] == "S-1"  # matched case-insensitively; the stored spelling stays
    assert product["category"] == "五金"  # an unmapped column keeps its value
    assert [(h["price"], h["source"]) for h in product["price_history"]] == [
        (1250, "import"),
        (1300, "import"),
    ]
    assert product["price_history"][1]["file"] == "价格表.csv"


def test_import_is_all_or_nothing(cat: Catalogue) -> None:
    run(cat, "编码,名称,单价\nS-1,螺丝刀,12.5\n".encode())
    bad = "编码,名称,单价\nS-1,螺丝刀,20\nN-1,新品,abc\n".encode()
    with pytest.raises(errors.ValidationError) as exc:
        run(cat, bad)
    report = exc.value.extra["report"]
    assert report["counts"]["errored"] == 1 and report["counts"]["updated"] == 1
    assert report["errors"][0]["row"] == 3
    assert cat.list()["total"] == 1
    assert cat.list()["items"][0]["price"] == 1250  # the good row was not applied either
    partial = run(cat, bad, skip_errors=True)
    assert partial["committed"] and partial["counts"]["updated"] == 1
    assert cat.list()["items"][0]["price"] == 2000


def test_rows_without_sku_match_by_name(cat: Catalogue) -> None:
    run(cat, "名称,单价\n手套,5\n".encode())
    again = run(cat, "名称,单价\n手套,6\n口罩,2\n".encode())
    assert (again["counts"]["updated"], again["counts"]["created"]) == (1, 1)
    cat.create({"name": "口罩", "price": 3})
    ambiguous = run(cat, "名称,单价\n口罩,4\n".encode(), commit=False)
    assert ambiguous["errors"][0]["code"] == "ambiguous_name"
    cat.create({"name": "护目镜", "sku": "HM-1", "price": 3})
    twice = run(cat, "编码,名称,单价\nHM-1,护目镜,4\n,护目镜,5\n".encode(), commit=False)
    assert [(e["row"], e["code"]) for e in twice["errors"]] == [(3, "duplicate_product")]


# -- fuzz ------------------------------------------------------------------------------------


def _only_our_errors(data: bytes) -> None:
    try:
        table = imports.read_table(data, max_rows=500)
        imports.parse_products(table, max_rows=500)
    except errors.AppError as exc:
        assert 400 <= exc.status < 500, exc


_CELL = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        ["名称", "编码", "单价", "price", "-1", "1e9", "１２", "=A1", "\x00", '"', ",", "\r\n"]
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(_CELL, max_size=5), max_size=8),
    st.sampled_from(["utf-8", "gb18030", "utf-16", "utf-8-sig"]),
    st.sampled_from([",", "\t", ";"]),
)
def test_fuzz_csv_gives_only_our_errors(rows: list[list[str]], encoding: str, sep: str) -> None:
    text = "\n".join(sep.join(row) for row in rows)
    _only_our_errors(text.encode(encoding, errors="replace"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_fuzz_random_bytes_give_only_our_errors(data: bytes) -> None:
    _only_our_errors(data)
    _only_our_errors(b"PK\x03\x04" + data)


_BOOK = xlsx([["名称", "编码", "单价"], ["螺丝刀", "S-1", 12.5], ["扳手", "B-1", 8]])


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(_BOOK) - 1), st.integers(0, 255)), min_size=1, max_size=20
    ),
    st.integers(0, len(_BOOK)),
)
def test_fuzz_damaged_xlsx_gives_only_our_errors(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_BOOK)
    for at, value in flips:
        data[at] = value
    _only_our_errors(bytes(data))
    _only_our_errors(bytes(data[:cut]))


_XLS = (DATA / "products.xls").read_bytes()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(512, len(_XLS) - 1), st.integers(0, 255)), min_size=1, max_size=20
    ),
    st.integers(0, len(_XLS)),
)
def test_fuzz_damaged_xls_gives_only_our_errors(flips: list[tuple[int, int]], cut: int) -> None:
    data = bytearray(_XLS)
    for at, value in flips:
        data[at] = value
    _only_our_errors(bytes(data))
    _only_our_errors(bytes(data[:cut]))


def test_an_order_sheet_row_error_names_its_column_and_letter() -> None:
    from localapp.catalogue import order_sheets

    table, mapping, _info = order_sheets.parse_sheet(
        "编码,名称,数量\nSD-1,螺丝刀,abc\nSD-2,扳手,\n".encode()
    )
    lines, problems = order_sheets.read_lines(table, mapping)
    assert lines == []
    assert [(p["row"], p["column"], p["letter"], p["field"], p["code"]) for p in problems] == [
        (2, "数量", "C", "qty", "not_a_number"),
        (3, "数量", "C", "qty", "required"),
    ]
