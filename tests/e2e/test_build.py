"""The frozen builds from build/localapp.spec, built once for this module.

- The one-folder server build, copied and run from a read-only mount with a
  read-only HOME (as on a FaaS runtime): /health answers within 2 s, the UI
  and the API (sign-in, then the projects) work, and the log warns that the
  store is not durable.
- build/faas/bootstrap, in the Function Compute layout, starts that build on
  0.0.0.0:${FC_SERVER_PORT:-9000} (in a private network namespace, so the
  default port is free and nothing is reachable from outside).
- The server build carries no GUI toolkit and no pywebview, but does carry
  boto3 with botocore's S3 model (and no other service's); the desktop
  one-file build carries no boto3.
- The server build in bucket mode, as deployed on FaaS (read-only code and
  HOME, data in the temp dir), against moto's S3 server on 127.0.0.1: a
  product made through one instance is served by a second one started with
  an empty data dir on the same bucket.
- The one-file desktop executable serves the guarded desktop app, and shows
  its window under Xvfb (screenshot in tests/artifacts/).

PyInstaller runs from a temp folder as the current directory, which proves
the spec's paths are relative to the spec and not to where it is run.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from conftest import (
    ROOT,
    Response,
    free_port,
    http,
    require,
    require_tool,
    stop_process,
    wait_healthy,
)
from polling import wait_for

from localapp.sync.config import BucketConfig

# moto's S3 server (`s3_url`) and a fresh bucket per test (`config`): tests/s3.py
pytest_plugins = ["s3"]

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "frozen-test-pw"
SPEC = ROOT / "build" / "localapp.spec"
BOOTSTRAP = ROOT / "build" / "faas" / "bootstrap"


@dataclass(frozen=True)
class Builds:
    server_dir: Path  # the one-folder build
    desktop_exe: Path  # the one-file build

    @property
    def server_exe(self) -> Path:
        return self.server_dir / "localapp-server"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    require(_has_module("PyInstaller"), "PyInstaller is not installed (the build extra)")
    require(_has_module("webview"), "pywebview is not installed (the desktop extra)")
    tmp = tmp_path_factory.mktemp("frozen")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--workpath",
            str(tmp / "work"),
            "--distpath",
            str(tmp / "dist"),
            str(SPEC),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp,
        env={**os.environ, "LOCALAPP_BUILD": "server,desktop"},
    )
    assert done.returncode == 0, (
        f"PyInstaller failed:\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    )
    built = Builds(tmp / "dist" / "localapp-server", tmp / "dist" / "localapp")
    assert built.server_exe.is_file() and built.desktop_exe.is_file()
    return built


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


@pytest.fixture(scope="module")
def namespaces(tmp_path_factory: pytest.TempPathFactory) -> None:
    """unshare with a read-only bind mount (and a private network) must work here."""
    for tool in ("unshare", "mount", "ip"):
        require_tool(tool)
    d = tmp_path_factory.mktemp("probe")
    q = shlex.quote(str(d))
    probe = subprocess.run(
        [
            "unshare",
            "-m",
            "-n",
            "sh",
            "-c",
            f"ip link set lo up && mount --bind {q} {q} && mount -o remount,bind,ro {q} "
            f"&& ! touch {q}/x 2>/dev/null",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    require(probe.returncode == 0, f"unshare -m -n does not work here: {probe.stderr.strip()}")


def _copy_build(builds: Builds, dest: Path) -> Path:
    shutil.copytree(builds.server_dir, dest / "localapp-server", symlinks=True)
    return dest


def _clean_env(tmp_path: Path, home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "LOCALAPP_DATA_DIR",
            "UPLOAD_DIR",
            "XDG_DATA_HOME",
            "PORT",
            "FC_SERVER_PORT",
            "LOCALAPP_PUBLIC_READ",
            "DISPLAY",
        }
        and not k.startswith(("LOCALAPP_S3_", "OSS_"))
    }
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(exist_ok=True)
    env.update(
        HOME=str(home), TMPDIR=str(tmpdir), LOG_LEVEL="INFO", LOCALAPP_ADMIN_PASSWORD=ADMIN_PASSWORD
    )
    return env


def _ro_mounts(*dirs: Path) -> list[str]:
    lines = []
    for d in dirs:
        q = shlex.quote(str(d))
        lines += [f"mount --bind {q} {q}", f"mount -o remount,bind,ro {q}"]
    return lines


def test_server_build_serves_from_a_read_only_copy(
    builds: Builds, namespaces: None, tmp_path: Path
) -> None:
    app_dir = _copy_build(builds, tmp_path / "app")
    home = tmp_path / "home"
    home.mkdir()
    exe = app_dir / "localapp-server" / "localapp-server"
    port = free_port()
    script = "\n".join(
        [
            "set -e",
            *_ro_mounts(app_dir, home),
            "exec " + shlex.join([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)]),
        ]
    )
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["unshare", "-m", "sh", "-c", script],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=_clean_env(tmp_path, home),
            cwd=tmp_path,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        # The one timing requirement: /health within 2 s of the start.
        deadline = time.monotonic() + 2.0
        health = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = http("GET", base + "/health", timeout=0.5)
                break
            except OSError:
                time.sleep(0.02)
        assert health is not None, (
            f"/health did not answer within 2 s:\n{log_path.read_text(errors='replace')}"
        )
        # It listens first: 503 "loading" until the data is open, then 200.
        if health.status == 503:
            assert health.json()["status"] == "loading"  # type: ignore[index]
            health = wait_for(
                lambda: (h := http("GET", base + "/health", timeout=2)).status == 200 and h,
                "the build to finish loading",
                timeout=20,
            )
        assert health.status == 200, health.body
        body = health.json()
        fallback = tmp_path / "tmp" / "localapp"
        assert body["storage"] == {"path": str(fallback), "durable": False}  # type: ignore[index]

        page = http("GET", base + "/")
        assert page.status == 200 and b"<html" in page.body
        assert http("GET", base + "/js/app.js").status == 200
        assert http("GET", base + "/api/projects").status == 401
        login = http("POST", base + "/api/login", {"username": "admin", "password": ADMIN_PASSWORD})
        assert login.status == 200, login.body
        cookie = login.headers["set-cookie"].split(";", 1)[0]
        projects = http("GET", base + "/api/projects", headers={"Cookie": cookie})
        assert projects.status == 200, projects.body
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    log = log_path.read_text(errors="replace")
    warns = [line for line in log.splitlines() if " WARNING " in line and "NOT durable" in line]
    assert warns, f"no warning about the non-durable store:\n{log}"
    assert str(home / ".local" / "share" / "localapp") in warns[0]
    assert not any(home.iterdir()), "the read-only HOME was written"


def test_bootstrap_starts_the_server_build_on_the_fc_port(
    builds: Builds, namespaces: None, tmp_path: Path
) -> None:
    # The code package layout build.sh makes: bootstrap next to localapp-server/.
    code = _copy_build(builds, tmp_path / "code")
    shutil.copy2(BOOTSTRAP, code / "bootstrap")
    assert os.access(BOOTSTRAP, os.X_OK), "build/faas/bootstrap must be executable"
    home = tmp_path / "home"
    home.mkdir()
    # Inside a private network namespace only loopback exists; 127.0.0.2 is
    # loopback too, so reaching it proves the server listens on 0.0.0.0.
    probe = textwrap.dedent("""
        import json, sys, time, urllib.request
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.2:9000/health", timeout=1) as r:
                    print("PROBE " + json.dumps({"http_status": r.status, **json.load(r)}))
                    break
            except OSError as exc:
                if time.monotonic() > deadline:
                    print("PROBE " + json.dumps({"error": str(exc)}))
                    break
                time.sleep(0.05)
        """)
    script = "\n".join(
        [
            "set -e",
            "ip link set lo up",
            *_ro_mounts(code, home),
            f"{shlex.quote(str(code / 'bootstrap'))} > {shlex.quote(str(tmp_path / 'fc.log'))} 2>&1 &",
            "server=$!",
            f"{shlex.quote(sys.executable)} -c {shlex.quote(probe)}",
            "kill -TERM $server",
            "wait $server",
        ]
    )
    done = subprocess.run(
        ["unshare", "-m", "-n", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=_clean_env(tmp_path, home),
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    log = (tmp_path / "fc.log").read_text(errors="replace")
    lines = [line for line in done.stdout.splitlines() if line.startswith("PROBE ")]
    assert lines, f"{done.stdout}\n{done.stderr}\n{log}"
    result = json.loads(lines[0][len("PROBE ") :])
    assert result.get("http_status") == 200, f"{result}\n{log}"
    assert result["mode"] == "server"
    assert "serving on http://0.0.0.0:9000" in log
    assert done.returncode == 0, f"bootstrap did not stop cleanly on SIGTERM:\n{log}"


def _archive_names(exe: Path) -> set[str]:
    """Every module and file name in a frozen program's archives."""
    listing = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller.utils.cliutils.archive_viewer",
            "--recursive",
            str(exe),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listing.returncode == 0, listing.stderr
    return set(re.findall(r"'([^']+)'", listing.stdout))


