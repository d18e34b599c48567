"""Sync routes: the hub side (push, pull, blobs) and the client side (status,
settings, run now, conflicts). The work is in sync/service.py; see docs/sync.md.

With a bucket configured, this instance's cache is kept in step with the
bucket: reads under /api catch up with the log first (a hook, at most every
second), and a write's changes are stored in the log before its answer leaves
(`Durable`, a plugin around every /api write), so an instance can vanish right
after answering and lose nothing. When the bucket does not take them, the
write answers 503 `not_durable` instead of its usual answer, the edit waits on
this instance and the background sends it when the bucket is back; /health
shows how many edits wait.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from functools import partial
from typing import Any

import bottle

from .. import errors
from ..records import gc_paused
from ..sync.errors import SyncError
from ..sync.service import SyncService
from .context import AppContext
from .plugins import SAFE_METHODS, json_body
from .requests import query_params

log = logging.getLogger(__name__)

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_PULL_LIMIT = 1000


def _service(ctx: AppContext) -> SyncService:
    return ctx.sync


def push(ctx: AppContext) -> dict[str, Any]:
    """Hub: a device's batch of records, applied once per batch id."""
    with gc_paused():  # a batch is thousands of small objects and no cycles
        return _push(ctx)


def _push(ctx: AppContext) -> dict[str, Any]:
    data = json_body()
    batch, replica, records = data.get("batch"), data.get("replica"), data.get("records")
    fields = {
        k: "required"
        for k, v in (("batch", batch), ("replica", replica))
        if not isinstance(v, str) or not v
    }
    if not isinstance(records, list):
        fields["records"] = "must be a list"
    if fields:
        raise errors.ValidationError(
            "A push needs a batch id, a replica id and records.", fields=fields
        )
    return _service(ctx).push(str(batch), str(replica), records)


def pull(ctx: AppContext) -> dict[str, Any]:
    """Hub: records changed after a cursor, in pages."""
    params = query_params()
    raw = params.get("limit") or str(DEFAULT_PULL_LIMIT)
    if not raw.isdigit():
        raise errors.ValidationError(
            "limit must be a whole number.", fields={"limit": "not a number"}
        )
    form = params.get("form") or "records"
    if form not in ("records", "lines"):
        raise errors.ValidationError(
            "form must be records or lines.", fields={"form": "records or lines"}
        )
    with gc_paused():
        return _service(ctx).pull(params.get("since") or None, int(raw), lines=form == "lines")


def _digest(sha256: str) -> str:
    if not _DIGEST.match(sha256):
        raise errors.NotFound("A file is named by its sha256: 64 lowercase hex digits.")
    return sha256


def put_blob(ctx: AppContext, sha256: str) -> dict[str, Any]:
    """Hub: store a file by its content hash."""
    length = bottle.request.content_length
    if length > ctx.settings.max_content_length:
        raise errors.TooLarge("The file is larger than this server accepts.")
    _service(ctx).put_blob(_digest(sha256), bottle.request.body.read())
    return {"ok": True}


def get_blob(ctx: AppContext, sha256: str) -> bottle.HTTPResponse:
    """Hub: a file by its content hash."""
    data = _service(ctx).get_blob(_digest(sha256))
    if data is None:
        raise errors.NotFound("The sync server does not have this file (yet).")
    return bottle.HTTPResponse(
        data,
        status=200,
        Content_Type="application/octet-stream",
        Cache_Control="private, max-age=31536000, immutable",
    )


def status(ctx: AppContext) -> dict[str, Any]:
    """This device's sync: last sync, pending, conflicts, error."""
    return _service(ctx).status()


def run_now(ctx: AppContext) -> dict[str, Any]:
    """Sync now, one round."""
    service = _service(ctx)
    summary = service.run()
    return {"status": service.status(), "summary": summary.to_dict()}


def get_settings(ctx: AppContext) -> dict[str, Any]:
    """The server this device syncs with."""
    return _service(ctx).client_settings()


def put_settings(ctx: AppContext) -> dict[str, Any]:
    """Set or clear the server, token and interval."""
    data = json_body()
    interval = data.get("interval")
    if isinstance(interval, str) and interval.strip().isdigit():
        interval = int(interval)
    token = data.get("token")
    return _service(ctx).configure(
        url=data.get("url"), token=token if token else None, interval=interval
    )


def conflicts(ctx: AppContext) -> dict[str, Any]:
    """The open conflicts, one entry per losing version."""
    return _service(ctx).conflicts()


def resolve(ctx: AppContext) -> dict[str, Any]:
    """Use this version, or keep the current one, for one conflict."""
    return _service(ctx).decide(json_body())


def _catch_up(ctx: AppContext) -> None:
    """Bucket mode: a read under /api first catches up with the log."""
    path = bottle.request.path
    if (
        not path.startswith("/api/")
        or path.startswith("/api/sync/")
        or bottle.request.method not in SAFE_METHODS
    ):
        return
    try:
        _service(ctx).catch_up()
    except SyncError as exc:
        log.warning("Could not read the sync bucket; serving this instance's copy: %s", exc.message)


class Durable:
    """Bucket mode: a write under /api (not /api/sync/) that recorded changes
    answers only once they are stored in the bucket's log. If the bucket does
    not take them, the answer is 503 `not_durable` (the error says the change is
    kept on this instance and sent later) instead of the route's own."""

    name = "localapp-sync-durable"
    api = 2

    def __init__(self, service: SyncService) -> None:
        self.service = service

    def apply(self, callback: Callable[..., Any], route: bottle.Route) -> Callable[..., Any]:
        if (
            route.method in SAFE_METHODS
            or not route.rule.startswith("/api/")
            or route.rule.startswith("/api/sync/")
        ):
            return callback
        service = self.service

        @functools.wraps(callback)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            before = service.replica.recorded
            out = callback(*args, **kwargs)
            if service.replica.recorded != before:
                service.flush()  # NotDurable (503) becomes the answer
            return out

        return wrapper


def install(app: bottle.Bottle, ctx: AppContext) -> None:
    routes: list[tuple[str, str, Any]] = [
        ("/api/sync/push", "POST", push),
        ("/api/sync/pull", "GET", pull),
        ("/api/sync/blobs/<sha256>", "PUT", put_blob),
        ("/api/sync/blobs/<sha256>", "GET", get_blob),
        ("/api/sync/status", "GET", status),
        ("/api/sync/run", "POST", run_now),
        ("/api/sync/settings", "GET", get_settings),
        ("/api/sync/settings", "PUT", put_settings),
        ("/api/sync/conflicts", "GET", conflicts),
        ("/api/sync/conflicts/resolve", "POST", resolve),
    ]
    for rule, method, handler in routes:
        app.route(rule, method, partial(handler, ctx))
    if ctx.settings.bucket is not None:
        app.add_hook("before_request", partial(_catch_up, ctx))
        app.install(Durable(ctx.sync))
