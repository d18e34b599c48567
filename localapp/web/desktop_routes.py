"""Desktop-only routes: the one-time sign-in link and "come forward".

Both exist in every build but answer 404 unless the app runs in desktop mode
(a `DesktopGuard` in the app's config). The guard has already checked the
Host header; each route checks its own proof here. See localapp/web/guard.py.
"""

from __future__ import annotations

from typing import Any

import bottle

from .. import errors
from ..instance import RAISE_PATH
from .context import AppContext
from .guard import OPEN_PATH, SECRET_COOKIE, DesktopGuard
from .plugins import DESKTOP_GUARD


def _guard() -> DesktopGuard:
    guard = bottle.request.app.config.get(DESKTOP_GUARD)
    if guard is None:
        raise errors.NotFound(f"Nothing is found at {bottle.request.path}.")
    return guard


def install(app: bottle.Bottle, ctx: AppContext) -> None:
    @app.get(OPEN_PATH)
    def desktop_open() -> None:
        """Desktop mode: trade the one-time link for the window's cookie."""
        guard = _guard()
        token = bottle.request.query.get("token") or ""
        if not (guard.take_token(token) or guard.has_secret()):
            raise errors.Forbidden(
                "This link was already used, or is not from this start of localapp. Use the "
                "localapp window, or start localapp again for a new link.",
                code="link_used",
            )
        # No max_age: a session cookie, gone when the window or browser closes.
        bottle.response.set_cookie(
            SECRET_COOKIE, guard.secret, path="/", httponly=True, samesite="strict"
        )
        bottle.response.set_header("Cache-Control", "no-store")
        # 303 to / so the token leaves the address bar and a reload does not reuse it.
        bottle.redirect("/", 303)

    @app.post(RAISE_PATH)
    def desktop_raise() -> dict[str, Any]:
        """Desktop mode: a second start asks the running app to come forward."""
        guard = _guard()
        if not guard.raise_ok():
            raise errors.Forbidden("Wrong or missing raise secret.", code="forbidden")
        if guard.on_raise is None:
            return {"shown": False}
        return guard.on_raise()
