"""Every benchmark still loads: a module moved by a refactor (say
`localapp.imports` into `localapp.catalogue`) breaks a benchmark script at
its first line, and benchmarks are not run by the test command."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT

LOAD = """
import importlib.util, sys
sys.path.insert(0, sys.argv[1])
failed = []
for path in sys.argv[2:]:
    spec = importlib.util.spec_from_file_location("bench", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)  # the scripts run only under __main__
    except Exception as exc:
        failed.append(f"{path}: {exc!r}")
print("\\n".join(failed))
"""


def test_every_benchmark_loads() -> None:
    scripts = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    assert len(scripts) >= 9
    out = subprocess.run(
        [sys.executable, "-c", LOAD, str(ROOT / "benchmarks"), *map(str, scripts)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
