"""The desktop app's private server: closed to other programs and web pages.

Each case runs the real desktop app headless (`localapp desktop --no-window
--no-browser --port P`), which prints a one-time link, and talks to it over
HTTP on 127.0.0.1 the way a browser, a rogue web page or another local
program would:

- no per-launch secret: 401; a foreign Host header (DNS rebinding): 403;
- no `Access-Control-*` header in any answer, preflights included;
- the one-time link sets an HttpOnly SameSite=Strict cookie, redirects to /
  without the token, and cannot be used twice;
- a write without the CSRF header, or from another Origin, is refused;
- one instance per data dir: a second launch exits 3 with "already running",
  hands over a fresh link, and never serves; after the first stops, the
  data dir can be opened again.

And `localapp` with no display says why in one line, then serves the same
guarded app in the browser (a stand-in browser records the URL it got).
"""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from conftest import Response, free_port, http, localapp_cmd

from localapp import instance

URL_RE = re.compile(r"http://127\.0\.0\.1:(\d+)/desktop/open\?token=[\w-]+")


@dataclass
class Desktop:
    """A running `localapp desktop --no-window` and its printed link."""

    proc: subprocess.Popen
    port: int
    link: str
    data_dir: Path
    out_path: Path
    err_path: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def err(self) -> str:
        return self.err_path.read_text(errors="replace")

    def out(self) -> str:
        return self.out_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISPLAY", "WAYLAND_DISPLAY", "PORT", "FC_SERVER_PORT", "BROWSER"}
    }
    env.update(LOG_LEVEL="INFO", **extra)
    return env


def _wait_for_link(
    out_path: Path, proc: subprocess.Popen, err_path: Path, timeout: float = 30
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = URL_RE.search(out_path.read_text(errors="replace"))
        if found:
            return found.group(0)
        if proc.poll() is not None:
            raise AssertionError(
                f"desktop app exited with {proc.returncode}:\n"
                f"{err_path.read_text(errors='replace')}"
            )
        time.sleep(0.05)
    raise AssertionError(f"no link printed in {timeout}s:\n{err_path.read_text()}")


def start_desktop(
    tmp_path: Path,
    data_dir: Path,
    name: str = "desktop",
    args: tuple[str, ...] = ("desktop", "--no-window", "--no-browser"),
    env: dict[str, str] | None = None,
) -> Desktop:
    port = free_port()
    out_path, err_path = tmp_path / f"{name}.out", tmp_path / f"{name}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            localapp_cmd(
                "--data-dir",
                str(data_dir),
                *args,
                *(["--port", str(port)] if args and args[0] == "desktop" else []),
            ),
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env or _env(),
        )
    try:
        link = _wait_for_link(out_path, proc, err_path)
    except BaseException:
        proc.kill()
        proc.wait(timeout=10)
        raise
    port = int(URL_RE.search(link).group(1))  # type: ignore[union-attr]
    return Desktop(proc, port, link, data_dir, out_path, err_path)


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desktop]:
    d = start_desktop(tmp_path, tmp_path / "data")
    try:
        yield d
    finally:
        d.stop()


