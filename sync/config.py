"""Where the sync bucket is: settings read from the environment.

`LOCALAPP_S3_BUCKET`, `LOCALAPP_S3_ENDPOINT` and `LOCALAPP_S3_REGION` name
the bucket. The seed's Aliyun names `OSS_BUCKET`, `OSS_ENDPOINT`,
`OSS_ACCESS_KEY` and `OSS_SECRET_KEY` are accepted as aliases; the
`LOCALAPP_*` name wins when both are set. Without explicit keys boto3's
normal credential chain applies (env, profile, instance role).
boto3 is imported only when a client is made, so the app runs without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import SyncConfigError


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = (env.get(name) or "").strip()
        if value:
            return value
    return None


@dataclass(frozen=True)
class BucketConfig:
    bucket: str
    endpoint: str | None = None
    region: str | None = None
    access_key: str | None = None
    secret_key: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BucketConfig | None:
        """The configured bucket, or None when sync storage is not set up."""
        bucket = _first(env, "LOCALAPP_S3_BUCKET", "OSS_BUCKET")
        endpoint = _first(env, "LOCALAPP_S3_ENDPOINT", "OSS_ENDPOINT")
        region = _first(env, "LOCALAPP_S3_REGION")
        access = _first(env, "OSS_ACCESS_KEY")
        secret = _first(env, "OSS_SECRET_KEY")
        if bucket is None:
            if endpoint or access:
                raise SyncConfigError(
                    "A sync storage endpoint or key is set but no bucket. Set LOCALAPP_S3_BUCKET "
                    "(or OSS_BUCKET) to the bucket's name.")
            return None
        if (access is None) != (secret is None):
            raise SyncConfigError("OSS_ACCESS_KEY and OSS_SECRET_KEY must be set together.")
        if endpoint and "://" not in endpoint:
            # Aliyun's console shows endpoints without a scheme.
            endpoint = "https://" + endpoint
        return cls(bucket, endpoint, region, access, secret)

    def client(self) -> Any:
        """A boto3 S3 client for this bucket (boto3 imported here, lazily)."""
        try:
            import boto3
            from botocore.config import Config
        except ImportError as e:  # pragma: no cover - depends on the install
            raise SyncConfigError(
                "Sync storage needs boto3. Install it with: pip install 'localapp[sync]'") from e
        s3: dict[str, str] = {}
        if self.endpoint and "aliyuncs.com" in self.endpoint:
            s3["addressing_style"] = "virtual"  # OSS refuses path-style requests
        config = Config(retries={"total_max_attempts": 3, "mode": "standard"},
                        connect_timeout=5, read_timeout=30, s3=s3 or None)
        kwargs: dict[str, Any] = {"config": config}
        if self.endpoint:
            kwargs["endpoint_url"] = self.endpoint
        if self.region:
            kwargs["region_name"] = self.region
        if self.access_key and self.secret_key:
            kwargs["aws_access_key_id"] = self.access_key
            kwargs["aws_secret_access_key"] = self.secret_key
        return boto3.client("s3", **kwargs)
