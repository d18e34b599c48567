"""Rules between records that sync cannot keep: found in the data, with fixes.

Each device checks the rules between records where an edit is made: a SKU
belongs to one product, a task's project, type and dependencies exist and
form no loop, an order sheet is uploaded once. Sync merges record by record
(sync/merge.py), so edits made offline on two devices can together break a
rule that neither broke alone. No record is lost, but the result can hide
one from its user (the schedule shows only the tasks of live projects, and
the seed's whole-document save of /api/data is refused while such a task
exists), count one twice, or leave two products behind one SKU. This module
lists those states and offers fixes:

| kind                 | what                                          | fixes (`action`)                                   |
|----------------------|-----------------------------------------------|----------------------------------------------------|
| `orphan_tasks`       | live tasks of a deleted project               | `restore_project`, `delete_tasks`                  |
| `missing_type`       | live tasks of a deleted task type             | `restore_type`, `clear_type`                       |
| `missing_dependency` | a live task depending on deleted tasks        | `restore_task` (one of them), `drop_dependencies`  |
| `dependency_cycle`   | tasks depending on each other in a loop       | `drop_link` (one link of the loop)                 |
| `early_start`        | a task starting before a predecessor ends        | `schedule_task` (make it automatic: it moves)   |
| `duplicate_sku`      | live products sharing a SKU (case ignored)    | `keep_product` (delete the others), `change_sku`   |
| `duplicate_order`    | one order file behind several live orders     | `keep_order` (delete the others)                   |

A reference to a record this store has never seen, not even as a tombstone,
is not listed: it is a record whose own change has not arrived yet.

Modules: describe.py (kinds, fixes, how records are named), finding.py,
fixes.py, service.py (`Problems`). Every fix is an ordinary edit made through
the schedule, the catalogue or the orders, so their rules are checked again (a new SKU must be free) and the
edit syncs to every device like any other. The problem is looked up again
inside the fix's transaction; one fixed meanwhile (on another device, say)
raises `ProblemGone`. The list is cached until a table it reads changes (a
store listener), so polling it costs nothing between edits, and duplicate
SKUs cost nothing to find: the search index keeps them (search.py).
"""

from .describe import KINDS, LIST_LIMIT, FixBlocked, ProblemGone
from .service import Problems

__all__ = ["KINDS", "LIST_LIMIT", "FixBlocked", "ProblemGone", "Problems"]
