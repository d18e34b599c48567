"""Routes every build has: health, metrics, sign-in and the UI files."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import bottle

from .. import auth, errors, kinds
from . import openapi
from .context import AppContext
from .metrics import CONTENT_TYPE
from .plugins import SESSION_COOKIE, json_body
from .requests import not_modified

# Only these kinds of file are served from ui/; anything else there (the
# package's __init__.py, caches) stays private.
UI_TYPES = frozenset(
    {
        ".html",
        ".css",
        ".js",
        ".mjs",
        ".json",
        ".svg",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".webp",
        ".ico",
        ".woff",
        ".woff2",
        ".ttf",
        ".map",
    }
)


def install(app: bottle.Bottle, ctx: AppContext) -> None:
    _install_status(app, ctx)
    _install_sign_in(app, ctx)
    _install_ui(app, ctx)


def _install_status(app: bottle.Bottle, ctx: AppContext) -> None:
    @app.get("/health")
    def health() -> dict[str, Any]:
        """Liveness, mode, version and where the data is stored."""
        sync = ctx.sync.health()
        problem = ctx.store.storage.problem
        return {
            # degraded: it serves, but saving (a full disk) or the sync storage
            # is failing, or the sync storage is refused
            "status": "degraded" if problem or (sync and sync.get("error")) else "healthy",
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "mode": ctx.mode,
            "version": ctx.version,
            "storage": {
                "path": str(ctx.data.path),
                "durable": ctx.data.durable,
                # only when saving fails: a full disk, a compaction that cannot run
                **({"problem": problem} if problem else {}),
            },
            "uploads": {"path": str(ctx.uploads.path), "durable": ctx.uploads.durable},
            # with a bucket: edits waiting on this instance for it (`unflushed`)
            "sync": sync,
        }

    @app.get("/metrics")
    def metrics() -> bottle.HTTPResponse:
        """Prometheus metrics."""
        return bottle.HTTPResponse(ctx.metrics.render(), status=200, Content_Type=CONTENT_TYPE)

    @app.get("/api/changes")
    def changes() -> Any:
        """Change counts per table (ETag; If-None-Match gives 304): poll to see
        others' edits."""
        with ctx.store.reading():  # catches up with other processes' writes first
            pass
        snap = ctx.services.changes.snapshot()
        etag = f'"{snap.pop("etag")}"'
        bottle.response.set_header("ETag", etag)
        bottle.response.set_header("Cache-Control", "no-cache")
        if not_modified(etag):
            return bottle.HTTPResponse(status=304, ETag=etag)
        return snap

    @app.get("/api/kinds")
    def record_kinds() -> dict[str, Any]:
        """The record kinds and their fields, from the registry."""
        return {"kinds": [k.describe() for k in kinds.KINDS]}

    @app.get("/api/openapi.json", auth=False)
    def openapi_description() -> dict[str, Any]:
        """This API as an OpenAPI 3.1 description."""
        return openapi.describe(app)


def _install_sign_in(app: bottle.Bottle, ctx: AppContext) -> None:
    @app.get("/api/session", auth=False)
    def session(user: auth.Principal | None) -> dict[str, Any]:
        """Who is signed in, and the CSRF token."""
        body: dict[str, Any] = {
            "authenticated": user is not None,
            "mode": ctx.mode,
            "version": ctx.version,
            "public_read": ctx.settings.public_read,
        }
        if user is not None:
            body["user"] = {"name": user.name}
            body["csrf"] = user.csrf
        return body

    @app.post("/api/login", auth=False)
    def login() -> dict[str, Any]:
        """Sign in with a user name and password."""
        data = json_body()
        name, password = data.get("username"), data.get("password")
        missing = {
            k: "required"
            for k, v in (("username", name), ("password", password))
            if not isinstance(v, str) or not v
        }
        if missing:
            raise errors.ValidationError("Enter a user name and a password.", fields=missing)
        assert isinstance(name, str) and isinstance(password, str)
        address = str(bottle.request.environ.get("REMOTE_ADDR") or "")
        ctx.throttle.check(name, address)  # 429 before any password work
        try:
            user = auth.authenticate_password(ctx.accounts, name.strip(), password)
        except errors.AuthRequired:
            ctx.throttle.failed(name, address)
            raise
        ctx.throttle.succeeded(name, address)
        new = auth.start_session(ctx.accounts, user.name)
        bottle.response.set_cookie(
            SESSION_COOKIE,
            new.cookie,
            path="/",
            httponly=True,
            samesite="strict",
            max_age=auth.SESSION_TTL,
            secure=bottle.request.urlparts.scheme == "https",
        )
        return {"authenticated": True, "user": {"name": new.user}, "csrf": new.csrf}

    @app.post("/api/logout")
    def logout() -> dict[str, Any]:
        """Sign out."""
        cookie = bottle.request.get_cookie(SESSION_COOKIE)
        if cookie:
            auth.end_session(ctx.accounts, cookie)
        bottle.response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return {"authenticated": False}


def _install_ui(app: bottle.Bottle, ctx: AppContext) -> None:
    root = str(ctx.ui_dir)

    @app.get("/")
    def index() -> bottle.HTTPResponse:
        """The app's page."""
        return _ui_file("index.html", root)

    # Everything outside /api/ may be a UI file; /api/ paths never are, so an
    # unknown API route answers 404, not 405.
    app.router.add_filter("uifile", lambda conf: (r"(?!api/)[^?#]+", None, None))

    @app.get("/<filepath:uifile>")
    def ui_file(filepath: str) -> bottle.HTTPResponse:
        """The other UI files."""
        return _ui_file(filepath, root)


def _ui_file(filepath: str, root: str) -> bottle.HTTPResponse:
    suffix = "." + filepath.rsplit(".", 1)[-1].lower() if "." in filepath else ""
    # No hidden files or "..", and not the npm work folder (only ui/vendor/ ships).
    if suffix not in UI_TYPES or "/." in "/" + filepath or filepath.startswith("node_modules/"):
        raise errors.NotFound(f"Nothing is found at /{filepath}.")
    # static_file refuses paths that leave `root` (../) and sets the type,
    # Last-Modified and ETag; no-cache makes browsers revalidate after updates.
    res = bottle.static_file(filepath, root=root, charset="utf-8")
    if res.status_code < 400:
        res.set_header("Cache-Control", "no-cache")
    return res
