"""The quotation PDF (localapp/catalogue/quote_pdf.py), checked as a reader would.

Real files are written to temp dirs and read back with poppler's tools:
pdftotext must find the Chinese (so the embedded font maps back to text),
pdffonts finds the font embedded as a subset, pdfinfo counts the pages, and
pdftoppm renders page 1 into tests/artifacts/ (quote-zh.png, quote-en.png)
for a person to look at. Outside CI a missing poppler-utils skips; with
CI=true it fails (conftest.require_tool).
"""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import ARTIFACTS, require_tool
from PIL import Image, ImageDraw

from localapp import fonts
from localapp.catalogue import quote_pdf as qp
from localapp.catalogue.rmb import capitals

#: (sku, name, spec, unit, qty, price in cents, list price in cents, tax rate %)
ITEMS: list[tuple[str, str, str, str, int, int, int, int]] = [
    ("SD-001", "十字螺丝刀", "PH2×100mm", "把", 120, 1250, 1380, 13),
    (
        "HM-220",
        "羊角锤（防滑手柄，碳钢锻造，木工及装修通用）",
        "0.5kg 碳钢",
        "把",
        60,
        3580,
        3580,
        9,
    ),
    ("TP-18", "电工绝缘胶带", "18mm×20m 黑色", "卷", 500, 350, 350, 6),
    ("SV-CONS", "安装技术咨询服务", "按小时计", "小时", 8, 20000, 20000, 0),
    ("WR-10", "活动扳手", "10寸 / 250mm", "把", 1200, 2890, 2890, 13),
]


def make_quote(count: int = 5, **extra: Any) -> dict[str, Any]:
    """A tax-inclusive quote of `count` lines cycling through ITEMS (mixed rates
    13, 9, 6, 0; the first line's price overridden below its list price), its
    amounts, taxes and totals computed as the caller would: amount = qty x price,
    tax taken out of it at the line's rate, half up."""
    lines = []
    for i in range(count):
        sku, name, spec, unit, qty, price, listed, rate = ITEMS[i % len(ITEMS)]
        amount = qty * price
        tax = (amount * rate * 2 + (100 + rate)) // (2 * (100 + rate))
        lines.append(
            {
                "sku": sku if count <= len(ITEMS) else f"{sku}-{i + 1}",
                "name": name,
                "spec": spec,
                "unit": unit,
                "qty": f"{qty:,}",
                "price_cents": price,
                "list_price_cents": listed,
                "overridden": price != listed,
                "tax_rate": rate,
                "amount_cents": amount,
                "tax_cents": tax,
            }
        )
    gross = sum(line["amount_cents"] for line in lines)
    tax = sum(line["tax_cents"] for line in lines)
    quote: dict[str, Any] = {
        "number": "QT-20261207-001",
        "revision": 2,
        "status": "sent",
        "date": "2026-12-07",
        "valid_until": "2026-12-21",
        "company": {
            "name": "永康市宏达五金有限公司",
            "address": "浙江省永康市五金城 8 号",
            "phone": "0579-8712 3456",
            "tax_id": "91330784MA2EXAMPLE",
            "bank": "中国工商银行永康支行 1208 0000 0000 0000 000",
        },
        "customer": {
            "name": "宁波家居建材城",
            "contact": "陈经理",
            "phone": "138 0000 0000",
            "address": "宁波市鄞州区",
            "tax_id": "91330212XXXXXXXX",
        },
        "tax_inclusive": True,
        "lines": lines,
        "totals": {"net_cents": gross - tax, "tax_cents": tax, "gross_cents": gross},
        "payment_terms": "款到发货",
        "delivery_terms": "收到订单后 7 个工作日内发货",
        "notes": "1. 以上价格含 13% 增值税专用发票，运费由买方承担。\n2. 原材料价格大幅波动时，双方另行协商。",
    }
    return quote | extra


