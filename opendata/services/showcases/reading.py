"""Reading showcases: the published ones for everyone, the others for their moderators.

A showcase's moderators are the administrators and the publishers of any dataset it uses; to
anyone else a showcase that is not published does not exist (the same 404 as an unknown name). A
showcase lists only the datasets whose catalogue entries are listed; the author's e-mail address
and the moderation's note are shown to moderators only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from opendata.core import lifecycle
from opendata.core.errors import NotFoundError, Problem, ValidationError
from opendata.core.showcase import KINDS, STATE_NAMES
from opendata.core.urls import Links
from opendata.services.access import Viewer
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import reading
from opendata.store.models import Dataset
from opendata.store.showcases import Showcase, ShowcaseDataset

MAX_LIMIT = 100


@dataclass(frozen=True)
class ScreenshotFile:
    """A showcase's stored screenshot with what its HTTP headers need."""

    path: Path
    size: int
    sha256: str
    media_type: str
    modified: datetime


def is_moderator(viewer: Viewer, showcase: Showcase) -> bool:
    """True for administrators and the publishers of any dataset the showcase uses."""
    return viewer.is_admin or any(viewer.can_publish_for(link.dataset.organization_id) for link in showcase.links)


def showcase_dict(sc: Showcase, links: Links, *, moderator: bool = False) -> dict[str, Any]:
    """A showcase as the API, the portal and the CKAN actions show it (moderation details for moderators)."""
    shot = None
    if sc.screenshot_path is not None:
        shot = {"url": links.showcase_screenshot(sc.name), "media_type": sc.screenshot_type,
                "width": sc.screenshot_width, "height": sc.screenshot_height, "bytes": sc.screenshot_bytes,
                "sha256": sc.screenshot_sha256}
    out = {
        "name": sc.name, "title": sc.title, "description": sc.description, "url": sc.url,
        "kind": sc.kind, "kind_name": KINDS[sc.kind][0], "kind_name_en": KINDS[sc.kind][1],
        "author": sc.author, "state": sc.state, "state_name": STATE_NAMES[sc.state][0],
        "submitted_at": sc.submitted_at.isoformat(), "published_at": sc.published_at.isoformat()
        if sc.published_at else None, "modified_at": sc.modified_at.isoformat(),
        "datasets": [{"id": link.dataset.identifier, "title": link.dataset.title, "title_en": link.dataset.title_en,
                      "publisher": {"id": link.dataset.organization.slug, "name": link.dataset.organization.name},
                      "page": links.dataset_page(link.dataset.identifier)}
                     for link in sc.links if moderator or link.dataset.state == lifecycle.DATASET_ACTIVE],
        "screenshot": shot,
        "links": {"page": links.showcase_page(sc.name), "api": links.showcase_api(sc.name)},
    }
    if moderator:
        out["moderation"] = {"author_email": sc.author_email, "submitted_by": sc.submitted_by,
                             "moderated_by": sc.moderated_by, "note": sc.moderation_note,
                             "moderated_at": sc.moderated_at.isoformat() if sc.moderated_at else None}
    return out


def loaded_showcases():
    """A select of showcases with their datasets and the datasets' organisations loaded."""
    return select(Showcase).options(
        selectinload(Showcase.links).selectinload(ShowcaseDataset.dataset).selectinload(Dataset.organization))


def list_showcases(*, runtime: Runtime, links: Links, dataset: str | None = None, kind: str | None = None,
                   offset: int = 0, limit: int = 20) -> dict[str, Any]:
    """Published showcases, newest first: {total, offset, limit, results}; optionally of one dataset or kind."""
    if not 0 <= limit <= MAX_LIMIT or not 0 <= offset <= 10**9:
        raise ValidationError("invalid page", problems=[Problem("invalid-parameter",
                                                                f"limit must be 0 to {MAX_LIMIT}", path="limit")])
    if kind is not None and kind not in KINDS:
        raise ValidationError("invalid kind", problems=[Problem("invalid-parameter",
                                                                f"kind must be one of {', '.join(KINDS)}", path="kind")])
    with reading(runtime) as session:
        where = [Showcase.state == "published"]
        if kind is not None:
            where.append(Showcase.kind == kind)
        if dataset is not None:
            ds = _listed_dataset(session, dataset)
            where.append(Showcase.id.in_(select(ShowcaseDataset.showcase_id).where(ShowcaseDataset.dataset_id == ds.id)))
        total = session.scalar(select(func.count()).select_from(Showcase).where(*where)) or 0
        rows = session.scalars(loaded_showcases().where(*where)
                               .order_by(Showcase.published_at.desc(), Showcase.id.desc()).offset(offset).limit(limit))
        return {"total": total, "offset": offset, "limit": limit,
                "results": [showcase_dict(sc, links) for sc in rows]}


def showcase_detail(*, runtime: Runtime, viewer: Viewer, links: Links, name: str) -> dict[str, Any]:
    """One showcase: published ones for anyone, the others for their moderators (404 otherwise)."""
    with reading(runtime) as session:
        sc, moderator = visible_showcase(session, viewer, name)
        return showcase_dict(sc, links, moderator=moderator)


def showcase_datasets(*, runtime: Runtime, viewer: Viewer, name: str) -> list[str]:
    """The identifiers of the listed datasets a visible showcase uses, in the submitter's order."""
    with reading(runtime) as session:
        sc, _moderator = visible_showcase(session, viewer, name)
        return [link.dataset.identifier for link in sc.links if link.dataset.state == lifecycle.DATASET_ACTIVE]


def showcase_screenshot(*, runtime: Runtime, viewer: Viewer, name: str) -> ScreenshotFile:
    """A visible showcase's screenshot (404 when it has none)."""
    with reading(runtime) as session:
        sc, _moderator = visible_showcase(session, viewer, name)
        if sc.screenshot_path is None:
            raise NotFoundError(f"showcase '{name}' has no screenshot")
        return ScreenshotFile(path=runtime.artifacts.path(sc.screenshot_path), size=int(sc.screenshot_bytes or 0),
                              sha256=sc.screenshot_sha256 or "", media_type=sc.screenshot_type or "",
                              modified=sc.submitted_at)


def visible_showcase(session: Session, viewer: Viewer, name: str) -> tuple[Showcase, bool]:
    """The showcase and whether the viewer moderates it; NotFoundError when the viewer may not see it."""
    sc = session.scalar(loaded_showcases().where(Showcase.name == name)) if len(name) <= 100 else None
    if sc is None:
        raise NotFoundError(f"showcase '{name}' does not exist")
    moderator = is_moderator(viewer, sc)
    if sc.state != "published" and not moderator:
        raise NotFoundError(f"showcase '{name}' does not exist")
    return sc, moderator


def _listed_dataset(session: Session, identifier: str) -> Dataset:
    ds = session.scalar(select(Dataset).where(Dataset.identifier == identifier,
                                              Dataset.state == lifecycle.DATASET_ACTIVE))
    if ds is None:
        raise NotFoundError(f"dataset '{identifier}' does not exist")
    return ds
