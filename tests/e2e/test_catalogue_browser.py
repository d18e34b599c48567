"""The price catalogue in Debian's chromium (Playwright), against a real server.

A user signs in through the login page and imports a generated xlsx price
list through the wizard (the detected column mapping, one column mapped by
hand, the preview with its per-row error, the commit); searches as they type,
by name and by pinyin initials; opens a product, uploads a PNG and sees its
thumbnail and the full picture; edits a price and sees it in the history; reads
the server's field errors in Chinese (a negative price, a SKU another product
has); meets a stale-revision conflict and reloads the newer version. Then an
order sheet is uploaded, its flagged lines and what each matched are shown and
the sheet downloads again, and the statistics page draws its charts, in
Chinese and in English. Screenshots go to tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from browser import api, no_unexpected_errors, sign_in
from conftest import Server, upload
from polling import wait_for

pytestmark = pytest.mark.browser

# (SKU, name, spec, unit, price, category, supplier, origin). The last row's
# price is negative: the preview must name its row and column.
PRODUCTS = [
    ("SD-001", "十字螺丝刀", "PH2 x 100mm", "把", 12.5, "五金工具", "上海五金", "宁波"),
    ("SD-002", "一字螺丝刀", "6 x 150mm", "把", 9.8, "五金工具", "上海五金", "宁波"),
    ("WR-010", "活动扳手", "8寸", "把", 35, "五金工具", "广州工具", "广州"),
    ("EL-100", "电线", "BV 2.5平方", "卷", 189, "电工材料", "广州电器", "佛山"),
    ("EL-200", "五孔插座", "86型", "个", 15.5, "电工材料", "广州电器", "温州"),
    ("OF-001", "订书机", "12号", "个", 22, "办公用品", "北京办公", "宁波"),
    ("OF-002", "签字笔", "0.5mm 黑色", "支", 2.5, "办公用品", "北京办公", "上海"),
    ("PP-001", "劳保手套", "均码", "双", 4.2, "劳保用品", "杭州劳保", "杭州"),
]
BAD_ROW = ("PP-002", "安全帽", "ABS", "顶", -8, "劳保用品", "杭州劳保", "杭州")
PRICE_LIST_ROWS = len(PRODUCTS) + 1


# -- helpers ----------------------------------------------------------------------------


def price_list(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "价格表"
    # 产地 is no known header: the user maps it to 备注 (notes) by hand.
    ws.append(["货号", "品名", "规格", "单位", "单价", "分类", "供应商", "产地"])
    for row in (*PRODUCTS, BAD_ROW):
        ws.append(list(row))
    wb.save(path)
    return path


def order_sheet(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["货号", "品名", "数量", "单价", "金额"])
    ws.append(["SD-001", "十字螺丝刀", 10, 12.5, 125])  # matches the catalogue
    ws.append(["WR-010", "活动扳手", 2, 33, 66])  # price differs (catalogue 35)
    ws.append(["ZZ-999", "不存在的产品", 1, 5, 5])  # not in the catalogue
    wb.save(path)
    return path


def upload_order(page: Any, path: Path, customer: str | None = None) -> None:
    """Upload an order sheet from the orders page, as a person does."""
    page.set_input_files("#cat-order-file", str(path))
    if customer:
        page.fill('.cat-order-form input[name="customer"]', customer)
    page.click("#cat-order-upload")


def png_bytes(width: int = 1200, height: int = 800) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (width, height), (47, 111, 237))
    draw = ImageDraw.Draw(img)
    draw.rectangle((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=(255, 196, 0))
    draw.ellipse((width // 3, height // 3, width * 2 // 3, height * 2 // 3), fill=(217, 45, 32))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def shot(page: Any, artifacts: Path, name: str, full_page: bool = False) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / f"catalogue-{name}.png"), full_page=full_page)


def canvas_ink(page: Any, selector: str) -> int:
    """How many pixels of a canvas have been drawn on (alpha > 0)."""
    return int(
        page.locator(selector).evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
        )
    )


def image_loaded(page: Any, selector: str) -> bool:
    return bool(page.locator(selector).evaluate("i => i.complete && i.naturalWidth > 0"))


def seed_products(server: Server, tmp_path: Path) -> None:
    """The good rows of the price list, through the import route (not the UI)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["货号", "品名", "规格", "单位", "单价", "分类", "供应商"])
    for row in PRODUCTS:
        ws.append(list(row[:7]))
    path = tmp_path / "seed.xlsx"
    wb.save(path)
    r = upload(server, "/api/products/import", "seed.xlsx", path.read_bytes())
    assert r.status == 200, r.body


