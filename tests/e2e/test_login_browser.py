"""Sign in through the real login page in Debian's chromium (Playwright).

The shell opens in Chinese, switches to English, keeps that choice after a
reload, signs out again, and leaves screenshots in tests/artifacts/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import new_page
from conftest import Server, start_server

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_page(browser: object) -> Iterator[object]:
    with new_page(browser, 1280, 800) as page:
        yield page


@pytest.fixture
def ui_server(tmp_path: Path) -> Iterator[Server]:
    s = start_server(tmp_path / "data", token=False)
    try:
        yield s
    finally:
        s.stop()


def test_sign_in_see_chinese_shell_switch_to_english(
    browser_page: object, ui_server: Server, artifacts: Path
) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    # Not signed in: the app sends the browser to the login page.
    page.goto(ui_server.url + "/#/catalogue")
    expect(page).to_have_url(re.compile(r"/login\.html\?next="))
    expect(page.locator("h1")).to_have_text("登录")

    page.fill("#username", "admin")
    page.fill("#password", "wrong-password")
    page.click("#login-submit")
    expect(page.locator("#login-error")).to_have_text("用户名或密码错误。")
    page.screenshot(path=str(artifacts / "login-error-zh.png"))

    page.fill("#password", "admin-test-pw")
    page.click("#login-submit")
    # Back to the section the user asked for, in Chinese.
    expect(page).to_have_url(re.compile(r"/#/catalogue$"))
    nav = page.locator("#nav")
    expect(nav).to_contain_text("项目排期")
    expect(nav).to_contain_text("价格目录")
    expect(nav).to_contain_text("统计")
    expect(page.locator("#nav a.active")).to_have_text("价格目录")
    expect(page.locator("#user-name")).to_have_text("当前用户：admin")
    expect(page.locator("#logout")).to_have_text("退出登录")
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    page.screenshot(path=str(artifacts / "shell-zh.png"))

    page.click("#lang-switch")
    expect(page.locator("#nav")).to_contain_text("Schedule")
    expect(page.locator("#user-name")).to_have_text("Signed in as admin")
    expect(page.locator("#logout")).to_have_text("Sign out")
    page.click("#nav a[data-view='stats']")
    expect(page.locator("#nav a.active")).to_have_text("Statistics")
    page.screenshot(path=str(artifacts / "shell-en.png"))

    # The choice survives a reload.
    page.reload()
    expect(page.locator("#nav a.active")).to_have_text("Statistics")
    assert page.evaluate("document.documentElement.lang") == "en"

    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login\.html"))
    expect(page.locator("h1")).to_have_text("Sign in")
    # Signed out for real: the app page sends us back to the login page.
    page.goto(ui_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login\.html"))

    # The failed sign-in's 401 is the only error the browser may report.
    unexpected = [p for p in problems if "401" not in p]
    assert not unexpected, unexpected
