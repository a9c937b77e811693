"""Console sign-in at the service layer: sessions, rotation, back-off, lock-out, password change, audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from opendata.core.errors import ValidationError
from opendata.services.access import PermissionDeniedError
from opendata.services.accounts import user_set_active
from opendata.services.console_sessions import key_hash, session_load, session_save
from opendata.services.sign_in import (
    Origin,
    SignInError,
    change_password,
    locked_usernames,
    session_viewer,
    sign_in,
    sign_out,
    unlock_username,
)
from opendata.store.accounts import AuditLog
from opendata.store.db import transaction
from opendata.store.models import utcnow
from opendata.store.sessions import ConsoleSession, SignInThrottle
from tests.accounts_fixtures import OPERATOR, PASSWORD, seed_accounts

HERE = Origin(address="127.0.0.9", request_id="req-1")


@pytest.fixture
def rt(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")  # alice has PASSWORD; the others none
    return runtime


def _actions(rt, target=None):
    with rt.sessions() as s:
        query = select(AuditLog).order_by(AuditLog.seq)
        if target is not None:
            query = query.where(AuditLog.target_id == target)
        return [(e.action, e.address) for e in s.scalars(query)]


def test_session_data_is_stored_server_side_under_the_hash_of_its_id(rt):
    key = session_save(runtime=rt, key=None, data={"csrf_token": "abc"})
    with rt.sessions() as s:
        row = s.scalar(select(ConsoleSession))
    assert row.key_hash == key_hash(key) and key not in row.key_hash and row.user_id is None
    loaded = session_load(runtime=rt, key=key)
    assert loaded.data == {"csrf_token": "abc"} and loaded.user_id is None
    assert session_load(runtime=rt, key="not-a-session") is None


def test_an_idle_session_ends(rt):
    key = session_save(runtime=rt, key=None, data={})
    later = utcnow() + timedelta(minutes=rt.config.SESSION_IDLE_MINUTES, seconds=1)
    assert session_load(runtime=rt, key=key, now=later) is None


def test_an_active_session_still_ends_at_its_absolute_end(rt):
    start = utcnow()
    key = session_save(runtime=rt, key=None, data={}, now=start)
    at = start
    while at < start + timedelta(hours=rt.config.SESSION_MAX_HOURS) - timedelta(minutes=30):
        at += timedelta(minutes=30)
        assert session_load(runtime=rt, key=key, now=at) is not None  # each request keeps it alive
    assert session_load(runtime=rt, key=key, now=start + timedelta(hours=rt.config.SESSION_MAX_HOURS)) is None


def test_signing_in_makes_a_new_session_and_ends_the_one_from_before(rt):
    before = session_save(runtime=rt, key=None, data={"csrf_token": "x"})
    signed = sign_in(runtime=rt, username="alice", password=PASSWORD, old_key=before, origin=HERE)
    assert signed.key != before and signed.username == "alice"
    assert session_load(runtime=rt, key=before) is None
    assert session_load(runtime=rt, key=signed.key).user_id == signed.user_id
    assert ("signed-in", "127.0.0.9") in _actions(rt, "alice")


def test_username_case_and_spaces_do_not_matter(rt):
    assert sign_in(runtime=rt, username="  Alice ", password=PASSWORD, old_key=None, origin=HERE).username == "alice"


def test_a_wrong_password_and_an_unknown_user_fail_alike_and_are_audited(rt):
    with pytest.raises(SignInError) as wrong:
        sign_in(runtime=rt, username="alice", password="not the password", old_key=None, origin=HERE)
    with pytest.raises(SignInError) as unknown:
        sign_in(runtime=rt, username="nobody", password="not the password", old_key=None, origin=HERE)
    assert str(wrong.value) == str(unknown.value) == "wrong username or password"
    assert ("sign-in-failed", "127.0.0.9") in _actions(rt, "alice")
    assert ("sign-in-failed", "127.0.0.9") in _actions(rt, "nobody")


def test_failures_bring_back_off_then_lock_out_even_for_the_right_password(rt):
    now = utcnow()
    backoff, lock = rt.config.SIGN_IN_BACKOFF_AFTER, rt.config.SIGN_IN_LOCKOUT_AFTER
    for n in range(1, lock + 1):
        with pytest.raises(SignInError) as failed:
            sign_in(runtime=rt, username="alice", password="wrong", old_key=None, origin=HERE, now=now)
        if n < backoff:
            assert failed.value.retry_after is None
        elif n < lock:
            assert failed.value.retry_after == 2 ** (n - backoff)
            with pytest.raises(SignInError, match="wait"):  # too early: refused unheard, even the right password
                sign_in(runtime=rt, username="alice", password=PASSWORD, old_key=None, origin=HERE, now=now)
        if not failed.value.locked:
            now += timedelta(seconds=failed.value.retry_after or 0)
    assert failed.value.locked
    with pytest.raises(SignInError, match="locked") as refused:
        sign_in(runtime=rt, username="alice", password=PASSWORD, old_key=None, origin=HERE,
                now=now + timedelta(minutes=1))
    assert refused.value.locked
    actions = [a for a, _ in _actions(rt, "alice")]
    assert actions.count("sign-in-failed") == lock and actions.count("sign-in-locked") == 1
    assert "sign-in-refused" in actions
    after_lock = now + timedelta(minutes=rt.config.SIGN_IN_LOCKOUT_MINUTES, seconds=1)
    assert sign_in(runtime=rt, username="alice", password=PASSWORD, old_key=None, origin=HERE, now=after_lock)
    with rt.sessions() as s:
        assert s.get(SignInThrottle, "alice") is None  # success clears the count


def test_an_administrator_unlocks_a_locked_username(rt):
    now = utcnow()
    with transaction(rt.sessions) as s:
        s.add(SignInThrottle(username="alice", failures=10, last_failure_at=now,
                             locked_until=now + timedelta(minutes=15)))
    assert set(locked_usernames(runtime=rt, actor=OPERATOR)) == {"alice"}
    with pytest.raises(PermissionDeniedError):
        unlock_username(runtime=rt, actor=HERE.viewer("alice"), username="alice")
    assert unlock_username(runtime=rt, actor=OPERATOR, username="alice") is True
    assert sign_in(runtime=rt, username="alice", password=PASSWORD, old_key=None, origin=HERE)
    assert "sign-in-unlocked" in [a for a, _ in _actions(rt, "alice")]


def test_signing_out_ends_the_session_and_is_audited(rt):
    signed = sign_in(runtime=rt, username="alice", password=PASSWORD, old_key=None, origin=HERE)
    sign_out(runtime=rt, key=signed.key, origin=HERE)
    assert session_load(runtime=rt, key=signed.key) is None
    assert "signed-out" in [a for a, _ in _actions(rt, "alice")]
    sign_out(runtime=rt, key=signed.key, origin=HERE)  # twice: nothing happens


def test_a_password_change_needs_the_current_password_and_ends_every_other_session(rt):
    here = sign_in(runtime=rt, username="alice", password=PASSWORD, old_key=None, origin=HERE)
    elsewhere = sign_in(runtime=rt, username="alice", password=PASSWORD, old_key=None, origin=HERE)
    viewer = session_viewer(runtime=rt, user_id=here.user_id, origin=HERE)
    with pytest.raises(ValidationError) as bad:
        change_password(runtime=rt, viewer=viewer, current="wrong", new="a new long password", repeated="other")
    assert {p.path for p in bad.value.problems} == {"current", "repeated"}
    with pytest.raises(ValidationError) as short:
        change_password(runtime=rt, viewer=viewer, current=PASSWORD, new="short", repeated="short")
    assert [p.path for p in short.value.problems] == ["new"]
    new_key = change_password(runtime=rt, viewer=viewer, current=PASSWORD, new="a new long password",
                              repeated="a new long password")
    assert session_load(runtime=rt, key=here.key) is None and session_load(runtime=rt, key=elsewhere.key) is None
    assert session_load(runtime=rt, key=new_key).user_id == here.user_id
    assert sign_in(runtime=rt, username="alice", password="a new long password", old_key=None, origin=HERE)


def test_a_deactivated_user_loses_every_session_at_once(rt):
    signed = sign_in(runtime=rt, username="alice", password=PASSWORD, old_key=None, origin=HERE)
    assert session_viewer(runtime=rt, user_id=signed.user_id, origin=HERE).user == "alice"
    with transaction(rt.sessions) as s:
        user_set_active(session=s, actor=OPERATOR, username="alice", active=False)
    assert session_load(runtime=rt, key=signed.key) is None
    assert session_viewer(runtime=rt, user_id=signed.user_id, origin=HERE) is None


def test_a_session_viewer_carries_every_scope_its_roles_allow(rt):
    with transaction(rt.sessions) as s:
        from opendata.services.accounts import user_set_password

        user_set_password(session=s, actor=OPERATOR, username="finclerk", password=PASSWORD)
    signed = sign_in(runtime=rt, username="finclerk", password=PASSWORD, old_key=None, origin=HERE)
    viewer = session_viewer(runtime=rt, user_id=signed.user_id, origin=HERE)
    assert viewer.scopes == {"read", "publish"} and viewer.token_id is None and viewer.address == "127.0.0.9"
