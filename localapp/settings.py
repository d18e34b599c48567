"""Settings: environment variables and command-line flags become one object.

Precedence, highest first: command-line flag, environment variable, default.
Every variable read here is documented in docs/configuration.md (a test
checks that).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import AppError
from .sync.config import BucketConfig

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000
DEFAULT_MAX_CONTENT_LENGTH = 16 * 1024 * 1024
DEFAULT_BACKUP_KEEP = 10
DEFAULT_MAX_DRIFT = 300  # seconds
DEFAULT_SNAPSHOT_EVERY = 200

#: Every environment variable the program reads, with a one-line meaning.
ENV_VARS: dict[str, str] = {
    "LOCALAPP_DATA_DIR": "data directory (overridden by --data-dir)",
    "UPLOAD_DIR": "uploads folder (default <data dir>/uploads)",
    "PORT": "port to listen on (overridden by --port)",
    "FC_SERVER_PORT": "port on Aliyun Function Compute, used when PORT is unset",
    "LOG_LEVEL": "DEBUG, INFO, WARNING or ERROR (default INFO)",
    "MAX_CONTENT_LENGTH": "largest request body in bytes (default 16 MiB)",
    "LOCALAPP_ADMIN_PASSWORD": "password for the admin account created at first start",
    "LOCALAPP_PUBLIC_READ": "1 lets anonymous users look prices up (products, images, categories)",
    "LOCALAPP_PUBLIC_READ_SCHEDULE": "1 also lets them read projects, tasks and task types",
    "LOCALAPP_TRUSTED_PROXY": "the TLS proxy whose X-Forwarded-Proto is believed (an address, or *)",
    "LOCALAPP_BACKUP_KEEP": "how many rolling backups to keep (default 10)",
    "LOCALAPP_COST_USERS": "who sees cost prices (进价), names by commas (default: every signed-in user)",
    "LOCALAPP_PUBLIC_URL": "the address phones reach this server at, for QR codes (default: the one asked)",
    "LOCALAPP_PDF_FONT": "a CJK font file for PDF exports (default: Noto Sans CJK from fonts-noto-cjk)",
    "LOCALAPP_S3_BUCKET": "sync bucket: with it a server keeps its data in the bucket",
    "LOCALAPP_S3_ENDPOINT": "S3-compatible endpoint URL of the sync bucket",
    "LOCALAPP_S3_REGION": "region of the sync bucket",
    "OSS_BUCKET": "alias of LOCALAPP_S3_BUCKET (Aliyun OSS)",
    "OSS_ENDPOINT": "alias of LOCALAPP_S3_ENDPOINT (Aliyun OSS)",
    "OSS_ACCESS_KEY": "access key of the sync bucket (else boto3's credential chain)",
    "OSS_SECRET_KEY": "secret key of the sync bucket, with OSS_ACCESS_KEY",
    "ALIBABA_CLOUD_ACCESS_KEY_ID": "temporary key of a Function Compute role (read when "
    "OSS_ACCESS_KEY is unset)",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "its secret, set by Function Compute with the key",
    "ALIBABA_CLOUD_SECURITY_TOKEN": "its STS token, set by Function Compute with the key",
    "LOCALAPP_SYNC_MAX_DRIFT": "largest clock drift accepted from a device, seconds (default 300)",
    "LOCALAPP_SYNC_SNAPSHOT_EVERY": "bucket log batches between snapshots (default 200)",
}

_TRUE = {"1", "true", "yes", "on"}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in _TRUE


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from None


def _bucket(env: Mapping[str, str]) -> BucketConfig | None:
    try:
        return BucketConfig.from_env(env)
    except AppError as exc:
        raise SystemExit(f"{exc.title}: {exc.message}") from None


@dataclass(frozen=True)
class Settings:
    """Everything the program is configured with, resolved once at start."""

    data_dir: Path | None = None  # None: platformdirs' user data dir
    upload_dir: Path | None = None  # None: <data dir>/uploads
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    mode: str = "server"  # "server" (headless) or "desktop"
    log_level: str = "INFO"
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    admin_password: str | None = field(default=None, repr=False)
    public_read: bool = False
    #: where phones reach this server (QR codes); None: the address a request came to
    public_url: str | None = None
    #: who sees cost prices; None: every signed-in user (never an anonymous reader)
    cost_users: frozenset[str] | None = None
    public_read_schedule: bool = False
    trusted_proxy: str | None = None
    backup_keep: int = DEFAULT_BACKUP_KEEP
    bucket: BucketConfig | None = field(default=None, repr=False)
    sync_max_drift: int = DEFAULT_MAX_DRIFT
    sync_snapshot_every: int = DEFAULT_SNAPSHOT_EVERY

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from `env` (default: os.environ), then apply flags.

        `overrides` holds command-line values; a value of None means the flag
        was not given and the environment or default applies.
        """
        env = os.environ if env is None else env
        port = DEFAULT_PORT
        for name in ("PORT", "FC_SERVER_PORT"):
            if env.get(name, "").strip():
                port = _int(env, name, DEFAULT_PORT)
                break
        data_dir = env.get("LOCALAPP_DATA_DIR", "").strip()
        upload_dir = env.get("UPLOAD_DIR", "").strip()
        settings = cls(
            data_dir=Path(data_dir).expanduser() if data_dir else None,
            upload_dir=Path(upload_dir).expanduser() if upload_dir else None,
            port=port,
            log_level=(env.get("LOG_LEVEL", "").strip() or "INFO").upper(),
            max_content_length=_int(env, "MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH),
            admin_password=env.get("LOCALAPP_ADMIN_PASSWORD") or None,
            public_read=_flag(env.get("LOCALAPP_PUBLIC_READ")),
            public_url=(env.get("LOCALAPP_PUBLIC_URL") or "").strip() or None,
            cost_users=frozenset(
                u.strip() for u in env["LOCALAPP_COST_USERS"].split(",") if u.strip()
            )
            if env.get("LOCALAPP_COST_USERS", "").strip()
            else None,
            public_read_schedule=_flag(env.get("LOCALAPP_PUBLIC_READ_SCHEDULE")),
            trusted_proxy=(env.get("LOCALAPP_TRUSTED_PROXY") or "").strip() or None,
            backup_keep=max(1, _int(env, "LOCALAPP_BACKUP_KEEP", DEFAULT_BACKUP_KEEP)),
            bucket=_bucket(env),
            sync_max_drift=max(1, _int(env, "LOCALAPP_SYNC_MAX_DRIFT", DEFAULT_MAX_DRIFT)),
            sync_snapshot_every=max(
                1, _int(env, "LOCALAPP_SYNC_SNAPSHOT_EVERY", DEFAULT_SNAPSHOT_EVERY)
            ),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        if "data_dir" in given:
            given["data_dir"] = Path(given["data_dir"]).expanduser()
        return replace(settings, **given)
