"""The rules between the schedule's records, written once.

A task's project, type and parent (summaries.py) exist, its dependencies exist, it does not depend
on itself, and the dependencies form no cycle. `reference_problems` checks
one task's references against any view of which records exist: the store as
it is (a single edit, service.py) or the state a whole-document POST leaves
behind (data.py). The data-problems finder (localapp/problems.py) looks for
the same broken references and loops across devices' merged edits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .fields import PROJECTS, TASKS, TYPES

#: (kind, id) -> whether such a live record exists, in the state being checked
Exists = Callable[[str, str], bool]


def broken_references(
    rid: str, content: Mapping[str, Any], exists: Exists, old: Mapping[str, Any] | None = None
) -> dict[str, list[str]]:
    """{field: the ids it names that do not exist} for a task (`depends_on` also
    names the task itself when it depends on itself).

    With `old` (the stored record, for an edit) only what the edit adds is
    checked: a project or type it sets, dependencies it adds. A reference
    that broke elsewhere (sync can join a task made on one device to a
    project deleted on another: the data problems, localapp/problems/) does
    not block editing the rest of the record, or the fix itself.
    """
    broken: dict[str, list[str]] = {}
    before = old or {}
    for name, kind in (("project_id", PROJECTS), ("type_id", TYPES), ("parent", TASKS)):
        ref = content.get(name)
        if ref is not None and ref != before.get(name) and not exists(kind, ref):
            broken[name] = [ref]
    had = set(before.get("depends_on") or ())
    added = [d for d in content.get("depends_on") or [] if d not in had]
    if rid in added:
        broken["depends_on"] = [rid]
    else:
        missing = [d for d in added if not exists(TASKS, d)]
        if missing:
            broken["depends_on"] = missing
    return broken


def reference_problems(
    rid: str, content: Mapping[str, Any], exists: Exists, old: Mapping[str, Any] | None = None
) -> dict[str, str]:
    """{field: reason} for a task's references that break the rules (see
    `broken_references`)."""
    problems: dict[str, str] = {}
    for name, ids in broken_references(rid, content, exists, old).items():
        if name == "project_id":
            problems[name] = f"project {ids[0]} does not exist"
        elif name == "type_id":
            problems[name] = f"task type {ids[0]} does not exist"
        elif name == "parent":
            problems[name] = f"no such task: {ids[0]}"
        elif ids == [rid]:
            problems[name] = "a task cannot depend on itself"
        else:
            problems[name] = "no such task: " + ", ".join(ids)
    return problems


def cycle_through(
    start: str, first: Iterable[str], deps_of: Callable[[str], Iterable[str]]
) -> list[str] | None:
    """If following depends_on from `first` leads back to `start`, the cycle's path.

    The graph outside `start` is followed transitively; each task is visited
    once, so this ends even if the stored graph already had a cycle elsewhere.
    """
    parent: dict[str, str] = {}
    stack: list[str] = []
    for dep in first:
        if dep == start:
            return [start, start]
        if dep not in parent:
            parent[dep] = start
            stack.append(dep)
    while stack:
        node = stack.pop()
        for nxt in deps_of(node):
            if nxt == start:
                chain = []
                cur = node
                while cur != start:
                    chain.append(cur)
                    cur = parent[cur]
                return [start, *reversed(chain), start]
            if nxt not in parent:
                parent[nxt] = node
                stack.append(nxt)
    return None


def label(rid: str, name: str | None) -> str:
    """How a task is named in a message: its name and id, or its id alone."""
    return f"{name} ({rid})" if name else rid


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str] | None:
    """Any cycle in a whole dependency graph (task id -> ids it depends on), or None."""
    grey, black = 1, 2
    colour: dict[str, int] = {}
    for root in graph:
        if root in colour:
            continue
        colour[root] = grey
        path = [root]
        stack: list[Iterator[str]] = [iter(graph[root])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = black
                stack.pop()
                continue
            state = colour.get(nxt)
            if state == grey:
                return [*path[path.index(nxt) :], nxt]
            if state is None and nxt in graph:
                colour[nxt] = grey
                path.append(nxt)
                stack.append(iter(graph[nxt]))
    return None
