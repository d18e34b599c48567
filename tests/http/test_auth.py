"""Accounts, API tokens and sessions (localapp/auth.py), kept for real.

No server here: the domain rules are checked directly, once over a data
store in a temp dir and once over a bucket on moto's S3 server (where a
deployment with a sync bucket keeps them, sync/accounts.py). What goes over
HTTP is in test_web.py and test_sync_buckets.py.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localapp import auth, errors
from localapp.store import Store
from localapp.sync.accounts import BucketDirectory
from localapp.sync.config import BucketConfig
from localapp.sync.log import Bucket

pytest_plugins = ["s3"]


@dataclass
class Kept:
    """Where the accounts are (`at`, passed to auth's functions) and all its bytes."""

    at: Any
    stored_bytes: Callable[[], bytes]


def _store_bytes(data_dir: Path) -> bytes:
    return b"".join(
        p.read_bytes()
        for p in sorted(data_dir.glob("localapp.json*"))
        if not p.name.endswith(".lock")
    )


def _bucket_bytes(bucket: Bucket) -> bytes:
    return b"".join(bucket.get(k) or b"" for k in bucket.keys(""))


@pytest.fixture(params=["store", "bucket"])
def kept(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kept]:
    if request.param == "bucket":
        config: BucketConfig = request.getfixturevalue("config")
        bucket = Bucket.from_config(config)
        yield Kept(BucketDirectory(bucket), lambda: _bucket_bytes(bucket))
        return
    s = Store.open(tmp_path / "data")
    try:
        yield Kept(s, lambda: _store_bytes(tmp_path / "data"))
    finally:
        s.close()


def test_password_hash_is_salted_scrypt_with_its_parameters() -> None:
    first = auth.hash_password("correct horse")
    second = auth.hash_password("correct horse")
    assert first.startswith("scrypt$16384$8$1$")
    assert first != second, "the same password must hash differently (salt)"
    assert "correct horse" not in first
    assert auth.verify_password("correct horse", first)
    assert auth.verify_password("correct horse", second)
    assert not auth.verify_password("correct horsf", first)
    assert not auth.verify_password("correct horse", "not-a-hash")


def test_admin_is_created_once_with_a_generated_password(kept: Kept) -> None:
    created, generated = auth.ensure_admin(kept.at, None)
    assert created and generated and len(generated) >= 12
    assert auth.authenticate_password(kept.at, "admin", generated).name == "admin"
    again, nothing = auth.ensure_admin(kept.at, "other-password")
    assert (again, nothing) == (False, None)
    # The second call did not change the password.
    with pytest.raises(errors.AuthRequired):
        auth.authenticate_password(kept.at, "admin", "other-password")


def test_admin_password_from_settings_is_used(kept: Kept) -> None:
    assert auth.ensure_admin(kept.at, "from-the-env-1") == (True, None)
    assert auth.authenticate_password(kept.at, "admin", "from-the-env-1").kind == "session"


def test_wrong_user_or_password_is_the_same_error(kept: Kept) -> None:
    auth.create_user(kept.at, "li", "password-123")
    for name, password in (("li", "wrong-password"), ("nobody", "password-123")):
        with pytest.raises(errors.AuthRequired) as exc:
            auth.authenticate_password(kept.at, name, password)
        assert exc.value.code == "bad_credentials"
        assert exc.value.message == "Wrong user name or password."


def test_short_passwords_are_refused(kept: Kept) -> None:
    with pytest.raises(errors.ValidationError) as exc:
        auth.create_user(kept.at, "li", "short")
    assert exc.value.fields == {"password": "too_short"}


def test_only_the_token_hash_is_stored(kept: Kept) -> None:
    token = auth.create_token(kept.at, "ci")
    assert token.startswith("la_") and len(token) > 40
    raw = kept.stored_bytes()
    assert token.encode() not in raw
    assert hashlib.sha256(token.encode()).hexdigest().encode() in raw
    assert auth.authenticate_token(kept.at, token) == auth.Principal("admin", "token")
    assert auth.list_tokens(kept.at)[0]["name"] == "ci"
    assert "hash" not in auth.list_tokens(kept.at)[0]


def test_duplicate_token_name_conflicts_and_revoke_works(kept: Kept) -> None:
    token = auth.create_token(kept.at, "ci")
    with pytest.raises(errors.Conflict):
        auth.create_token(kept.at, "ci")
    auth.revoke_token(kept.at, "ci")
    with pytest.raises(errors.AuthRequired):
        auth.authenticate_token(kept.at, token)
    with pytest.raises(errors.NotFound):
        auth.revoke_token(kept.at, "ci")


def test_sessions_expire_and_are_stored_hashed(kept: Kept) -> None:
    auth.create_user(kept.at, "li", "password-123")
    new = auth.start_session(kept.at, "li", now=1000.0)
    assert new.cookie.encode() not in kept.stored_bytes()
    user = auth.session_principal(kept.at, new.cookie, now=1000.0 + 60)
    assert user is not None and user.name == "li" and user.csrf == new.csrf
    assert auth.csrf_ok(user, new.csrf)
    assert not auth.csrf_ok(user, new.csrf + "x")
    assert not auth.csrf_ok(user, None)
    assert auth.session_principal(kept.at, new.cookie, now=1000.0 + auth.SESSION_TTL + 1) is None


def test_changing_a_password_signs_the_user_out(kept: Kept) -> None:
    auth.create_user(kept.at, "li", "password-123")
    new = auth.start_session(kept.at, "li")
    auth.set_password(kept.at, "li", "password-456")
    assert auth.session_principal(kept.at, new.cookie) is None
    assert auth.authenticate_password(kept.at, "li", "password-456").name == "li"
    with pytest.raises(errors.NotFound):
        auth.set_password(kept.at, "nobody", "password-456")


# -- a deployment's instances sharing one bucket --------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_every_instance_knows_a_token_and_forgets_a_revoked_one(config: BucketConfig) -> None:
    clock = Clock()
    one = BucketDirectory(Bucket.from_config(config), clock=clock)
    two = BucketDirectory(Bucket.from_config(config), clock=clock)
    token = auth.create_token(one, "laptop-wang")
    assert auth.authenticate_token(two, token).name == "admin"
    with pytest.raises(errors.Conflict):
        auth.create_token(two, "laptop-wang")
    assert [t["name"] for t in auth.list_tokens(two)] == ["laptop-wang"]
    auth.revoke_token(one, "laptop-wang")
    with pytest.raises(errors.AuthRequired):
        auth.authenticate_token(one, token)  # at once where it was revoked
    clock.now += BucketDirectory(Bucket.from_config(config)).cache_seconds + 1
    with pytest.raises(errors.AuthRequired):
        auth.authenticate_token(two, token)  # and everywhere after a short while
    # A cold instance (nothing remembered) never saw it.
    with pytest.raises(errors.AuthRequired):
        auth.authenticate_token(BucketDirectory(Bucket.from_config(config)), token)


def test_instances_starting_together_create_one_admin(config: BucketConfig) -> None:
    results: list[tuple[bool, str | None]] = []

    def start(password: str) -> None:
        results.append(auth.ensure_admin(BucketDirectory(Bucket.from_config(config)), password))

    threads = [threading.Thread(target=start, args=(f"password-{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(created for created, _ in results) == [False, False, False, True]
    passwords_that_work = [
        i
        for i in range(4)
        if _signs_in(BucketDirectory(Bucket.from_config(config)), f"password-{i}")
    ]
    assert len(passwords_that_work) == 1


def _signs_in(at: BucketDirectory, password: str) -> bool:
    try:
        auth.authenticate_password(at, "admin", password)
        return True
    except errors.AuthRequired:
        return False


def test_a_new_password_works_at_once_everywhere_and_ends_old_sessions(
    config: BucketConfig,
) -> None:
    clock = Clock()
    one = BucketDirectory(Bucket.from_config(config), clock=clock)
    two = BucketDirectory(Bucket.from_config(config), clock=clock)
    auth.create_user(one, "li", "password-123")
    session = auth.start_session(two, "li")
    assert auth.session_principal(two, session.cookie) is not None
    auth.set_password(one, "li", "password-456")
    # Sign-in reads the account afresh on every instance.
    with pytest.raises(errors.AuthRequired):
        auth.authenticate_password(two, "li", "password-123")
    assert auth.authenticate_password(two, "li", "password-456").name == "li"
    assert auth.session_principal(one, session.cookie) is None
    clock.now += two.cache_seconds + 1
    assert auth.session_principal(two, session.cookie) is None
    fresh = auth.start_session(two, "li")
    assert auth.session_principal(one, fresh.cookie) is not None


def test_a_password_changes_on_a_store_without_compare_and_swap(config: BucketConfig) -> None:
    """Aliyun OSS answers S3's If-Match with 501 NotImplemented."""
    from s3 import http_error

    bucket = Bucket.from_config(config)

    def no_if_match(request: Any, **_: Any) -> Any:
        if request.method == "PUT" and "If-Match" in request.headers:
            return http_error(501, "NotImplemented")
        return None

    bucket.client.meta.events.register("before-send.s3", no_if_match)
    at = BucketDirectory(bucket)
    auth.create_user(at, "li", "password-123")
    session = auth.start_session(at, "li")
    auth.set_password(at, "li", "password-456")
    assert auth.authenticate_password(at, "li", "password-456").name == "li"
    assert auth.session_principal(at, session.cookie) is None


def test_failed_sign_ins_are_throttled_per_account_and_address(tmp_path: Path) -> None:
    """250 wrong passwords at 27 a second met no brake. Now, after five free
    failures, each one makes the account wait twice as long: 429 with
    Retry-After, before the password is checked, and a log line."""
    import time

    from conftest import start_server

    server = start_server(tmp_path / "data", token=False)
    try:

        def attempt(password: str, user: str = "admin") -> Any:
            return server.request(
                "POST", "/api/login", {"username": user, "password": password}, auth=False
            )

        assert [attempt(f"wrong-{i}").status for i in range(6)] == [401] * 6
        refused = attempt("admin-test-pw")  # the right one, but now it must wait
        assert refused.status == 429, refused.body
        assert refused.json()["error"]["code"] == "too_many_attempts"
        wait = int(refused.headers["retry-after"])
        assert 1 <= wait <= 2
        # another name from the same address waits too (no guessing user names)
        assert attempt("x", user="nobody").status == 429
        time.sleep(wait + 0.2)
        assert attempt("admin-test-pw").status == 200
        assert attempt("wrong-again").status == 401, "a good sign-in clears the count"
        assert "Sign-in throttled: account:admin failed 6 times" in server.log()
    finally:
        server.stop()


def test_the_wait_doubles_and_stops_at_a_quarter_of_an_hour() -> None:
    from localapp.errors import TooManyAttempts
    from localapp.throttle import FREE_FAILURES, LoginThrottle

    now = [1000.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    waits = []
    for _ in range(FREE_FAILURES + 12):
        throttle.check("admin", "10.0.0.1")
        throttle.failed("admin", "10.0.0.1")
        try:
            throttle.check("admin", "10.0.0.1")
            waits.append(0)
        except TooManyAttempts as exc:
            waits.append(exc.retry_after)
            now[0] += exc.retry_after
    assert waits[:FREE_FAILURES] == [0] * FREE_FAILURES
    assert waits[FREE_FAILURES : FREE_FAILURES + 5] == [1, 2, 4, 8, 16]
    assert max(waits) == 900


def test_expired_sessions_are_removed_from_the_bucket(config: BucketConfig) -> None:
    """Each sign-in on a deployment writes a session object; expired ones are
    deleted at a later sign-in (at most hourly per instance), not kept for ever."""
    bucket = Bucket.from_config(config)
    one = BucketDirectory(bucket)
    auth.create_user(one, "li", "password-123")
    old = auth.start_session(one, "li", now=1000.0)
    later = 1000.0 + auth.SESSION_TTL + 1  # the first has expired
    new = auth.start_session(one, "li", now=later)
    sessions = list(bucket.keys("accounts/sessions/"))
    assert len(sessions) == 1, "the expired session was deleted at the next sign-in"
    assert auth.session_principal(one, new.cookie, now=later + 60) is not None
    assert auth.session_principal(BucketDirectory(bucket), old.cookie, now=1000.0) is None