def test_server_build_has_boto3_with_the_s3_model_and_no_gui_toolkit(builds: Builds) -> None:
    names = [
        p.relative_to(builds.server_dir).as_posix().lower() for p in builds.server_dir.rglob("*")
    ]
    for banned in (
        "libgtk",
        "libwebkit",
        "libjavascriptcore",
        "libqt",
        "pyqt",
        "webview",
        "gi_typelibs",
        "moto",
    ):
        hits = [n for n in names if banned in n]
        assert not hits, f"the server build carries {banned}: {hits[:5]}"
    modules = _archive_names(builds.server_exe)
    for banned in ("webview", "gi", "PyQt6", "qtpy", "tkinter", "moto", "pytest"):
        assert banned not in modules, f"the server build imports {banned}"
    assert "localapp.web.core_routes" in modules and "localapp.ui" in modules
    # bucket mode (docs/sync.md): boto3, and what it loads by name at run time
    for needed in ("boto3", "botocore", "s3transfer", "boto3.s3.inject", "botocore.handlers"):
        assert needed in modules, f"the server build lacks {needed}"
    data = builds.server_dir / "_internal" / "botocore" / "data"
    for needed in (
        "endpoints.json",
        "partitions.json",
        "sdk-default-configuration.json",
        "s3/2006-03-01/service-2.json.gz",
        "s3/2006-03-01/endpoint-rule-set-1.json.gz",
    ):
        assert (data / needed).is_file(), f"the server build lacks botocore/data/{needed}"
    services = {p.name for p in data.iterdir() if p.is_dir()}
    assert "ec2" not in services and services <= {"s3", "sts"}, (
        f"the server build carries other services' models: {sorted(services)[:10]}"
    )
    size = sum(
        p.stat().st_size for p in builds.server_dir.rglob("*") if p.is_file() and not p.is_symlink()
    )
    assert size < 60 * 1024 * 1024, f"the server build is {size / 2**20:.1f} MB (goal: <= 60 MB)"


