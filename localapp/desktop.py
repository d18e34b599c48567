"""The desktop window: pywebview showing the app's own server, and its state.

- `gui_problem()` says, in a few words, why no window can be shown here
  (no display, no pywebview, no GTK/Qt), or None when one can.
- `show_window()` opens the window on a URL and blocks until it is closed;
  SIGTERM and Ctrl-C close it the same clean way as its close button.
- `WindowState` is the window's size, position and the server's last port,
  kept in `<data dir>/window.json` so the next start looks the same (and,
  with the same port, keeps the page's localStorage, which is per origin).

pywebview is imported inside functions only: the server build has no GUI
toolkit at all, and the domain and web code never import it. On Linux the
backend is GTK (WebKitGTK) unless PYWEBVIEW_GUI says otherwise; see
docs/desktop.md for why, and for Qt.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from . import APP_NAME

log = logging.getLogger(__name__)

STATE_NAME = "window.json"
TITLE = APP_NAME
DEFAULT_SIZE = (1280, 800)
MIN_SIZE = (800, 560)


# -- can a window be shown here? ------------------------------------------------


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _gtk_problem() -> str | None:
    try:
        import gi

        gi.require_version("Gtk", "3.0")
        gi.require_version("WebKit2", "4.1")
        from gi.repository import Gtk, WebKit2  # noqa: F401
    except (ImportError, ValueError) as exc:
        return (
            f"GTK with WebKit2 4.1 is missing ({exc}); install Debian's gir1.2-webkit2-4.1 "
            "and PyGObject"
        )
    ok = Gtk.init_check()
    if isinstance(ok, tuple):  # older PyGObject returns (ok, argv)
        ok = ok[0]
    if not ok:
        return f"cannot open the display {os.environ.get('DISPLAY', '')!r}"
    return None


def backend() -> str | None:
    """The pywebview GUI to ask for: PYWEBVIEW_GUI, else 'gtk' on Linux, else the default."""
    wanted = os.environ.get("PYWEBVIEW_GUI", "").strip().lower()
    if wanted:
        return wanted
    return "gtk" if sys.platform.startswith("linux") else None


def gui_problem() -> str | None:
    """Why no desktop window can be shown here, in a few words; None if it can."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return "no display (DISPLAY is not set)"
    if not _has("webview"):
        return "pywebview is not installed (pip install 'localapp[desktop]')"
    gui = backend()
    if gui == "gtk":
        return _gtk_problem()
    if gui == "qt" and not (_has("qtpy") and _has("PyQt6.QtWebEngineWidgets")):
        return "Qt is missing (pip install qtpy PyQt6 PyQt6-WebEngine)"
    return None


# -- window state ---------------------------------------------------------------


