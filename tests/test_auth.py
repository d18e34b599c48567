"""Accounts, API tokens and sessions (localapp/auth.py) over a real store.

No server here: the domain rules are checked directly, with real files in
a temp dir. What goes over HTTP is in test_web.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from localapp import auth, errors
from localapp.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.open(tmp_path / "data")
    try:
        yield s
    finally:
        s.close()


def _stored_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("localapp.json*"))
                    if not p.name.endswith(".lock"))


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


def test_admin_is_created_once_with_a_generated_password(store: Store) -> None:
    created, generated = auth.ensure_admin(store, None)
    assert created and generated and len(generated) >= 12
    assert auth.authenticate_password(store, "admin", generated).name == "admin"
    again, nothing = auth.ensure_admin(store, "other-password")
    assert (again, nothing) == (False, None)
    # The second call did not change the password.
    with pytest.raises(errors.AuthRequired):
        auth.authenticate_password(store, "admin", "other-password")


def test_admin_password_from_settings_is_used(store: Store) -> None:
    assert auth.ensure_admin(store, "from-the-env-1") == (True, None)
    assert auth.authenticate_password(store, "admin", "from-the-env-1").kind == "session"


def test_wrong_user_or_password_is_the_same_error(store: Store) -> None:
    auth.create_user(store, "li", "password-123")
    for name, password in (("li", "wrong-password"), ("nobody", "password-123")):
        with pytest.raises(errors.AuthRequired) as exc:
            auth.authenticate_password(store, name, password)
        assert exc.value.code == "bad_credentials"
        assert exc.value.message == "Wrong user name or password."


def test_short_passwords_are_refused(store: Store) -> None:
    with pytest.raises(errors.ValidationError) as exc:
        auth.create_user(store, "li", "short")
    assert exc.value.fields == {"password": "too_short"}


def test_only_the_token_hash_is_stored(store: Store, tmp_path: Path) -> None:
    token = auth.create_token(store, "ci")
    assert token.startswith("la_") and len(token) > 40
    raw = _stored_bytes(tmp_path / "data")
    assert token.encode() not in raw
    assert hashlib.sha256(token.encode()).hexdigest().encode() in raw
    assert auth.authenticate_token(store, token) == auth.Principal("admin", "token")
    assert auth.list_tokens(store)[0]["name"] == "ci"
    assert "hash" not in auth.list_tokens(store)[0]


def test_duplicate_token_name_conflicts_and_revoke_works(store: Store) -> None:
    token = auth.create_token(store, "ci")
    with pytest.raises(errors.Conflict):
        auth.create_token(store, "ci")
    auth.revoke_token(store, "ci")
    with pytest.raises(errors.AuthRequired):
        auth.authenticate_token(store, token)
    with pytest.raises(errors.NotFound):
        auth.revoke_token(store, "ci")


def test_sessions_expire_and_are_stored_hashed(store: Store, tmp_path: Path) -> None:
    auth.create_user(store, "li", "password-123")
    new = auth.start_session(store, "li", now=1000.0)
    assert new.cookie.encode() not in _stored_bytes(tmp_path / "data")
    user = auth.session_principal(store, new.cookie, now=1000.0 + 60)
    assert user is not None and user.name == "li" and user.csrf == new.csrf
    assert auth.csrf_ok(user, new.csrf)
    assert not auth.csrf_ok(user, new.csrf + "x")
    assert not auth.csrf_ok(user, None)
    assert auth.session_principal(store, new.cookie, now=1000.0 + auth.SESSION_TTL + 1) is None


def test_changing_a_password_signs_the_user_out(store: Store) -> None:
    auth.create_user(store, "li", "password-123")
    new = auth.start_session(store, "li")
    auth.set_password(store, "li", "password-456")
    assert auth.session_principal(store, new.cookie) is None
    assert auth.authenticate_password(store, "li", "password-456").name == "li"
    with pytest.raises(errors.NotFound):
        auth.set_password(store, "nobody", "password-456")
