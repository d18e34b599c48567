"""The HTTP layer against a real `localapp serve` process on 127.0.0.1.

Health and metrics, every error status as JSON, sign-in by session cookie
with CSRF and by API token, the public-read flag, the admin account, the UI
files and the access log. Domain rules of accounts are in test_auth.py.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import shutil
from collections.abc import Iterator
from datetime import datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import Response, Server, run_cli, start_server

from localapp import __version__

PASSWORD = "admin-test-pw"  # what conftest.start_server sets for the admin


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the read-mostly tests of this module."""
    s = start_server(tmp_path_factory.mktemp("web") / "data")
    try:
        yield s
    finally:
        s.stop()


def assert_json_error(res: Response, status: int, code: str | None = None) -> dict:
    assert res.status == status, res.body
    assert res.headers["content-type"].startswith("application/json"), res.headers
    body = res.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert error["message"], "an error must say what is wrong"
    if code:
        assert error["code"] == code, error
    assert b"<html" not in res.body.lower() and b"Traceback" not in res.body
    return error


def login(server: Server, password: str = PASSWORD) -> tuple[str, str, Response]:
    """Sign in like the browser does; returns (cookie value, csrf token, response)."""
    res = server.request(
        "POST", "/api/login", {"username": "admin", "password": password}, auth=False
    )
    assert res.status == 200, res.body
    cookie = SimpleCookie(res.headers["set-cookie"])["localapp_session"].value
    return cookie, res.json()["csrf"], res  # type: ignore[index]


# -- health and metrics ---------------------------------------------------------


def test_health_reports_mode_version_and_durable_storage(srv: Server) -> None:
    res = srv.request("GET", "/health", auth=False)
    assert res.status == 200
    body = res.json()
    assert isinstance(body, dict)
    assert body["status"] == "healthy"
    assert body["mode"] == "server"
    assert body["version"] == __version__
    assert body["storage"] == {"path": str(srv.data_dir), "durable": True}
    assert body["uploads"] == {"path": str(srv.data_dir / "uploads"), "durable": True}
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None


def test_metrics_count_requests_by_route_rule(srv: Server) -> None:
    srv.request("GET", "/health", auth=False)
    srv.request("GET", "/css/app.css", auth=False)
    srv.request("GET", "/api/no-such-thing")
    res = srv.request("GET", "/metrics", auth=False)
    assert res.status == 200
    assert res.headers["content-type"].startswith("text/plain")
    text = res.body.decode()
    assert re.search(
        r'localapp_http_requests_total\{method="GET",route="/health",'
        r'status="200"\} [1-9]',
        text,
    )
    # Labelled by the route's rule, never by the raw path.
    assert 'route="/<filepath:uifile>",status="200"' in text
    assert "/css/app.css" not in text
    assert 'route="(unmatched)",status="404"' in text
    assert 'localapp_http_request_duration_seconds_bucket{le="0.005",route="/health"}' in text
    size = re.search(r"^localapp_store_size_bytes (\S+)$", text, re.M)
    last = re.search(r"^localapp_store_last_write_timestamp_seconds (\S+)$", text, re.M)
    assert size and float(size.group(1)) > 0
    assert last and float(last.group(1)) > 1.6e9


# -- errors ---------------------------------------------------------------------


def test_unknown_routes_and_methods_are_json(srv: Server) -> None:
    assert_json_error(srv.request("GET", "/api/no-such-thing"), 404, "not_found")
    assert_json_error(srv.request("POST", "/api/no-such-thing", {}), 404, "not_found")
    assert_json_error(srv.request("GET", "/no-such-page.html", auth=False), 404, "not_found")
    err = assert_json_error(srv.request("DELETE", "/health", auth=False), 405, "method_not_allowed")
    assert "GET" in err["message"]
    assert_json_error(srv.request("POST", "/metrics", b"", auth=False), 405)