@dataclass
class WindowState:
    """What the next start restores: size, position, maximised, server port."""

    width: int = DEFAULT_SIZE[0]
    height: int = DEFAULT_SIZE[1]
    x: int | None = None
    y: int | None = None
    maximized: bool = False
    port: int | None = None

    @classmethod
    def load(cls, data_dir: Path) -> WindowState:
        """The saved state, or the defaults when there is none or it is unusable."""
        try:
            raw = json.loads((data_dir / STATE_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        state = cls()

        def whole(name: str, low: int, high: int) -> int | None:
            value = raw.get(name)
            ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
            return value if ok else None

        # A hand-edited or stale file must not give a window nobody can see.
        state.width = whole("width", MIN_SIZE[0], 20000) or state.width
        state.height = whole("height", MIN_SIZE[1], 20000) or state.height
        state.x, state.y = whole("x", -100, 20000), whole("y", -100, 20000)
        if state.x is None or state.y is None:
            state.x = state.y = None
        state.maximized = raw.get("maximized") is True
        state.port = whole("port", 1024, 65535)
        return state

    def save(self, data_dir: Path) -> None:
        path = data_dir / STATE_NAME
        tmp = path.with_name(f".{STATE_NAME}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps(asdict(self)), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # a read-only fallback dir must not spoil closing
            log.warning("Could not save the window state to %s: %s", path, exc)


def _track(window: Any, state: WindowState) -> None:
    """Keep `state` up to date from the window's events (saved after it closes)."""

    def resized(width: int, height: int) -> None:
        if not state.maximized and width >= MIN_SIZE[0] and height >= MIN_SIZE[1]:
            state.width, state.height = int(width), int(height)

    def moved(x: int, y: int) -> None:
        if not state.maximized:
            state.x, state.y = int(x), int(y)

    def maximized() -> None:
        state.maximized = True

    def restored() -> None:
        state.maximized = False

    window.events.resized += resized
    window.events.moved += moved
    window.events.maximized += maximized
    window.events.restored += restored


# -- showing it ---------------------------------------------------------------------


@contextlib.contextmanager
def _close_on_signals(window: Any) -> Iterator[None]:
    """SIGTERM (logout, `kill`) and Ctrl-C close the window like its close button."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("Closing the window (signal %d)", signum)
        window.destroy()

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


def _fix_gtk_save_dialog() -> None:
    """Let pywebview's GTK save dialog open without an XDG Downloads folder.

    pywebview 6 asks GLib for the Downloads folder and passes it to the
    dialog unchecked; on a system without XDG user dirs (a fresh account,
    root) that is None, the dialog raises, and WebKit silently saves the
    download into the home folder. Start in the home folder instead.
    """
    try:
        from webview.platforms import gtk as webview_gtk
    except (ImportError, ValueError):
        return
    view = getattr(webview_gtk, "BrowserView", None)
    original = getattr(view, "create_file_dialog", None)
    if original is None or getattr(original, "_localapp_fixed", False):
        return

    def create_file_dialog(
        self: Any, dialog_type: Any, directory: str | None, *args: Any, **kwargs: Any
    ) -> Any:
        return original(self, dialog_type, directory or str(Path.home()), *args, **kwargs)

    create_file_dialog._localapp_fixed = True  # type: ignore[attr-defined]
    view.create_file_dialog = create_file_dialog  # type: ignore[union-attr]


def _dialog_texts() -> dict[str, str]:
    """pywebview's dialog titles in Chinese when the desktop's language is Chinese."""
    lang = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG") or ""
    if not lang.lower().startswith("zh"):
        return {}
    return {
        "global.saveFile": "保存文件",
        "linux.openFile": "打开文件",
        "linux.openFiles": "打开文件",
        "linux.openFolder": "打开文件夹",
        "global.cancel": "取消",
        "global.ok": "确定",
    }


def raise_window(window: Any) -> dict[str, Any]:
    """Bring the window to the front (a second launch asked for it)."""
    window.restore()  # GTK: un-minimise and present()
    window.show()
    return {"shown": "window"}


def show_window(
    url: str,
    state: WindowState,
    *,
    storage_dir: Path | None = None,
    on_raise: Callable[[Callable[[], dict[str, Any]]], None] | None = None,
    on_window: Callable[[Any], None] | None = None,
) -> None:
    """Open the app's window on `url` and return once the user has closed it.

    `on_raise(fn)` receives the function that brings this window forward.
    `on_window(window)` runs in a thread once the GUI loop runs; tests use it
    to read the page and close the window.
    """
    import webview

    gui = backend()
    if gui == "qt" and hasattr(os, "geteuid") and os.geteuid() == 0:
        # QtWebEngine (Chromium) refuses to run as root without this.
        os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")
    # Exports are <a download> links: WebKit hands them to pywebview, which
    # asks where to save with the native dialog. <input type=file> (imports,
    # images) opens the native file chooser by itself.
    webview.settings["ALLOW_DOWNLOADS"] = True
    if gui == "gtk":
        _fix_gtk_save_dialog()
    window = webview.create_window(
        TITLE,
        url,
        width=state.width,
        height=state.height,
        x=state.x,
        y=state.y,
        maximized=state.maximized,
        min_size=MIN_SIZE,
        text_select=True,
        background_color="#FFFFFF",
    )
    if window is None:
        raise RuntimeError("pywebview did not create the window")
    _track(window, state)
    if on_raise is not None:
        on_raise(lambda: raise_window(window))
    kwargs: dict[str, Any] = {"localization": _dialog_texts()}
    if storage_dir is not None:
        # Not private: the page's localStorage (language, view settings) and
        # persistent cookies survive restarts. Our per-launch cookie has no
        # expiry, so it is never written there.
        kwargs.update(private_mode=False, storage_path=str(storage_dir))
    with _close_on_signals(window):
        # PYWEBVIEW_GUI may name any backend pywebview knows: passed on as given
        chosen: Any = gui
        if on_window is not None:
            webview.start(on_window, (window,), gui=chosen, **kwargs)
        else:
            webview.start(gui=chosen, **kwargs)
    log.info("The window was closed")


def open_browser(url: str) -> bool:
    """Open `url` in the default browser if there is one; False if there is none."""
    import webbrowser  # only browser mode needs it; it honours $BROWSER

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
