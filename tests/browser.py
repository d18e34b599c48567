"""What the browser tests share: Debian's chromium through Playwright.

`launch_browser()` starts chromium headless with the flags this machine
needs (no sandbox as root, no background networking on a closed network);
`new_page()` opens a zh-CN page that records console errors in
`page.problems`; `sign_in()` goes through the real login page. The
`browser` and `page` fixtures in conftest.py use them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest import ROOT, Server, require

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WAIT_MS = 15_000
#: The npm files the pages load; set-up copies them into ui/vendor/.
VENDOR = [
    ROOT / "ui" / "vendor" / "frappe-gantt" / "frappe-gantt.es.js",
    ROOT / "ui" / "vendor" / "chart.js" / "chart.umd.min.js",
]
ADMIN_PASSWORD = "admin-test-pw"  # conftest.start_server sets it


@contextmanager
def launch_browser() -> Iterator[Any]:
    require(CHROMIUM.exists(), "Debian's chromium is not installed at /usr/bin/chromium")
    missing = [str(p) for p in VENDOR if not p.exists()]
    require(
        not missing,
        f"ui/vendor/ is incomplete ({missing}): run "
        "`npm ci --prefix ui && python3 build/vendor.py`",
    )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the playwright Python package is not installed")
        raise
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_page(browser: Any, width: int = 1440, height: int = 900) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", accept_downloads=True
    )
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda e: page.problems.append(str(e)))
    page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
    try:
        yield page
    finally:
        context.close()


def sign_in(page: Any, server: Server, hash_: str = "#/schedule") -> None:
    """Open a section, get sent to the login page, sign in, come back."""
    page.goto(f"{server.url}/{hash_}")
    page.wait_for_url("**/login.html**")
    page.fill("#username", "admin")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"**/{hash_}")


def api(
    server: Server,
    method: str,
    path: str,
    body: object | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """A request with the server's API token that must succeed."""
    res = server.request(method, path, body, headers)
    assert res.status < 300, (method, path, res.status, res.body[:500])
    return res.json()


def no_unexpected_errors(page: Any, allowed: tuple[str, ...] = ()) -> None:
    unexpected = [p for p in page.problems if not any(a in p for a in allowed)]
    assert not unexpected, unexpected
