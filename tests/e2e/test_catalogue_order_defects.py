"""Order defects of issue 18: re-uploading the same file said "数据已被其他人修改，
请刷新后重试" (the server's answer, which names the order, was lost); a line with
no price in the file and no catalogue match showed ¥0.00 instead of "—"."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser import api, no_unexpected_errors, sign_in
from conftest import Server
from test_catalogue_browser import seed_products, upload_order

pytestmark = pytest.mark.browser


def sheet(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["货号", "品名", "数量", "单价", "金额"])
    ws.append(["SD-001", "十字螺丝刀", 10, 12.5, 125])
    ws.append(["ZZ-998", "无价产品", 3, None, None])  # no price anywhere
    wb.save(path)
    return path


def test_a_second_upload_names_the_order_and_a_line_without_price_shows_a_dash(
    page: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    seed_products(server, tmp_path)
    path = sheet(tmp_path / "三月订单.xlsx")
    sign_in(page, server, "#/catalogue/orders")
    upload_order(page, path)
    lines = page.locator("#cat-order-lines tbody tr")
    expect(lines).to_have_count(2)
    priceless = lines.nth(1)
    expect(priceless).to_have_attribute("data-flags", "no_price unmatched")
    cells = priceless.locator("td")
    expect(cells.nth(4)).to_have_text("—")  # unit price
    expect(cells.nth(6)).to_have_text("—")  # amount
    order = api(server, "GET", "/api/orders")["items"][0]

    page.get_by_role("link", name="返回订单列表").click()
    upload_order(page, path)
    toast = page.locator(".toast-error")
    expect(toast).to_contain_text(f"这个文件已经上传过，是订单 {order['number']}")
    expect(toast).not_to_contain_text("其他人修改")
    page.screenshot(path=str(artifacts / "order-duplicate-zh.png"))
    no_unexpected_errors(page, allowed=("409",))


def test_the_chinese_import_preview_has_no_english_and_keeps_the_sku_as_written(
    page: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    """Issue 18, defect 4: each reason was followed by an English line ("the same SKU
    'wj-0003'…"), with the SKU lower-cased from the file's WJ-0003."""
    from openpyxl import Workbook
    from playwright.sync_api import expect

    wb = Workbook()
    ws = wb.active
    ws.append(["编码", "名称", "单价"])
    ws.append(["WJ-0003", "合页", 3.5])
    ws.append(["WJ-0004", "拉手", 6])
    ws.append(["wj-0003", "合页（小）", 2.8])
    path = tmp_path / "五金.xlsx"
    wb.save(path)
    sign_in(page, server, "#/catalogue/import")
    page.set_input_files("#cat-import-file", str(path))
    page.click("#cat-import-preview")
    rows = page.locator("#cat-import-errors tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator("td").nth(2)).to_have_text(
        "编码「WJ-0003」在文件中重复（另见第 4 行）"
    )
    expect(rows.nth(1).locator("td").nth(2)).to_have_text(
        "编码「wj-0003」在文件中重复（另见第 2 行）"
    )
    table = page.locator("#cat-import-errors").inner_text()
    assert "also in row" not in table and "the same" not in table
    page.screenshot(path=str(artifacts / "import-duplicates-zh.png"))
    page.click("#lang-switch")
    expect(page.locator("#cat-import-errors tbody tr").nth(0).locator("td").nth(2)).to_have_text(
        "The SKU “WJ-0003” is also in row(s) 4"
    )
    no_unexpected_errors(page)


def test_statistics_tell_products_of_one_name_and_repeated_changes_apart(
    page: Any, server: Server, artifacts: Path
) -> None:
    """Issue 18, defect 6: two products named 活动扳手 made two bars labelled alike, and
    three changes of one product's price three bars all "螺丝刀 · 12/03"."""
    from playwright.sync_api import expect

    made = {}
    for sku, name, price in (
        ("WR-8", "活动扳手", 3500),
        ("WR-10", "活动扳手", 4200),
        ("SD-1", "螺丝刀", 1250),
    ):
        made[sku] = api(
            server, "POST", "/api/products", {"sku": sku, "name": name, "price": price}
        )["product"]
    for sku, prices in (("WR-8", (3600,)), ("WR-10", (4400,)), ("SD-1", (1300, 1350, 1400))):
        for price in prices:
            cur = api(server, "GET", f"/api/products/{made[sku]['id']}")["product"]
            api(
                server,
                "PATCH",
                f"/api/products/{cur['id']}",
                {"price": price},
                {"If-Match": str(cur["rev"])},
            )
    sign_in(page, server, "#/stats")
    canvas = page.locator("#stats-chart-changes")
    expect(canvas).to_have_attribute("aria-label", re.compile("近期调价"))
    labels = (canvas.get_attribute("aria-label") or "").split(": ", 1)[1].split("、")
    assert len(labels) == 5 and len(set(labels)) == 5, labels
    assert any(label.startswith("活动扳手（WR-8）") for label in labels), labels
    assert any(label.startswith("活动扳手（WR-10）") for label in labels), labels
    page.screenshot(path=str(artifacts / "stats-distinct-labels-zh.png"), full_page=True)
    # issue 18: a date range; last month had none of today's price changes
    page.select_option("#stats-range", "lastMonth")
    expect(page.locator('[data-count="priceChanges"] .stats-count-n')).to_have_text("0")
    assert page.locator("#stats-from").input_value().endswith("-01")
    page.select_option("#stats-range", "month")
    expect(page.locator('[data-count="priceChanges"] .stats-count-n')).not_to_have_text("0")
    no_unexpected_errors(page)


def test_the_price_history_chart_places_changes_in_time(
    page: Any, tmp_path: Path, artifacts: Path
) -> None:
    """Issue 18, defect 7: the chart spaced its points evenly, so a change a day after
    the first looked as far from it as one a month later. The history below is
    written into a real data dir before the server starts (the API dates changes now)."""
    from conftest import start_server
    from playwright.sync_api import expect

    from localapp.catalogue import Catalogue
    from localapp.store import Store

    data_dir = tmp_path / "data"
    with Store.open(data_dir) as store:
        product = Catalogue(store).create({"sku": "SD-1", "name": "螺丝刀", "price": 1250})
        table = store.table("products")
        doc_id = next(d.doc_id for d in table.all() if d["id"] == product["id"])
        history = [
            {"price": 1250, "at": "2026-09-01T02:00:00.000Z", "source": "create", "by": "admin"},
            {"price": 1300, "at": "2026-09-02T02:00:00.000Z", "source": "edit", "by": "admin"},
            {"price": 1400, "at": "2026-10-02T02:00:00.000Z", "source": "edit", "by": "admin"},
        ]
        with store.transaction():
            table.update({"price_history": history, "price": 1400}, doc_ids=[doc_id])
    server = start_server(data_dir)
    try:
        sign_in(page, server, f"#/catalogue/products/{product['id']}")
        expect(page.locator("#cat-drawer h2")).to_have_text("螺丝刀")
        xs = page.wait_for_function(
            """() => {
              const c = globalThis.Chart?.getChart(document.querySelector('#cat-history-canvas'));
              return c ? c.getDatasetMeta(0).data.map((p) => p.x) : null;
            }"""
        ).json_value()
        first_gap, second_gap = xs[1] - xs[0], xs[2] - xs[1]
        assert second_gap > 20 * first_gap, xs  # a day, then a month
        page.locator("#cat-drawer").screenshot(path=str(artifacts / "price-history-time-zh.png"))
        no_unexpected_errors(page)
    finally:
        server.stop()


def test_a_total_row_under_the_products_is_skipped_with_a_note(
    page: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    """Issue 18, defect 5: a CSV ending in `合计,,136.37` imported a product named 合计
    (and an xlsx total row without a price counted as a bad row blaming a formula)."""
    from conftest import upload
    from playwright.sync_api import expect

    rows = "编码,名称,单价\nWJ-1,合页,3.50\nWJ-2,拉手,6.00\n合计,,9.50\n"
    report = upload(server, "/api/products/import?dry_run=1", "价格.csv", rows.encode()).json()
    assert report["counts"]["rows"] == 2 and report["counts"]["errored"] == 0
    assert report["skipped"] == [{"row": 4, "text": "合计"}]
    path = tmp_path / "价格.csv"
    path.write_text(rows, encoding="utf-8")
    sign_in(page, server, "#/catalogue/import")
    page.set_input_files("#cat-import-file", str(path))
    page.click("#cat-import-preview")
    expect(page.locator("#cat-import-skipped")).to_have_text(
        "已跳过合计行（第 4 行，「合计」），不作为产品导入。"
    )
    counts = page.locator("#cat-import-counts")
    expect(counts.locator('[data-count="created"] .cat-count-n')).to_have_text("2")
    expect(counts.locator('[data-count="errored"] .cat-count-n')).to_have_text("0")
    page.click("#cat-import-commit")
    names = {p["name"] for p in api(server, "GET", "/api/products")["items"]}
    assert names == {"合页", "拉手"}, names
    no_unexpected_errors(page)


def test_an_order_is_worked_until_it_is_confirmed(
    page: Any, server: Server, artifacts: Path, tmp_path: Path
) -> None:
    """Issue 18, defect 2: an order marked 需核对 could never be cleared. A line is
    matched to a product by search, a quantity corrected (its history kept), and the
    order marked confirmed; each is an ordinary edit of the order."""
    from playwright.sync_api import expect

    seed_products(server, tmp_path)
    sign_in(page, server, "#/catalogue/orders")
    upload_order(page, sheet(tmp_path / "待核对.xlsx"), "张三五金店")
    lines = page.locator("#cat-order-lines tbody tr")
    expect(lines).to_have_count(2)
    expect(page.locator(".cat-order-head .cat-badge")).to_have_text("需核对")
    # 无价产品 (ZZ-998) is really the catalogue's 订书机: find it and match it
    lines.nth(1).locator(".cat-line-edit").click()
    dialog = page.locator("dialog[open]")
    dialog.locator("input[name=product-search]").fill("订书机")
    dialog.locator(".cat-review-hit").first.click()
    expect(dialog.locator("#cat-review-picked")).to_contain_text("订书机")
    expect(dialog.locator("input[name=unit_price]")).to_have_value("22.00")
    dialog.locator("input[name=qty]").fill("4")
    expect(dialog.locator("#cat-review-remember input")).to_be_checked()
    dialog.screenshot(path=str(artifacts / "order-review-line-zh.png"))
    dialog.locator("#cat-review-save").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    expect(lines.nth(1)).to_contain_text("¥88.00")  # 4 × ¥22.00
    expect(lines.nth(1)).to_have_attribute("data-flags", "")  # matched, at the catalogue price
    expect(lines.nth(1)).to_contain_text("手动对应")
    expect(lines.nth(1).locator(".cat-line-edited")).to_have_text(" 已修改")
    expect(page.locator(".cat-order-head .cat-badge")).to_have_text("已核对")
    order = api(server, "GET", "/api/orders")["items"][0]
    assert order["flagged"] == 0 and order["total"] == 12500 + 8800
    full = api(server, "GET", f"/api/orders/{order['id']}")["order"]
    edited = full["lines"][1]
    assert (edited["qty"], edited["match"]) == ("4", "manual")
    assert [h["field"] for h in edited["history"]] == ["product_id", "qty", "unit_price"]
    assert edited["history"][1]["old"] == "3"  # what the sheet said is kept
    # and confirmed: 需核对 is cleared, in the list too
    page.click("#cat-order-review")
    expect(page.locator(".cat-order-head .cat-badge")).to_have_text("已确认")
    expect(page.locator("#cat-order-review")).to_have_text("取消确认")
    page.screenshot(path=str(artifacts / "order-reviewed-zh.png"))
    page.get_by_role("link", name="返回订单列表").click()
    expect(page.locator("#cat-orders tbody tr").first).to_contain_text("已确认")
    stale = server.request(
        "PATCH", f"/api/orders/{order['id']}", {"reviewed": False}, {"If-Match": "1"}
    )
    assert stale.status == 409
    # the next sheet from 张三五金店 has the same line: matched as it was by hand
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["货号", "品名", "数量", "单价"])
    wb.active.append(["ZZ-998", "无价产品", 2, None])
    wb.save(tmp_path / "第二张.xlsx")
    upload_order(page, tmp_path / "第二张.xlsx", "张三五金店")
    again = page.locator("#cat-order-lines tbody tr")
    expect(again).to_have_count(1)
    matched = again.first.locator(".cat-matched-to")
    expect(matched).to_contain_text("订书机")
    expect(matched).to_have_attribute("title", "按以前的手动对应")
    no_unexpected_errors(page)
