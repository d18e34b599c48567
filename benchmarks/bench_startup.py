"""Frozen builds: time from process start to the first HTTP 200, and size.

Compares, in the same run and on the same machine:

- `python -m localapp serve` from the venv (the baseline),
- the one-folder server build `localapp-server serve`   (goal: <= 1 s, <= 60 MB),
- the one-file desktop build `localapp serve`           (goal: <= 2.5 s),
- the one-file desktop build `localapp desktop --no-window` (its own guarded
  server: the first 200 is the page behind the one-time link).

Every run starts with an empty data dir (as a FaaS cold start does: the store
is created and the admin account hashed), after one untimed warm-up run so
the file cache is warm. A one-file build unpacks itself at every start, so
its time includes that.

    .venv/bin/python benchmarks/bench_startup.py [--runs 7] [--dist build/dist] [--build]

--build (or missing builds) runs `bash build/build.sh` first.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import print_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(rb"http://127\.0\.0\.1:\d+/desktop/open\?token=[\w-]+")
MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _get(url: str, opener: urllib.request.OpenerDirector | None = None) -> int:
    try:
        with opener.open(url, timeout=2) if opener else urllib.request.urlopen(url, timeout=2) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def start_serve(cmd: list[str], deadline: float) -> float:
    """Start `cmd serve` on a free port; seconds until /health answers 200."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = {**os.environ, "LOCALAPP_ADMIN_PASSWORD": "bench-password", "LOG_LEVEL": "WARNING"}
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            while time.perf_counter() - t0 < deadline:
                try:
                    if _get(f"http://127.0.0.1:{port}/health") == 200:
                        return time.perf_counter() - t0
                except OSError:
                    pass
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd} exited with {proc.returncode}")
                time.sleep(0.005)
            raise RuntimeError(f"{cmd} did not answer within {deadline}s")
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def start_desktop_no_window(cmd: list[str], deadline: float) -> float:
    """Start `cmd desktop --no-window`; seconds until its one-time link gives a 200 page."""
    with tempfile.TemporaryDirectory() as data:
        env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
        env["LOG_LEVEL"] = "WARNING"
        out_path = Path(data) / "out.txt"
        with open(out_path, "wb") as out:
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                [
                    *cmd,
                    "--data-dir",
                    str(Path(data) / "d"),
                    "desktop",
                    "--no-window",
                    "--no-browser",
                ],
                stdout=out,
                stderr=subprocess.DEVNULL,
                env=env,
            )
        try:
            while time.perf_counter() - t0 < deadline:
                found = LINK.search(out_path.read_bytes())
                if found:
                    opener = urllib.request.build_opener(
                        urllib.request.HTTPCookieProcessor(CookieJar())
                    )
                    if _get(found.group(0).decode(), opener) == 200:
                        return time.perf_counter() - t0
                    raise RuntimeError("the one-time link did not give a page")
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd} exited with {proc.returncode}")
                time.sleep(0.005)
            raise RuntimeError(f"{cmd} printed no link within {deadline}s")
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def measure(fn: Callable[[list[str], float], float], cmd: list[str], runs: int) -> list[float]:
    fn(cmd, 60)  # warm-up: file cache, first unpack
    return [fn(cmd, 60) for _ in range(runs)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--dist", type=Path, default=ROOT / "build" / "dist")
    parser.add_argument("--build", action="store_true", help="run build/build.sh first")
    args = parser.parse_args()

    server_dir = args.dist / "localapp-server"
    server_exe = server_dir / "localapp-server"
    desktop_exe = args.dist / "localapp"
    if args.build or not (server_exe.is_file() and desktop_exe.is_file()):
        subprocess.run(["bash", str(ROOT / "build" / "build.sh")], check=True, cwd=ROOT)
    if shutil.which("nproc"):
        cpus = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    else:
        cpus = str(os.cpu_count())
    print(f"{args.runs} runs each after one warm-up; {cpus} CPUs; data dir empty at each start")

    cases = [
        (
            "python -m localapp serve (baseline)",
            start_serve,
            [sys.executable, "-m", "localapp"],
            None,
            None,
            None,
        ),
        ("server one-folder: serve", start_serve, [str(server_exe)], server_dir, 1.0, 60),
        ("desktop one-file: serve", start_serve, [str(desktop_exe)], desktop_exe, 2.5, None),
        (
            "desktop one-file: desktop --no-window",
            start_desktop_no_window,
            [str(desktop_exe)],
            desktop_exe,
            2.5,
            None,
        ),
    ]
    rows: list[list[object]] = []
    baseline: float | None = None
    verdicts: list[bool] = []
    for name, fn, cmd, path, goal_s, goal_mb in cases:
        samples = measure(fn, cmd, args.runs)
        med = statistics.median(samples)
        baseline = baseline or med
        mb = size_of(path) / MB if path else None
        goals = ([f"<= {goal_s} s"] if goal_s is not None else []) + (
            [f"<= {goal_mb} MB"] if goal_mb is not None else []
        )
        met = (goal_s is None or med <= goal_s) and (
            goal_mb is None or (mb is not None and mb <= goal_mb)
        )
        if goals:
            verdicts.append(met)
        rows.append(
            [
                name,
                f"{mb:.1f} MB" if mb is not None else "-",
                f"{med:.3f}",
                f"{min(samples):.3f}",
                f"{max(samples):.3f}",
                f"{med / baseline:.2f}x",
                ", ".join(goals) or "-",
                ("yes" if met else "NO") if goals else "-",
            ]
        )
    print_table(
        "Start to first HTTP 200 (seconds) and size",
        ["build", "size", "median s", "min s", "max s", "vs python", "goal", "met"],
        rows,
    )
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