def logo_png() -> bytes:
    """A 300 x 120 logo with a transparent background, drawn with Pillow."""
    picture = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((10, 10, 110, 110), fill=(29, 60, 110, 255))
    draw.rectangle((130, 40, 290, 80), fill=(230, 160, 30, 255))
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


def write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def text_of(path: Path, *pages: int, raw: bool = False) -> str:
    """The text of `pages` (all when none); `raw` in the order it was drawn,
    which reads the tilted status stamp as one word (by layout, pdftotext cuts
    a rotated word where its letters step down a line)."""
    span = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    return subprocess.run(
        [require_tool("pdftotext"), *span, *(["-raw"] if raw else []), str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def pages_of(path: Path) -> int:
    info = subprocess.run(
        [require_tool("pdfinfo"), str(path)], check=True, capture_output=True, text=True
    ).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def render(path: Path, name: str) -> Path:
    """Page 1 at 70 dpi into tests/artifacts/<name>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    png = ARTIFACTS / f"{name}.png"
    png.unlink(missing_ok=True)
    tool = require_tool("pdftoppm")
    subprocess.run(
        [tool, "-r", "70", "-png", "-singlefile", "-f", "1", "-l", "1", str(path), str(png)[:-4]],
        check=True,
    )
    assert png.read_bytes().startswith(b"\x89PNG")
    return png


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = qp.quote_pdf(make_quote(), logo=logo_png())
    return write(tmp_path_factory.mktemp("quote"), "quote.pdf", data)


def test_is_a_small_pdf_with_the_font_embedded_as_a_subset(made: Path) -> None:
    data = made.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(data) < 300_000, f"{len(data)} bytes"
    assert pages_of(made) == 1
    assert re.search(rb"/FontFile[23]?\b", data), "no embedded font program"
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+", data), "the font is not a subset"
    listing = subprocess.run(
        [require_tool("pdffonts"), str(made)], check=True, capture_output=True, text=True
    ).stdout
    embedded = [line for line in listing.splitlines()[2:] if line.strip()]
    assert embedded, listing
    for line in embedded:  # columns: ... emb sub uni
        assert re.search(r"\byes\s+yes\s+yes\b", line), listing
    assert b"/Subtype /Image" in data  # the logo


def test_the_text_reads_back(made: Path) -> None:
    text = text_of(made)
    quote = make_quote()
    gross = quote["totals"]["gross_cents"]
    for expected in (
        "报价单",
        "QT-20261207-001",
        "第 2 版",
        "宁波家居建材城",
        "永康市宏达五金有限公司",
        "十字螺丝刀",
        "安装技术咨询服务",
        capitals(gross),
        "第 1 页，共 1 页",
        qp.yuan(gross),
        "不含税金额",
        "价税合计",
        "大写金额",
        "付款方式",
        "款到发货",
        "客户确认",
        "原价",
    ):
        assert expected in text, expected
    for rate in ("13%", "9%", "6%", "0%"):
        assert rate in text
    assert "已接受" not in text  # a sent quote carries no stamp
    assert capitals(gross) == "肆万壹仟陆佰柒拾捌元整"


def test_page_1_renders_in_chinese_and_english(made: Path, tmp_path: Path) -> None:
    assert render(made, "quote-zh").stat().st_size > 20_000
    english = qp.quote_pdf(make_quote(status="accepted"), lang="en", logo=logo_png())
    path = write(tmp_path, "en.pdf", english)
    render(path, "quote-en")
    text = text_of(path)
    gross = make_quote()["totals"]["gross_cents"]
    for expected in ("QUOTATION", "Quote No.", "Valid until", "Qty", "Unit price", "Amount"):
        assert expected in text, expected
    for expected in ("Amount (Chinese capitals)", capitals(gross), "Page 1 of 1"):
        assert expected in text, expected
    assert "ACCEPTED" in text_of(path, raw=True)
    assert "Rev. 2" in text and "十字螺丝刀" in text


def test_sixty_lines_continue_with_the_header_on_the_next_page(tmp_path: Path) -> None:
    quote = make_quote(60)
    path = write(tmp_path, "long.pdf", qp.quote_pdf(quote))
    pages = pages_of(path)
    assert pages > 1
    second = text_of(path, 2)
    assert "名称" in second and "单价" in second  # the table's header again
    assert "QT-20261207-001" in second and f"第 2 页，共 {pages} 页" in second
    everything = text_of(path)
    for i in range(60):  # every line is shown once, none lost or doubled at a page break
        sku = f"{ITEMS[i % len(ITEMS)][0]}-{i + 1}"
        assert len(re.findall(rf"{re.escape(sku)}(?!\d)", everything)) == 1, sku
    last = text_of(path, pages)
    assert capitals(quote["totals"]["gross_cents"]) in last


def test_long_text_is_wrapped_or_cut_and_notes_run_on(tmp_path: Path) -> None:
    quote = make_quote(1)
    quote["lines"][0]["name"] = "超长名称" * 30
    quote["notes"] = "\n".join(f"第 {n} 条备注：交货前请与销售确认规格与数量。" for n in range(90))
    path = write(tmp_path, "long-text.pdf", qp.quote_pdf(quote))
    text = text_of(path)
    assert "超长名称超长名称" in text and "…" in text  # cut after three lines
    assert text.count("超长名称") < 30
    assert pages_of(path) > 1  # the notes went on to the next page
    assert "第 89 条备注" in text


def test_status_stamps_no_lines_and_the_stored_field_names(tmp_path: Path) -> None:
    quote = make_quote(status="ordered")
    for line in quote["lines"]:  # as the quote record stores them: price, list_price
        line["price"], line["list_price"] = line.pop("price_cents"), line.pop("list_price_cents")
    ordered = text_of(write(tmp_path, "ordered.pdf", qp.quote_pdf(quote)), raw=True)
    assert "已下单" in ordered and "¥12.50" in ordered
    assert "原价" in ordered and "¥13.80" in ordered
    zero = {"net_cents": 0, "tax_cents": 0, "gross_cents": 0}
    empty = qp.quote_pdf(make_quote(0, status="expired", totals=zero))
    text = text_of(write(tmp_path, "empty.pdf", empty), raw=True)
    assert "已过期" in text and "（无明细）" in text and "零元整" in text


def test_a_bad_logo_is_left_out_and_a_big_one_scaled_down(tmp_path: Path) -> None:
    gif = io.BytesIO()
    Image.new("RGB", (40, 20)).save(gif, "GIF")
    for bad in (b"\x89PNG\r\n\x1a\nnot really a png", b"", gif.getvalue()):
        assert qp._logo(bad) is None
    broken = qp.quote_pdf(make_quote(), logo=b"\x89PNG\r\n\x1a\nnot really a png")
    assert broken.startswith(b"%PDF-") and b"/Subtype /Image" not in broken
    photo = io.BytesIO()
    Image.new("RGB", (4000, 2000), (200, 30, 30)).save(photo, "JPEG")
    scaled = qp._logo(photo.getvalue())
    assert scaled is not None and scaled[1:] == (480, 240)
    data = qp.quote_pdf(make_quote(), logo=photo.getvalue())
    assert b"/Subtype /Image" in data and b"/DCTDecode" in data
    assert len(data) < 300_000


def test_money_and_rates_as_shown() -> None:
    assert qp.yuan(123450) == "¥1,234.50"
    assert qp.yuan(5) == "¥0.05"
    assert qp.yuan(-1250) == "-¥12.50"
    assert qp.yuan(100000000000) == "¥1,000,000,000.00"
    assert qp.yuan(None) == "—"
    assert [qp.rate(r) for r in (13, "9", 0, 1.5, "6%", None)] == [
        "13%",
        "9%",
        "0%",
        "1.5%",
        "6%",
        "—",
    ]


def test_a_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(fonts.ENV_VAR, str(tmp_path / "none.ttf"))
    with pytest.raises(fonts.FontMissing) as raised:
        qp.quote_pdf(make_quote())
    assert fonts.PACKAGE in raised.value.message
