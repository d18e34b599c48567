"""What a hub takes from a device's push: records in canonical form, their values
checked by the record-kind registry like a REST edit's; one bad record refuses
the whole batch, before anything is stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import kinds
from ..errors import ValidationError
from .errors import SyncError
from .values import normal_form


def checked(records: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A pushed batch's records in canonical form, their values checked by the
    record-kind registry like the REST API's; one bad record refuses the batch.

    Checked before anything is stored: in the bucket log (never rewritten) a
    malformed record would make every later pull and catch-up fail, and a
    value the REST API refuses (a name that is a number, a price that is not)
    must not reach every device another way.
    """
    out = []
    for i, rec in enumerate(records, 1):
        try:
            record = normal_form(rec)
        except (SyncError, ValueError, KeyError, TypeError, AttributeError) as exc:
            why = exc.message if isinstance(exc, SyncError) else f"{type(exc).__name__}: {exc}"
            raise ValidationError(
                f"Record {i} of the batch is not a valid sync record ({why}).",
                fields={"records": f"record {i}: {why}"},
            ) from None
        problems = value_problems(record)
        if problems:
            where = f"record {i} ({record['table']} {record['id']})"
            raise ValidationError(
                f"The batch was not stored: {where} has values the server refuses: "
                + "; ".join(f"{name} {why}" for name, why in problems.items()),
                fields={f"records[{i}].{name}": why for name, why in problems.items()},
            )
        out.append(record)
    return out


def value_problems(record: Mapping[str, Any]) -> dict[str, str]:
    """{field: why} for the values (winning and losing) of a record of a declared kind."""
    try:
        kind = kinds.by_table(str(record.get("table")))
    except KeyError:
        return {}
    problems: dict[str, str] = {}
    versions = [(name, cell.get("v")) for name, cell in (record.get("fields") or {}).items()]
    versions += [
        (c.get("field"), c.get("v"))
        for c in record.get("_conflicts") or ()
        if c.get("kind") == "field"
    ]
    for name, value in versions:
        why = kind.value_problem(str(name), value)
        if why and name not in problems:
            problems[str(name)] = why
    return problems