def test_desktop_build_has_no_boto3(builds: Builds) -> None:
    """A one-file build unpacks everything at every start: boto3 stays out."""
    names = _archive_names(builds.desktop_exe)
    assert "localapp.sync.config" in names
    hits = sorted(
        n for n in names if n.split(".")[0].split("/")[0] in {"boto3", "botocore", "s3transfer"}
    )
    assert not hits, f"the desktop build carries boto3: {hits[:5]}"


@dataclass
class FaasInstance:
    """A frozen server in bucket mode, laid out as on FaaS (see _start_in_bucket_mode)."""

    proc: subprocess.Popen
    url: str
    token: str
    tmpdir: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(self, method: str, path: str, body: object | None = None) -> Response:
        return http(
            method, self.url + path, body, headers={"Authorization": f"Bearer {self.token}"}
        )


def _start_in_bucket_mode(
    app_dir: Path, home: Path, tmp_path: Path, name: str, config: BucketConfig
) -> FaasInstance:
    """The server build from a read-only copy with a read-only HOME and no
    LOCALAPP_DATA_DIR, so its data dir is <its own empty TMPDIR>/localapp (a
    cold start's /tmp); an API token made there by the frozen `token create`."""
    from s3 import DUMMY  # imported once pytest has loaded it as a plugin

    assert config.endpoint is not None
    env = _clean_env(tmp_path, home)
    tmpdir = tmp_path / f"tmp-{name}"
    tmpdir.mkdir()
    env.update(
        DUMMY,
        TMPDIR=str(tmpdir),
        LOCALAPP_S3_BUCKET=config.bucket,
        LOCALAPP_S3_ENDPOINT=config.endpoint,
        LOCALAPP_S3_REGION="us-east-1",
    )
    exe = str(app_dir / "localapp-server" / "localapp-server")
    port = free_port()
    token_file = tmp_path / f"token-{name}.txt"
    script = "\n".join(
        [
            "set -e",
            *_ro_mounts(app_dir, home),
            f"{shlex.quote(exe)} token create frozen-{name} > {shlex.quote(str(token_file))}",
            "exec " + shlex.join([exe, "serve", "--host", "127.0.0.1", "--port", str(port)]),
        ]
    )
    log_path = tmp_path / f"{name}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["unshare", "-m", "sh", "-c", script],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=tmp_path,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log_path, timeout=30)
    except BaseException:
        stop_process(proc)
        raise
    token = token_file.read_text().strip().splitlines()[-1]
    return FaasInstance(proc, url, token, tmpdir, log_path)


