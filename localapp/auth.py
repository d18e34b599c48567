"""Users, API tokens and browser sessions (plain Python, no web framework).

Three tables in the store:

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
from typing import Any

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
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R,
                            p=_SCRYPT_P, dklen=_SCRYPT_LEN, maxmem=64 * 1024 * 1024)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(want), maxmem=64 * 1024 * 1024)
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
            fields={"password": "too_short"})


# -- users -------------------------------------------------------------------


def get_user(store: Store, name: str) -> dict[str, Any] | None:
    doc = store.table(USERS).get(Query().name == name)
    return dict(doc) if doc else None


def create_user(store: Store, name: str, password: str) -> dict[str, Any]:
    _check_new_password(password)
    with store.transaction():
        if get_user(store, name):
            raise errors.Conflict(f"An account called {name!r} already exists.")
        user = {"id": uuid.uuid4().hex, "name": name, "password": hash_password(password),
                "created": time.time()}
        store.table(USERS).insert(user)
    return user


def set_password(store: Store, name: str, password: str) -> None:
    """Change a password and sign the user out everywhere."""
    _check_new_password(password)
    with store.transaction():
        if not get_user(store, name):
            raise errors.NotFound(f"There is no account called {name!r}.")
        store.table(USERS).update({"password": hash_password(password)}, Query().name == name)
        store.table(SESSIONS).remove(Query().user == name)


def ensure_admin(store: Store, password: str | None) -> tuple[bool, str | None]:
    """Create the `admin` account on first start.

    Returns (created, generated_password). The generated password is returned
    only when one was made up here, so the caller can show it exactly once.
    """
    with store.transaction():
        if get_user(store, ADMIN):
            return False, None
        generated = None
        if not password:
            generated = password = secrets.token_urlsafe(12)
        create_user(store, ADMIN, password)
    return True, generated


def authenticate_password(store: Store, name: str, password: str) -> Principal:
    user = get_user(store, name)
    ok = verify_password(password, user["password"] if user else _dummy_hash())
    if not (user and ok):
        raise errors.AuthRequired("Wrong user name or password.", code="bad_credentials")
    return Principal(name=name, kind="session")


# -- API tokens --------------------------------------------------------------


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def create_token(store: Store, name: str, user: str = ADMIN) -> str:
    """Make a new API token called `name`; returns the token (shown once)."""
    name = name.strip()
    if not name:
        raise errors.ValidationError("A token needs a name.", fields={"name": "required"})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction():
        if store.table(TOKENS).contains(Query().name == name):
            raise errors.Conflict(
                f"A token called {name!r} already exists. Revoke it first or pick another name.")
        store.table(TOKENS).insert({"id": uuid.uuid4().hex, "name": name, "user": user,
                                    "hash": _sha256(token), "created": time.time()})
    return token


def revoke_token(store: Store, name: str) -> None:
    with store.transaction():
        if not store.table(TOKENS).remove(Query().name == name):
            raise errors.NotFound(f"There is no token called {name!r}.")


def list_tokens(store: Store) -> list[dict[str, Any]]:
    """Tokens without their hashes, oldest first."""
    docs = sorted(store.table(TOKENS).all(), key=lambda d: d.get("created", 0))
    return [{"name": d["name"], "user": d["user"], "created": d["created"]} for d in docs]


def authenticate_token(store: Store, token: str) -> Principal:
    if not token.startswith(TOKEN_PREFIX):
        raise errors.AuthRequired("The API token is not valid.", code="bad_token")
    doc = store.table(TOKENS).get(Query().hash == _sha256(token))
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


def start_session(store: Store, user: str, now: float | None = None) -> NewSession:
    now = time.time() if now is None else now
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + SESSION_TTL
    with store.transaction():
        # Forget expired sessions here, where a write happens anyway.
        store.table(SESSIONS).remove(Query().expires < now)
        store.table(SESSIONS).insert({"hash": _sha256(session_id), "user": user, "csrf": csrf,
                                      "created": now, "expires": expires})
    return NewSession(session_id, csrf, expires, user)


def session_principal(store: Store, cookie: str, now: float | None = None) -> Principal | None:
    """The signed-in user of a session cookie, or None if unknown or expired."""
    now = time.time() if now is None else now
    doc = store.table(SESSIONS).get(Query().hash == _sha256(cookie))
    if not doc or doc["expires"] < now:
        return None
    return Principal(name=doc["user"], kind="session", csrf=doc["csrf"])


def end_session(store: Store, cookie: str) -> None:
    with store.transaction():
        store.table(SESSIONS).remove(Query().hash == _sha256(cookie))


def csrf_ok(principal: Principal, header: str | None) -> bool:
    return bool(principal.csrf and header) and hmac.compare_digest(
        principal.csrf.encode(), (header or "").encode())
