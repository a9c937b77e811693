"""Submitting a showcase: anyone may, signed in or not; it waits for moderation.

Every field and the screenshot are checked before anything is stored, and all their problems are
given together, each naming its field. The screenshot (re-encoded, without metadata) is written to
the artifact store before the row that points to it; a failure after that leaves an unreferenced
file, which ``opendata clean`` removes, and never a row without its file.
"""

from __future__ import annotations

import io
import re
from typing import Any, BinaryIO

from pypinyin import lazy_pinyin
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from opendata.core import lifecycle
from opendata.core.errors import ConflictError, Problem, ValidationError
from opendata.core.showcase import (
    Screenshot,
    ScreenshotTooLargeError,
    check_submission,
    clean_screenshot,
)
from opendata.core.urls import Links
from opendata.services.access import Viewer
from opendata.services.audit import audit_record
from opendata.services.runtime import Runtime
from opendata.services.showcases.reading import showcase_dict
from opendata.services.unit_of_work import unit_of_work
from opendata.store.models import Dataset, utcnow
from opendata.store.showcases import Showcase, ShowcaseDataset

_NOT_IN_NAME = re.compile(r"[^a-z0-9]+")


def submit_showcase(*, runtime: Runtime, viewer: Viewer, links: Links, form: dict[str, Any],
                    screenshot: BinaryIO | None = None) -> dict[str, Any]:
    """Check and store a showcase awaiting moderation; its dict (with ``state`` pending)."""
    problems: list[Problem] = []
    submission = shot = None
    try:
        submission = check_submission(form)
    except ValidationError as exc:
        problems.extend(exc.problems)
    if screenshot is not None:
        limit = runtime.config.SHOWCASE_SCREENSHOT_MAX_BYTES
        try:
            shot = clean_screenshot(screenshot.read(limit + 1), max_bytes=limit)
        except ScreenshotTooLargeError as exc:
            if not problems:
                raise
            problems.extend(exc.problems)
        except ValidationError as exc:
            problems.extend(exc.problems)
    if problems or submission is None:
        raise ValidationError(f"the showcase cannot be accepted: {problems[0].message}", problems=problems)
    with unit_of_work(runtime) as session:
        found = {ds.identifier: ds for ds in session.scalars(select(Dataset).where(
            Dataset.identifier.in_(submission.datasets), Dataset.state == lifecycle.DATASET_ACTIVE))}
        unknown = [Problem("unknown-dataset", f"there is no dataset '{ident}'", path=f"datasets/{i}")
                   for i, ident in enumerate(submission.datasets) if ident not in found]
        if unknown:
            raise ValidationError(f"the showcase cannot be accepted: {unknown[0].message}", problems=unknown)
        name = submission.name or _free_name(session, submission.title)
        if submission.name and session.scalar(select(Showcase.id).where(Showcase.name == name)) is not None:
            raise ConflictError(f"a showcase named '{name}' exists", problems=[
                Problem("name-taken", f"a showcase named '{name}' exists: choose another name", path="name")])
        stored = _store_screenshot(runtime, shot) if shot is not None else {}
        now = utcnow()
        sc = Showcase(name=name, title=submission.title, description=submission.description, url=submission.url,
                      kind=submission.kind, author=submission.author, author_email=submission.author_email,
                      state="pending", submitted_by=viewer.user, submitted_at=now, modified_at=now, **stored)
        sc.links = [ShowcaseDataset(dataset=found[ident], position=i) for i, ident in enumerate(submission.datasets)]
        session.add(sc)
        try:
            session.flush()
        except IntegrityError:
            raise ConflictError(f"a showcase named '{name}' was submitted at the same time", problems=[
                Problem("name-taken", "submit again, or choose another name", path="name")]) from None
        audit_record(session=session, actor=viewer, action="showcase-submitted", target_type="showcase",
                     target_id=name, after={"title": sc.title, "url": sc.url, "datasets": list(submission.datasets),
                                            "screenshot": sc.screenshot_sha256})
        return showcase_dict(sc, links, moderator=True)


def _store_screenshot(runtime: Runtime, shot: Screenshot) -> dict[str, Any]:
    rel, sha256, size = runtime.artifacts.put_stream(io.BytesIO(shot.data), suffix=shot.suffix)
    return {"screenshot_path": rel, "screenshot_sha256": sha256, "screenshot_type": shot.media_type,
            "screenshot_bytes": size, "screenshot_width": shot.width, "screenshot_height": shot.height}


def _free_name(session, title: str) -> str:
    """A name from the title's pinyin (公交地图 -> gong-jiao-di-tu), numbered when it is taken."""
    base = _NOT_IN_NAME.sub("-", "-".join(lazy_pinyin(title)).lower()).strip("-")[:80].rstrip("-") or "showcase"
    if len(base) < 2:
        base = f"showcase-{base}"
    taken = set(session.scalars(select(Showcase.name).where(Showcase.name.like(f"{base}%"))))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"
