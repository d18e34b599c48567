"""A private Xvfb screen for window tests (a helper module, not a test file).

Xvfb picks a free display number itself (`-displayfd`) and writes it, with
a newline, once it accepts clients. 24-bit depth: Qt segfaults and WebKit
misdraws at 16. No window manager runs, so windows sit at 0,0 untitled.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator

from conftest import require, require_tool, stop_process

WIDTH, HEIGHT = 1280, 800


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    """Run Xvfb for the block; yields its DISPLAY value (e.g. ':3')."""
    binary = require_tool("Xvfb")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [
            binary,
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            f"{WIDTH}x{HEIGHT}x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        number = b""
        deadline = time.monotonic() + 20
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while not number.endswith(b"\n") and time.monotonic() < deadline:
                chunk = pipe.read(1)
                if not chunk:  # Xvfb died
                    break
                number += chunk
        assert number.strip().isdigit(), f"Xvfb did not report a display: {number!r}"
        yield f":{number.strip().decode()}"
    finally:
        stop_process(proc)


def require_gui(display: str) -> None:
    """Fail (CI) or skip unless pywebview can open a window on `display`."""
    probe = subprocess.run(
        [sys.executable, "-c", "from localapp import desktop; print(desktop.gui_problem())"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DISPLAY": display},
    )
    require(
        probe.stdout.strip() == "None",
        f"no GUI backend for the window: {probe.stdout.strip()} {probe.stderr[-500:]}",
    )


def window_env(display: str) -> dict[str, str]:
    """The environment for a window process on `display`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"WAYLAND_DISPLAY", "PORT", "FC_SERVER_PORT", "BROWSER", "PYWEBVIEW_GUI"}
    }
    # NO_AT_BRIDGE: no accessibility bus on a bare Xvfb; GTK would warn about it.
    env.update(DISPLAY=display, LOG_LEVEL="INFO", NO_AT_BRIDGE="1")
    return env


def drawn_problem(path: os.PathLike[str] | str) -> str | None:
    """Why the screenshot does not show a painted page (blank, black), or None."""
    from PIL import Image

    with Image.open(path) as img:
        if img.size != (WIDTH, HEIGHT):
            return f"{path} is {img.size}, not the screen's {(WIDTH, HEIGHT)}"
        small = img.convert("RGB").resize((320, 200))
        colours = small.getcolors(maxcolors=100000) or []
        if len(colours) <= 40:
            return f"{path} looks blank ({len(colours)} colours)"
        # The page background is light; black here means nothing was painted.
        if sum(small.getpixel((160, 100))) <= 600:
            return f"{path}: the page was not painted"
    return None


def looks_drawn(path: os.PathLike[str] | str) -> None:
    """The screenshot shows a painted page, not a blank or black screen."""
    problem = drawn_problem(path)
    assert problem is None, problem


def capture_drawn(
    path: os.PathLike[str] | str, env: dict[str, str] | None = None, timeout: float = 30
) -> None:
    """Screenshot the X screen into `path` once it shows a painted page.

    A window whose page has rendered reaches the X screen a moment later, and
    later still on a loaded machine: instead of sleeping a fixed time, take
    screenshots until one is drawn (bounded; the last one is kept either way).
    """
    deadline = time.monotonic() + timeout
    while True:
        subprocess.run(["import", "-window", "root", str(path)], check=True, timeout=30, env=env)
        problem = drawn_problem(path)
        if problem is None:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not drawn within {timeout} s: {problem}")
        time.sleep(0.2)
