"""Barcodes (条码, issue 18): a product's EAN-13, UPC-A or EAN-8 is checked by its
check digit, found by search, and read from the industry's usual import
header (商品编码, 条码, 商品名称, 规格型号, 单位, 分类, 品牌, 售价) with no manual
mapping; a mistyped code is refused with a code the UI translates."""

from __future__ import annotations

import pytest
from conftest import Server, upload

from localapp import checks
from localapp.kind_checks import barcode


@pytest.mark.parametrize(
    "code", ["4006381333931", "6901234567892", "036000291452", "96385074", " 4006381333931 "]
)
def test_known_good_codes_pass(code: str) -> None:
    assert barcode(code) == code.strip()


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("4006381333932", "barcode_check"),  # the last digit typed wrong
        ("690123456789", "barcode_check"),
        ("40063813339", "barcode_format"),  # 11 digits
        ("ABC1234567890", "barcode_format"),
        ("４００６３８１３３３９３１", "barcode_format"),  # full-width digits are not a scan
    ],
)
def test_bad_codes_are_refused(code: str, why: str) -> None:
    with pytest.raises(checks.Invalid) as exc:
        barcode(code)
    assert exc.value.code == why


def test_a_barcode_is_checked_found_and_imported(server: Server) -> None:
    r = server.request(
        "POST", "/api/products", {"name": "活动扳手", "price": 3500, "barcode": "6901234567892"}
    )
    assert r.status == 201, r.body
    found = server.request("GET", "/api/products?q=6901234567892").json()["items"]
    assert [p["name"] for p in found] == ["活动扳手"]
    bad = server.request(
        "POST", "/api/products", {"name": "螺丝刀", "price": 100, "barcode": "6901234567893"}
    )
    assert bad.status == 400 and bad.json()["error"]["field_codes"]["barcode"] == "barcode_check"

    sheet = (
        "商品编码,条码,商品名称,规格型号,单位,分类,品牌,售价\n"
        "SD-001,4006381333931,十字螺丝刀,PH2×100mm,把,手动工具,世达,12.50\n"
        "QZ-6,4006381333932,尖嘴钳,6寸,把,手动工具,世达,22\n"
    ).encode()
    r = upload(server, "/api/products/import?dry_run=1", "导入模板.csv", sheet)
    assert r.status == 200, r.body
    preview = r.json()
    assert preview["mapping"]["barcode"] == "条码" and preview["mapping"]["supplier"] == "品牌"
    problems = [(e["row"], e["code"]) for e in preview["errors"]]
    assert problems == [(3, "barcode_check")]


def test_qr_codes_open_the_product_and_the_quote_on_a_phone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The QR code of a product (and of a quotation) holds the page's address at
    LOCALAPP_PUBLIC_URL, where a phone reaches the deployed instance."""
    import io

    import qrcode
    import qrcode.image.svg
    from conftest import start_server

    public = "https://prices.example.com"
    server = start_server(tmp_path / "data", env={"LOCALAPP_PUBLIC_URL": public})
    try:
        item = server.request("POST", "/api/products", {"name": "扳手", "price": 100}).json()
        pid = item["product"]["id"]
        r = server.request("GET", f"/api/products/{pid}/qr.svg")
        assert r.status == 200 and r.headers["content-type"] == "image/svg+xml"
        expected = io.BytesIO()
        qrcode.make(
            f"{public}/#/catalogue/products/{pid}",
            image_factory=qrcode.image.svg.SvgPathImage,
        ).save(expected)
        assert r.body == expected.getvalue()
        assert server.request("GET", "/api/products/nope/qr.svg").status == 404
        who = server.request("POST", "/api/customers", {"name": "散客"}).json()
        quote = server.request("POST", "/api/quotes", {"customer_id": who["id"]}).json()
        assert server.request("GET", f"/api/quotes/{quote['id']}/qr.svg").status == 200
    finally:
        server.stop()


def test_cost_prices_show_only_to_the_users_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """LOCALAPP_COST_USERS: a signed-in user not named sees no cost, in the list,
    the product and the xlsx export (an anonymous reader never does)."""
    from io import BytesIO

    from conftest import start_server
    from openpyxl import load_workbook

    server = start_server(tmp_path / "data", env={"LOCALAPP_COST_USERS": "wang"})
    try:
        body = {"name": "扳手", "price": 3500, "cost": 2450}
        pid = server.request("POST", "/api/products", body).json()["product"]["id"]
        assert "cost" not in server.request("GET", "/api/products").json()["items"][0]
        assert "cost" not in server.request("GET", f"/api/products/{pid}").json()["product"]
        sheet = server.request("GET", "/api/products/export.xlsx").body
        heads = next(load_workbook(BytesIO(sheet)).active.iter_rows(values_only=True))
        assert "进价" not in heads and "单价" in heads
    finally:
        server.stop()
