"""Builders for accounts tests: the basic catalogue plus users with roles (service, API, CLI tests)."""

from __future__ import annotations

from pathlib import Path

from opendata.core.catalog_file import load_catalog
from opendata.services.access import system_viewer
from opendata.services.accounts import role_grant, user_create
from opendata.services.catalog_sync import sync_catalog
from opendata.store.db import transaction
from tests.conftest import BASIC_CATALOG, write_catalog

OPERATOR = system_viewer("test-operator")
PASSWORD = "correct horse battery staple"

# username: (organization, roles)
USERS = {
    "admin": ("city", ["administrator"]),
    "cityclerk": ("city", ["publisher"]),
    "finclerk": ("finance", ["publisher"]),
    "reviewer": ("finance", ["reviewer"]),
    "alice": (None, ["requester"]),
}


def seed_accounts(runtime, root: Path) -> None:
    """Sync the basic catalogue (city > finance; budget unconditional, subsidies conditional) and add USERS."""
    root.mkdir(parents=True, exist_ok=True)
    spec = load_catalog(write_catalog(root, BASIC_CATALOG), schemas_dir=root / "schemas")
    with transaction(runtime.sessions) as session:
        sync_catalog(session=session, spec=spec)
        for username, (org, roles) in USERS.items():
            user_create(session=session, actor=OPERATOR, username=username, organization=org,
                        password=PASSWORD if username == "alice" else None)  # Argon2 is slow on purpose
            for role in roles:
                role_grant(session=session, actor=OPERATOR, username=username, role=role)


def make_token(runtime, username: str, scopes=("read",), **kw) -> str:
    """A new token for ``username``, created by the operator; returns the plain token."""
    from opendata.services.tokens import token_create

    with transaction(runtime.sessions) as session:
        return token_create(session=session, actor=OPERATOR, username=username, name="test",
                            scopes=list(scopes), **kw).plain


def bearer(plain: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {plain}"}


ERROR_KEYS = {"code", "status", "message", "errors"}