def test_server_build_keeps_its_data_in_the_bucket(
    builds: Builds, namespaces: None, tmp_path: Path, config: BucketConfig
) -> None:
    app_dir = _copy_build(builds, tmp_path / "app")
    home = tmp_path / "home"
    home.mkdir()
    instances: list[FaasInstance] = []
    try:
        one = _start_in_bucket_mode(app_dir, home, tmp_path, "one", config)
        instances.append(one)
        health = one.request("GET", "/health").json()
        assert health["storage"] == {"path": str(one.tmpdir / "localapp"), "durable": False}
        made = one.request(
            "POST", "/api/products", {"sku": "FC-1", "name": "冷启动 膨胀螺栓", "price": 1250}
        )
        assert made.status == 201, made.body
        pid = made.json()["product"]["id"]
        one.proc.send_signal(signal.SIGTERM)
        assert one.proc.wait(timeout=30) == 0, one.log()
        # the edit is in the bucket's log, not only in the (lost) /tmp
        listed = config.client().list_objects_v2(Bucket=config.bucket, Prefix="log/")
        assert listed.get("KeyCount", 0) >= 1, listed

        two = _start_in_bucket_mode(app_dir, home, tmp_path, "two", config)
        instances.append(two)
        assert two.tmpdir != one.tmpdir
        # its first answer already has it: no polling
        shown = two.request("GET", f"/api/products/{pid}")
        assert shown.status == 200, f"{shown.body!r}\n{two.log()}"
        assert shown.json()["product"]["name"] == "冷启动 膨胀螺栓"
        assert shown.json()["product"]["price"] == 1250
        listing = two.request("GET", "/api/products?per_page=100").json()
        assert [p["id"] for p in listing["items"]] == [pid]
    finally:
        for instance in instances:
            stop_process(instance.proc)
    for instance in instances:
        log = instance.log()
        assert "Traceback" not in log, log
        assert "Could not read the sync bucket" not in log, log
    assert not any(home.iterdir()), "the read-only HOME was written"


@pytest.fixture
def desktop_exe_run(builds: Builds, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path]]:
    log_path = tmp_path / "onefile.log"
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                str(builds.desktop_exe),
                "--data-dir",
                str(tmp_path / "data"),
                "desktop",
                "--no-window",
                "--no-browser",
                "--port",
                str(free_port()),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**env, "TMPDIR": str(tmp_path)},
        )
    try:
        yield proc, log_path
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_desktop_onefile_serves_the_guarded_app(
    desktop_exe_run: tuple[subprocess.Popen, Path],
) -> None:
    proc, log_path = desktop_exe_run
    deadline = time.monotonic() + 60
    link = None
    while link is None:
        found = re.search(
            r"http://127\.0\.0\.1:\d+/desktop/open\?token=[\w-]+",
            log_path.read_text(errors="replace"),
        )
        link = found.group(0) if found else None
        assert proc.poll() is None, log_path.read_text(errors="replace")
        assert time.monotonic() < deadline, log_path.read_text(errors="replace")
        time.sleep(0.05)
    assert "no desktop window" not in log_path.read_text(), "--no-window needs no reason line"
    base = link.split("/desktop/")[0]
    assert http("GET", base + "/").status == 401
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(link, timeout=10) as page:
        assert page.status == 200 and b"<html" in page.read()
    with opener.open(base + "/api/session", timeout=10) as r:
        session = json.load(r)
    assert session["mode"] == "desktop" and session["authenticated"] is True
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert "Closed the data store" in log_path.read_text(errors="replace")


def test_desktop_onefile_shows_its_window(builds: Builds, tmp_path: Path, artifacts: Path) -> None:
    from xvfb_display import capture_drawn, require_gui, window_env, xvfb

    require_tool("import")
    log_path = tmp_path / "window.log"
    with xvfb() as display:
        require_gui(display)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [str(builds.desktop_exe), "--data-dir", str(tmp_path / "d")],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**window_env(display), "TMPDIR": str(tmp_path)},
            )
        try:
            deadline = time.monotonic() + 60
            while "GET /api/session 200" not in log_path.read_text(errors="replace"):
                assert proc.poll() is None, log_path.read_text(errors="replace")
                assert time.monotonic() < deadline, log_path.read_text(errors="replace")
                time.sleep(0.1)
            capture_drawn(artifacts / "desktop-onefile-zh.png", window_env(display))
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0, log_path.read_text(errors="replace")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    log = log_path.read_text(errors="replace")
    assert "Closed the data store" in log
    assert "Traceback" not in log, log


def test_server_build_reads_spreadsheets_in_a_child_of_itself(builds: Builds) -> None:
    """A frozen build has no python to run the reader with: it starts itself."""
    import io
    import pickle

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["编码", "名称", "单价"])
    wb.active.append(["SD-001", "十字螺丝刀", 12.5])
    buf = io.BytesIO()
    wb.save(buf)
    done = subprocess.run(
        [str(builds.server_exe), "--localapp-sheet-reader", "100"],
        input=buf.getvalue(),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    result = pickle.loads(done.stdout)
    assert result[0] == "ok"
    assert ["SD-001", "十字螺丝刀", 12.5] in [list(r) for r in result[3]]
