"""Our own exceptions, each fit to show a user.

Library and OS errors are converted into these once, at the edge (the store,
the web layer, the importers). Every error carries a machine-readable `code`,
an HTTP `status` for the web layer, a short `title` and a `message` a person
can act on, and optional per-field reasons.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """Base class: an error the user is meant to read."""

    status = 500
    code = "internal_error"
    title = "Internal error"

    def __init__(
        self,
        message: str,
        *,
        fields: dict[str, str] | None = None,
        title: str | None = None,
        code: str | None = None,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if title is not None:
            self.title = title
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.extra = extra or {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return {"error": body}


class TooManyAttempts(AppError):
    """Too many failed sign-ins: wait `retry_after` seconds (sent as Retry-After)."""

    status = 429
    code = "too_many_attempts"
    title = "Too many attempts"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, extra={"retry_after": retry_after})
        self.retry_after = retry_after


class ValidationError(AppError):
    status = 400
    code = "invalid"
    title = "Invalid input"


class AuthRequired(AppError):
    status = 401
    code = "unauthorized"
    title = "Sign in required"


class Forbidden(AppError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(AppError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(AppError):
    status = 409
    code = "conflict"
    title = "Conflict"


class TooLarge(AppError):
    status = 413
    code = "too_large"
    title = "Too large"


class UnsupportedType(AppError):
    status = 415
    code = "unsupported_type"
    title = "Unsupported type"


class StoreError(AppError):
    """The data file cannot be used as it is."""

    code = "store_error"
    title = "Data store problem"


class StoreFull(StoreError):
    """The disk has no room for the change: it was not saved; it can be tried again."""

    status = 507
    code = "disk_full"
    title = "Disk full"


class StoreUnwritable(StoreError):
    """The data file cannot be written (permissions, a read-only or locked file)."""

    status = 503
    code = "store_unwritable"
    title = "Data file cannot be written"


class StoreCorrupt(StoreError):
    """The data file or its journal is damaged; nothing was overwritten."""

    code = "store_corrupt"
    title = "Data file is damaged"


class StoreLocked(StoreError):
    code = "store_locked"
    title = "Data file is busy"
