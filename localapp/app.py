"""Composition root: settings -> locations -> store -> app -> server (-> window).

Each part is opened here, in order, and closed in reverse order by one
ExitStack, whether the server stops on Ctrl-C, SIGTERM, a closed window or
an error. `serve` is the headless server; `run_desktop` adds the
one-instance lock, the desktop guard and the window (localapp/desktop.py,
which imports pywebview only when a window is shown). Nothing happens at
import time.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from . import auth, desktop, instance, paths
from .errors import StoreCorrupt
from .instance import AlreadyRunning
from .paths import Location
from .services import Services
from .settings import Settings
from .store import Store

log = logging.getLogger(__name__)

THREADS = 8
#: how long closing waits for the search index warm-up (it stops at the closed store)
WARM_JOIN_SECONDS = 10


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


def announce_admin(accounts: auth.Directory, settings: Settings, out: TextIO) -> None:
    """Create the admin account on first start and say so once.

    With a sync bucket the account is shared and kept for good, and the
    console of a FaaS instance is its log: no password is made up there.
    """
    if (
        settings.bucket is not None
        and not settings.admin_password
        and auth.get_user(accounts, auth.ADMIN) is None
    ):
        log.warning(
            "There is no account '%s' in the sync bucket yet. Set "
            "LOCALAPP_ADMIN_PASSWORD, or run `localapp user passwd %s` with the same "
            "bucket settings, to create it.",
            auth.ADMIN,
            auth.ADMIN,
        )
        return
    created, generated = auth.ensure_admin(accounts, settings.admin_password)
    if generated:
        # The one secret ever printed: to the console (stdout), never to the log.
        print(
            f"Created the account '{auth.ADMIN}' with the password: {generated}\n"
            "This password is shown only this once. Keep it somewhere safe, or change it "
            f"with: localapp user passwd {auth.ADMIN}",
            file=out,
            flush=True,
        )
        log.info(
            "Created the account %s; its generated password was printed on the console", auth.ADMIN
        )
    elif created:
        log.info(
            "Created the account %s with the password from LOCALAPP_ADMIN_PASSWORD", auth.ADMIN
        )
    else:
        log.info("The account %s exists", auth.ADMIN)


def _announce_admin_or_wait(
    accounts: auth.Directory, settings: Settings, out: TextIO, stack: contextlib.ExitStack
) -> None:
    """`announce_admin`, except that an unreachable sync bucket does not stop the
    start (a FaaS cold start during an outage would crash-loop): it is tried
    again in the background until the bucket answers, so the account exists then."""
    from .sync.errors import StorageUnavailable

    try:
        announce_admin(accounts, settings, out)
        return
    except StorageUnavailable as exc:
        log.warning(
            "Could not reach the sync bucket for the accounts at start (%s); sign-ins "
            "wait for it, the rest of the start goes on.",
            exc.message,
        )
    stop = threading.Event()

    def retry() -> None:
        wait = 1.0
        while not stop.wait(wait):
            try:
                announce_admin(accounts, settings, out)
                return
            except StorageUnavailable:
                wait = min(60.0, wait * 2)

    thread = threading.Thread(target=retry, name="accounts-retry", daemon=True)
    thread.start()
    stack.callback(thread.join, 5)
    stack.callback(stop.set)


def open_accounts(settings: Settings, store: Store) -> auth.Directory:
    """Where users, tokens and sessions are kept: the store, or the sync bucket if set.

    With a bucket, every instance of a deployment (and `localapp token create`
    run with the same settings) shares them; see sync/accounts.py.
    """
    from .sync.accounts import directory

    return directory(settings.bucket, store)


def build_services(
    settings: Settings,
    store: Store,
    uploads: Location,
    stack: contextlib.ExitStack,
    *,
    warm_now: bool = True,
) -> Services:
    """Every service over the open store, in order; their threads are closed by `stack`.

    Order matters: the schedule creates the default task types before sync
    attaches (which records what was written without it), and sync's
    commit hook is attached here, explicitly, not as a side effect of
    building the web app.
    """
    from .catalogue import Catalogue
    from .catalogue.images import ImageStore
    from .catalogue.orders import Orders
    from .catalogue.quotes import Company, CustomerPrices, Customers, Quotes
    from .catalogue.statistics import Statistics
    from .changes import Changes
    from .problems import Problems
    from .schedule import Schedule
    from .sync.service import SyncService

    schedule = Schedule.open(store)
    catalogue = Catalogue(store)
    orders = Orders(catalogue, uploads.path)
    customers, customer_prices = Customers(store), CustomerPrices(store)
    sync = SyncService(
        store,
        bucket=settings.bucket,
        uploads=uploads.path,
        max_drift_ms=settings.sync_max_drift * 1000,
        snapshot_every=settings.sync_snapshot_every,
        check_now=warm_now,
    )
    stack.callback(sync.replica.detach)
    if warm_now:
        start_warming(catalogue, stack)
    changes = Changes()
    store.add_listener(changes.changed)
    return Services(
        changes=changes,
        schedule=schedule,
        catalogue=catalogue,
        images=ImageStore(uploads.path),
        orders=orders,
        customers=customers,
        customer_prices=customer_prices,
        quotes=Quotes(store, customers, customer_prices, catalogue),
        company=Company(store),
        statistics=Statistics(catalogue),
        problems=Problems(schedule, catalogue, orders),
        sync=sync,
    )


def start_warming(catalogue: Any, stack: contextlib.ExitStack, sync: Any = None) -> None:
    """Load pypinyin's dictionaries (about a second) and prepare the product
    index (a second or two at 100,000) in the background, rather than in the
    first search someone types; a search meanwhile is answered by a scan.
    With `sync`, then compare every document with its sync record (about a
    second at 100,000; left by `build_services(warm_now=False)`)."""
    warm = threading.Thread(
        target=_warm, args=(catalogue, sync), name="catalogue-warm", daemon=True
    )
    warm.start()
    stack.callback(warm.join, WARM_JOIN_SECONDS)


def _warm(catalogue: Any, sync: Any) -> None:
    from .catalogue.pinyin import load_pinyin
    from .records import keep_long_lived

    try:
        load_pinyin()
        catalogue.warm()
        if sync is not None:  # after the index: a search should not wait for it
            sync.replica.check()
        keep_long_lived()  # the store's documents and the index live as long as we do
    except StoreCorrupt as exc:  # a damaged file of sync records, found at its first read
        log.warning("%s", exc)
    except Exception:  # the store may already be closed (a short-lived app in a test)
        log.debug("Warming the product index failed", exc_info=True)


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _stop_on_sigterm() -> None:
    """SIGTERM (docker stop, systemd, FaaS) stops like Ctrl-C, so we clean up."""
    if threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _start_sync(services: Services, stack: contextlib.ExitStack) -> None:
    """Background sync rounds (when a server is set up), stopped before the store closes.

    With a bucket, the instance first reads the bucket so that it serves
    everything from its first request, even with an empty /tmp.
    """
    from .sync.background import Background
    from .sync.errors import SyncError

    service = services.sync
    if service.bucket is not None:
        try:
            # probes the store first (one without conditional writes is refused),
            # then reads it; unreachable, the instance starts all the same
            service.catch_up(force=True)
        except SyncError as exc:
            log.warning(
                "Could not read the sync bucket at start: %s. This instance serves what "
                "it holds; /health says degraded until the bucket answers.",
                exc.message,
            )
    background = Background(service).start()
    stack.callback(background.stop)


def _create_server(app: Any, host: str, port: int, settings: Settings) -> Any:
    """A waitress server bound to host:port (listening already; run() serves)."""
    import waitress  # only the server needs it

    proxy: dict[str, Any] = {}
    if settings.trusted_proxy and settings.mode != "desktop":
        # Behind a TLS proxy (Function Compute's HTTPS gateway, nginx): believe
        # its X-Forwarded-Proto, and only its, so a session cookie sent over
        # HTTPS gets Secure. Everyone else's X-Forwarded-* headers are dropped.
        proxy = {
            "trusted_proxy": settings.trusted_proxy,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-proto"},
        }
    return waitress.create_server(
        app,
        host=host,
        port=port,
        threads=THREADS,
        ident="localapp",
        # Bodies over our limit get a JSON 413 from the app, which looks at
        # Content-Length first; waitress only stops absurd ones, unread.
        max_request_body_size=2 * settings.max_content_length + 1024 * 1024,
        **proxy,
    )


def serve(settings: Settings, out: TextIO = sys.stdout) -> int:
    """Run the app headless on waitress until stopped. Returns an exit code.

    It listens first and loads after (web/loading.py): a FaaS platform gives a
    new instance a few seconds to listen, and a large data file or a sync
    bucket takes longer to read. Until the app is built, /health and every
    request answer 503 with what is being loaded. A start that fails (a
    damaged data file) stops the server and raises here, as before.
    """
    from . import __version__
    from .web.loading import Loading

    gate = Loading(settings.mode, __version__)
    with contextlib.ExitStack() as stack:
        server = _create_server(gate, settings.host, settings.port, settings)
        stack.callback(server.close)
        _stop_on_sigterm()
        url = _url(settings.host, int(getattr(server, "effective_port", settings.port)))
        log.info("localapp %s listening on %s, loading its data", settings.mode, url)
        loader = stack.enter_context(_Loader(gate, settings, out, url, _stopper(server)))
        try:
            server.run()  # returns on Ctrl-C / SIGTERM (after the workers stop), or on `stop`
        except KeyboardInterrupt:
            pass
        loader.close()
        log.info("Stopped")
    return 0


def _stopper(server: Any) -> Callable[[], None]:
    """A way for another thread to make `server.run()` return: the server's own
    loop closes everything, woken by its trigger (safe before run() starts too)."""
    from waitress import wasyncore

    def close_all() -> None:
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)

    return lambda: server.trigger.pull_trigger(close_all)


class _Loader:
    """Opens the store and builds the app in a thread, while the gate answers 503.

    Its ExitStack closes what it opened (sync rounds, threads, the store),
    after the thread is done; a failure stops the server (`stop`) and is
    raised again by `close`.
    """

    def __init__(
        self, gate: Any, settings: Settings, out: TextIO, url: str, stop: Callable[[], None]
    ) -> None:
        self.gate, self.settings, self.out, self.url = gate, settings, out, url
        self.stop = stop
        self.stack = contextlib.ExitStack()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="load", daemon=True)

    def __enter__(self) -> _Loader:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join()
        self.stack.close()

    def close(self) -> None:
        """Wait for the load, close what it opened, raise its failure if any."""
        self.__exit__()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        from .web import create_app

        settings, stack, gate = self.settings, self.stack, self.gate
        try:
            gate.step("store")
            opened = stack.enter_context(open_store(settings))
            uploads = paths.upload_location(settings.upload_dir, opened.data)
            gate.step("accounts")
            accounts = open_accounts(settings, opened.store)
            _announce_admin_or_wait(accounts, settings, self.out, stack)
            ui_dir = stack.enter_context(resources.as_file(paths.ui_root()))
            gate.step("services")
            services = build_services(settings, opened.store, uploads, stack, warm_now=False)
            app = create_app(
                settings,
                opened.store,
                services,
                data=opened.data,
                uploads=uploads,
                ui_dir=ui_dir,
                accounts=accounts,
            )
            gate.step("sync")
            _start_sync(services, stack)
        except BaseException as exc:
            self.error = exc
            self.stop()  # server.run() returns; close() raises it
            return
        gate.ready(app)
        log.info("localapp %s serving on %s (data: %s)", settings.mode, self.url, opened.data.path)
        # the search index prepares once the load is done: the load comes first
        start_warming(services.catalogue, stack, services.sync)


# -- desktop ------------------------------------------------------------------------

#: Exit code of a second desktop launch for a data dir that is already open.
EXIT_ALREADY_RUNNING = 3


def _say(line: str, stream: TextIO | None) -> None:
    # A windowed frozen build on Windows has no console: stdout/stderr are None.
    if stream is not None:
        print(line, file=stream, flush=True)


def _bind_desktop(app: Any, settings: Settings, port: int | None, preferred: int | None) -> Any:
    """Bind 127.0.0.1 on `port` if given, else on last time's port if free, else any."""
    if port is not None:
        return _create_server(app, "127.0.0.1", port, settings)
    if preferred:
        try:
            # Same port as last time = same origin, so the page keeps its
            # localStorage (language, view settings) between starts.
            return _create_server(app, "127.0.0.1", preferred, settings)
        except OSError as exc:
            log.info("Port %d is taken (%s); using another", preferred, exc.strerror)
    return _create_server(app, "127.0.0.1", 0, settings)


