"""Builders for review tests: a catalogue with a personal-information column, users with roles."""

from __future__ import annotations

import random
from pathlib import Path

from opendata.core.codes import is_valid_id_number
from opendata.services.access import system_viewer
from opendata.services.accounts import role_grant, user_create, user_get, viewer_for_user
from opendata.store.db import transaction
from tests.builders import ROWS_SCHEMA, make_catalog

OPERATOR = system_viewer("test-operator")

PERSON_SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "name", "type": "string"},
        {"name": "id_card", "type": "string", "title": "身份证号"},
        {"name": "amount", "type": "number"},
    ],
    "primaryKey": ["id"],
}

# username: (organization, roles, role organization)
REVIEW_USERS = {
    "admin": ("city", ["administrator"]),
    "finpub": ("finance", ["publisher"]),
    "finrev1": ("finance", ["reviewer"]),
    "finrev2": ("finance", ["reviewer"]),
    "envpub": ("env", ["publisher"]),
    "envrev": ("env", ["reviewer"]),
    "pubrev": ("finance", ["publisher", "reviewer"]),
}


def id_number(rnd: random.Random) -> str:
    """A valid 18-digit 身份证号 (GB 11643 check character, real birth date)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    body = f"330106{rnd.randint(1950, 2000)}{rnd.randint(1, 12):02d}{rnd.randint(1, 28):02d}{rnd.randint(0, 999):03d}"
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    number = body + check
    assert is_valid_id_number(number)
    return number


def person_rows(n: int, *, seed: int = 42) -> list[dict]:
    rnd = random.Random(seed)
    return [{"id": i + 1, "name": f"张{i}", "id_card": id_number(rnd), "amount": round(rnd.uniform(1, 900), 2)}
            for i in range(n)]


def seed_review_catalog(runtime, tmp_path: Path, datasets: list[dict] | None = None) -> Path:
    """The builders' organizations (city > finance, env) with a person dataset, and REVIEW_USERS."""
    root = make_catalog(runtime, tmp_path, schemas={"rows.json": ROWS_SCHEMA, "person.json": PERSON_SCHEMA},
                        datasets=datasets or [{"id": "payees", "title": "补助对象名单", "schema": "person.json"},
                                              {"id": "budget", "title": "预算"}])
    add_users(runtime, REVIEW_USERS)
    return root


def add_users(runtime, users: dict[str, tuple[str | None, list[str]]]) -> None:
    """Create users (username: (organization, roles)) through the accounts service."""
    with transaction(runtime.sessions) as session:
        for username, (org, roles) in users.items():
            user_create(session=session, actor=OPERATOR, username=username, organization=org)
            for role in roles:
                role_grant(session=session, actor=OPERATOR, username=username, role=role)


def viewer_of(runtime, username: str, scopes=None):
    """The Viewer a user acts as (all the scopes the roles allow, unless limited)."""
    with runtime.sessions() as session:
        return viewer_for_user(session=session, user=user_get(session=session, username=username),
                               scopes=frozenset(scopes) if scopes else None)