def _no_redirect_get(url: str, headers: dict[str, str] | None = None) -> Response:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(req, timeout=10) as r:
            return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def _browse(url: str) -> Response:
    """Open a link like a browser: follow the redirect, keeping cookies."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    try:
        with opener.open(url, timeout=10) as r:
            return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def _exchange(d: Desktop) -> str:
    """Use the link once; returns the `Cookie` header value it set."""
    r = _no_redirect_get(d.link)
    assert r.status == 303, r.body
    cookie = r.headers["set-cookie"]
    return cookie.split(";", 1)[0]


def _csrf(d: Desktop, cookie: str) -> str:
    r = http("GET", d.base + "/api/session", headers={"Cookie": cookie})
    assert r.status == 200, r.body
    body = r.json()
    assert body["authenticated"] is True and body["mode"] == "desktop"  # type: ignore[index]
    return str(body["csrf"])  # type: ignore[index]


def _code(r: Response) -> str:
    return str(r.json()["error"]["code"])  # type: ignore[index]


def test_without_the_secret_nothing_answers(desk: Desktop) -> None:
    for path in ("/", "/index.html", "/health", "/api/session", "/api/projects", "/metrics"):
        r = http("GET", desk.base + path)
        assert r.status == 401, (path, r.status)
        assert _code(r) == "desktop_locked"
    # Someone else's cookie value, or an API token, does not help either.
    r = http(
        "GET",
        desk.base + "/api/projects",
        headers={"Cookie": "localapp_desktop=guess", "Authorization": "Bearer la_x"},
    )
    assert r.status == 401


def test_one_time_link_sets_a_strict_cookie_and_drops_the_token(desk: Desktop) -> None:
    r = _no_redirect_get(desk.link)
    assert r.status == 303
    assert r.headers["location"] == desk.base + "/", "the token must leave the address bar"
    cookie = r.headers["set-cookie"]
    attrs = {a.strip().lower() for a in cookie.split(";")[1:]}
    assert "httponly" in attrs and "samesite=strict" in attrs and "path=/" in attrs
    assert not any(a.startswith(("max-age", "expires")) for a in attrs), "must die with the window"
    assert r.headers.get("cache-control") == "no-store"

    again = _no_redirect_get(desk.link)
    assert again.status == 403 and _code(again) == "link_used"
    forged = _no_redirect_get(desk.base + "/desktop/open?token=not-a-token")
    assert forged.status == 403

    # With the cookie the UI, the API and the session all answer; the user
    # is the desktop user, with no sign-in page.
    jar = cookie.split(";", 1)[0]
    page = http("GET", desk.base + "/", headers={"Cookie": jar})
    assert page.status == 200 and b"<html" in page.body
    session = http("GET", desk.base + "/api/session", headers={"Cookie": jar}).json()
    assert session["authenticated"] is True and session["mode"] == "desktop"  # type: ignore[index]
    assert session["user"]["name"]  # type: ignore[index]
    assert http("GET", desk.base + "/api/projects", headers={"Cookie": jar}).status == 200
    health = http("GET", desk.base + "/health", headers={"Cookie": jar}).json()
    assert health["mode"] == "desktop"  # type: ignore[index]


def test_foreign_host_is_refused_even_with_the_secret(desk: Desktop) -> None:
    jar = _exchange(desk)
    for host in (
        f"evil.example:{desk.port}",
        "evil.example",
        f"127.0.0.1:{desk.port + 1}",
        f"192.168.1.10:{desk.port}",
    ):
        r = http("GET", desk.base + "/api/projects", headers={"Cookie": jar, "Host": host})
        assert r.status == 403 and _code(r) == "bad_host", host
    # Nor the sign-in link: the Host check comes before anything else.
    r = _no_redirect_get(desk.link, headers={"Host": f"evil.example:{desk.port}"})
    assert r.status == 403 and _code(r) == "bad_host"
    ok = http(
        "GET",
        desk.base + "/api/projects",
        headers={"Cookie": jar, "Host": f"localhost:{desk.port}"},
    )
    assert ok.status == 200


def test_no_cors_headers_ever(desk: Desktop) -> None:
    jar = _exchange(desk)
    origin = {"Origin": "http://evil.example"}
    answers = [
        http("GET", desk.base + "/api/projects", headers=origin),
        http("GET", desk.base + "/api/projects", headers={**origin, "Cookie": jar}),
        http("GET", desk.base + "/", headers={**origin, "Cookie": jar}),
        http(
            "OPTIONS",
            desk.base + "/api/projects",
            headers={
                **origin,
                "Cookie": jar,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-csrf-token,content-type",
            },
        ),
        http("POST", desk.base + "/api/projects", {"name": "x"}, headers={**origin, "Cookie": jar}),
    ]
    for r in answers:
        cors = [h for h in r.headers if h.startswith("access-control-")]
        assert not cors, (r.status, cors)


def test_writes_need_the_csrf_header_and_our_origin(desk: Desktop) -> None:
    jar = _exchange(desk)
    csrf = _csrf(desk, jar)
    url = desk.base + "/api/projects"

    missing = http("POST", url, {"name": "无令牌"}, headers={"Cookie": jar})
    assert missing.status == 403 and _code(missing) == "csrf_failed"
    wrong = http("POST", url, {"name": "错令牌"}, headers={"Cookie": jar, "X-CSRF-Token": "x"})
    assert wrong.status == 403 and _code(wrong) == "csrf_failed"
    foreign = http(
        "POST",
        url,
        {"name": "外站"},
        headers={"Cookie": jar, "X-CSRF-Token": csrf, "Origin": "http://evil.example"},
    )
    assert foreign.status == 403 and _code(foreign) == "bad_origin"
    listed = http("GET", url, headers={"Cookie": jar}).json()
    assert "无令牌" not in str(listed) and "外站" not in str(listed), "a refused write landed"

    ok = http(
        "POST",
        url,
        {"name": "桌面项目"},
        headers={"Cookie": jar, "X-CSRF-Token": csrf, "Origin": desk.base},
    )
    assert ok.status == 201, ok.body
    assert "桌面项目" in http("GET", url, headers={"Cookie": jar}).body.decode()


def test_raise_endpoint_needs_the_instance_secret(desk: Desktop) -> None:
    r = http("POST", desk.base + "/desktop/raise", {})
    assert r.status == 403
    r = http("POST", desk.base + "/desktop/raise", {}, headers={"X-Localapp-Raise": "guess"})
    assert r.status == 403


def test_second_launch_hands_over_and_never_serves(desk: Desktop, tmp_path: Path) -> None:
    info_file = desk.data_dir / instance.INFO_NAME
    assert stat.S_IMODE(info_file.stat().st_mode) == 0o600, "the raise secret must be private"
    second = subprocess.run(
        localapp_cmd(
            "--data-dir",
            str(desk.data_dir),
            "desktop",
            "--no-window",
            "--no-browser",
            "--port",
            str(free_port()),
        ),
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert second.returncode == 3, second.stderr
    assert "already running" in second.stderr
    assert "localapp is running at" not in second.stdout, "the second launch served"
    # It got a fresh one-time link to the first instance, which works.
    handed = URL_RE.search(second.stderr)
    assert handed and int(handed.group(1)) == desk.port, second.stderr
    assert _browse(handed.group(0)).status == 200
    assert "POST /desktop/raise 200" in desk.err()
    assert desk.proc.poll() is None, "the first instance must keep running"


def test_one_instance_per_data_dir_and_the_dir_is_free_after_exit(tmp_path: Path) -> None:
    first = start_desktop(tmp_path, tmp_path / "a", name="first")
    try:
        other = start_desktop(tmp_path, tmp_path / "b", name="other")  # another data dir: fine
        try:
            assert first.port != other.port
            page = _browse(other.link)
            assert page.status == 200 and b"<html" in page.body
        finally:
            assert other.stop() == 0
    finally:
        assert first.stop() == 0
    assert "Closed the data store" in first.err()
    assert not (first.data_dir / instance.INFO_NAME).exists()
    again = start_desktop(tmp_path, tmp_path / "a", name="again")
    try:
        assert _browse(again.link).status == 200
    finally:
        assert again.stop() == 0


def test_claim_is_exclusive_within_and_across_processes(tmp_path: Path) -> None:
    held = instance.claim(tmp_path)
    try:
        with pytest.raises(instance.AlreadyRunning, match="already running"):
            instance.claim(tmp_path, wait=0.3)
    finally:
        held.release()
    instance.claim(tmp_path, wait=0).release()


def test_no_display_says_why_in_one_line_and_serves_in_the_browser(tmp_path: Path) -> None:
    # A stand-in browser: webbrowser runs $BROWSER with the URL.
    seen = tmp_path / "browser-got.txt"
    browser = tmp_path / "fake-browser"
    browser.write_text(f'#!/bin/sh\necho "$1" >> {seen}\n')
    browser.chmod(0o755)
    d = start_desktop(
        tmp_path, tmp_path / "data", name="nodisplay", args=(), env=_env(BROWSER=str(browser))
    )
    try:
        why = [line for line in d.err().splitlines() if "no desktop window" in line]
        assert why == [
            "localapp: no desktop window: no display (DISPLAY is not set). "
            "Serving in the browser instead."
        ], d.err()
        deadline = time.monotonic() + 10
        while not seen.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        opened = seen.read_text().split()
        assert len(opened) == 1 and URL_RE.fullmatch(opened[0]), opened
        assert opened[0] != d.link, "the browser and the console get separate one-time links"
        assert _browse(opened[0]).status == 200
        assert _browse(d.link).status == 200
        assert http("GET", d.base + "/api/session").status == 401
    finally:
        assert d.stop() == 0


def test_desktop_routes_do_not_exist_in_server_mode(server: object) -> None:
    from conftest import Server

    assert isinstance(server, Server)
    assert server.request("GET", "/desktop/open?token=x", auth=False).status == 404
    assert server.request("POST", "/desktop/raise", {}, auth=False).status == 404
