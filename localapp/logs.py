"""Logging set-up: one format, level from LOG_LEVEL, to stderr.

Every request is one line from the `localapp.http` logger (method, path
without its query string, status, milliseconds). Nothing logged anywhere in
the program carries a password, token, cookie or header value. stdout is
left to command output (a new token, a backup path, the generated admin
password shown once), so scripts can read it cleanly.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def setup(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Configure the root logger once; calling again replaces our handler."""
    name = level.strip().upper()
    if name == "WARN":
        name = "WARNING"
    bad = name not in LEVELS
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_localapp", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._localapp = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO if bad else name)
    # waitress logs its own "Serving on" line and per-task noise at INFO; we
    # print the URL ourselves, so only its warnings are of interest.
    logging.getLogger("waitress").setLevel(max(logging.WARNING, root.level))
    # At DEBUG botocore logs whole requests, headers and all: a role's session
    # token would reach the log. The bucket's libraries stay at INFO or above.
    for noisy in ("botocore", "boto3", "s3transfer", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))
    if bad:
        logging.getLogger(__name__).warning(
            "LOG_LEVEL=%s is not one of %s; using INFO", level, ", ".join(LEVELS)
        )
