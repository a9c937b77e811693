"""Users, passwords, roles, tokens, grants and the audit log, at the service layer."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from opendata.core.errors import ConflictError, NotFoundError, ValidationError
from opendata.services.access import (
    ANONYMOUS,
    AuthenticationError,
    PermissionDeniedError,
    can_receive_data,
)
from opendata.services.accounts import (
    role_grant,
    role_revoke,
    user_check_password,
    user_create,
    user_get,
    user_set_active,
    user_set_password,
    viewer_for_user,
)
from opendata.services.audit import AuditFilter, audit_export, audit_list
from opendata.services.grants import grant_create, grant_list, grant_revoke
from opendata.services.tokens import token_authenticate, token_create, token_list, token_revoke
from opendata.store.accounts import ApiToken, AuditLog, User
from opendata.store.db import transaction
from opendata.store.models import Dataset, Organization, Version, utcnow
from tests.accounts_fixtures import OPERATOR, PASSWORD, seed_accounts


@pytest.fixture
def rt(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    return runtime


def _viewer(rt, username):
    with rt.sessions() as s:
        return viewer_for_user(session=s, user=user_get(session=s, username=username))


def _token(rt, username="finclerk", scopes=("read",), **kw):
    with transaction(rt.sessions) as s:
        return token_create(session=s, actor=OPERATOR, username=username, name="t", scopes=scopes, **kw).plain


def _auth(rt, plain, now=None):
    with transaction(rt.sessions) as s:
        return token_authenticate(session=s, plain=plain, now=now)


def test_password_hash_round_trip_and_wrong_password(rt):
    with transaction(rt.sessions) as s:
        user = user_check_password(session=s, username="alice", password=PASSWORD)
        assert user is not None and user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash
        assert user_check_password(session=s, username="alice", password=PASSWORD + "x") is None
        assert user_check_password(session=s, username="nobody", password=PASSWORD) is None
        user_set_password(session=s, actor=OPERATOR, username="alice", password="another long passphrase")
        assert user_check_password(session=s, username="alice", password=PASSWORD) is None
        assert user_check_password(session=s, username="alice", password="another long passphrase")


def test_short_passwords_and_bad_usernames_are_refused(rt):
    with transaction(rt.sessions) as s:
        with pytest.raises(ValidationError):
            user_set_password(session=s, actor=OPERATOR, username="alice", password="short")
        with pytest.raises(ValidationError):
            user_create(session=s, actor=OPERATOR, username="Bad Name")
        with pytest.raises(ConflictError):
            user_create(session=s, actor=OPERATOR, username="alice")


def test_only_administrators_create_users_and_grant_roles(rt):
    clerk = _viewer(rt, "finclerk")
    with transaction(rt.sessions) as s:
        with pytest.raises(PermissionDeniedError):
            user_create(session=s, actor=clerk, username="mallory")
        with pytest.raises(PermissionDeniedError):
            role_grant(session=s, actor=clerk, username="finclerk", role="administrator")
        with pytest.raises(AuthenticationError):
            user_create(session=s, actor=ANONYMOUS, username="mallory")


def test_publisher_of_a_parent_acts_for_its_sub_organizations(rt):
    with rt.sessions() as s:
        city, finance = (s.scalar(select(Organization.id).where(Organization.slug == slug))
                         for slug in ("city", "finance"))
    city_clerk, fin_clerk, reviewer = (_viewer(rt, u) for u in ("cityclerk", "finclerk", "reviewer"))
    assert city_clerk.publish_organization_ids == {city, finance}
    assert fin_clerk.publish_organization_ids == {finance} and fin_clerk.organization_ids == {finance}
    assert reviewer.can_review_for(finance) and not reviewer.can_publish_for(finance)
    assert not fin_clerk.can_publish_for(city)
    assert _viewer(rt, "admin").is_admin and not fin_clerk.is_admin


def test_role_revoke_takes_the_role_away(rt):
    with transaction(rt.sessions) as s:
        role_revoke(session=s, actor=OPERATOR, username="finclerk", role="publisher")
        with pytest.raises(NotFoundError):
            role_revoke(session=s, actor=OPERATOR, username="finclerk", role="publisher")
    assert _viewer(rt, "finclerk").publish_organization_ids == frozenset()


def test_token_is_returned_once_and_only_its_hash_is_stored(rt):
    plain = _token(rt)
    assert plain.startswith("od_") and len(plain) == 3 + 10 + 1 + 43
    rt.engine.dispose()  # checkpoint WAL so every byte is in the files we read
    blobs = b"".join(p.read_bytes() for p in rt.config.home.glob("opendata.db*"))
    assert plain.encode() not in blobs and plain.split("_", 2)[2].encode() not in blobs
    with rt.sessions() as s:
        token = s.scalar(select(ApiToken))
        assert len(token.token_hash) == 64 and plain not in json.dumps(token_list(
            session=s, actor=OPERATOR, username="finclerk")[0].scopes)


def test_token_authenticates_as_its_user_with_its_scopes(rt):
    viewer = _auth(rt, _token(rt, scopes=["publish"]))
    assert viewer.user == "finclerk" and viewer.scopes == {"read", "publish"}
    assert viewer.has_scope("publish") and not viewer.has_scope("review")
    with pytest.raises(PermissionDeniedError):
        viewer.require_scope("admin")
    read_only = _auth(rt, _token(rt))
    assert not read_only.can_publish_for(next(iter(read_only.publish_organization_ids)))


def test_token_scopes_cannot_exceed_roles_or_the_creating_token(rt):
    with pytest.raises(PermissionDeniedError):
        _token(rt, username="alice", scopes=["publish"])
    with pytest.raises(ValidationError):
        _token(rt, scopes=["superuser"])
    read_only = _auth(rt, _token(rt))
    with transaction(rt.sessions) as s, pytest.raises(PermissionDeniedError):
        token_create(session=s, actor=read_only, username="finclerk", name="x", scopes=["publish"])


def test_expired_revoked_wrong_and_malformed_tokens_are_refused(rt):
    plain = _token(rt, lifetime_days=1)
    _auth(rt, plain)
    with pytest.raises(AuthenticationError, match="expired"):
        _auth(rt, plain, now=utcnow() + timedelta(days=1, seconds=1))
    forged = plain[:-4] + ("AAAA" if not plain.endswith("AAAA") else "BBBB")
    for bad in (forged, "od_0000000000_" + "A" * 43, "not-a-token", ""):
        with pytest.raises(AuthenticationError, match="not valid"):
            _auth(rt, bad)
    viewer = _auth(rt, plain)
    with transaction(rt.sessions) as s:
        token_revoke(session=s, actor=viewer, token_id=viewer.token_id)
    with pytest.raises(AuthenticationError, match="revoked"):
        _auth(rt, plain)


def test_deactivated_user_tokens_stop_working(rt):
    plain = _token(rt)
    with transaction(rt.sessions) as s:
        user_set_active(session=s, actor=OPERATOR, username="finclerk", active=False)
    with pytest.raises(AuthenticationError):
        _auth(rt, plain)


def test_last_used_is_recorded_at_most_once_a_minute(rt):
    plain = _token(rt)
    now = utcnow()
    _auth(rt, plain, now=now)
    _auth(rt, plain, now=now + timedelta(seconds=30))
    with rt.sessions() as s:
        assert s.scalar(select(ApiToken.last_used_at)) == now
    _auth(rt, plain, now=now + timedelta(seconds=61))
    with rt.sessions() as s:
        assert s.scalar(select(ApiToken.last_used_at)) == now + timedelta(seconds=61)


def test_users_cannot_revoke_or_list_others_tokens(rt):
    _token(rt, username="finclerk")
    alice = _auth(rt, _token(rt, username="alice"))
    with rt.sessions() as s:
        finclerk_token = s.scalar(select(ApiToken).join(User).where(User.username == "finclerk"))
    with transaction(rt.sessions) as s:
        with pytest.raises(NotFoundError):
            token_revoke(session=s, actor=alice, token_id=finclerk_token.id)
        with pytest.raises(PermissionDeniedError):
            token_list(session=s, actor=alice, username="finclerk")
        assert [t.user.username for t in token_list(session=s, actor=alice)] == ["alice"]


def _published_subsidies(rt):
    """A published version of the conditional dataset, for data checks."""
    with transaction(rt.sessions) as s:
        ds = s.scalar(select(Dataset).where(Dataset.identifier == "subsidies"))
        s.add(Version(dataset=ds, number=1, state="published", source_filename="s.csv", source_bytes=1,
                      source_sha256="0" * 64, schema_sha256="0" * 64, created_by="test", published_at=utcnow()))


def test_grants_give_conditional_data_until_they_expire_or_are_revoked(rt):
    _published_subsidies(rt)
    now = utcnow()
    with transaction(rt.sessions) as s:
        grant = grant_create(session=s, actor=OPERATOR, dataset="subsidies", username="alice",
                             purpose="research", expires_at=now + timedelta(days=30))
        grant_id = grant.id

    def receives(at):
        with rt.sessions() as s:
            alice = viewer_for_user(session=s, user=user_get(session=s, username="alice"), now=at)
            version = s.scalar(select(Version))
            return can_receive_data(alice, version)

    assert receives(now) and not receives(now + timedelta(days=31))
    with rt.sessions() as s:
        assert not can_receive_data(ANONYMOUS, s.scalar(select(Version)))
        assert can_receive_data(viewer_for_user(session=s, user=user_get(session=s, username="cityclerk")),
                                s.scalar(select(Version)))  # own organization's parent publisher
    with transaction(rt.sessions) as s:
        grant_revoke(session=s, actor=OPERATOR, grant_id=grant_id)
        assert grant_list(session=s, actor=OPERATOR, dataset="subsidies", active_only=True) == []
    assert not receives(now)


def test_grants_only_for_conditional_datasets_and_only_by_administrators(rt):
    later = utcnow() + timedelta(days=1)
    with transaction(rt.sessions) as s:
        with pytest.raises(ConflictError):
            grant_create(session=s, actor=OPERATOR, dataset="budget", username="alice", purpose="x",
                         expires_at=later)
        with pytest.raises(ValidationError):
            grant_create(session=s, actor=OPERATOR, dataset="subsidies", purpose="x", expires_at=later)
        with pytest.raises(ValidationError):
            grant_create(session=s, actor=OPERATOR, dataset="subsidies", username="alice", purpose="x",
                         expires_at=utcnow() - timedelta(days=1))
    clerk = _viewer(rt, "finclerk")
    with transaction(rt.sessions) as s, pytest.raises(PermissionDeniedError):
        grant_create(session=s, actor=clerk, dataset="subsidies", username="alice", purpose="x", expires_at=later)


def test_every_write_is_audited_without_secrets(rt):
    plain = _token(rt)
    with rt.sessions() as s:
        everything = audit_list(session=s, actor=OPERATOR, limit=1000)
        assert {e.actor for e in everything if e.source} == {"catalog.yaml (administrator)"}  # the seeding sync
        entries = [e for e in everything if e.source is None]
        actions = [e.action for e in entries]
        assert actions.count("user-created") == 5 and "role-granted" in actions and actions[-1] == "token-created"
        assert all(e.actor == "test-operator" for e in entries)
        dumped = json.dumps([(e.before, e.after) for e in entries])
        assert plain not in dumped and "argon2" not in dumped and "token_hash" not in dumped
        only_tokens = audit_list(session=s, actor=OPERATOR, filters=AuditFilter(action="token-created"))
        assert len(only_tokens) == 1
        after = audit_list(session=s, actor=OPERATOR, filters=AuditFilter(after_seq=entries[-2].seq))
        assert [e.seq for e in after] == [entries[-1].seq]
        with pytest.raises(PermissionDeniedError):
            audit_list(session=s, actor=_viewer(rt, "finclerk"))


def test_audit_export_as_csv_and_json(rt):
    with rt.sessions() as s:
        csv_text = "".join(audit_export(session=s, actor=OPERATOR, fmt="csv"))
        json_rows = json.loads("".join(audit_export(session=s, actor=OPERATOR, fmt="json")))
        count = len(audit_list(session=s, actor=OPERATOR, limit=1000))
        with pytest.raises(ValidationError):
            audit_export(session=s, actor=OPERATOR, fmt="xml")
    lines = csv_text.strip().split("\r\n")
    assert lines[0].startswith("seq,at,actor,action") and len(lines) == count + 1
    assert len(json_rows) == count and json_rows[0]["action"] == "schema-registered"  # the seeding sync first
    assert [r["action"] for r in json_rows if r["source"] is None][0] == "user-created"
    assert lines[0].endswith(",source") and ",catalog.yaml@sha256:" in lines[1]


def test_audit_log_is_append_only(rt):
    with rt.engine.connect() as conn:
        for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
            with pytest.raises(DatabaseError, match="append-only"):
                conn.execute(text(statement))
            conn.rollback()
    with rt.sessions() as s:
        entry = s.scalar(select(AuditLog))
        entry.actor = "forged"
        with pytest.raises(DatabaseError, match="append-only"):
            s.commit()


def test_append_only_triggers_also_come_with_create_all(tmp_path):
    from opendata.store.db import make_engine
    from opendata.store.models import Base

    engine = make_engine(f"sqlite:///{tmp_path / 'c.db'}")
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (at, actor, action, target_type) "
                          "VALUES ('2026-01-01', 'a', 'b', 'c')"))
    with engine.connect() as conn, pytest.raises(DatabaseError, match="append-only"):
        conn.execute(text("DELETE FROM audit_log"))
    engine.dispose()


def test_audit_filters_by_time(rt):
    now = utcnow()
    with rt.sessions() as s:
        everything = audit_list(session=s, actor=OPERATOR, limit=1000)
        assert audit_list(session=s, actor=OPERATOR, filters=AuditFilter(since=now + timedelta(hours=1))) == []
        recent = audit_list(session=s, actor=OPERATOR, filters=AuditFilter(since=now - timedelta(hours=1)),
                            limit=1000)
        assert [e.seq for e in recent] == [e.seq for e in everything]
        assert audit_list(session=s, actor=OPERATOR, filters=AuditFilter(until=now - timedelta(hours=1))) == []
