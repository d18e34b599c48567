"""A price looked up on a phone (issue 18, defect 9): at 390 × 844 the product table
showed 编码, 名称, 分类 and 规格 and cut the price off the right edge, SKUs and 五金
wrapped a character per line, and the search box was about 60 px wide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors, sign_in
from conftest import Server
from test_catalogue_browser import seed_products

pytestmark = pytest.mark.browser


def test_a_salesperson_finds_a_price_on_a_phone(
    page: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    seed_products(server, tmp_path)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, server, "#/catalogue")
    search = page.locator("#cat-search")
    expect(search).to_be_visible()
    assert search.bounding_box()["width"] >= 300, "the search box spans the screen"
    search.fill("扳手")
    row = page.locator("#cat-products tbody tr").filter(has_text="活动扳手")
    expect(row).to_have_count(1)
    price = row.locator("td.col-price")
    expect(price).to_have_text("¥35.00")
    box = price.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    lines = row.locator("td.col-sku").evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el); "
        "return r.getClientRects().length; }"
    )
    assert lines == 1, f"the SKU wraps over {lines} lines"
    page.screenshot(path=str(artifacts / "catalogue-phone-zh.png"))
    # issue 18: the price a chosen customer gets, their own above their grade's
    wrench = api(server, "GET", "/api/products?sort=name")["items"]
    wrench = next(p for p in wrench if p["name"] == "活动扳手")
    api(server, "PATCH", f"/api/products/{wrench['id']}", {"grade_prices": {"VIP": 3200}})
    who = api(server, "POST", "/api/customers", {"name": "宁波家居建材城", "grade": "VIP"})
    page.reload()
    page.wait_for_selector("#cat-customer-price option:nth-child(2)", state="attached")
    page.select_option("#cat-customer-price", who["id"])
    page.fill("#cat-search", "扳手")
    expect(page.locator("#cat-products tbody tr")).to_have_count(1)
    expect(row.locator(".cat-customer-price")).to_have_text("¥32.00")
    expect(row.locator(".cat-name-spec")).to_be_visible()  # the spec, under the name
    expect(row.locator(".cat-price-source")).to_have_text("等级价")
    assert price.bounding_box()["x"] + price.bounding_box()["width"] <= 390
    page.screenshot(path=str(artifacts / "catalogue-phone-customer-price-zh.png"))
    no_unexpected_errors(page)
