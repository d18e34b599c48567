"""The web layer: `create_app` builds the bottle app from its parts.

Route modules are listed in `ROUTE_MODULES`; each has
`install(app: bottle.Bottle, ctx: AppContext) -> None` and registers its
routes on the app it is given (never on bottle's global default app).
Handlers stay thin: they read the request, call domain code and return a
dict; the plugins in `plugins.py` handle JSON, errors, sign-in, and inject
`store`, `user` and `ctx` into the handlers that declare them.
"""

from __future__ import annotations

import importlib
import mimetypes
from pathlib import Path

import bottle

from ..auth import Directory
from ..paths import Location, ui_root
from ..services import Services
from ..settings import Settings
from ..store import Store
from .context import AppContext
from .guard import DesktopGuard
from .metrics import Metrics
from .plugins import (
    DESKTOP_GUARD,
    AuthPlugin,
    ErrorPlugin,
    InjectPlugin,
    install_hooks,
    json_error_page,
)

__all__ = ["ROUTE_MODULES", "AppContext", "create_app"]

#: Route modules, in the order they are installed. core_routes comes last:
#: its catch-all for UI files must not shadow more specific routes (bottle
#: matches static rules first, then dynamic rules in order).
ROUTE_MODULES: list[str] = [
    "localapp.web.schedule_routes",
    "localapp.web.catalogue_routes",
    "localapp.web.quote_routes",
    "localapp.web.desktop_routes",
    "localapp.web.sync_routes",
    "localapp.web.problems_routes",
    "localapp.web.core_routes",
]

# Bottle reads small bodies into memory and larger ones into a temporary file
# at this threshold; it also caps url-encoded forms. Our own size limit
# (MAX_CONTENT_LENGTH) is checked before any body is read.
MEMFILE_MAX = 1024 * 1024

_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".webp": "image/webp",
}


def _default_ui_dir() -> Path:
    root = ui_root()
    if not isinstance(root, Path):
        raise TypeError(
            "The UI files are not on the filesystem here; pass ui_dir= from "
            "importlib.resources.as_file(paths.ui_root())."
        )
    return root


def create_app(
    settings: Settings,
    store: Store,
    services: Services,
    *,
    data: Location,
    uploads: Location,
    ui_dir: Path | None = None,
    route_modules: list[str] | None = None,
    desktop: DesktopGuard | None = None,
    accounts: Directory,
) -> bottle.Bottle:
    """Build the app. Nothing is started; the caller serves it.

    `desktop` puts the app in desktop mode: every request must pass that
    guard (per-launch secret, Host, CSRF; see guard.py) and the caller is
    the desktop user. A desktop-mode app is never built without one.
    `accounts` is where users, tokens and sessions are kept: the store, or
    the sync bucket when one is configured (app.open_accounts). `services` are the
    domain objects over `store`, built by the composition root
    (app.build_services); the routes only use them.
    """
    if (settings.mode == "desktop") != (desktop is not None):
        raise ValueError("desktop mode and a DesktopGuard go together")
    for suffix, ctype in _TYPES.items():
        # The platform's table differs between machines; serve what browsers expect.
        mimetypes.add_type(ctype, suffix)
    # A process-wide bottle setting; every app in a process gets the same value.
    bottle.BaseRequest.MEMFILE_MAX = min(MEMFILE_MAX, settings.max_content_length)

    app = bottle.Bottle()
    app.config["catchall"] = True
    # Our ErrorPlugin does what bottle's JSON and template plugins would.
    app.uninstall(True)
    ctx = AppContext(
        settings=settings,
        store=store,
        data=data,
        uploads=uploads,
        ui_dir=ui_dir or _default_ui_dir(),
        metrics=Metrics(store),
        accounts=accounts,
        services=services,
    )
    app.config["localapp.ctx"] = ctx
    app.default_error_handler = json_error_page
    # First installed = outermost: errors wrap auth, auth wraps injection.
    app.install(ErrorPlugin())
    app.install(AuthPlugin(ctx))
    app.install(InjectPlugin(ctx))
    install_hooks(app, ctx)
    if desktop is not None:
        app.config[DESKTOP_GUARD] = desktop
        desktop.install(app)
    for name in ROUTE_MODULES if route_modules is None else route_modules:
        importlib.import_module(name).install(app, ctx)
    return app


def context_of(app: bottle.Bottle) -> AppContext:
    ctx = app.config["localapp.ctx"]
    assert isinstance(ctx, AppContext)
    return ctx
