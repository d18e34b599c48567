"""Users, API tokens and browser sessions (plain Python, no web framework).

Three kinds of record, kept by a `Directory`: tables in the data store
(`StoreDirectory`) or, for a deployment with a sync bucket, objects in the
bucket (`sync/accounts.py`), so that every instance knows every account:

- `users`:    one document per account; the password is kept only as an
              scrypt hash in the form `scrypt$n$r$p$salt$hash` (base64), so
              the cost parameters travel with the hash and can be raised later.
- `tokens`:   API tokens for scripts and the sync job; only the sha256 of the
              token is stored, the token itself is shown once at creation.
- `sessions`: browser sign-ins; the cookie value is stored as its sha256 with
              an expiry and the CSRF token the page must echo on writes.

Secrets are compared with `hmac.compare_digest`. Tokens and session ids are
256-bit random values, so looking them up by their hash is safe.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from tinydb import Query

from . import errors
from .store import Store

ADMIN = "admin"
USERS = "users"
TOKENS = "tokens"
SESSIONS = "sessions"

SESSION_TTL = 7 * 24 * 3600  # seconds; a week keeps daily users signed in
TOKEN_PREFIX = "la_"

# scrypt cost: n=2**14, r=8 takes ~16 MiB and tens of ms per check on this
# machine, which slows password guessing without making sign-in feel slow.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1
_SCRYPT_LEN = 32
_MIN_PASSWORD = 8


@dataclass(frozen=True)
class Principal:
    """Who is making a request."""

    name: str
    kind: str  # "session", "token", "anonymous" or "desktop"
    csrf: str | None = None  # only for sessions: what X-CSRF-Token must equal

    @property
    def anonymous(self) -> bool:
        return self.kind == "anonymous"


ANONYMOUS = Principal(name="", kind="anonymous")


# -- passwords ---------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=_SCRYPT_N,
        r=_SCRYPT_R,
        p=_SCRYPT_P,
        dklen=_SCRYPT_LEN,
        maxmem=64 * 1024 * 1024,
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(want),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# A fixed hash to check against when the user does not exist, so a wrong
# user name costs as much time as a wrong password.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH  # computed lazily: nothing expensive at import time
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def _check_new_password(password: str) -> None:
    if len(password) < _MIN_PASSWORD:
        raise errors.ValidationError(
            f"The password must have at least {_MIN_PASSWORD} characters.",
            fields={"password": "too_short"},
        )


# -- where accounts live ----------------------------------------------------------


class Directory(Protocol):
    """Where users, API tokens and sessions are kept.

    `StoreDirectory` keeps them in the data store (one desktop or server).
    With a sync bucket, every instance of a deployment must see the same
    ones, so they live in the bucket instead (`sync/accounts.py`). The
    functions below hold the rules; a directory only stores and finds.
    Each `add_*` is atomic and answers False when the name is taken.
    """

    def user(self, name: str) -> dict[str, Any] | None: ...
    def add_user(self, user: dict[str, Any]) -> bool: ...
    def replace_user(self, user: dict[str, Any]) -> None: ...
    def token_by_hash(self, digest: str) -> dict[str, Any] | None: ...
    def add_token(self, token: dict[str, Any]) -> bool: ...
    def remove_token(self, name: str) -> bool: ...
    def tokens(self) -> list[dict[str, Any]]: ...
    def add_session(self, session: dict[str, Any], now: float) -> None: ...
    def session(self, digest: str) -> dict[str, Any] | None: ...
    def remove_session(self, digest: str) -> None: ...
    def end_sessions(self, user: str) -> None: ...


class StoreDirectory:
    """Accounts in three tables of the data store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _get(self, table: str, **where: Any) -> dict[str, Any] | None:
        ((field, value),) = where.items()
        doc = self.store.table(table).get(Query()[field] == value)
        return dict(doc) if doc else None

    def user(self, name: str) -> dict[str, Any] | None:
        return self._get(USERS, name=name)

    def add_user(self, user: dict[str, Any]) -> bool:
        with self.store.transaction():
            if self.user(user["name"]):
                return False
            self.store.table(USERS).insert(user)
        return True

    def replace_user(self, user: dict[str, Any]) -> None:
        self.store.table(USERS).update(user, Query().name == user["name"])

    def token_by_hash(self, digest: str) -> dict[str, Any] | None:
        return self._get(TOKENS, hash=digest)

    def add_token(self, token: dict[str, Any]) -> bool:
        with self.store.transaction():
            if self.store.table(TOKENS).contains(Query().name == token["name"]):
                return False
            self.store.table(TOKENS).insert(token)
        return True

    def remove_token(self, name: str) -> bool:
        return bool(self.store.table(TOKENS).remove(Query().name == name))

    def tokens(self) -> list[dict[str, Any]]:
        return [dict(d) for d in self.store.table(TOKENS).all()]

    def add_session(self, session: dict[str, Any], now: float) -> None:
        with self.store.transaction():
            # Forget expired sessions here, where a write happens anyway.
            self.store.table(SESSIONS).remove(Query().expires < now)
            self.store.table(SESSIONS).insert(session)

    def session(self, digest: str) -> dict[str, Any] | None:
        return self._get(SESSIONS, hash=digest)

    def remove_session(self, digest: str) -> None:
        self.store.table(SESSIONS).remove(Query().hash == digest)

    def end_sessions(self, user: str) -> None:
        self.store.table(SESSIONS).remove(Query().user == user)


