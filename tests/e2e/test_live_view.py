"""Live view (issue 16): a change made by another client appears within 5 s
without a reload, on the schedule and on the product list. Before, a rename
made elsewhere did not show after 15 s."""

from __future__ import annotations

from typing import Any

import pytest
from browser import api, no_unexpected_errors
from browser import sign_in as _sign_in
from conftest import Server, http
from test_schedule_browser import bar, seed, sign_in

pytestmark = pytest.mark.browser


def test_the_changes_route_answers_304_until_something_changes(server: Server) -> None:
    auth = {"Authorization": f"Bearer {server.token}"}
    first = http("GET", server.url + "/api/changes", headers=auth)
    assert first.status == 200 and first.headers["etag"]
    same = http(
        "GET", server.url + "/api/changes", headers={**auth, "If-None-Match": first.headers["etag"]}
    )
    assert same.status == 304 and same.body == b""
    api(server, "POST", "/api/projects", {"name": "新项目"})
    moved = http(
        "GET", server.url + "/api/changes", headers={**auth, "If-None-Match": first.headers["etag"]}
    )
    assert moved.status == 200 and moved.headers["etag"] != first.headers["etag"]
    before, after = first.json()["tables"], moved.json()["tables"]  # type: ignore[index]
    assert after["projects"] > before.get("projects", 0)


def test_a_rename_by_another_client_shows_on_the_chart_within_5_s(
    page: Any, server: Server
) -> None:
    from playwright.sync_api import expect

    _project, (first, _second, _launch) = seed(server, "实时")
    sign_in(page, server)
    expect(bar(page, first["id"]).locator(".bar-label")).to_have_text("接口开发")
    api(server, "PATCH", f"/api/tasks/{first['id']}", {"name": "接口开发（别处改名）"})
    expect(bar(page, first["id"]).locator(".bar-label")).to_have_text(
        "接口开发（别处改名）", timeout=5000
    )
    no_unexpected_errors(page)


def test_a_product_added_elsewhere_shows_in_the_list_within_5_s(page: Any, server: Server) -> None:
    from playwright.sync_api import expect

    _sign_in(page, server, "#/catalogue")
    page.wait_for_selector("#cat-products", state="attached")  # hidden while empty
    page.wait_for_timeout(500)  # the first (empty) list has been read
    api(server, "POST", "/api/products", {"sku": "LIVE-1", "name": "别处新增的扳手", "price": 1200})
    expect(page.locator("#cat-products")).to_contain_text("别处新增的扳手", timeout=5000)
    expect(page.locator("#cat-products")).to_be_visible()
    no_unexpected_errors(page)
