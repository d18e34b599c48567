"""Read a project file with MPXJ, the Java library GanttProject and ProjectLibre
use to read and write MS Project files, and print what it sees as JSON; with
``--mspdi OUT`` also save it as MS Project XML through MPXJ's writer, as those
programs do. The tests run it in its own process: a JVM starts once per
process and cannot be started again.

    python tests/mpxj_tool.py plan.xml [--mspdi out.xml]

Prints {"tasks": [{uid, name, level, parent, start, finish, milestone,
summary, people, links: [{uid, type, lag}]}]}: dates as YYYY-MM-DD (finish is
the last working day), lags in working days, parent and link uid as MPXJ's
unique ids. MPXJ's own row for the whole project (outline level 0) is left out.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def read(path: str, mspdi_out: str | None) -> dict[str, Any]:
    import jpype
    import mpxj  # noqa: F401  (puts MPXJ's jars on the class path)

    jpype.startJVM()
    from org.mpxj import TimeUnit
    from org.mpxj.reader import UniversalProjectReader
    from org.mpxj.writer import FileFormat, UniversalProjectWriter

    project = UniversalProjectReader().read(path)
    if project is None:
        raise SystemExit(f"MPXJ could not read {path}")
    props = project.getProjectProperties()

    def day(value: Any) -> str | None:
        return str(value.toLocalDate()) if value is not None else None

    def days(lag: Any) -> float:
        if lag is None:
            return 0
        return round(float(lag.convertUnits(TimeUnit.DAYS, props).getDuration()), 3)

    tasks = []
    for task in project.getTasks():
        level = task.getOutlineLevel()
        if task.getName() is None or level is None or int(level) == 0:
            continue
        parent = task.getParentTask()
        tasks.append(
            {
                "uid": int(task.getUniqueID()),
                "name": str(task.getName()),
                "level": int(level),
                "parent": int(parent.getUniqueID())
                if parent is not None and parent.getOutlineLevel() and int(parent.getOutlineLevel())
                else None,
                "start": day(task.getStart()),
                "finish": day(task.getFinish()),
                "milestone": bool(task.getMilestone()),
                "summary": bool(task.getSummary()),
                "people": sorted(
                    str(a.getResource().getName())
                    for a in task.getResourceAssignments()
                    if a.getResource() is not None and a.getResource().getName() is not None
                ),
                "links": sorted(
                    (
                        {
                            "uid": int(r.getPredecessorTask().getUniqueID()),
                            "type": str(r.getType()),
                            "lag": days(r.getLag()),
                        }
                        for r in task.getPredecessors()
                    ),
                    key=lambda link: (link["uid"], link["type"]),
                ),
            }
        )
    if mspdi_out:
        UniversalProjectWriter(FileFormat.MSPDI).write(project, mspdi_out)
    return {"tasks": tasks}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("path")
    parser.add_argument("--mspdi", help="also save the project as MS Project XML here")
    args = parser.parse_args(argv)
    json.dump(read(args.path, args.mspdi), sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
