"""Packaging: what `pip install .` (not editable) really puts on disk.

ui/ and sync/ live at the top of the repository but must be installed inside
the `localapp` namespace: a package called plain `ui` or `sync` in
site-packages would clash with other projects. The installed copy, run from
another directory, must still find and serve the UI.

The install goes into a `--target` folder from a copy of the source, so the
build leaves no `build/` or `*.egg-info` behind in the checkout, and it needs
no network (`--no-index --no-build-isolation`: setuptools and wheel come from
the test extra).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import ROOT, free_port, http, require, stop_process, wait_healthy

#: Files in ui/ that are for development only and are not meant to ship.
UI_DEV_ONLY = {"package.json", "package-lock.json", "node_modules"}
#: What the source copy needs for a build.
SOURCE_ITEMS = ("pyproject.toml", "README.md", "localapp", "ui", "sync")
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "node_modules")


def _files(root: Path, skip_top: set[str] = frozenset()) -> set[str]:
    """Relative paths of the files under `root` that a build should carry."""
    out = set()
    for p in root.rglob("*"):
        rel = p.relative_to(root)
        if rel.parts[0] in skip_top or "__pycache__" in rel.parts or p.suffix == ".pyc":
            continue
        if p.is_file():
            out.add(rel.as_posix())
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real non-editable install of this checkout into its own folder."""
    for mod in ("setuptools", "wheel"):
        require(
            importlib.util.find_spec(mod) is not None,
            f"{mod} is needed in the venv to build without network (test extra)",
        )
    tmp = tmp_path_factory.mktemp("pkg")
    src = tmp / "src"
    src.mkdir()
    for item in SOURCE_ITEMS:
        p = ROOT / item
        if p.is_dir():
            shutil.copytree(p, src / item, ignore=IGNORE)
        else:
            shutil.copy2(p, src / item)
    target = tmp / "site"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--disable-pip-version-check",
            "--quiet",
            "--target",
            str(target),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp,
    )
    assert out.returncode == 0, f"pip install . failed:\n{out.stdout}\n{out.stderr}"
    return target


def test_install_has_no_generic_top_level_packages(site: Path) -> None:
    assert not (site / "ui").exists(), "pip install . put a top-level `ui` into site-packages"
    assert not (site / "sync").exists(), "pip install . put a top-level `sync` into site-packages"
    top = {p.name for p in site.iterdir() if not p.name.endswith(".dist-info") and p.name != "bin"}
    assert top == {"localapp"}, f"unexpected top-level names in site-packages: {sorted(top)}"
    assert (site / "localapp" / "ui" / "index.html").is_file()
    assert (site / "localapp" / "sync" / "__init__.py").is_file()


def test_install_carries_every_source_and_ui_file(site: Path) -> None:
    """A file in the checkout that the wheel forgets breaks only installed users."""
    pairs = [
        (ROOT / "localapp", site / "localapp", set()),
        (ROOT / "ui", site / "localapp" / "ui", UI_DEV_ONLY),
        (ROOT / "sync", site / "localapp" / "sync", set()),
    ]
    for source, installed, skip in pairs:
        have = _files(installed)
        missing = sorted(_files(source, skip) - have)
        assert not missing, (
            f"{source.relative_to(ROOT)}/ files missing from the installed package "
            f"(add them to packages or package-data in pyproject.toml): {missing}"
        )


def test_installed_app_serves_ui_from_another_directory(site: Path, tmp_path: Path) -> None:
    # -S: no site-packages and no .pth files, so the editable install of this
    # checkout cannot leak in; dependencies come from the venv's
    # site-packages, placed after the installed copy.
    deps = sysconfig.get_paths()["purelib"]
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(site), deps]),
        "LOCALAPP_ADMIN_PASSWORD": "pkg-test-pw",
        "TMPDIR": str(tmp_path),
    }
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [
            sys.executable,
            "-S",
            "-c",
            "import localapp.ui, localapp.paths as p; print(localapp.ui.__file__);"
            "print(p.ui_root())",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=elsewhere,
        timeout=60,
    )
    assert where.returncode == 0, where.stderr
    for line in where.stdout.splitlines():
        assert line.startswith(str(site)), f"imported from {line}, not the installed copy"

    port = free_port()
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as logf:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-S",
                "-m",
                "localapp",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "data"),
            ],
            stdout=logf,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=elsewhere,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log_path)
        page = http("GET", url + "/")
        assert page.status == 200, page.body[:500]
        assert page.headers.get("content-type", "").startswith("text/html")
        assert page.body == (site / "localapp" / "ui" / "index.html").read_bytes()
        health = http("GET", url + "/health")
        assert health.status == 200
        storage = health.json()["storage"]  # type: ignore[index]
        assert storage["durable"] is True
        assert storage["path"].startswith(str(tmp_path / "data"))
    finally:
        stop_process(proc)
