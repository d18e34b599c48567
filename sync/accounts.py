"""Accounts, API tokens and sessions in the sync bucket.

A deployment with a bucket runs several instances at once and restarts them
with an empty `/tmp`, so the accounts cannot live in an instance's store: a
device token made on one instance must work on all of them, and after any
cold start. `BucketDirectory` is the `localapp.auth.Directory` for that
case. The rules (hashing, expiry, messages) stay in `localapp/auth.py`; this
module only stores and finds, one small JSON object per record:

    <prefix>accounts/users/<name>.json          {"id", "name", "password": scrypt hash,
                                                 "created", "sessions_after"?}
    <prefix>accounts/token-names/<name>.json    {"id", "name", "user", "hash", "created"}
    <prefix>accounts/tokens/<sha256>.json       the same document, found by the token
    <prefix>accounts/sessions/<sha256>.json     {"hash", "user", "csrf", "created", "expires"}

Only hashes are stored, as in the data store. Names are percent-encoded in
keys. New users and token names are written put-if-absent, so two instances
cannot both create `admin` or two tokens of one name; a password change is a
compare-and-swap (`IfMatch`) on the user object.

"Sign out everywhere" cannot list a user's sessions cheaply, so it sets
`sessions_after` on the user: sessions started before it are refused.

Each instance remembers what it found for `CACHE_SECONDS`, so signed-in
requests do not each wait for the bucket. A token revoked (or a password
changed) on one instance is therefore refused by the others within that
time; on the instance that did it, at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import orjson

from ..auth import Directory, StoreDirectory
from ..store import Store
from .config import BucketConfig
from .errors import LogContended, StorageCorrupt, StorageUnsupported, SyncError
from .log import Bucket

log = logging.getLogger(__name__)

USERS = "accounts/users/"
TOKEN_NAMES = "accounts/token-names/"
TOKENS = "accounts/tokens/"
SESSIONS = "accounts/sessions/"
CACHE_SECONDS = 30.0
#: an instance removes expired sessions at a sign-in at most this often (seconds)
PRUNE_EVERY = 3600.0
_CACHE_MAX = 10_000
_CAS_TRIES = 5
_JSON = "application/json"


def _name_key(folder: str, name: str) -> str:
    return f"{folder}{quote(name, safe='')}.json"


def _hash_key(folder: str, digest: str) -> str:
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("not a sha256 hex digest")
    return f"{folder}{digest}.json"


class BucketDirectory:
    """Users, tokens and sessions as objects in a bucket; see the module docstring."""

    def __init__(
        self,
        bucket: Bucket,
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bucket = bucket
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()
        self._pruned_at = float("-inf")  # when expired sessions were last removed here

    # -- reading, with a short memory --------------------------------------------

    def _load(self, key: str) -> tuple[dict[str, Any], str] | None:
        got = self.bucket.get_with_etag(key)
        if got is None:
            return None
        try:
            doc = orjson.loads(got[0])
        except orjson.JSONDecodeError as e:
            raise StorageCorrupt(
                f"The account record {key} in the sync bucket is not valid JSON."
            ) from e
        if not isinstance(doc, dict):
            raise StorageCorrupt(f"The account record {key} in the sync bucket is damaged.")
        return doc, got[1]

    def _read(self, key: str) -> dict[str, Any] | None:
        """The object at `key` (remembered for a while when found), or None."""
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.cache_seconds:
            return hit[1]
        loaded = self._load(key)
        doc = loaded[0] if loaded else None
        if doc is not None:  # misses are not remembered: a new token works at once
            with self._lock:
                if len(self._cache) >= _CACHE_MAX:
                    self._cache.clear()
                self._cache[key] = (now, doc)
        return doc

    def _forget(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._cache.pop(key, None)

    def _put_new(self, key: str, doc: dict[str, Any]) -> bool:
        return self.bucket.put_if_absent(key, orjson.dumps(doc), _JSON)

    def _change(self, key: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> bool:
        """Compare-and-swap `change` onto the object at `key`; False if there is none.

        A store without compare-and-swap (OSS refuses `If-Match`) gets a plain
        write: two changes of one account at the same instant are rare, and
        the later one simply wins.
        """
        for _ in range(_CAS_TRIES):
            loaded = self._load(key)
            if loaded is None:
                return False
            doc, etag = loaded
            body = orjson.dumps(change(doc))
            try:
                written = self.bucket.put_if_match(key, body, _JSON, etag)
            except StorageUnsupported:
                self.bucket.put(key, body, _JSON)
                written = True
            if written:
                self._forget(key)
                return True
        raise LogContended(
            f"Could not change {key} in the sync bucket: it kept changing. Try again."
        )

    # -- users -----------------------------------------------------------------

    def user(self, name: str) -> dict[str, Any] | None:
        # Read afresh: a password just changed elsewhere must not still work here.
        loaded = self._load(_name_key(USERS, name))
        return loaded[0] if loaded else None

    def add_user(self, user: dict[str, Any]) -> bool:
        return self._put_new(_name_key(USERS, user["name"]), user)

    def replace_user(self, user: dict[str, Any]) -> None:
        self._change(_name_key(USERS, user["name"]), lambda old: {**old, **user})

    def end_sessions(self, user: str) -> None:
        # A moment later than now, so a session started in this same instant
        # (same clock reading) is refused too.
        after = time.time() + 0.001
        self._change(_name_key(USERS, user), lambda old: {**old, "sessions_after": after})

    # -- API tokens --------------------------------------------------------------

    def token_by_hash(self, digest: str) -> dict[str, Any] | None:
        try:
            return self._read(_hash_key(TOKENS, digest))
        except ValueError:
            return None

    def add_token(self, token: dict[str, Any]) -> bool:
        name_key = _name_key(TOKEN_NAMES, token["name"])
        if not self._put_new(name_key, token):
            return False
        try:
            self._put_new(_hash_key(TOKENS, token["hash"]), token)
        except BaseException:
            self.bucket.delete(name_key)  # no name without a token that works
            raise
        return True

    def remove_token(self, name: str) -> bool:
        name_key = _name_key(TOKEN_NAMES, name)
        loaded = self._load(name_key)
        if loaded is None:
            return False
        token_key = _hash_key(TOKENS, loaded[0]["hash"])
        # The token first: once that is gone it no longer works anywhere
        # (after the others' short memory), whatever happens next.
        self.bucket.delete(token_key)
        self.bucket.delete(name_key)
        self._forget(token_key, name_key)
        return True

    def tokens(self) -> list[dict[str, Any]]:
        out = []
        for key in self.bucket.keys(TOKEN_NAMES):
            loaded = self._load(key)
            if loaded is not None:
                out.append(loaded[0])
        return out

    # -- sessions --------------------------------------------------------------

    def add_session(self, session: dict[str, Any], now: float) -> None:
        self._put_new(_hash_key(SESSIONS, session["hash"]), session)
        # Forget expired sessions at a sign-in, as the store does, but at most
        # once per PRUNE_EVERY on this instance: it reads every session.
        if now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            try:
                self.prune_sessions(now)
            except SyncError as exc:  # housekeeping: the sign-in stands
                log.warning("Could not remove expired sessions: %s", exc.message)

    def prune_sessions(self, now: float) -> int:
        """Delete the sessions that expired before `now` (and damaged ones); how many."""
        deleted = 0
        for key in list(self.bucket.keys(SESSIONS)):
            try:
                loaded = self._load(key)
            except StorageCorrupt:
                loaded = None
            expires = loaded[0].get("expires") if loaded else None
            if loaded is None or not isinstance(expires, int | float) or expires < now:
                self.bucket.delete(key)
                self._forget(key)
                deleted += 1
        return deleted

    def session(self, digest: str) -> dict[str, Any] | None:
        try:
            key = _hash_key(SESSIONS, digest)
        except ValueError:
            return None
        doc = self._read(key)
        if doc is None:
            return None
        user = self._read(_name_key(USERS, str(doc.get("user"))))
        if user is None or doc.get("created", 0) < user.get("sessions_after", 0):
            return None  # the account is gone, or signed out everywhere since
        return doc

    def remove_session(self, digest: str) -> None:
        try:
            key = _hash_key(SESSIONS, digest)
        except ValueError:
            return
        self.bucket.delete(key)
        self._forget(key)


def directory(bucket: BucketConfig | None, store: Store) -> Directory:
    """Where a program with these settings keeps its accounts."""
    if bucket is None:
        return StoreDirectory(store)
    return BucketDirectory(Bucket.from_config(bucket))
