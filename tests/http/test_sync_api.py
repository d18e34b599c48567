"""Sync through a real hub: `localapp serve` instances on 127.0.0.1, one the
hub and others its clients (a server can be a client too, which is what a
desktop is), each with its own data dir. What a user sees: an edit made on
one device appears on the other after a sync; concurrent edits of one field
keep both values, one as a conflict that "use this version" settles
everywhere; a delete against an edit is surfaced, never silently undone."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Server, start_server, upload


def sync(s: Server) -> dict:
    r = s.request("POST", "/api/sync/run")
    assert r.status == 200, r.body
    return r.json()


def product(s: Server, pid: str) -> dict:
    r = s.request("GET", f"/api/products/{pid}")
    assert r.status == 200, r.body
    return r.json()["product"]


def test_an_edit_made_on_one_device_appears_on_the_other(
    synced_desktops: tuple[Server, Server], hub: Server
) -> None:
    a, b = synced_desktops
    r = a.request("POST", "/api/products", {"sku": "M8-40", "name": "六角螺栓 M8×40", "price": 125})
    assert r.status == 201, r.body
    pid = r.json()["product"]["id"]
    assert a.request("GET", "/api/sync/status").json()["pending"] >= 1
    first = sync(a)
    assert first["summary"]["pushed"] >= 1
    assert first["status"]["pending"] == 0 and first["status"]["error"] is None
    sync(b)
    assert product(b, pid)["name"] == "六角螺栓 M8×40"
    assert product(hub, pid)["price"] == 125
    # the schedule too: a project made on b reaches a
    r = b.request("POST", "/api/projects", {"name": "新仓库"})
    assert r.status == 201, r.body
    sync(b)
    sync(a)
    names = [p["name"] for p in a.request("GET", "/api/projects").json()["items"]]
    assert "新仓库" in names
    # and the team calendar: a company holiday set on a shades b's chart
    day = {"date": "2027-01-21", "kind": "holiday", "name": "公司年会"}
    assert a.request("POST", "/api/calendar-days", day).status == 201
    sync(a)
    sync(b)
    cal = b.request("GET", "/api/calendar?from=2027-01-21&to=2027-01-21").json()
    assert cal["days"] == [{**day, "name_zh": "公司年会", "team": True}]
    # and a customer with a quotation and a special price (issue 18)
    who = b.request("POST", "/api/customers", {"name": "宁波家居建材城", "grade": "VIP"}).json()
    line = {"product_id": pid, "qty": 10, "tax_rate": 13}
    quote = b.request("POST", "/api/quotes", {"customer_id": who["id"], "lines": [line]}).json()
    special = {"customer_id": who["id"], "product_id": pid, "price": 110}
    assert b.request("PUT", "/api/customer-prices", special).status == 200
    sync(b)
    sync(a)
    seen = a.request("GET", f"/api/quotes/{quote['id']}").json()
    assert seen["number"] == quote["number"] and seen["totals"]["gross_cents"] == 1250
    price = a.request(
        "GET", f"/api/quotes/price?customer_id={who['id']}&product_id={pid}&qty=1"
    ).json()
    assert (price["price"], price["source"]) == (110, "customer")


def test_concurrent_edits_keep_both_and_use_this_version_settles_everywhere(
    synced_desktops: tuple[Server, Server],
) -> None:
    a, b = synced_desktops
    pid = a.request("POST", "/api/products", {"sku": "P1", "name": "水泥", "price": 3000}).json()[
        "product"
    ]["id"]
    sync(a)
    sync(b)
    assert a.request("PATCH", f"/api/products/{pid}", {"name": "水泥 42.5"}).status == 200
    assert b.request("PATCH", f"/api/products/{pid}", {"name": "水泥 32.5"}).status == 200
    sync(a)
    sync(b)
    sync(a)
    name_a, name_b = product(a, pid)["name"], product(b, pid)["name"]
    assert name_a == name_b  # converged on one winner
    items = a.request("GET", "/api/sync/conflicts").json()["items"]
    losing = [c for c in items if c["id"] == pid and c["field"] == "name"]
    assert len(losing) == 1 and {losing[0]["value"], losing[0]["current"]} == {
        "水泥 42.5",
        "水泥 32.5",
    }
    assert a.request("GET", "/api/sync/status").json()["conflicts"] == 1
    c = losing[0]
    r = a.request(
        "POST",
        "/api/sync/conflicts/resolve",
        {
            "table": c["table"],
            "id": c["id"],
            "s": c["s"],
            "kind": c["kind"],
            "field": c["field"],
            "action": "use",
        },
    )
    assert r.status == 200, r.body
    assert product(a, pid)["name"] == c["value"]
    sync(a)
    sync(b)
    assert product(b, pid)["name"] == c["value"]
    assert b.request("GET", "/api/sync/conflicts").json()["total"] == 0


def test_edit_against_delete_is_surfaced_and_can_restore(
    synced_desktops: tuple[Server, Server],
) -> None:
    a, b = synced_desktops
    pid = a.request("POST", "/api/products", {"sku": "D1", "name": "旧货", "price": 100}).json()[
        "product"
    ]["id"]
    sync(a)
    sync(b)
    assert a.request("DELETE", f"/api/products/{pid}").status == 200
    assert b.request("PATCH", f"/api/products/{pid}", {"price": 150}).status == 200
    sync(a)
    sync(b)
    sync(a)
    for s in (a, b):
        assert s.request("GET", f"/api/products/{pid}").status == 404  # stays deleted
        items = s.request("GET", "/api/sync/conflicts").json()["items"]
        assert [c["kind"] for c in items if c["id"] == pid] == ["edit_vs_delete"]
    c = next(c for c in b.request("GET", "/api/sync/conflicts").json()["items"])
    assert c["value"] == 150 and c["deleted"] is True
    r = b.request("POST", "/api/sync/conflicts/resolve", {**c, "action": "use"})
    assert r.status == 200, r.body
    assert product(b, pid)["price"] == 150
    sync(b)
    sync(a)
    assert product(a, pid)["price"] == 150


def test_bad_settings_and_an_unreachable_server_are_clear_and_block_nothing(tmp_path: Path) -> None:
    s = start_server(tmp_path / "solo")
    try:
        r = s.request("PUT", "/api/sync/settings", {"url": "ftp://x", "interval": 1})
        assert r.status == 400
        fields = r.json()["error"]["fields"]
        assert set(fields) >= {"url", "interval", "token"}
        r = s.request("POST", "/api/sync/run")
        assert r.status == 409 and r.json()["error"]["code"] == "sync_not_configured"
        r = s.request(
            "PUT",
            "/api/sync/settings",
            {"url": "http://127.0.0.1:9", "token": "la_nothing", "interval": 60},
        )
        assert r.status == 200
        assert (
            s.request("POST", "/api/products", {"sku": "X", "name": "离线", "price": 1}).status
            == 201
        )
        r = s.request("POST", "/api/sync/run")
        assert r.status == 503 and r.json()["error"]["code"] == "sync_unreachable"
        status = s.request("GET", "/api/sync/status").json()
        assert status["error"]["code"] == "sync_unreachable" and status["pending"] >= 1
        # editing goes on while offline
        assert (
            s.request("POST", "/api/products", {"sku": "Y", "name": "照常", "price": 1}).status
            == 201
        )
        token_file = s.data_dir / "sync-token"
        assert token_file.stat().st_mode & 0o077 == 0
        assert "la_nothing" not in json.dumps(s.request("GET", "/api/sync/settings").json())
    finally:
        s.stop()


def test_a_picture_added_on_one_device_is_fetched_on_the_other_when_shown(
    synced_desktops: tuple[Server, Server], hub: Server
) -> None:
    import io

    from PIL import Image

    a, b = synced_desktops
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "PNG")
    png = buf.getvalue()
    pid = a.request("POST", "/api/products", {"sku": "IMG1", "name": "红砖", "price": 50}).json()[
        "product"
    ]["id"]
    r = upload(a, f"/api/products/{pid}/images", "brick.png", png, ctype="image/png")
    assert r.status == 201, r.body
    key = r.json()["image"]["key"]
    sync(a)
    sync(b)
    assert product(b, pid)["images"] == [key]
    assert not (b.data_dir / "uploads" / "images" / key).exists()  # not fetched until shown
    r = b.request("GET", f"/api/images/{key}")
    assert r.status == 200 and r.body == png
    r = b.request("GET", f"/api/images/{key}/thumb")
    assert r.status == 200 and r.headers["content-type"] == "image/webp"
    assert hub.request("GET", f"/api/images/{key}").body == png


def test_a_pushed_record_is_checked_like_a_rest_edit(hub: Server) -> None:
    """Values POST /api/products refuses are refused by a push too, with a 400
    naming the record and the field, and nothing of the batch is stored."""
    stamp = "1764500000000-00000-dev1"
    good = {
        "id": "ok1",
        "table": "products",
        "deleted": None,
        "_acked": {},
        "_conflicts": [],
        "fields": {"name": {"v": "好螺丝", "s": stamp}, "price": {"v": 150, "s": stamp}},
    }
    bad = {
        **good,
        "id": "bad1",
        "fields": {
            "name": {"v": 12345, "s": stamp},
            "price": {"v": "abc", "s": stamp},
            "sku": {"v": ["x"], "s": stamp},
        },
    }
    assert hub.request("POST", "/api/products", {"name": 12345, "price": "abc"}).status == 400
    r = hub.request(
        "POST", "/api/sync/push", {"batch": "b-bad", "replica": "dev1", "records": [good, bad]}
    )
    assert r.status == 400, r.body
    error = r.json()["error"]
    assert "products bad1" in error["message"]
    assert {"records[2].name", "records[2].price", "records[2].sku"} <= set(error["fields"])
    assert hub.request("GET", "/api/products/ok1").status == 404, "nothing of the batch stored"
    pulled = hub.request("GET", "/api/sync/pull").json()["records"]
    assert not [x for x in pulled if x["table"] == "products"]
    r = hub.request(
        "POST", "/api/sync/push", {"batch": "b-good", "replica": "dev1", "records": [good]}
    )
    assert r.status == 200, r.body
    assert hub.request("GET", "/api/products/ok1").json()["product"]["name"] == "好螺丝"
    # a pull says what it takes: records whole (the default) or lines
    r = hub.request("GET", "/api/sync/pull?form=packed")
    assert r.status == 400 and r.json()["error"]["fields"] == {"form": "records or lines"}
    whole = hub.request("GET", "/api/sync/pull?form=lines").json()["records"]
    assert any(x["table"] == "products" and x["id"] == "ok1" for x in whole)