def directory_of(where: Directory | Store) -> Directory:
    """The directory itself, or the one in a data store."""
    return StoreDirectory(where) if isinstance(where, Store) else where


Where = Directory | Store


# -- users -------------------------------------------------------------------


def get_user(where: Where, name: str) -> dict[str, Any] | None:
    return directory_of(where).user(name)


def create_user(where: Where, name: str, password: str) -> dict[str, Any]:
    _check_new_password(password)
    user = {
        "id": uuid.uuid4().hex,
        "name": name,
        "password": hash_password(password),
        "created": time.time(),
    }
    if not directory_of(where).add_user(user):
        raise errors.Conflict(f"An account called {name!r} already exists.")
    return user


def set_password(where: Where, name: str, password: str) -> None:
    """Change a password and sign the user out everywhere."""
    _check_new_password(password)
    directory = directory_of(where)
    user = directory.user(name)
    if not user:
        raise errors.NotFound(f"There is no account called {name!r}.")
    directory.replace_user({**user, "password": hash_password(password)})
    directory.end_sessions(name)


def ensure_admin(where: Where, password: str | None) -> tuple[bool, str | None]:
    """Create the `admin` account on first start.

    Returns (created, generated_password). The generated password is returned
    only when one was made up here, so the caller can show it exactly once.
    Several instances starting at once create it once (`add_user` is atomic).
    """
    directory = directory_of(where)
    if directory.user(ADMIN):
        return False, None
    generated = None
    if not password:
        generated = password = secrets.token_urlsafe(12)
    try:
        create_user(directory, ADMIN, password)
    except errors.Conflict:  # another instance was first
        return False, None
    return True, generated


def authenticate_password(where: Where, name: str, password: str) -> Principal:
    user = get_user(where, name)
    ok = verify_password(password, user["password"] if user else _dummy_hash())
    if not (user and ok):
        raise errors.AuthRequired("Wrong user name or password.", code="bad_credentials")
    return Principal(name=name, kind="session")


# -- API tokens --------------------------------------------------------------


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def create_token(where: Where, name: str, user: str = ADMIN) -> str:
    """Make a new API token called `name`; returns the token (shown once)."""
    name = name.strip()
    if not name:
        raise errors.ValidationError("A token needs a name.", fields={"name": "required"})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    doc = {
        "id": uuid.uuid4().hex,
        "name": name,
        "user": user,
        "hash": _sha256(token),
        "created": time.time(),
    }
    if not directory_of(where).add_token(doc):
        raise errors.Conflict(
            f"A token called {name!r} already exists. Revoke it first or pick another name."
        )
    return token


def revoke_token(where: Where, name: str) -> None:
    if not directory_of(where).remove_token(name):
        raise errors.NotFound(f"There is no token called {name!r}.")


def list_tokens(where: Where) -> list[dict[str, Any]]:
    """Tokens without their hashes, oldest first."""
    docs = sorted(directory_of(where).tokens(), key=lambda d: d.get("created", 0))
    return [{"name": d["name"], "user": d["user"], "created": d["created"]} for d in docs]


def authenticate_token(where: Where, token: str) -> Principal:
    if not token.startswith(TOKEN_PREFIX):
        raise errors.AuthRequired("The API token is not valid.", code="bad_token")
    doc = directory_of(where).token_by_hash(_sha256(token))
    if not doc:
        raise errors.AuthRequired("The API token is not valid or was revoked.", code="bad_token")
    return Principal(name=doc["user"], kind="token")


# -- browser sessions ----------------------------------------------------------


@dataclass(frozen=True)
class NewSession:
    cookie: str  # the value for the browser; only its hash is stored
    csrf: str
    expires: float
    user: str


def start_session(where: Where, user: str, now: float | None = None) -> NewSession:
    now = time.time() if now is None else now
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + SESSION_TTL
    directory_of(where).add_session(
        {
            "hash": _sha256(session_id),
            "user": user,
            "csrf": csrf,
            "created": now,
            "expires": expires,
        },
        now,
    )
    return NewSession(session_id, csrf, expires, user)


def session_principal(where: Where, cookie: str, now: float | None = None) -> Principal | None:
    """The signed-in user of a session cookie, or None if unknown or expired."""
    now = time.time() if now is None else now
    directory = directory_of(where)
    digest = _sha256(cookie)
    doc = directory.session(digest)
    if not doc:
        return None
    if doc["expires"] < now:
        directory.remove_session(digest)  # tidy up where we notice it
        return None
    return Principal(name=doc["user"], kind="session", csrf=doc["csrf"])


def end_session(where: Where, cookie: str) -> None:
    directory_of(where).remove_session(_sha256(cookie))


def csrf_ok(principal: Principal, header: str | None) -> bool:
    return bool(principal.csrf and header) and hmac.compare_digest(
        (principal.csrf or "").encode(), (header or "").encode()
    )