class _ServerThread:
    """waitress in a background thread, stopped after in-flight requests finish."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.run, name="localapp-server", daemon=True)
        self.thread.start()

    def stop(self, timeout: float = 10) -> None:
        from waitress import wasyncore

        # Workers finish the request they are on (a store write completes);
        # queued ones are dropped: the window that sent them is gone.
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=timeout)
        # Close the sockets from inside the loop thread; with its map empty
        # the loop returns.
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("The server thread did not stop within %.0f s", timeout)


def _already_running(exc: AlreadyRunning, open_browser: bool, out: TextIO | None) -> int:
    url = exc.answer.get("url")
    if exc.answer.get("shown") == "window":
        _say(f"{exc.message}; brought its window to the front.", sys.stderr)
    elif isinstance(url, str):
        _say(f"{exc.message}; it is at {url}", sys.stderr)
        if open_browser:
            desktop.open_browser(url)
    else:
        _say(f"{exc.message}.", sys.stderr)
    return EXIT_ALREADY_RUNNING


def run_desktop(
    settings: Settings,
    out: TextIO | None = sys.stdout,
    *,
    port: int | None = None,
    window: bool = True,
    open_browser: bool = True,
    on_window: Callable[[Any], None] | None = None,
) -> int:
    """The desktop app: our server on 127.0.0.1, shown in a window or the browser.

    Order: data dir -> one-instance lock -> store -> guarded app -> server ->
    window (or browser); closed in reverse, so the store is closed only once
    the server has finished its last request, and the lock is dropped last.
    Without a usable GUI (or with window=False) it says why in one line,
    prints a one-time link and opens the browser if there is one.
    """
    from .web import create_app
    from .web.guard import DesktopGuard

    settings = replace(settings, mode="desktop", host="127.0.0.1")
    reason = desktop.gui_problem() if window else None
    if reason is not None:
        _say(f"localapp: no desktop window: {reason}. Serving in the browser instead.", sys.stderr)
    data = paths.data_location(settings.data_dir)
    try:
        inst = instance.claim(data.path)
    except AlreadyRunning as exc:
        return _already_running(exc, open_browser, out)
    with contextlib.ExitStack() as stack:
        stack.callback(inst.release)
        store = Store.open(data.path, backup_keep=settings.backup_keep)

        def close_store() -> None:
            store.close()
            log.info("Closed the data store in %s", data.path)

        stack.callback(close_store)
        uploads = paths.upload_location(settings.upload_dir, data)
        ui_dir = stack.enter_context(resources.as_file(paths.ui_root()))
        guard = DesktopGuard(raise_secret=inst.raise_secret)
        services = build_services(settings, store, uploads, stack)
        app = create_app(
            settings,
            store,
            services,
            data=data,
            uploads=uploads,
            ui_dir=ui_dir,
            desktop=guard,
            accounts=open_accounts(settings, store),
        )
        _start_sync(services, stack)
        state = desktop.WindowState.load(data.path)
        server = _bind_desktop(app, settings, port, state.port)
        guard.bind(int(server.effective_port))
        state.port = guard.port
        log.info("localapp desktop serving on %s (data: %s)", guard.base_url, data.path)
        if reason is None and window:
            running = _ServerThread(server)
            stack.callback(running.stop)
            inst.publish(guard.port or 0, "window")

            def set_raise(fn: Callable[[], dict[str, Any]]) -> None:
                guard.on_raise = fn

            desktop.show_window(
                guard.open_url(),
                state,
                storage_dir=data.path / "webview",
                on_raise=set_raise,
                on_window=on_window,
            )
            state.save(data.path)
            return 0
        stack.callback(server.close)
        _serve_in_browser(server, guard, inst, state, data.path, out, open_browser)
    return 0


def _serve_in_browser(
    server: Any,
    guard: Any,
    inst: Any,
    state: desktop.WindowState,
    data_dir: Path,
    out: TextIO | None,
    open_browser: bool,
) -> None:
    """No window: print the one-time link, open the browser, serve until stopped."""
    guard.on_raise = lambda: {"url": guard.open_url()}
    inst.publish(guard.port or 0, "browser")
    state.save(data_dir)
    _say(f"localapp is running at {guard.open_url()}", out)
    _say("That link works once and only on this computer. Press Ctrl-C to stop.", out)
    if open_browser:
        desktop.open_browser(guard.open_url())
    _stop_on_sigterm()
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    log.info("Stopped")


def run_default(settings: Settings, out: TextIO = sys.stdout) -> int:
    """What `localapp` with no sub-command does: the desktop app.

    A window when a GUI backend is available, else (one line says why) the
    same guarded server in the default browser.
    """
    return run_desktop(settings, out)
