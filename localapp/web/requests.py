"""Reading the parts of a request that every route module needs.

Query parameters as UTF-8 text, the revision in `If-Match`, yes/no flags
and the `ETag` of a record: one implementation for all route modules.
"""

from __future__ import annotations

from typing import Any

import bottle

from .. import errors

_YES = {"1", "true", "yes", "on"}


def query_params() -> dict[str, str]:
    # bottle hands query values over as latin-1; decode() gives real UTF-8 text (中文 in q).
    decoded = bottle.request.query.decode()
    return {key: decoded.get(key, "") for key in decoded}


def if_match() -> int | None:
    """The revision from If-Match (`3`, `"3"` or `W/"3"`); None when absent or `*`."""
    raw = (bottle.request.get_header("If-Match") or "").strip()
    if not raw or raw == "*":
        return None
    value = raw.removeprefix("W/").strip().strip('"')
    if not value.isdigit() or len(value) > 15:
        raise errors.ValidationError(
            "If-Match must hold the record's revision number (its rev), e.g. If-Match: 3",
            fields={"If-Match": "must be a revision number"})
    return int(value)


def flag(name: str) -> bool:
    """A yes/no query parameter such as ?cascade=1."""
    return (bottle.request.query.get(name) or "").strip().lower() in _YES


def attachment(body: bytes, content_type: str, filename: str) -> bottle.HTTPResponse:
    """A download; `filename` is ours (ASCII), never the client's."""
    return bottle.HTTPResponse(body, status=200, **{
        "Content-Type": content_type,
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Length": str(len(body)),
    })


def with_etag(record: dict[str, Any]) -> dict[str, Any]:
    """Send the record's revision as its ETag, for a later If-Match."""
    bottle.response.set_header("ETag", f'"{record.get("rev")}"')
    return record
