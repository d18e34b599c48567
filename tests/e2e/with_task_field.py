"""Run `python -m localapp ...` with one field added to the task declaration.

The worked example of docs/architecture.md, as a real server: the line below
is the one a developer adds to `kinds.TASK` in localapp/kinds.py. Used as
`start_server(..., wrap=[sys.executable, this file])`.
"""

from __future__ import annotations

import runpy
import sys

from localapp import checks, kinds

kinds.TASK.fields["budget"] = kinds.Field(
    "int", "schedule.csv.budget", sort=True, export=10, check=checks.percent, default=lambda: 0
)

if __name__ == "__main__":
    python, flag, module, *args = sys.argv[1:]  # the wrapped `python -m localapp ...`
    assert (flag, module) == ("-m", "localapp"), sys.argv
    sys.argv = ["localapp", *args]
    runpy.run_module("localapp", run_name="__main__", alter_sys=True)
