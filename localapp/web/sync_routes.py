"""Sync routes: the hub side (push, pull, blobs) and the client side (status,
settings, run now, conflicts). The work is in sync/service.py; see docs/sync.md.

With a bucket configured, two hooks keep this instance's cache in step with
the bucket: reads under /api catch up with the log first (at most every
couple of seconds), and a write's changes are sent to the log before its
answer leaves, so an instance can vanish right after answering and lose
nothing.
"""

from __future__ import annotations

import logging
import re
from functools import partial
from typing import Any

import bottle

from .. import errors
from ..sync.errors import SyncError
from ..sync.service import SyncService
from .context import AppContext
from .plugins import SAFE_METHODS, json_body
from .requests import query_params

log = logging.getLogger(__name__)

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_PULL_LIMIT = 1000


def _service(ctx: AppContext) -> SyncService:
    assert ctx.sync is not None
    return ctx.sync


def push(ctx: AppContext) -> dict[str, Any]:
    data = json_body()
    batch, replica, records = data.get("batch"), data.get("replica"), data.get("records")
    fields = {k: "required" for k, v in (("batch", batch), ("replica", replica))
              if not isinstance(v, str) or not v}
    if not isinstance(records, list):
        fields["records"] = "must be a list"
    if fields:
        raise errors.ValidationError("A push needs a batch id, a replica id and records.",
                                     fields=fields)
    return _service(ctx).push(str(batch), str(replica), records)


def pull(ctx: AppContext) -> dict[str, Any]:
    params = query_params()
    raw = params.get("limit") or str(DEFAULT_PULL_LIMIT)
    if not raw.isdigit():
        raise errors.ValidationError("limit must be a whole number.",
                                     fields={"limit": "not a number"})
    return _service(ctx).pull(params.get("since") or None, int(raw))


def _digest(sha256: str) -> str:
    if not _DIGEST.match(sha256):
        raise errors.NotFound("A file is named by its sha256: 64 lowercase hex digits.")
    return sha256


def put_blob(ctx: AppContext, sha256: str) -> dict[str, Any]:
    length = bottle.request.content_length
    if length > ctx.settings.max_content_length:
        raise errors.TooLarge("The file is larger than this server accepts.")
    _service(ctx).put_blob(_digest(sha256), bottle.request.body.read())
    return {"ok": True}


def get_blob(ctx: AppContext, sha256: str) -> bottle.HTTPResponse:
    data = _service(ctx).get_blob(_digest(sha256))
    if data is None:
        raise errors.NotFound("The sync server does not have this file (yet).")
    return bottle.HTTPResponse(data, status=200, Content_Type="application/octet-stream",
                               Cache_Control="private, max-age=31536000, immutable")


def status(ctx: AppContext) -> dict[str, Any]:
    return _service(ctx).status()


def run_now(ctx: AppContext) -> dict[str, Any]:
    service = _service(ctx)
    summary = service.run()
    return {"status": service.status(), "summary": summary.to_dict()}


def get_settings(ctx: AppContext) -> dict[str, Any]:
    return _service(ctx).client_settings()


def put_settings(ctx: AppContext) -> dict[str, Any]:
    data = json_body()
    interval = data.get("interval")
    if isinstance(interval, str) and interval.strip().isdigit():
        interval = int(interval)
    token = data.get("token")
    return _service(ctx).configure(url=data.get("url"), token=token if token else None,
                                   interval=interval)


def conflicts(ctx: AppContext) -> dict[str, Any]:
    return _service(ctx).conflicts()


def resolve(ctx: AppContext) -> dict[str, Any]:
    return _service(ctx).decide(json_body())


def _keep_in_step(ctx: AppContext, after: bool) -> None:
    """Bucket mode: catch up before reads, flush after writes (see the module docstring)."""
    path = bottle.request.path
    if not path.startswith("/api/") or path.startswith("/api/sync/"):
        return
    safe = bottle.request.method in SAFE_METHODS
    if after == safe:
        return
    try:
        _service(ctx).catch_up(force=after)
    except SyncError as exc:
        log.warning("Could not keep in step with the sync bucket: %s", exc.message)


def install(app: bottle.Bottle, ctx: AppContext) -> None:
    if ctx.sync is None:
        ctx.sync = SyncService(ctx.store, bucket=ctx.settings.bucket, uploads=ctx.uploads.path,
                               max_drift_ms=ctx.settings.sync_max_drift * 1000,
                               snapshot_every=ctx.settings.sync_snapshot_every)
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
        app.add_hook("before_request", partial(_keep_in_step, ctx, False))
        app.add_hook("after_request", partial(_keep_in_step, ctx, True))