# -- tests --------------------------------------------------------------------------------


def test_import_search_and_edit_a_product(
    page: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    sign_in(page, server, "#/catalogue")
    # An empty catalogue says what to do next.
    empty = page.locator(".cat-empty")
    expect(empty).to_contain_text("还没有产品")
    expect(empty.get_by_role("link", name="导入价格表")).to_be_visible()
    empty.get_by_role("link", name="导入价格表").click()

    # 1. the file
    expect(page.locator("#cat-import")).to_have_attribute("data-step", "upload")
    page.set_input_files("#cat-import-file", str(price_list(tmp_path / "价格表.xlsx")))

    # 2. the columns: detected from the headers; 产地 is mapped to 备注 by hand.
    expect(page.locator("#cat-import")).to_have_attribute("data-step", "mapping")
    expect(page.locator(".cat-file-line")).to_contain_text(f"{PRICE_LIST_ROWS} 行数据")
    for field, column in (
        ("sku", "0"),
        ("name", "1"),
        ("price", "4"),
        ("supplier", "6"),
        ("notes", ""),
    ):
        expect(page.locator(f"#cat-map-{field}")).to_have_value(column)
    page.select_option("#cat-map-notes", label="H · 产地")
    # The same column for two fields is refused before anything is sent.
    page.select_option("#cat-map-spec", label="B · 品名")
    expect(page.locator("#cat-mapping-problem")).to_contain_text("同一列不能对应多个字段")
    expect(page.locator("#cat-import-preview")).to_be_disabled()
    page.select_option("#cat-map-spec", label="C · 规格")
    page.click("#cat-import-preview")

    # 3. the preview: counts, and the bad row by row, column and reason.
    expect(page.locator("#cat-import")).to_have_attribute("data-step", "preview")
    counts = page.locator("#cat-import-counts")
    expect(counts.locator('[data-count="created"] .cat-count-n')).to_have_text(str(len(PRODUCTS)))
    expect(counts.locator('[data-count="errored"] .cat-count-n')).to_have_text("1")
    error_row = page.locator("#cat-import-errors tbody tr")
    expect(error_row).to_have_count(1)
    expect(error_row.locator("td").nth(0)).to_have_text(str(PRICE_LIST_ROWS + 1))
    expect(error_row.locator("td").nth(1)).to_have_text("E · 单价")
    expect(error_row.locator("td").nth(2)).to_contain_text("价格不能为负数")
    commit = page.locator("#cat-import-commit")
    expect(commit).to_be_disabled()
    shot(page, artifacts, "import-preview")
    assert api(server, "GET", "/api/products")["total"] == 0  # a preview writes nothing

    # 4. commit the good rows
    page.check("#cat-import-skip")
    expect(commit).to_be_enabled()
    expect(commit).to_have_text(f"导入 {len(PRODUCTS)} 个产品")
    commit.click()
    expect(page.locator("#cat-import-done")).to_contain_text("导入完成")
    listed = api(server, "GET", "/api/products?per_page=100")
    assert listed["total"] == len(PRODUCTS)
    by_sku = {p["sku"]: p for p in listed["items"]}
    assert by_sku["SD-001"]["price"] == 1250
    assert by_sku["SD-001"]["notes"] == "宁波"  # the hand-mapped column

    # The products table, then search as you type: a name, then pinyin initials.
    page.get_by_role("link", name="查看产品").click()
    rows = page.locator("#cat-products tbody tr")
    expect(rows).to_have_count(len(PRODUCTS))
    expect(page.locator("#cat-summary")).to_have_text(f"共 {len(PRODUCTS)} 个产品")
    shot(page, artifacts, "products")
    # The headers that sort are the ones the product declaration marks
    # sortable (GET /api/kinds), named by their declared labels.
    kinds = {k["table"]: k for k in api(server, "GET", "/api/kinds")["kinds"]}
    sortable = [n for n, f in kinds["products"]["fields"].items() if f.get("sort")]
    expect(page.locator("button.cat-sort")).to_have_count(len(sortable))
    shown = page.locator("button.cat-sort").evaluate_all("els => els.map(e => e.dataset.sort)")
    assert sorted(shown) == sorted(sortable) == ["name", "price", "updated_at"]
    expect(page.locator("th.col-updated_at")).to_contain_text("更新时间")
    # Sorting by price (header click), cheapest first, then dearest first.
    page.click('button.cat-sort[data-sort="price"]')
    expect(rows.first.locator(".col-name")).to_contain_text("签字笔")
    page.click('button.cat-sort[data-sort="price"]')
    expect(rows.first.locator(".col-name")).to_contain_text("电线")
    page.locator("#cat-search").press_sequentially("扳手", delay=30)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("活动扳手")
    page.fill("#cat-search", "")
    page.locator("#cat-search").press_sequentially("lsd", delay=30)
    expect(rows).to_have_count(2)
    expect(page.locator("#cat-products .col-name")).to_contain_text(["螺丝刀", "螺丝刀"])
    # A category filter narrows further; clearing shows everything again.
    page.fill("#cat-search", "")
    page.select_option("#cat-filter-category", value="电工材料")
    expect(rows).to_have_count(2)
    page.click("#cat-clear-filters")
    expect(rows).to_have_count(len(PRODUCTS))

    # Open a product: the drawer with its price history chart.
    page.fill("#cat-search", "十字")
    expect(rows).to_have_count(1)
    rows.first.click()
    drawer = page.locator("#cat-drawer")
    expect(drawer.locator("h2")).to_have_text("十字螺丝刀")
    product_id = by_sku["SD-001"]["id"]
    expect(page).to_have_url(re.compile(rf"#/catalogue/products/{product_id}$"))
    wait_for(lambda: canvas_ink(page, "#cat-history-canvas") > 500, "the price history chart")
    expect(drawer.locator(".cat-gallery-empty")).to_contain_text("还没有图片")

    # Upload an image: its thumbnail shows, and a click shows the full picture.
    image = tmp_path / "photo.png"
    image.write_bytes(png_bytes())
    page.set_input_files("#cat-image-file", str(image))
    thumb = drawer.locator(".cat-gallery-item img")
    expect(thumb).to_have_count(1)
    expect(thumb).to_have_attribute("src", re.compile(r"^api/images/[0-9a-f]{64}\.png/thumb$"))
    wait_for(lambda: image_loaded(page, ".cat-gallery-item img"), "the thumbnail to load")
    stored = api(server, "GET", f"/api/products/{product_id}")["product"]
    assert len(stored["images"]) == 1
    thumb.click()
    full = page.locator("dialog.cat-lightbox img")
    wait_for(lambda: image_loaded(page, "dialog.cat-lightbox img"), "the full image")
    assert full.evaluate("i => i.naturalWidth") == 1200  # the original, not the thumbnail
    page.keyboard.press("Escape")
    expect(page.locator("dialog.cat-lightbox")).to_have_count(0)

    # Edit the price: saved with If-Match, and the history grows.
    page.fill("#cat-f-price", "13.80")
    page.click("#cat-save")
    expect(drawer.locator(".cat-history-list tbody tr")).to_have_count(2)
    expect(drawer.locator(".cat-history-list tbody tr").first).to_contain_text("¥13.80")
    stored = api(server, "GET", f"/api/products/{product_id}")["product"]
    assert stored["price"] == 1380
    assert [e["price"] for e in stored["price_history"]] == [1250, 1380]
    shot(page, artifacts, "drawer")

    # The server refuses a negative price; the drawer says why in Chinese
    # (from error.field_codes), under the field, and nothing is saved.
    page.fill("#cat-f-price", "-5")
    page.click("#cat-save")
    price_error = drawer.locator('[data-field="price"] .cat-field-error')
    expect(price_error).to_have_text("价格不能为负数")
    expect(page.locator("#cat-f-price")).to_have_attribute("aria-invalid", "true")
    expect(price_error).to_be_in_viewport()
    page.screenshot(path=str(artifacts / "catalogue-drawer-field-error.png"))
    # A SKU another product has: a field error naming that product, not an edit conflict.
    page.fill("#cat-f-price", "13.80")
    page.fill("#cat-f-sku", "sd-002")
    page.click("#cat-save")
    expect(drawer.locator('[data-field="sku"] .cat-field-error')).to_have_text(
        "此编码已被「一字螺丝刀」使用（不区分大小写）"
    )
    expect(price_error).to_be_hidden()
    expect(page.locator("#cat-conflict")).to_be_hidden()
    page.fill("#cat-f-sku", "SD-001")
    assert api(server, "GET", f"/api/products/{product_id}")["product"]["rev"] == stored["rev"]

    # Someone else saves first: the save is refused, the newer version is shown
    # and the user can load it.
    api(
        server,
        "PATCH",
        f"/api/products/{product_id}",
        {"name": "十字螺丝刀（加长）"},
        {"If-Match": str(stored["rev"])},
    )
    page.fill("#cat-f-spec", "PH2 x 150mm")
    page.click("#cat-save")
    conflict = page.locator("#cat-conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("十字螺丝刀（加长）")
    page.click("#cat-conflict-reload")
    expect(drawer.locator("h2")).to_have_text("十字螺丝刀（加长）")
    expect(page.locator("#cat-f-spec")).to_have_value("PH2 x 100mm")
    page.keyboard.press("Escape")
    expect(drawer).to_have_count(0)
    # The table shows the new thumbnail.
    page.fill("#cat-search", "")
    expect(
        page.locator(f'#cat-products tr[data-id="{product_id}"] img.cat-thumb-sm')
    ).to_have_count(1)

    # Export: the link downloads the filtered products as xlsx.
    page.select_option("#cat-filter-category", value="五金工具")
    expect(rows).to_have_count(3)
    href = page.locator("#cat-export").get_attribute("href")
    assert href == "api/products/export.xlsx?category=" + quote("五金工具") + "&sort=-price"
    download = page.request.get(f"{server.url}/{href}")
    assert download.status == 200
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(download.body())).active
    names = {str(c.value) for row in sheet.iter_rows() for c in row if c.value}
    assert {"十字螺丝刀（加长）", "一字螺丝刀", "活动扳手"} <= names
    assert "电线" not in names

    # Delete a product from its drawer, after a confirmation.
    page.locator("#cat-products tbody tr", has_text="一字螺丝刀").click()
    page.click("#cat-delete")
    page.locator("dialog.cat-confirm").get_by_role("button", name="删除").click()
    expect(drawer).to_have_count(0)
    expect(rows).to_have_count(2)
    assert api(server, "GET", "/api/products")["total"] == len(PRODUCTS) - 1
    # the browser logs the refused saves
    no_unexpected_errors(page, allowed=("status of 409", "status of 400"))


def test_orders_and_statistics_pages(
    page: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    seed_products(server, tmp_path)
    sign_in(page, server, "#/catalogue/orders")
    expect(page.locator(".cat-empty")).to_contain_text("还没有订单")

    # Upload an order sheet: the order opens with its lines checked.
    upload_order(page, order_sheet(tmp_path / "订单.xlsx"), "张三五金店")
    lines = page.locator("#cat-order-lines tbody tr")
    expect(lines).to_have_count(3)
    expect(page.locator(".cat-order-head")).to_contain_text("张三五金店")
    expect(lines.nth(0).locator(".cat-ok")).to_contain_text("按编码匹配")
    expect(lines.nth(0).locator(".cat-matched-to")).to_have_text("目录产品：十字螺丝刀 · SD-001")
    expect(lines.nth(2).locator(".cat-matched-to")).to_have_count(0)
    expect(lines.nth(1)).to_have_attribute("data-flags", "price_differs")
    expect(lines.nth(1)).to_contain_text("单价与目录不同")
    expect(lines.nth(2)).to_have_attribute("data-flags", "unmatched")
    expect(page.locator("#cat-order-lines tfoot")).to_contain_text("¥196.00")
    shot(page, artifacts, "order")
    page.check(".cat-table-card .cat-check input")
    expect(lines).to_have_count(2)
    order_id = page.url.rsplit("/", 1)[1]
    # The uploaded sheet downloads again, byte for byte, under its own name.
    link = page.locator("#cat-order-download")
    expect(link).to_have_text("订单.xlsx")
    assert link.get_attribute("href") == f"api/orders/{order_id}/file"
    with page.expect_download() as got:
        link.click()
    assert got.value.suggested_filename == "订单.xlsx"
    assert Path(got.value.path()).read_bytes() == (tmp_path / "订单.xlsx").read_bytes()

    page.get_by_role("link", name="返回订单列表").click()
    listed = page.locator("#cat-orders tbody tr")
    expect(listed).to_have_count(1)
    expect(listed.first).to_contain_text("需核对")
    shot(page, artifacts, "orders")

    # Statistics: count cards and four charts actually drawn.
    page.click('#nav a[data-view="stats"]')
    expect(page.locator('[data-count="products"] .stats-count-n')).to_have_text(str(len(PRODUCTS)))
    expect(page.locator('[data-count="orders"] .stats-count-n')).to_have_text("1")
    for chart in ("months", "top", "categories"):
        wait_for(lambda c=chart: canvas_ink(page, f"#stats-chart-{c}") > 1000, f"the {chart} chart")
    # No price changed yet: that panel says how to get one, instead of an empty chart.
    expect(page.locator('[data-chart="changes"] .stats-none')).to_contain_text("近 30 天没有调价")
    shot(page, artifacts, "stats", full_page=True)

    # A price change appears on the page after a refresh.
    seeded = api(server, "GET", "/api/products?q=" + quote("订书机"))["items"][0]
    api(
        server,
        "PATCH",
        f"/api/products/{seeded['id']}",
        {"price_decimal": "24.00"},
        {"If-Match": str(seeded["rev"])},
    )
    page.click("#stats-refresh")
    wait_for(
        lambda: (
            page.locator("#stats-chart-changes").count()
            and canvas_ink(page, "#stats-chart-changes") > 500
        ),
        "the price changes chart",
    )

    # English: the same page, every label switched.
    page.click("#lang-switch")
    expect(page.locator(".stats-head h1")).to_have_text("Statistics")
    expect(page.locator('[data-chart="months"] h2')).to_have_text("Order totals by month")
    wait_for(
        lambda: canvas_ink(page, "#stats-chart-top") > 1000, "the top products chart in English"
    )
    shot(page, artifacts, "stats-en", full_page=True)
    page.goto(f"{server.url}/#/catalogue")
    expect(page.locator("#cat-summary")).to_have_text(f"{len(PRODUCTS)} products")
    expect(page.locator(".cat-tabs a.active")).to_have_text("Products")
    shot(page, artifacts, "products-en")

    # Delete the order from its page.
    page.goto(f"{server.url}/#/catalogue/orders/{order_id}")
    page.click("#cat-order-delete")
    page.locator("dialog.cat-confirm").get_by_role("button", name="Delete").click()
    expect(page.locator(".cat-empty")).to_contain_text("No orders yet")
    assert api(server, "GET", "/api/orders")["total"] == 0
    no_unexpected_errors(page)
