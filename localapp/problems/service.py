"""The data problems of one store: found (finding.py), listed, and fixed (fixes.py).

See the package's docstring for the kinds and their fixes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..catalogue import Catalogue
from ..catalogue.orders import ORDERS, Orders
from ..records import gc_paused
from ..schedule import PROJECTS, TASKS, TYPES, Schedule
from .describe import ACTIONS, KINDS, LIST_LIMIT, TARGETS, Doc, ProblemGone, invalid_request
from .finding import order_problems, product_problems, schedule_problems
from .fixes import Fixes


class Problems:
    """Finds and fixes the problems of one store. Create one per store and keep it."""

    def __init__(self, schedule: Schedule, catalogue: Catalogue, orders: Orders) -> None:
        if schedule.store is not catalogue.store:
            raise ValueError("the schedule and the catalogue must share one store")
        self.schedule = schedule
        self.catalogue = catalogue
        self.orders = orders
        self.store = catalogue.store
        self._versions = {"schedule": 0, "orders": 0}
        self._cache: dict[str, tuple[Any, list[Doc]]] = {}
        self.fixes = Fixes(schedule, catalogue, orders)
        self.store.add_listener(self._changed)

    def _changed(self, table: str | None, keys: set[str] | None) -> None:
        if table is None or table in (PROJECTS, TASKS, TYPES):
            self._versions["schedule"] += 1
        if table is None or table == ORDERS:
            self._versions["orders"] += 1

    def _cached(self, part: str, version: Any, compute: Callable[[], list[Doc]]) -> list[Doc]:
        hit = self._cache.get(part)
        if hit is not None and hit[0] == version:
            return hit[1]
        found = compute()
        self._cache[part] = (version, found)
        return found

    # -- finding ---------------------------------------------------------------

    def find(self) -> list[Doc]:
        """Every problem, in `KINDS` order. The dicts are shared with the cache:
        read them, do not change them."""
        with self.store.reading():
            # The version is read under the lock, after the store has caught
            # up with other processes (which tells the listener).
            # Paused: with 100,000 products in memory a full collection
            # triggered by this pass's allocations would cost more than the pass.
            with gc_paused():
                schedule = self._cached(
                    "schedule", self._versions["schedule"], lambda: schedule_problems(self.schedule)
                )
            with self.catalogue.reading() as index:
                products = self._cached("products", index.version, lambda: product_problems(index))
            orders = self._cached(
                "orders", self._versions["orders"], lambda: order_problems(self.store)
            )
        return [*schedule, *products, *orders]

    def listing(self, limit: int = LIST_LIMIT) -> Doc:
        """`{"items", "total", "counts"}`: the first `limit` problems, how many
        there are, and how many of each kind."""
        found = self.find()
        counts = {kind: 0 for kind in KINDS}
        for problem in found:
            counts[problem["kind"]] += 1
        return {
            "items": found[:limit],
            "total": len(found),
            "counts": {k: n for k, n in counts.items() if n},
        }

    # -- fixing ----------------------------------------------------------------

    def fix(self, data: Mapping[str, Any], *, by: str = "") -> Doc:
        """Apply one of a problem's fixes: `{"problem", "action", <targets>...}`.

        Returns `{"ok", "problem", "action", "fixed", "changed", "total"}`:
        whether the problem is gone now (keeping one of three products leaves
        none; a new SKU for one of three leaves two), the records changed, and
        how many problems are left.
        """
        if not isinstance(data, Mapping):
            raise invalid_request(
                {"body": "must be a JSON object"},
                {"body": "not_an_object"},
                "The body must be a JSON object.",
            )
        missing = {
            k: "required"
            for k in ("problem", "action")
            if not isinstance(data.get(k), str) or not data.get(k)
        }
        if missing:
            raise invalid_request(
                missing,
                dict.fromkeys(missing, "required"),
                "Say which problem to fix and how (problem, action).",
            )
        problem_id, action = str(data["problem"]), str(data["action"])
        with self.store.transaction():
            problem = next((p for p in self.find() if p["id"] == problem_id), None)
            if problem is None:
                raise ProblemGone(
                    "This problem is not there any more (perhaps it was fixed "
                    "on another device). The list has been refreshed."
                )
            allowed = ACTIONS[problem["kind"]]
            if action not in allowed:
                raise invalid_request(
                    {"action": "must be one of " + ", ".join(allowed)},
                    {"action": "unknown_action"},
                    f"A {problem['kind']} problem is fixed with "
                    f"{' or '.join(allowed)}, not {action!r}.",
                )
            chosen = self._chosen(problem, action, data)
            changed = getattr(self.fixes, f"_fix_{action}")(problem, chosen, data, by)
            left = self.find()
        return {
            "ok": True,
            "problem": problem_id,
            "action": action,
            "fixed": all(p["id"] != problem_id for p in left),
            "changed": changed,
            "total": len(left),
        }

    @staticmethod
    def _chosen(problem: Doc, action: str, data: Mapping[str, Any]) -> Doc:
        """The problem's own action entry that the request names."""
        targets = TARGETS.get(action, ())
        bad = {k: "required" for k in targets if not isinstance(data.get(k), str)}
        if bad:
            raise invalid_request(
                bad, dict.fromkeys(bad, "required"), f"{action} needs {' and '.join(targets)}."
            )
        for entry in problem["actions"]:
            if entry["action"] == action and all(entry[k] == data[k] for k in targets):
                return entry
        fields = dict.fromkeys(targets, "not one of this problem's records")
        raise invalid_request(
            fields,
            dict.fromkeys(targets, "not_in_problem"),
            f"{action} can only act on the records this problem lists.",
        )
