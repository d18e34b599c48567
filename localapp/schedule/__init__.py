"""The project schedule: projects, and tasks typed and coloured on a Gantt chart.

Plain Python over the Store (no bottle, no webview):

- fields.py    the tables, names and limits, and per-field validation (the
               fields themselves are declared in localapp/kinds.py)
- rules.py     the rules between records: references exist, no dependency cycle
- queries.py   list filters, search, sort and pages
- calendar.py  working days: weekends, China's holidays and 调休, the team's days
- scheduling.py dependencies that move tasks, slack, early starts
- teamdays.py  reading a team calendar from an .ics file or holiday-cn JSON
- load.py      resource load: working days of tasks per assignee per week
- mirror.py    the tables in memory, kept current by a store listener
- service.py   `Schedule`: list, read, create, change, delete; upgrade steps
- data.py      the seed-compatible whole document (/api/data) and its revisions
- export.py    the tasks spreadsheet (xlsx)
"""

from .fields import (
    BASELINES,
    DAYS,
    DEFAULT_TASK_TYPES,
    PROJECTS,
    REVISIONS_KEEP,
    SAVED_MESSAGE,
    TASKS,
    TYPES,
    spec,
)
from .rules import find_cycle
from .service import Schedule, TaskExport

__all__ = [
    "BASELINES",
    "DAYS",
    "DEFAULT_TASK_TYPES",
    "PROJECTS",
    "REVISIONS_KEEP",
    "SAVED_MESSAGE",
    "TASKS",
    "TYPES",
    "Schedule",
    "TaskExport",
    "find_cycle",
    "spec",
]
