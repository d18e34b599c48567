"""The quotation path a salesperson walks (issue 18), in Chromium on a real
server: add a customer with the VIP grade, quote five products (found by
pinyin, a scanned code and pasted codes) with mixed tax rates, type a special
price and keep it as the customer's own, save, see the totals and the amount
in Chinese capitals, download the PDF, mark it accepted, turn it into an
order, and find the order's lines matched; in Chinese and in English."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors, sign_in
from conftest import Server, require_tool

pytestmark = pytest.mark.browser


def seed(server: Server) -> dict[str, dict]:
    def product(sku: str, name: str, cents: int, **more: Any) -> dict:
        body = {"sku": sku, "name": name, "price": cents, "unit": "把", **more}
        return api(server, "POST", "/api/products", body)["product"]

    api(
        server, "PUT", "/api/company", {"name": "永康市宏达五金有限公司", "phone": "0579-8712 3456"}
    )
    return {
        "SD-001": product(
            "SD-001", "十字螺丝刀", 1380, spec="PH2×100mm", grade_prices={"VIP": 1250}
        ),
        "BS-8": product(
            "BS-8",
            "活动扳手",
            3500,
            spec="8寸",
            barcode="6901234567892",
            cost=2450,
            breaks=[{"min_qty": 100, "price": 3100}],
        ),
        "QZ-6": product("QZ-6", "尖嘴钳", 2200, spec="6寸", grade_prices={"VIP": 2000}),
        "JC-5": product("JC-5", "卷尺", 1500, spec="5m"),
        "HB-1": product("HB-1", "劳保手套", 300, spec="L"),
    }


def line(page: Any, sku: str) -> Any:
    return page.locator("#cat-quote-lines tbody tr", has=page.locator(f"td:text-is('{sku}')"))


def test_quote_five_products_to_an_accepted_order(
    page: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    products = seed(server)
    sign_in(page, server, "#/catalogue/customers")
    # the customers come from a sheet; one of them is given the VIP grade
    sheet = tmp_path / "客户.csv"
    sheet.write_text(
        "客户名称,联系人,电话\n宁波家居建材城,陈经理,138 0000 0000\n温州建材,李经理,\n", "utf-8"
    )
    page.set_input_files("#cat-customer-file", str(sheet))
    expect(page.locator("#cat-customer-notice")).to_have_text("已导入：新增 2，更新 0，未变 0")
    page.locator("#cat-customers tbody tr", has_text="宁波家居建材城").click()
    page.fill("dialog input[name=grade]", "VIP")
    page.click("dialog .btn-primary")
    expect(page.locator("#cat-customers tbody tr", has_text="宁波家居建材城")).to_contain_text(
        "VIP"
    )
    page.fill("#cat-customer-search", "nbjj")  # the initials of 宁波家居…
    expect(page.locator("#cat-customers tbody tr")).to_have_count(1)

    page.click(".cat-tabs a[data-tab=quotes]")
    # the company's header and logo, for the PDF
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (240, 80), (37, 86, 200)).save(logo)
    page.click("#cat-company-open")
    page.fill("dialog input[name=address]", "浙江省永康市五金城 8 号")
    page.set_input_files("#cat-company-logo-file", str(logo))
    expect(page.locator("#cat-company-logo")).to_be_visible()
    page.click("#cat-company-save")
    expect(page.locator("dialog[open]")).to_have_count(0)
    company = api(server, "GET", "/api/company")
    assert company["address"] == "浙江省永康市五金城 8 号" and company["logo"].endswith(".png")
    page.click("#cat-quote-new")
    expect(page.locator("#cat-quote-customer option")).to_have_count(3)
    page.select_option("#cat-quote-customer", label="宁波家居建材城 · VIP")
    page.fill("#cat-quote-find", "lsd")  # 螺丝刀 by its pinyin initials
    page.locator(".cat-quote-results li").first.click()
    page.fill("#cat-quote-find", "6901234567892")  # a scanner types the barcode and Enter
    page.keyboard.press("Enter")
    expect(line(page, "BS-8")).to_have_count(1)
    page.click("#cat-quote-paste-toggle")
    page.fill("#cat-quote-paste", "QZ-6 3\nJC-5 2.5\nHB-1 7\nNOPE-1")
    page.click("#cat-quote-paste-toggle")
    expect(page.locator("#cat-quote-message")).to_have_text("没有找到这些编码：NOPE-1")
    expect(page.locator("#cat-quote-lines tbody tr")).to_have_count(5)
    for sku, qty in (("SD-001", "120"), ("BS-8", "100")):
        box = line(page, sku).locator("td.num input").first
        box.fill(qty)
        box.press("Tab")
    expect(line(page, "SD-001").locator(".cat-price-source")).to_have_text("等级价")
    expect(line(page, "BS-8").locator(".cat-price-source")).to_have_text("数量阶梯价")
    expect(line(page, "BS-8").locator(".cat-quote-price input")).to_have_value("31.00")
    for sku, rate in (("QZ-6", "9"), ("JC-5", "6"), ("HB-1", "0")):
        line(page, sku).locator("select").select_option(rate)
    special = line(page, "QZ-6").locator(".cat-quote-price input")
    special.fill("19")
    special.press("Tab")
    expect(line(page, "QZ-6").locator(".cat-quote-override s")).to_have_text("¥20.00")
    page.fill("#cat-quote-payment", "款到发货")
    page.click("#cat-quote-save")
    expect(page.locator("#cat-quote-title")).to_contain_text("QT-")
    quote = api(server, "GET", "/api/quotes")["items"][0]
    gross = quote["totals"]["gross_cents"]
    # 1500 + 3100 + 57 + 37.50 + 21 yuan, tax included
    assert gross == 150000 + 310000 + 5700 + 3750 + 2100
    expect(page.locator("#cat-quote-capitals")).to_have_text(quote["totals"]["capitals"])
    assert quote["totals"]["capitals"] == "肆仟柒佰壹拾伍元伍角"
    # the typed price kept as this customer's own: the next lookup finds it
    line(page, "QZ-6").get_by_role("button", name="设为该客户专属价").click()
    expect(line(page, "QZ-6").locator(".cat-price-source")).to_have_text("客户专属价")
    assert api(server, "GET", "/api/customer-prices")["items"][0]["price"] == 1900
    page.screenshot(path=str(artifacts / "quote-editor-zh.png"), full_page=True)

    with page.expect_download() as got:
        page.click("#cat-quote-pdf-zh")
    pdf = tmp_path / got.value.suggested_filename
    got.value.save_as(pdf)
    assert pdf.name == f"报价单-{quote['number']}.pdf"
    text = subprocess.run(
        [require_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "报价单" in text and "宁波家居建材城" in text and quote["totals"]["capitals"] in text
    assert "浙江省永康市五金城" in text and b"/Subtype /Image" in pdf.read_bytes()  # the logo
    subprocess.run(
        [
            require_tool("pdftoppm"),
            "-r",
            "60",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(artifacts / "quote-browser-pdf"),
        ],
        check=True,
    )

    page.click("#cat-quote-accepted")
    expect(page.locator(".cat-quote-status .cat-badge")).to_have_text("已接受")
    page.click("#cat-quote-to-order")
    expect(page.locator(".cat-order-head, h2, h1").filter(has_text="ORD-")).not_to_have_count(0)
    orders = api(server, "GET", "/api/orders")["items"]
    assert len(orders) == 1 and orders[0]["customer"] == "宁波家居建材城"
    assert orders[0]["total"] == gross and orders[0]["status"] == "ok"
    assert api(server, "GET", f"/api/quotes/{quote['id']}")["status"] == "ordered"
    assert products["SD-001"]["id"] in {
        x["product_id"]
        for x in api(server, "GET", f"/api/orders/{orders[0]['id']}")["order"]["lines"]
    }
    # the order is reviewed and confirmed like any other
    page.click("#cat-order-review")
    expect(page.locator("#cat-order-review")).to_have_text("取消确认")
    assert api(server, "GET", f"/api/orders/{orders[0]['id']}")["order"]["status"] == "reviewed"
    page.screenshot(path=str(artifacts / "quote-order-zh.png"))
    no_unexpected_errors(page)

    page.click("text=English")
    page.goto(f"{server.url}/#/catalogue/quotes/{quote['id']}")
    expect(page.locator("#cat-quote-title")).to_contain_text("Quotation")
    expect(page.locator(".cat-quote-status .cat-badge")).to_have_text("Ordered")
    page.screenshot(path=str(artifacts / "quote-editor-en.png"), full_page=True)


def test_a_scanned_barcode_opens_the_product(page: Any, server: Server, artifacts: Path) -> None:
    """A USB scanner types the code and Enter into the search box: the product opens."""
    from playwright.sync_api import expect

    seed(server)
    sign_in(page, server, "#/catalogue")
    page.fill("#cat-search", "6901234567892")
    page.keyboard.press("Enter")
    expect(page.locator("#cat-drawer")).to_be_visible()
    expect(page.locator("#cat-f-name")).to_have_value("活动扳手")
    expect(page.locator("#cat-f-barcode")).to_have_value("6901234567892")
    expect(page.locator("#cat-f-breaks")).to_have_value("100 31.00")
    # the cost price and the margin beside it: (35.00 − 24.50) ÷ 35.00
    expect(page.locator("#cat-f-cost")).to_have_value("24.50")
    expect(page.locator("#cat-margin")).to_have_text("毛利率 30.0%")
    # a QR code a phone scans to open this product
    qr = page.locator("#cat-product-qr")
    qr.scroll_into_view_if_needed()
    expect(qr).to_have_js_property("complete", True)
    assert qr.evaluate("e => e.naturalWidth") > 0
    page.screenshot(path=str(artifacts / "product-barcode-cost-zh.png"))
    no_unexpected_errors(page)


def test_customers_import_from_the_template(page: Any, server: Server, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    sign_in(page, server, "#/catalogue/customers")
    with page.expect_download() as got:
        page.click("text=下载客户模板")
    assert got.value.suggested_filename == "导入模板-客户.xlsx"
    sheet = tmp_path / "客户.csv"
    sheet.write_text(
        "客户名称,联系人,价格等级\n宁波家居建材城,陈经理,VIP\n温州建材,李经理,\n", "utf-8"
    )
    page.set_input_files("#cat-customer-file", str(sheet))
    expect(page.locator("#cat-customer-notice")).to_have_text("已导入：新增 2，更新 0，未变 0")
    expect(page.locator("#cat-customers tbody tr")).to_have_count(2)
    no_unexpected_errors(page)


def test_a_batch_edit_of_chosen_products_and_its_undo(
    page: Any, server: Server, artifacts: Path
) -> None:
    """Issue 18: choose products in the list, move their price by 5 % and set a
    category; the preview shows before and after; one confirm writes them all;
    one undo puts them back."""
    from playwright.sync_api import expect

    products = seed(server)
    sign_in(page, server, "#/catalogue")
    for sku in ("SD-001", "JC-5"):
        page.locator("#cat-products tbody tr", has=page.locator(f"td:text-is('{sku}')")).locator(
            ".col-pick input"
        ).check()
    expect(page.locator("#cat-batch")).to_contain_text("已选 2 项")
    page.fill("#cat-batch-category", "量具与工具")
    page.select_option("#cat-batch-target", "price")
    page.fill("#cat-batch-value", "5")
    page.click("#cat-batch-preview")
    dialog = page.locator("dialog[open]")
    expect(dialog).to_contain_text("将修改 2 / 2 个产品")
    expect(dialog).to_contain_text("¥14.49")  # 13.80 × 1.05 = 14.49
    page.screenshot(path=str(artifacts / "batch-preview-zh.png"))
    page.click("#cat-batch-confirm")
    expect(page.locator("#cat-batch-message")).to_have_text("已修改 2 个产品")
    got = api(server, "GET", f"/api/products/{products['SD-001']['id']}")["product"]
    assert (got["price"], got["category"]) == (1449, "量具与工具")
    page.click("#cat-batch-undo")
    expect(page.locator("#cat-batch-message")).to_have_text("已撤销")
    back = api(server, "GET", f"/api/products/{products['JC-5']['id']}")["product"]
    assert (back["price"], back["category"]) == (1500, "")
    no_unexpected_errors(page)