def test_bad_json_bodies_get_400_and_other_types_415(srv: Server) -> None:
    url = "/api/login"
    assert_json_error(
        srv.request("POST", url, b"{not json", {"Content-Type": "application/json"}, auth=False),
        400,
        "invalid",
    )
    assert_json_error(
        srv.request("POST", url, b"[1, 2]", {"Content-Type": "application/json"}, auth=False),
        400,
        "invalid",
    )
    err = assert_json_error(
        srv.request("POST", url, {"username": "admin"}, auth=False), 400, "invalid"
    )
    assert err["fields"] == {"password": "required"}
    assert_json_error(
        srv.request(
            "POST",
            url,
            b"username=admin&password=x",
            {"Content-Type": "application/x-www-form-urlencoded"},
            auth=False,
        ),
        415,
        "unsupported_type",
    )


def test_bodies_over_the_limit_get_413(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", env={"MAX_CONTENT_LENGTH": "4096"})
    try:
        big = json.dumps({"username": "admin", "password": "x" * 5000}).encode()
        err = assert_json_error(
            server.request(
                "POST", "/api/login", big, {"Content-Type": "application/json"}, auth=False
            ),
            413,
            "too_large",
        )
        assert "4096" in err["message"]
        # A chunked body has no Content-Length up front; it is capped too.
        host, port = urlsplit(server.url).hostname, urlsplit(server.url).port
        conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            conn.request(
                "POST",
                "/api/login",
                body=iter([b"x" * 3000, b"y" * 3000]),
                headers={"Content-Type": "application/json"},
                encode_chunked=True,
            )
            res = conn.getresponse()
            assert_json_error(
                Response(res.status, {k.lower(): v for k, v in res.getheaders()}, res.read()),
                413,
                "too_large",
            )
        finally:
            conn.close()
        # Under the limit the same route works.
        ok = server.request(
            "POST", "/api/login", {"username": "admin", "password": PASSWORD}, auth=False
        )
        assert ok.status == 200
    finally:
        server.stop()


def test_server_failure_is_500_without_traceback(tmp_path: Path) -> None:
    """A data file that cannot be read at runtime: the client gets a bare 500."""
    server = start_server(tmp_path / "data")
    try:
        journal = server.data_dir / "localapp.json.journal"
        journal.unlink(missing_ok=True)
        journal.mkdir()  # reading it now fails with IsADirectoryError
        err = assert_json_error(server.request("GET", "/api/session"), 500)
        assert "IsADirectoryError" not in json.dumps(err) and "storage.py" not in json.dumps(err)
        log = server.log()
        assert "GET /api/session 500" in log
        assert "ERROR" in log and "IsADirectoryError" in log, log
    finally:
        server.stop()
        shutil.rmtree(server.data_dir / "localapp.json.journal", ignore_errors=True)


# -- who may write ---------------------------------------------------------------


def test_unauthenticated_write_is_401(srv: Server) -> None:
    err = assert_json_error(srv.request("POST", "/api/logout", {}, auth=False), 401, "unauthorized")
    assert "Bearer" in err["message"]
    assert_json_error(
        srv.request(
            "POST", "/api/logout", {}, {"Authorization": "Bearer la_not-a-real-token"}, auth=False
        ),
        401,
        "bad_token",
    )
    assert_json_error(
        srv.request("POST", "/api/logout", {}, {"Authorization": "Basic YWRtaW46eA=="}, auth=False),
        401,
    )


def test_bearer_token_works_without_csrf(srv: Server) -> None:
    res = srv.request("GET", "/api/session")
    assert res.json() == {
        "authenticated": True,
        "mode": "server",
        "version": __version__,
        "public_read": False,
        "user": {"name": "admin"},
        "csrf": None,
    }
    # A write with the token alone (no cookie, no CSRF header) is accepted.
    assert srv.request("POST", "/api/logout", {}).status == 200


def test_login_sets_a_strict_httponly_cookie_and_csrf_guards_writes(srv: Server) -> None:
    assert_json_error(
        srv.request(
            "POST", "/api/login", {"username": "admin", "password": "wrong-password"}, auth=False
        ),
        401,
        "bad_credentials",
    )
    cookie, csrf, res = login(srv)
    header = res.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=strict" in header.replace("Strict", "strict")
    assert "Path=/" in header
    # Only the hash of the session id is on disk.
    on_disk = b"".join(p.read_bytes() for p in srv.data_dir.glob("localapp.json*") if p.is_file())
    assert cookie.encode() not in on_disk
    assert hashlib.sha256(cookie.encode()).hexdigest().encode() in on_disk

    jar = {"Cookie": f"localapp_session={cookie}"}
    session = srv.request("GET", "/api/session", headers=jar, auth=False).json()
    assert session["authenticated"] and session["user"] == {"name": "admin"}  # type: ignore[index]
    assert session["csrf"] == csrf  # type: ignore[index]

    assert_json_error(srv.request("POST", "/api/logout", {}, jar, auth=False), 403, "csrf_failed")
    assert_json_error(
        srv.request("POST", "/api/logout", {}, {**jar, "X-CSRF-Token": "nope"}, auth=False),
        403,
        "csrf_failed",
    )
    out = srv.request("POST", "/api/logout", {}, {**jar, "X-CSRF-Token": csrf}, auth=False)
    assert out.status == 200 and "localapp_session=" in out.headers["set-cookie"]
    # Signed out: the old cookie no longer counts.
    after = srv.request("GET", "/api/session", headers=jar, auth=False).json()
    assert after["authenticated"] is False  # type: ignore[index]
    assert_json_error(
        srv.request("POST", "/api/logout", {}, {**jar, "X-CSRF-Token": csrf}, auth=False), 401
    )


def test_revoked_token_gets_401_while_the_server_runs(srv: Server) -> None:
    made = run_cli("token", "create", "short-lived", "--data-dir", str(srv.data_dir), env=srv.env)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    bearer = {"Authorization": f"Bearer {token}"}
    assert (
        srv.request("GET", "/api/session", headers=bearer, auth=False).json()["authenticated"]
        is True
    )  # type: ignore[index]
    gone = run_cli("token", "revoke", "short-lived", "--data-dir", str(srv.data_dir), env=srv.env)
    assert gone.returncode == 0, gone.stderr
    assert_json_error(srv.request("POST", "/api/logout", {}, bearer, auth=False), 401, "bad_token")


def test_public_read_opens_the_price_look_up_only(tmp_path: Path) -> None:
    """LOCALAPP_PUBLIC_READ is for looking prices up: products, their images and
    categories. Sync, orders, revisions, exports and settings stay closed; the
    schedule opens only with LOCALAPP_PUBLIC_READ_SCHEDULE; writes never."""
    closed = start_server(tmp_path / "closed", token=False)
    try:
        assert_json_error(closed.request("GET", "/api/products", auth=False), 401)
    finally:
        closed.stop()
    server = start_server(tmp_path / "open", env={"LOCALAPP_PUBLIC_READ": "1"}, token=False)
    try:
        for path in ("/api/products", "/api/products/facets"):
            res = server.request("GET", path, auth=False)
            assert res.status == 200, (path, res.body)
        session = server.request("GET", "/api/session", auth=False).json()
        assert session["public_read"] is True and session["authenticated"] is False  # type: ignore[index]
        for path in (
            "/api/projects",
            "/api/tasks",
            "/api/sync/pull",
            "/api/sync/status",
            "/api/sync/settings",
            "/api/orders",
            "/api/data",
            "/api/data/revisions",
            "/api/products/export.xlsx",
            "/api/tasks/export.xlsx",
            "/api/problems",
            "/api/statistics",
        ):
            assert_json_error(server.request("GET", path, auth=False), 401)
        assert_json_error(server.request("POST", "/api/products", {"name": "x"}, auth=False), 401)
        assert_json_error(server.request("POST", "/api/logout", {}, auth=False), 401)
    finally:
        server.stop()
    wider = start_server(
        tmp_path / "wider",
        env={"LOCALAPP_PUBLIC_READ": "1", "LOCALAPP_PUBLIC_READ_SCHEDULE": "1"},
        token=False,
    )
    try:
        assert wider.request("GET", "/api/projects", auth=False).status == 200
        assert_json_error(wider.request("GET", "/api/data/revisions", auth=False), 401)
        assert_json_error(wider.request("POST", "/api/projects", {"name": "x"}, auth=False), 401)
    finally:
        wider.stop()


def test_admin_password_is_generated_and_printed_only_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = start_server(data, env={"LOCALAPP_ADMIN_PASSWORD": ""}, token=False)
    try:
        found = re.findall(r"Created the account 'admin' with the password: (\S+)", first.log())
        assert len(found) == 1, first.log()
        password = found[0]
        assert first.log().count(password) == 1, "the password may appear only once"
        login(first, password)
    finally:
        first.stop()
    second = start_server(data, env={"LOCALAPP_ADMIN_PASSWORD": ""}, token=False)
    try:
        log = second.log()
        assert "The account admin exists" in log
        assert password not in log and "with the password:" not in log
        login(second, password)
    finally:
        second.stop()


# -- UI files and logs ---------------------------------------------------------------


def test_ui_files_are_served_with_their_types_and_nothing_else(srv: Server) -> None:
    index = srv.request("GET", "/", auth=False)
    assert index.status == 200 and index.headers["content-type"].startswith("text/html")
    assert "项目排期".encode() in index.body
    types = {
        "/login.html": "text/html",
        "/css/app.css": "text/css",
        "/js/api.js": "text/javascript",
        "/i18n/zh-CN.json": "application/json",
    }
    for path, ctype in types.items():
        res = srv.request("GET", path, auth=False)
        assert res.status == 200, path
        assert res.headers["content-type"].startswith(ctype), (path, res.headers)
    assert json.loads(srv.request("GET", "/i18n/en.json", auth=False).body)["nav.schedule"]
    for path in (
        "/__init__.py",
        "/../pyproject.toml",
        "/css/../../pyproject.toml",
        "/%2e%2e/%2e%2e/pyproject.toml",
        "/.hidden.js",
    ):
        res = srv.request("GET", path, auth=False)
        assert res.status in (403, 404), (path, res.status)
        assert b"[project]" not in res.body and b'"""' not in res.body


def test_one_log_line_per_request_without_secrets(srv: Server) -> None:
    cookie, csrf, _ = login(srv)
    srv.request(
        "GET",
        "/api/session?token=query-secret-value",
        auth=False,
        headers={"Cookie": f"localapp_session={cookie}", "X-CSRF-Token": csrf},
    )
    log = srv.log()
    assert re.search(r"INFO localapp\.http: POST /api/login 200 \d+\.\dms", log), log
    assert re.search(r"INFO localapp\.http: GET /api/session 200 \d+\.\dms", log)
    assert srv.token
    for secret in (PASSWORD, srv.token, cookie, csrf, "query-secret-value"):
        assert secret not in log


def test_log_level_warning_hides_request_lines(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", env={"LOG_LEVEL": "WARNING"})
    try:
        assert server.request("GET", "/health", auth=False).status == 200
        assert server.request("GET", "/api/session").status == 200
        assert "localapp.http" not in server.log()
    finally:
        server.stop()


def test_the_session_cookie_is_secure_behind_a_trusted_tls_proxy(tmp_path: Path) -> None:
    """Behind Function Compute's HTTPS gateway the app sees plain HTTP with
    X-Forwarded-Proto: https. From the proxy the operator named, that makes the
    cookie Secure; from anyone else the header is not believed."""
    body = {"username": "admin", "password": "admin-test-pw"}
    https = {"X-Forwarded-Proto": "https"}
    plain = start_server(tmp_path / "plain", token=False)
    try:
        r = plain.request("POST", "/api/login", body, headers=https, auth=False)
        assert r.status == 200, r.body
        assert "secure" not in r.headers["set-cookie"].lower(), "an untrusted header"
    finally:
        plain.stop()
    proxied = start_server(
        tmp_path / "proxied", env={"LOCALAPP_TRUSTED_PROXY": "127.0.0.1"}, token=False
    )
    try:
        r = proxied.request("POST", "/api/login", body, headers=https, auth=False)
        assert r.status == 200, r.body
        assert "; secure" in r.headers["set-cookie"].lower()
        r = proxied.request("POST", "/api/login", body, auth=False)
        assert "secure" not in r.headers["set-cookie"].lower(), "plain HTTP stays plain"
    finally:
        proxied.stop()
