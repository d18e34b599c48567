"""Cross-cutting concerns of the web layer: bottle plugins and hooks.

- `ErrorPlugin` (outermost): handlers return dicts/lists, raise AppError;
  this turns results into orjson responses and every error into
  `{"error": {"code", "message", "fields"}}`. Unexpected exceptions are
  logged with their traceback and answered with a bare 500.
- `json_error_page`: the app's default error handler, so bottle's own
  errors (404, 405, 413 ...) are JSON too and its HTML page never appears.
- `AuthPlugin`: who is calling (bearer token, or session cookie plus CSRF
  header for writes); enforces sign-in under /api and injects `user`. In
  desktop mode the caller is the desktop user once the guard
  (`guard.DesktopGuard`, checked before routing) let the request in: there
  is no login page, no token and no session there.
- `InjectPlugin`: gives handlers that ask for them `store` and `ctx`.
- `install_hooks`: request size limit, security headers, one log line and
  the metrics for every request.
- `json_body()`: the one way handlers read a JSON request body.

Route modules rely on this contract; see docs/api.md and
docs/architecture.md.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

import bottle
import orjson

from .. import auth, errors
from .context import AppContext
from .metrics import UNMATCHED

log = logging.getLogger(__name__)
access_log = logging.getLogger("localapp.http")

SESSION_COOKIE = "localapp_session"
#: app.config key of the DesktopGuard in desktop mode (absent in server mode).
DESKTOP_GUARD = "localapp.desktop"
#: WSGI environ key the guard sets on requests it let through.
GUARD_PASSED = "localapp.desktop.passed"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_START = "localapp.start"
_STATUS_CODES = {
    400: "invalid",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_type",
    500: "internal_error",
}
_SERVER_ERROR = "Something went wrong on the server. The details are in the server log."

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def dumps(data: Any) -> bytes:
    # orjson keeps UTF-8 as it is (no \u escapes), which suits Chinese text.
    return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)


def error_response(exc: errors.AppError) -> bottle.HTTPResponse:
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="localapp"'
    if isinstance(exc, errors.TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    return bottle.HTTPResponse(dumps(exc.to_dict()), status=exc.status, **headers)


def json_error_page(res: bottle.HTTPError) -> bytes:
    """Default error handler: bottle's own errors as our JSON error body."""
    status = res.status_code
    code = _STATUS_CODES.get(status, f"http_{status}")
    if status >= 500:
        # bottle only gets here for errors outside our plugins, and has already
        # written the traceback to the server's error stream. Never send it.
        message = _SERVER_ERROR
    elif status == 404:
        message = f"Nothing is found at {_clean_path(bottle.request.path)}."
    elif status == 405:
        allowed = res.get_header("Allow") or ""
        message = f"{bottle.request.method} is not allowed here. Allowed: {allowed}."
    else:
        message = res.body if isinstance(res.body, str) and res.body else res.status_line
    bottle.response.content_type = "application/json"
    bottle.response.set_header("Cache-Control", "no-store")
    return dumps({"error": {"code": code, "message": message}})


def _clean_path(path: str) -> str:
    """A path safe for one log line: no control characters, bounded length."""
    clean = "".join(c if c.isprintable() else "?" for c in path)
    return clean if len(clean) <= 300 else clean[:300] + "..."


def _wanted(route: bottle.Route) -> set[str]:
    # Not route.get_undecorated_callback(): it loops forever on a closure
    # whose cells hold nothing callable. signature() follows __wrapped__.
    try:
        params = inspect.signature(route.callback).parameters
    except (TypeError, ValueError):
        return set()
    return set(params)


def json_body(allow_list: bool = False) -> Any:
    """The request's JSON body: a dict (or a list if `allow_list`).

    Raises UnsupportedType (415) unless Content-Type is JSON, and
    ValidationError (400) for an empty, malformed or wrongly shaped body.
    Bodies over MAX_CONTENT_LENGTH were refused before this is called.
    """
    ctype = (bottle.request.content_type or "").split(";")[0].strip().lower()
    if ctype != "application/json" and not (
        ctype.startswith("application/") and ctype.endswith("+json")
    ):
        raise errors.UnsupportedType(
            f"Send this as JSON (Content-Type: application/json), not {ctype or 'no type'}."
        )
    ctx = bottle.request.app.config.get("localapp.ctx")
    limit = ctx.settings.max_content_length if ctx else None
    # The hook checked Content-Length; this also bounds a body that came
    # without one (chunked, on a server that does not de-chunk for us).
    raw = bottle.request.body.read(-1 if limit is None else limit + 1)
    if limit is not None and len(raw) > limit:
        raise errors.TooLarge(
            f"The request is larger than {limit} bytes, the most this server accepts.",
            extra={"limit": limit},
        )
    if not raw.strip():
        raise errors.ValidationError("The request needs a JSON body.")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise errors.ValidationError(f"The request body is not valid JSON: {exc}.") from None
    if isinstance(data, dict) or (allow_list and isinstance(data, list)):
        return data
    wanted = "a JSON object or array" if allow_list else "a JSON object"
    raise errors.ValidationError(f"The request body must be {wanted}.")


class ErrorPlugin:
    """Results become JSON; every error becomes the JSON error body."""

    name = "localapp-errors"
    api = 2

    def apply(self, callback: Callable[..., Any], route: bottle.Route) -> Callable[..., Any]:
        @functools.wraps(callback)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                out = callback(*args, **kwargs)
            except bottle.HTTPResponse:
                raise  # static files, redirects, bottle's own errors
            except errors.AppError as exc:
                if exc.status >= 500:
                    log.error(
                        "%s on %s %s: %s",
                        type(exc).__name__,
                        bottle.request.method,
                        route.rule,
                        exc.message,
                        exc_info=exc,
                    )
                return error_response(exc)
            except Exception:
                log.exception("Unhandled error in %s %s", bottle.request.method, route.rule)
                return error_response(errors.AppError(_SERVER_ERROR))
            if out is None:
                bottle.response.status = 204
                return b""
            if isinstance(out, dict | list):
                bottle.response.content_type = "application/json"
                return dumps(out)
            return out

        return wrapper


