"""Where the sync bucket is, and the boto3 client that talks to it.

`LOCALAPP_S3_BUCKET`, `LOCALAPP_S3_ENDPOINT` and `LOCALAPP_S3_REGION` name
the bucket. The seed's Aliyun names `OSS_BUCKET` and `OSS_ENDPOINT` are
accepted as aliases; the `LOCALAPP_*` name wins when both are set.

Credentials, the first complete set found wins:

1. `OSS_ACCESS_KEY` + `OSS_SECRET_KEY` (for example a RAM user's AccessKey);
2. `ALIBABA_CLOUD_ACCESS_KEY_ID` + `ALIBABA_CLOUD_ACCESS_KEY_SECRET`
   (+ `ALIBABA_CLOUD_SECURITY_TOKEN`): the temporary keys Aliyun Function
   Compute puts into the environment when the function has a role;
3. boto3's own chain (`AWS_*` variables, a profile, an instance role).

Keys never appear in `repr()`, in a message or in a log line of ours.

boto3 is imported only when a client is made (`BucketConfig.client`), so
the app starts without paying for it; the frozen desktop build leaves it out.
What the client does differently for Aliyun OSS, and why, is in `client()`
and in docs/sync.md ("Deploying with a bucket").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .errors import BucketUnsupported, SyncConfigError

#: OSS's own endpoints and its S3-compatible ones, public or internal:
#: oss-cn-hangzhou.aliyuncs.com, s3.oss-cn-hangzhou-internal.aliyuncs.com, ...
_OSS_REGION = re.compile(r"^(?:s3\.)?oss-(?!accelerate)([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$")


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = (env.get(name) or "").strip()
        if value:
            return value
    return None


def _keys(env: Mapping[str, str], key_name: str, secret_name: str) -> tuple[str, str] | None:
    key, secret = _first(env, key_name), _first(env, secret_name)
    if (key is None) != (secret is None):
        raise SyncConfigError(
            f"{key_name} and {secret_name} must be set together "
            f"(only {key_name if key else secret_name} is set)."
        )
    return (key, secret) if key and secret else None


def _host(endpoint: str | None) -> str:
    return (urlsplit(endpoint).hostname or "").lower() if endpoint else ""


def is_oss(endpoint: str | None) -> bool:
    """True for an Aliyun OSS endpoint (anything under aliyuncs.com)."""
    return _host(endpoint).endswith(".aliyuncs.com")


def oss_region(endpoint: str | None) -> str | None:
    """`cn-hangzhou` from `https://s3.oss-cn-hangzhou-internal.aliyuncs.com`; else None."""
    match = _OSS_REGION.match(_host(endpoint))
    return match.group(1) if match else None


def _is_aws(endpoint: str | None) -> bool:
    host = _host(endpoint)
    return not endpoint or host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn")


@dataclass(frozen=True)
class BucketConfig:
    bucket: str
    endpoint: str | None = None
    region: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BucketConfig | None:
        """The configured bucket, or None when sync storage is not set up."""
        bucket = _first(env, "LOCALAPP_S3_BUCKET", "OSS_BUCKET")
        endpoint = _first(env, "LOCALAPP_S3_ENDPOINT", "OSS_ENDPOINT")
        region = _first(env, "LOCALAPP_S3_REGION")
        if bucket is None:
            if endpoint or _first(env, "OSS_ACCESS_KEY"):
                raise SyncConfigError(
                    "A sync storage endpoint or key is set but no bucket. Set LOCALAPP_S3_BUCKET "
                    "(or OSS_BUCKET) to the bucket's name."
                )
            return None
        if endpoint and "://" not in endpoint:
            # Aliyun's console shows endpoints without a scheme.
            endpoint = "https://" + endpoint
        token = None
        keys = _keys(env, "OSS_ACCESS_KEY", "OSS_SECRET_KEY")
        if keys is None:
            # Function Compute with a role: temporary keys (STS) in these
            # three variables, documented by FC as "system environment
            # variables"; boto3's chain does not read them.
            keys = _keys(env, "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET")
            token = _first(env, "ALIBABA_CLOUD_SECURITY_TOKEN") if keys else None
        access, secret = keys if keys else (None, None)
        return cls(bucket, endpoint, region, access, secret, token)

    def client(self) -> Any:
        """A boto3 S3 client for this bucket (boto3 imported here, lazily)."""
        try:
            import boto3
            from botocore.config import Config
        except ImportError as e:
            raise _no_boto3() from e
        options: dict[str, Any] = {
            "retries": {"total_max_attempts": 3, "mode": "standard"},
            "connect_timeout": 5,
            "read_timeout": 30,
        }
        region = self.region
        oss = is_oss(self.endpoint)
        if oss:
            # OSS accepts only virtual-hosted requests (bucket.endpoint).
            options["s3"] = {"addressing_style": "virtual"}
            # SigV4, with the region the endpoint names (`cn-hangzhou`), as in
            # Aliyun's "Access OSS using AWS SDKs" examples for the SDKs that
            # only sign V4. (Its boto3 example picks V2, 's3', only to avoid
            # aws-chunked uploads, which the checksum setting below avoids.)
            options["signature_version"] = "s3v4"
            region = region or oss_region(self.endpoint)
        if not _is_aws(self.endpoint) and "request_checksum_calculation" in Config.OPTION_DEFAULTS:
            # botocore >= 1.36 adds a CRC32 checksum to every PutObject; over
            # HTTPS it sends it as a trailer of an aws-chunked body, which OSS
            # refuses ("aws-chunked encoding is not supported with the
            # specified x-amz-content-sha256 value", reported against OSS and
            # other non-AWS stores). "when_required" sends a plain body whose
            # SHA-256 is signed instead. Older botocore never added checksums.
            options["request_checksum_calculation"] = "when_required"
            options["response_checksum_validation"] = "when_required"
        kwargs: dict[str, Any] = {"config": Config(**options)}
        if self.endpoint:
            kwargs["endpoint_url"] = self.endpoint
        if region:
            kwargs["region_name"] = region
        if self.access_key and self.secret_key:
            kwargs["aws_access_key_id"] = self.access_key
            kwargs["aws_secret_access_key"] = self.secret_key
            if self.session_token:
                kwargs["aws_session_token"] = self.session_token
        client = boto3.client("s3", **kwargs)
        if oss:
            _oss_put_if_absent(client)
        return client


def _no_boto3() -> SyncConfigError:
    if getattr(sys, "frozen", False):
        return BucketUnsupported(
            "This desktop build has no bucket support. Sync through the server instead "
            "(localapp sync setup --url URL --token TOKEN), and set LOCALAPP_S3_BUCKET only "
            "for the server build."
        )
    return BucketUnsupported(
        "boto3, which localapp needs for a sync bucket, is missing from this Python "
        "environment. Reinstall localapp (pip install --force-reinstall localapp) to get it."
    )


# -- OSS: put-if-absent ---------------------------------------------------------
#
# OSS's S3-compatible API rejects the conditional headers of S3 PutObject
# (If-None-Match: *, If-Match: <etag>) with NotImplemented. Its own header
# for "do not overwrite" is `x-oss-forbid-overwrite: true`, answered with 409
# FileAlreadyExists when the key exists (documented for PutObject; it does not
# work on a bucket with versioning). The bucket layout (log.py) writes every
# log entry and blob put-if-absent and expects S3's 412 when the key is taken,
# so for OSS the one header is swapped for the other and the 409 answer is
# reported as 412. If-Match has no OSS counterpart and is sent unchanged.


def _forbid_overwrite(params: dict[str, Any], **_: Any) -> None:
    headers = params.get("headers", {})
    if headers.get("If-None-Match") == "*":
        del headers["If-None-Match"]
        headers["x-oss-forbid-overwrite"] = "true"


def _exists_is_precondition_failed(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
    error = parsed.get("Error") or {}
    if http_response.status_code == 409 and error.get("Code") == "FileAlreadyExists":
        error["Code"] = "PreconditionFailed"
        parsed.setdefault("ResponseMetadata", {})["HTTPStatusCode"] = 412


def _oss_put_if_absent(client: Any) -> None:
    events = client.meta.events
    events.register("before-call.s3.PutObject", _forbid_overwrite)
    events.register("after-call.s3.PutObject", _exists_is_precondition_failed)
