"""The desktop guard: the local server answers only the app's own window.

In desktop mode the server listens on 127.0.0.1, where every program and
every web page the user opens could reach it. So, for every request:

1. **Host** must be `127.0.0.1:<port>` or `localhost:<port>`. A page on
   evil.example that re-points its DNS name at 127.0.0.1 (DNS rebinding)
   still sends `Host: evil.example`, and is refused (403 `bad_host`).
2. **Per-launch secret:** the request must carry the cookie
   `localapp_desktop` holding this launch's random secret (401
   `desktop_locked` otherwise). The window gets it by opening
   `/desktop/open?token=<one-time token>` first; that answer sets the cookie
   (HttpOnly, SameSite=Strict, no expiry, so it dies with the window) and
   redirects to `/` without the token. A used token is refused.
3. **Writes** (anything but GET/HEAD/OPTIONS) must also send the header
   `X-CSRF-Token` with this launch's CSRF value, which only our own pages can
   read (from `GET /api/session`), and any `Origin` must be ours (403).
4. **No CORS:** no `Access-Control-*` header ever leaves this server, so
   browsers keep other origins from reading any answer.

Two paths are exempt from the cookie, each with its own proof:
`GET /desktop/open` (the one-time token) and `POST /desktop/raise` (the
raise secret from the instance file, see localapp/instance.py). The Host
check applies to them too. This is ycmd's HMAC/Host guard, with a cookie
instead of an HMAC because the client is a browser engine.
"""

from __future__ import annotations

import getpass
import hmac
import secrets
import threading
from collections.abc import Callable
from typing import Any

import bottle

from .. import auth, errors
from ..instance import RAISE_HEADER, RAISE_PATH
from .plugins import CSRF_HEADER, GUARD_PASSED, SAFE_METHODS, error_response

SECRET_COOKIE = "localapp_desktop"
OPEN_PATH = "/desktop/open"


def _same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def _desktop_user_name() -> str:
    try:
        return getpass.getuser() or "desktop"
    except (OSError, KeyError):  # no login name (containers without a passwd entry)
        return "desktop"


class DesktopGuard:
    """Secrets of one launch and the checks that use them."""

    def __init__(self, raise_secret: str | None = None) -> None:
        self.secret = secrets.token_urlsafe(32)
        self.csrf = secrets.token_urlsafe(32)
        self.raise_secret = raise_secret
        self.user = auth.Principal(name=_desktop_user_name(), kind="desktop", csrf=self.csrf)
        #: What POST /desktop/raise does; set by whoever shows the UI.
        self.on_raise: Callable[[], dict[str, Any]] | None = None
        self.port: int | None = None
        self._hosts: frozenset[str] = frozenset()
        self._origins: frozenset[str] = frozenset()
        self._tokens: set[str] = set()
        self._lock = threading.Lock()

    def bind(self, port: int) -> None:
        """The port is known only once the server listens (port 0 = any free port)."""
        self.port = port
        self._hosts = frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})
        self._origins = frozenset(f"http://{h}" for h in self._hosts)

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("DesktopGuard.bind(port) first")
        return f"http://127.0.0.1:{self.port}"

    def open_url(self) -> str:
        """A new one-time link that lets one browser (or the window) in."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens.add(token)
        return f"{self.base_url}{OPEN_PATH}?token={token}"

    def take_token(self, token: str) -> bool:
        """True once per token: it is forgotten when used."""
        with self._lock:
            for known in self._tokens:
                if _same(known, token):
                    self._tokens.discard(known)
                    return True
        return False

    def has_secret(self) -> bool:
        return _same(bottle.request.get_cookie(SECRET_COOKIE), self.secret)

    def raise_ok(self) -> bool:
        return _same(bottle.request.get_header(RAISE_HEADER), self.raise_secret)

    def check(self) -> None:
        """Refuse the current request unless it comes from our window (see module doc)."""
        request = bottle.request
        if request.get_header("Host") not in self._hosts:
            raise errors.Forbidden(
                "This is localapp's private desktop server; it only answers its own window.",
                code="bad_host",
            )
        path, method = request.path, request.method
        if (path, method) in ((OPEN_PATH, "GET"), (OPEN_PATH, "HEAD"), (RAISE_PATH, "POST")):
            return  # these routes check their own proof
        if not self.has_secret():
            raise errors.AuthRequired(
                "This is localapp's private desktop server. Use the localapp window, or the "
                "link localapp printed when it started.",
                code="desktop_locked",
            )
        if method not in SAFE_METHODS:
            origin = request.get_header("Origin")
            if origin is not None and origin not in self._origins:
                raise errors.Forbidden(
                    "Requests from other web pages are refused.", code="bad_origin"
                )
            if not _same(request.get_header(CSRF_HEADER), self.csrf):
                raise errors.Forbidden(
                    f"The {CSRF_HEADER} header is missing or wrong. Reload the page and try again.",
                    code="csrf_failed",
                )
        request.environ[GUARD_PASSED] = True

    def install(self, app: bottle.Bottle) -> None:
        """Check every request before routing; strip CORS headers from every answer."""

        @app.hook("before_request")
        def _guard() -> None:
            try:
                self.check()
            except errors.AppError as exc:
                raise error_response(exc) from None

        @app.hook("after_request")
        def _no_cors() -> None:
            headers = bottle.response.headers
            for name in [h for h in headers if h.lower().startswith("access-control-")]:
                del headers[name]
