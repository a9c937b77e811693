"""What the administration pages show: every user with organization, roles, state and live sessions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from opendata.services.access import Viewer
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import reading
from opendata.store.accounts import RoleAssignment, User
from opendata.store.models import Organization, utcnow
from opendata.store.sessions import ConsoleSession


def user_directory(*, runtime: Runtime, viewer: Viewer) -> dict[str, Any]:
    """Organizations (for the forms) and users grouped by organization, with roles (administrators)."""
    viewer.require_admin()
    with reading(runtime) as session:
        orgs = [{"slug": slug, "name": name} for slug, name in
                session.execute(select(Organization.slug, Organization.name).order_by(Organization.name))]
        live = {user_id: n for user_id, n in session.execute(
            select(ConsoleSession.user_id, func.count(ConsoleSession.id)).where(
                ConsoleSession.user_id.is_not(None), ConsoleSession.expires_at > utcnow())
            .group_by(ConsoleSession.user_id))}
        users = session.scalars(select(User).options(
            selectinload(User.organization), selectinload(User.roles).selectinload(RoleAssignment.organization))
            .order_by(User.username))
        groups: dict[str, dict[str, Any]] = {}
        for user in users:
            org = user.organization
            key = org.slug if org else ""
            group = groups.setdefault(key, {"slug": key, "name": org.name if org else "", "users": []})
            group["users"].append({
                "username": user.username, "display_name": user.display_name, "email": user.email,
                "active": user.active, "has_password": user.password_hash is not None,
                "sessions": live.get(user.id, 0),
                "roles": [{"role": a.role, "organization": a.organization.slug if a.organization else None,
                           "organization_name": a.organization.name if a.organization else None}
                          for a in user.roles]})
    return {"organizations": orgs, "groups": sorted(groups.values(), key=lambda g: (g["slug"] == "", g["name"]))}
