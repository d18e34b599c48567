"""Composition root: settings -> locations -> store -> app -> server.

Each part is opened here, in order, and closed in reverse order by one
ExitStack, whether the server stops on Ctrl-C, SIGTERM or an error.
Nothing happens at import time.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from types import FrameType
from typing import TextIO

from . import auth, paths
from .paths import Location
from .settings import Settings
from .store import Store

log = logging.getLogger(__name__)

THREADS = 8


@dataclass(frozen=True)
class Opened:
    store: Store
    data: Location


@contextlib.contextmanager
def open_store(settings: Settings) -> Iterator[Opened]:
    """The data location (with its read-only fallback) and the open store.

    Raises errors.StoreCorrupt, untouched, when the data file is damaged.
    """
    data = paths.data_location(settings.data_dir)
    store = Store.open(data.path, backup_keep=settings.backup_keep)
    try:
        yield Opened(store, data)
    finally:
        store.close()


def announce_admin(store: Store, settings: Settings, out: TextIO) -> None:
    """Create the admin account on first start and say so once."""
    created, generated = auth.ensure_admin(store, settings.admin_password)
    if generated:
        # The one secret ever printed: to the console (stdout), never to the log.
        print(f"Created the account '{auth.ADMIN}' with the password: {generated}\n"
              "This password is shown only this once. Keep it somewhere safe, or change it "
              f"with: localapp user passwd {auth.ADMIN}", file=out, flush=True)
        log.info("Created the account %s; its generated password was printed on the console",
                 auth.ADMIN)
    elif created:
        log.info("Created the account %s with the password from LOCALAPP_ADMIN_PASSWORD",
                 auth.ADMIN)
    else:
        log.info("The account %s exists", auth.ADMIN)


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _stop_on_sigterm() -> None:
    """SIGTERM (docker stop, systemd, FaaS) stops like Ctrl-C, so we clean up."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def serve(settings: Settings, out: TextIO = sys.stdout) -> int:
    """Run the app headless on waitress until stopped. Returns an exit code."""
    import waitress  # only the server needs it

    from .web import create_app

    with contextlib.ExitStack() as stack:
        opened = stack.enter_context(open_store(settings))
        uploads = paths.upload_location(settings.upload_dir, opened.data)
        announce_admin(opened.store, settings, out)
        ui_dir = stack.enter_context(resources.as_file(paths.ui_root()))
        app = create_app(settings, opened.store, data=opened.data, uploads=uploads,
                         ui_dir=ui_dir)
        server = waitress.create_server(
            app, host=settings.host, port=settings.port, threads=THREADS, ident="localapp",
            # Bodies over our limit get a JSON 413 from the app, which looks at
            # Content-Length first; waitress only stops absurd ones, unread.
            max_request_body_size=2 * settings.max_content_length + 1024 * 1024)
        stack.callback(server.close)
        _stop_on_sigterm()
        port = getattr(server, "effective_port", settings.port)
        log.info("localapp %s serving on %s (data: %s)", settings.mode,
                 _url(settings.host, int(port)), opened.data.path)
        try:
            server.run()  # returns on Ctrl-C / SIGTERM, after the workers stop
        except KeyboardInterrupt:
            pass
        log.info("Stopped")
    return 0


def run_default(settings: Settings, out: TextIO = sys.stdout) -> int:
    """What `localapp` with no sub-command does.

    The desktop window (pywebview) is a later issue; it will replace this
    body with `desktop.run(settings)`. Until then it serves headless.
    """
    return serve(settings, out)