#: What LOCALAPP_PUBLIC_READ opens to anonymous GETs: the price look-up only.
PUBLIC_READ_ROUTES = frozenset(
    {
        "/api/products",
        "/api/products/<id>",
        "/api/products/facets",
        "/api/images/<key>",
        "/api/images/<key>/thumb",
    }
)
#: What LOCALAPP_PUBLIC_READ_SCHEDULE opens besides (never sync, orders,
#: revisions, exports or settings).
PUBLIC_SCHEDULE_ROUTES = frozenset(
    {
        "/api/projects",
        "/api/projects/<id>",
        "/api/tasks",
        "/api/tasks/<id>",
        "/api/task-types",
        "/api/task-types/<id>",
    }
)


class AuthPlugin:
    """Sign-in for /api routes; injects `user` into handlers that ask."""

    name = "localapp-auth"
    api = 2

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def apply(self, callback: Callable[..., Any], route: bottle.Route) -> Callable[..., Any]:
        required = route.rule.startswith("/api/") and route.config.get("auth", True)
        inject = "user" in _wanted(route)
        if not (required or inject):
            return callback
        settings = self.ctx.settings
        public = settings.public_read and (
            route.rule in PUBLIC_READ_ROUTES
            or (settings.public_read_schedule and route.rule in PUBLIC_SCHEDULE_ROUTES)
        )

        @functools.wraps(callback)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = self.identify(strict=required)
            if user is None and required:
                if public and bottle.request.method in ("GET", "HEAD"):
                    user = auth.ANONYMOUS
                else:
                    raise errors.AuthRequired(
                        "Sign in, or send an API token (Authorization: Bearer <token>)."
                    )
            if inject:
                kwargs["user"] = user
            return callback(*args, **kwargs)

        return wrapper

    def identify(self, strict: bool) -> auth.Principal | None:
        """The caller, or None. With `strict`, bad credentials are errors."""
        guard = bottle.request.app.config.get(DESKTOP_GUARD)
        if guard is not None:
            # Desktop mode: the guard already proved the per-launch secret (and
            # CSRF for writes) before routing; nothing else counts here.
            return guard.user if bottle.request.environ.get(GUARD_PASSED) else None
        accounts = self.ctx.accounts
        header = bottle.request.get_header("Authorization")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                if strict:
                    raise errors.AuthRequired("Use the header Authorization: Bearer <token>.")
                return None
            try:
                return auth.authenticate_token(accounts, token.strip())
            except errors.AuthRequired:
                if strict:
                    raise
                return None
        cookie = bottle.request.get_cookie(SESSION_COOKIE)
        if not cookie:
            return None
        user = auth.session_principal(accounts, cookie)
        if user is None:
            return None
        if (
            strict
            and bottle.request.method not in SAFE_METHODS
            and not auth.csrf_ok(user, bottle.request.get_header(CSRF_HEADER))
        ):
            raise errors.Forbidden(
                f"The {CSRF_HEADER} header is missing or wrong. Reload the page and try again.",
                code="csrf_failed",
            )
        return user


class InjectPlugin:
    """Gives `store` and `ctx` to handlers that declare those parameters."""

    name = "localapp-inject"
    api = 2

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def apply(self, callback: Callable[..., Any], route: bottle.Route) -> Callable[..., Any]:
        wanted = _wanted(route)
        values = {k: v for k, v in (("store", self.ctx.store), ("ctx", self.ctx)) if k in wanted}
        if not values:
            return callback

        @functools.wraps(callback)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return callback(*args, **{**kwargs, **values})

        return wrapper


def install_hooks(app: bottle.Bottle, ctx: AppContext) -> None:
    """Size limit, security headers, the access log line and metrics."""
    limit = ctx.settings.max_content_length

    @app.hook("before_request")
    def _start() -> None:
        bottle.request.environ[_START] = time.perf_counter()
        length = bottle.request.content_length  # -1 when absent
        if length > limit:
            # Refuse before anything reads the body. waitress has passed the
            # Content-Length for chunked bodies too, once it has de-chunked them.
            raise error_response(
                errors.TooLarge(
                    f"The request is {length} bytes; the most this server accepts is {limit} bytes.",
                    extra={"limit": limit},
                )
            )

    @app.hook("after_request")
    def _finish() -> None:
        environ = bottle.request.environ
        resp = bottle.response
        resp.set_header("X-Content-Type-Options", "nosniff")
        resp.set_header("Referrer-Policy", "same-origin")
        resp.set_header("Content-Security-Policy", CSP)
        path = bottle.request.path
        if path.startswith("/api/") and "Cache-Control" not in resp.headers:
            # Default for API answers; content-addressed files set their own.
            resp.set_header("Cache-Control", "no-store")
        start = environ.get(_START)
        seconds = time.perf_counter() - start if start else 0.0
        route = environ.get("bottle.route")
        rule = route.rule if route is not None else UNMATCHED
        status = resp.status_code
        ctx.metrics.observe(bottle.request.method, rule, status, seconds)
        # The path only: query strings may hold search text or other values
        # nobody should find in a log file.
        access_log.info(
            "%s %s %d %.1fms", bottle.request.method, _clean_path(path), status, seconds * 1000
        )
