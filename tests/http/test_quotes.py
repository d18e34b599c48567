"""Customers, their prices and quotations over HTTP (issue 18), on a real server:
the price lookup order (the customer's own price, a quantity break, the
customer's grade, the list price), tax per line rounded half up with totals
that add up, the quote number and revision, the PDF, and the order it becomes."""

from __future__ import annotations

from typing import Any

from conftest import Server


def post(server: Server, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    r = server.request("POST", path, body)
    assert r.status == status, r.body
    return r.json()  # type: ignore[no-any-return]


def product(server: Server, sku: str, name: str, cents: int, **more: Any) -> dict[str, Any]:
    return post(server, "/api/products", {"sku": sku, "name": name, "price": cents, **more})[
        "product"
    ]


def test_a_quote_prices_its_lines_by_the_lookup_order_and_adds_up(server: Server) -> None:
    vip = post(
        server, "/api/customers", {"name": "宁波家居建材城", "grade": "VIP", "contact": "陈经理"}
    )
    a = product(server, "SD-001", "十字螺丝刀", 1380, grade_prices={"VIP": 1250})
    b = product(server, "BS-8", "活动扳手", 3500, breaks=[{"min_qty": 100, "price": 3100}])
    c = product(server, "QZ-6", "尖嘴钳", 2200, grade_prices={"VIP": 2000})
    d = product(server, "JC-5", "卷尺 5m", 1500)
    e = product(server, "HB-1", "手套", 300)
    r = server.request(
        "PUT",
        "/api/customer-prices",
        {"customer_id": vip["id"], "product_id": c["id"], "price": 1900},
    )
    assert r.status == 200, r.body
    lines = [
        {"product_id": a["id"], "qty": 120, "tax_rate": 13},  # grade VIP
        {"product_id": b["id"], "qty": "100", "tax_rate": 13},  # break ≥ 100
        {"product_id": c["id"], "qty": 3, "tax_rate": 9},  # the customer's own price
        {"product_id": d["id"], "qty": "2.5", "tax_rate": 6, "price": 1400},  # overridden
        {"product_id": e["id"], "qty": 7, "tax_rate": 0},  # list price
    ]
    quote = post(server, "/api/quotes", {"customer_id": vip["id"], "lines": lines})
    assert quote["number"].startswith("QT-") and quote["number"].endswith("-001")
    assert quote["revision"] == 1 and quote["status"] == "draft"
    assert quote["customer_name"] == "宁波家居建材城"
    got = [(x["price"], x["price_source"], x["overridden"]) for x in quote["lines"]]
    assert got == [
        (1250, "grade", False),
        (3100, "break", False),
        (1900, "customer", False),
        (1400, "manual", True),
        (300, "list", False),
    ]
    first = quote["lines"][0]
    # 含税: 120 × 12.50 = 1,500.00; tax = 1500 × 13/113 = 172.566… → 172.57
    assert (first["amount_cents"], first["tax_cents"], first["net_cents"]) == (
        150000,
        17257,
        132743,
    )
    fourth = quote["lines"][3]
    assert fourth["amount_cents"] == 3500 and fourth["list_price"] == 1500  # 2.5 × 14.00
    t = quote["totals"]
    assert t["gross_cents"] == sum(x["amount_cents"] for x in quote["lines"])
    assert t["net_cents"] + t["tax_cents"] == t["gross_cents"]
    # without tax: tax is added on top
    exclusive = post(
        server,
        "/api/quotes",
        {"customer_id": vip["id"], "tax_inclusive": False, "lines": lines[:1]},
    )
    assert exclusive["number"].endswith("-002")
    assert (exclusive["lines"][0]["net_cents"], exclusive["lines"][0]["tax_cents"]) == (
        150000,
        19500,
    )

    # a change of content is a new revision; a change of status is not
    r = server.request("PATCH", f"/api/quotes/{quote['id']}", {"payment_terms": "款到发货"})
    assert r.json()["revision"] == 2
    r = server.request("PATCH", f"/api/quotes/{quote['id']}", {"status": "accepted"})
    assert r.json()["revision"] == 2 and r.json()["status"] == "accepted"
    # the last price this customer paid comes with the lookup
    price = server.request(
        "GET", f"/api/quotes/price?customer_id={vip['id']}&product_id={a['id']}&qty=5"
    ).json()
    assert price["price"] == 1250 and price["source"] == "grade"
    assert price["last"]["price"] == 1250 and price["last"]["number"] == quote["number"]

    pdf = server.request("GET", f"/api/quotes/{quote['id']}/pdf")
    assert pdf.status == 200 and pdf.body.startswith(b"%PDF"), pdf.body[:200]
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = server.request("GET", f"/api/quotes/{quote['id']}/xlsx")
    rows = list(load_workbook(BytesIO(sheet.body)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("序号", "编码", "名称") and rows[1][1:3] == ("SD-001", "十字螺丝刀")
    assert rows[1][10] == 1500 and rows[-1][1] == quote["totals"]["capitals"]

    made = post(server, f"/api/quotes/{quote['id']}/order", {})
    order = made["order"]
    assert made["quote"]["status"] == "ordered" and made["quote"]["order_id"] == order["id"]
    assert order["customer"] == "宁波家居建材城" and order["line_count"] == 5
    assert order["total"] == t["gross_cents"] and order["status"] == "ok"
    again = server.request("POST", f"/api/quotes/{quote['id']}/order", {})
    assert again.json()["order"]["id"] == order["id"], "once only"


def test_bad_quotes_are_refused_with_the_line_named(server: Server) -> None:
    who = post(server, "/api/customers", {"name": "散客"})
    item = product(server, "X-1", "螺母", 10)
    cases = [
        ({"customer_id": "nobody", "lines": []}, "customer_id"),
        ({"customer_id": who["id"], "lines": [{"product_id": item["id"], "qty": 0}]}, "lines[1]"),
        (
            {"customer_id": who["id"], "lines": [{"product_id": item["id"], "tax_rate": 17}]},
            "lines[1]",
        ),
        ({"customer_id": who["id"], "lines": [{"name": "运费"}]}, "lines[1]"),
        ({"customer_id": who["id"], "lines": [{"product_id": "gone"}]}, "lines[1]"),
        ({"customer_id": who["id"], "lines": [{"bogus": 1}]}, "lines"),
    ]
    for body, field in cases:
        r = server.request("POST", "/api/quotes", body)
        assert r.status == 400, (body, r.body)
        assert field in r.json()["error"]["fields"], (body, r.json())
    assert server.request("GET", "/api/quotes").json()["total"] == 0
    # a free line (freight) with a name and a price is fine
    ok = post(
        server,
        "/api/quotes",
        {"customer_id": who["id"], "lines": [{"name": "运费", "price": 5000}]},
    )
    assert ok["totals"]["gross_cents"] == 5000


def test_customers_are_found_by_pinyin_and_grade(server: Server) -> None:
    post(server, "/api/customers", {"name": "宁波家居建材城", "grade": "VIP"})
    post(
        server, "/api/customers", {"name": "杭州五金批发", "grade": "批发价", "phone": "0571-1234"}
    )

    def names(query: str) -> list[str]:
        items = server.request("GET", f"/api/customers?{query}").json()["items"]
        return [c["name"] for c in items]

    assert names("q=nbjj") == ["宁波家居建材城"]  # 宁波家居…: the initials
    assert names("q=hangzhou") == ["杭州五金批发"]
    assert names("q=0571") == ["杭州五金批发"]
    assert names("grade=VIP") == ["宁波家居建材城"]
    r = server.request("POST", "/api/customers", {"name": ""})
    assert r.status == 400 and "name" in r.json()["error"]["fields"]


def test_customers_import_from_a_sheet_and_the_templates_download(server: Server) -> None:
    from io import BytesIO

    from conftest import upload
    from openpyxl import load_workbook

    template = server.request("GET", "/api/customers/template.xlsx")
    assert template.status == 200
    heads = next(load_workbook(BytesIO(template.body)).active.iter_rows(values_only=True))
    assert heads[:3] == ("客户名称", "联系人", "电话") and "价格等级" in heads
    post(server, "/api/customers", {"name": "杭州五金批发", "phone": "0571-1"})
    sheet = (
        "客户名称,联系人,电话,价格等级\n"
        "宁波家居建材城,陈经理,138 0000 0000,VIP\n"
        "杭州五金批发,王经理,0571-1,批发价\n"
        "合计,,,\n"
    ).encode()
    dry = upload(server, "/api/customers/import?dry_run=1", "客户.csv", sheet)
    assert dry.status == 200, dry.body
    assert dry.json()["counts"] == {"rows": 2, "created": 1, "updated": 1, "unchanged": 0}
    assert server.request("GET", "/api/customers").json()["total"] == 1
    done = upload(server, "/api/customers/import", "客户.csv", sheet).json()
    assert done["committed"] and done["mapping"]["grade"] == "价格等级"
    got = {c["name"]: c for c in server.request("GET", "/api/customers").json()["items"]}
    assert got["宁波家居建材城"]["grade"] == "VIP" and got["杭州五金批发"]["contact"] == "王经理"
    bad = upload(
        server, "/api/customers/import", "客户.csv", "客户名称,电话\n张三,1\n,2\n".encode()
    )
    assert bad.status == 400 and bad.json()["error"]["errors"][0]["row"] == 3
    orders = server.request("GET", "/api/orders/template.xlsx")
    heads = next(load_workbook(BytesIO(orders.body)).active.iter_rows(values_only=True))
    assert heads == ("编码", "名称", "数量", "单价", "金额")
    products = server.request("GET", "/api/products/template.xlsx")
    heads = next(load_workbook(BytesIO(products.body)).active.iter_rows(values_only=True))
    assert heads == (
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


def test_a_filled_template_sets_cost_and_wholesale_and_cost_stays_private(
    server: Server, tmp_path: Any
) -> None:
    from conftest import start_server, upload

    sheet = (
        "商品编码,条码,商品名称,规格型号,单位,分类,品牌,进价,售价,批发价\n"
        "SD-001,4006381333931,十字螺丝刀,PH2,把,工具,世达,8.20,12.50,11.00\n"
    ).encode()
    r = upload(server, "/api/products/import", "导入模板-商品.xlsx.csv", sheet)
    assert r.status == 200, r.body
    item = server.request("GET", "/api/products?q=SD-001").json()["items"][0]
    assert (item["cost"], item["price"], item["grade_prices"]) == (820, 1250, {"批发价": 1100})
    # a VIP price set by hand survives the next 批发价 import
    pid = item["id"]
    server.request("PATCH", f"/api/products/{pid}", {"grade_prices": {"批发价": 1100, "VIP": 1050}})
    again = sheet.replace(b"11.00", b"10.80")
    assert upload(server, "/api/products/import", "b.csv", again).status == 200
    grades = server.request("GET", f"/api/products/{pid}").json()["product"]["grade_prices"]
    assert grades == {"批发价": 1080, "VIP": 1050}
    # an anonymous reader of a public price list never sees the cost
    public = start_server(tmp_path / "pub", env={"LOCALAPP_PUBLIC_READ": "1"})
    try:
        upload(public, "/api/products/import", "a.csv", sheet)
        seen = public.request("GET", "/api/products", auth=False).json()["items"][0]
        assert "cost" not in seen and seen["price"] == 1250
        one = public.request("GET", f"/api/products/{seen['id']}", auth=False).json()["product"]
        assert "cost" not in one
        assert "cost" in public.request("GET", "/api/products").json()["items"][0]
    finally:
        public.stop()


def test_statistics_take_a_date_range(server: Server) -> None:
    """Issue 18: the dashboard's orders and price changes for chosen days."""
    from conftest import upload

    item = product(server, "DR-1", "扳手", 1000)
    for day, qty in (("2026-10-15", 1), ("2026-11-20", 2), ("2026-12-01", 3)):
        sheet = f"日期,{day}\n编码,名称,数量,单价\nDR-1,扳手,{qty},10\n".encode()
        assert upload(server, "/api/orders", f"{day}.csv", sheet).status == 201
    server.request("PATCH", f"/api/products/{item['id']}", {"price": 1100})
    everything = server.request("GET", "/api/statistics").json()
    assert everything["counts"]["orders"] == 3 and everything["range"] == {"from": None, "to": None}
    november = server.request("GET", "/api/statistics?from=2026-11-01&to=2026-11-30").json()
    assert november["counts"]["orders"] == 1
    assert [m["month"] for m in november["orders_by_month"]] == ["2026-11"]
    assert november["top_products"][0]["amount"] == 2000
    assert november["price_changes"]["count"] == 0  # the change was made today, not in November
    since = server.request("GET", "/api/statistics?from=2026-11-15").json()
    assert since["counts"]["orders"] == 2
    for bad in ("from=2026-13-01", "from=2026-12-02&to=2026-12-01"):
        r = server.request("GET", f"/api/statistics?{bad}")
        assert r.status == 400, bad


def test_a_batch_edit_previews_commits_in_one_go_and_undoes(server: Server) -> None:
    """Issue 18: choose products, change a category, raise a price by a percent or a
    grade price by an amount; the dry run shows it, the commit is one transaction,
    the answer's undo puts it all back."""
    a = product(server, "B-1", "螺丝刀", 1250, category="五金")
    b = product(server, "B-2", "扳手", 999, category="五金", grade_prices={"VIP": 900})
    ids = [a["id"], b["id"]]
    body = {"ids": ids, "set": {"category": "手动工具"}, "price": {"by": "percent", "value": "5"}}
    dry = server.request("POST", "/api/products/batch?dry_run=1", body).json()
    assert dry["committed"] is False and dry["changed"] == 2
    # 12.50 × 1.05 = 13.125 → 13.13; 9.99 × 1.05 = 10.4895 → 10.49 (half up)
    assert [p["after"]["price"] for p in dry["preview"]] == [1313, 1049]
    assert server.request("GET", f"/api/products/{a['id']}").json()["product"]["price"] == 1250
    done = server.request("POST", "/api/products/batch", body).json()
    assert done["committed"] is True
    got = server.request("GET", f"/api/products/{a['id']}").json()["product"]
    assert (got["price"], got["category"]) == (1313, "手动工具")
    assert got["price_history"][-1]["source"] == "batch"
    vip = {"ids": ids, "price": {"grade": "VIP", "by": "amount", "value": "-1.00"}}
    done2 = server.request("POST", "/api/products/batch", vip).json()
    got_b = server.request("GET", f"/api/products/{b['id']}").json()["product"]
    assert got_b["grade_prices"] == {"VIP": 800}
    # each grade's price has its own history, as the list price has
    assert [(e["grade"], e["price"], e["source"]) for e in got_b["grade_history"]] == [
        ("VIP", 900, "create"),
        ("VIP", 800, "batch"),
    ]
    # one undo of the first batch puts prices and categories back, in one go
    server.request("POST", "/api/products/batch", {"restore": done2["undo"]})
    server.request("POST", "/api/products/batch", {"restore": done["undo"]})
    back = server.request("GET", f"/api/products/{b['id']}").json()["product"]
    assert (back["price"], back["category"], back["grade_prices"]) == (999, "五金", {"VIP": 900})
    # a price that would fall below zero refuses the whole batch
    r = server.request(
        "POST", "/api/products/batch", {"ids": ids, "price": {"by": "amount", "value": "-10"}}
    )
    assert r.status == 400 and "below zero" in r.json()["error"]["fields"]["ids"]
    assert server.request("GET", f"/api/products/{a['id']}").json()["product"]["price"] == 1250


def test_bad_prices_and_quantities_are_400s_not_500s(server: Server) -> None:
    who = post(server, "/api/customers", {"name": "散客"})
    item = product(server, "Q-1", "螺母", 10)
    for body in ({"customer_id": who["id"], "product_id": item["id"], "price": "abc"}, [1, 2]):
        r = server.request("PUT", "/api/customer-prices", body)
        assert r.status == 400, (body, r.body)
    r = server.request(
        "GET", f"/api/quotes/price?customer_id={who['id']}&product_id={item['id']}&qty=-1"
    )
    assert r.status == 400 and "qty" in r.json()["error"]["fields"]


def test_the_last_price_paid_comes_from_orders_too(server: Server) -> None:
    from conftest import upload

    who = post(server, "/api/customers", {"name": "宁波家居建材城"})
    item = product(server, "LP-1", "扳手", 3500)
    sheet = "客户,宁波家居建材城\n日期,2026-11-20\n编码,名称,数量,单价\nLP-1,扳手,10,33.00\n"
    assert upload(server, "/api/orders", "o.csv", sheet.encode()).status == 201
    got = server.request(
        "GET", f"/api/quotes/price?customer_id={who['id']}&product_id={item['id']}"
    ).json()
    assert got["last"]["price"] == 3300 and got["last"]["date"] == "2026-11-20"
