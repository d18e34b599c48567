"""Sync's own exceptions, each with a `title` and a `message` fit to show a user.

Library errors (botocore's `ClientError`, connection errors) are converted
into these once, at the bucket boundary in `log.py`; the clock raises
`ClockDrift` itself. They extend `localapp.errors.AppError`, so the web layer
and the CLI show them like every other error of the app.
"""

from __future__ import annotations

from typing import Any

from ..errors import AppError


class SyncError(AppError):
    """Base class: syncing failed; local editing is never blocked by it."""

    status = 502
    code = "sync_error"
    title = "Sync failed"


class ClockDrift(SyncError):
    """A stamp from another replica is too far ahead of this machine's clock."""

    status = 400
    code = "clock_drift"
    title = "Clock out of sync"


class BadStamp(SyncError):
    status = 400
    code = "bad_stamp"
    title = "Invalid sync stamp"


class SyncConfigError(SyncError):
    status = 500
    code = "sync_config"
    title = "Sync storage is not configured"


class BucketUnsupported(SyncConfigError):
    """A bucket is configured but this program cannot use one (no boto3 in it)."""

    code = "bucket_unsupported"
    title = "No bucket support in this program"


class StorageUnavailable(SyncError):
    """The bucket cannot be reached or keeps failing; retrying later is right."""

    status = 503
    code = "storage_unavailable"
    title = "Sync storage unavailable"


class StorageDenied(SyncError):
    """The bucket refused us: wrong keys, missing bucket, no permission."""

    status = 502
    code = "storage_denied"
    title = "Sync storage refused access"


class StorageUnsupported(SyncError):
    """The store does not do what we asked (OSS and `If-Match`, for one)."""

    status = 502
    code = "storage_unsupported"
    title = "Sync storage lacks a feature"


class StorageCorrupt(SyncError):
    """An object in the bucket is not what it claims to be."""

    status = 502
    code = "storage_corrupt"
    title = "Sync storage holds a damaged object"


class LogContended(StorageUnavailable):
    """Too many writers raced for the next log number; try again later."""

    code = "log_contended"
    title = "Sync storage is busy"


class BucketUnsafe(SyncError):
    """The object store does not honour conditional writes: sharing it loses edits."""

    status = 503
    code = "bucket_unsafe"
    title = "Sync storage cannot be shared safely"

    @classmethod
    def of(cls, bucket: str) -> BucketUnsafe:
        """The refusal of `bucket`, in Chinese and English (log, /health, CLI)."""
        return cls(
            f"同步存储 {bucket!r} 不支持条件写入（If-None-Match）：多个服务器实例共用时会互相"
            "覆盖修改，因此本服务器不向其写入。请改用支持条件写入的存储（S3、阿里云 OSS、MinIO、"
            f"R2、GCS）。 The sync storage {bucket!r} does not honour conditional "
            "writes: a second create of one object was not refused (put-if-absent, "
            "HTTP If-None-Match). Server instances sharing it would overwrite each "
            "other's edits, so this server does not write to it. Use a store that "
            "supports conditional writes (S3, Aliyun OSS, MinIO, R2, GCS); "
            "`localapp sync check` tries one."
        )


class NotDurable(StorageUnavailable):
    """A web write was saved on this instance but could not be stored in the bucket."""

    code = "not_durable"
    title = "Saved on this server only, for now"


def error_dict(exc: BaseException) -> dict[str, Any]:
    """An error as the status and /health show it: {code, title, message}."""
    if isinstance(exc, SyncError):
        return {"code": exc.code, "title": exc.title, "message": exc.message}
    return {
        "code": "sync_error",
        "title": "Sync failed",
        "message": f"Sync stopped on an unexpected error ({type(exc).__name__}). "
        "Local editing goes on; see the log for details.",
    }
