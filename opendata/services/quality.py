"""Quality scores of datasets (opendata.core.quality) from what the platform stores, as the public sees it.

The facts are the public's view: whether a version is published, the catalogue entry and its Table
Schema, timeliness, and, of the newest version anyone may download, its formats and validation.
Data the public cannot download earns no points for formats and validity, so nothing about a
conditional dataset's files leaves the server through a score. Scores are per dataset; averages and
the ranking are per organisation (its own datasets) and per tree (with those under it).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from opendata.core import lifecycle
from opendata.core.errors import NotFoundError, Problem, ValidationError
from opendata.core.quality import QualityFacts, assess, quality_score, rating
from opendata.core.timeliness import STATUS_NAMES, Standing, standing
from opendata.services.access import ANONYMOUS, latest_served_version
from opendata.services.org_tree import find_organization, load_org_tree
from opendata.services.runtime import Runtime
from opendata.services.timeliness.policy import TimelinessPolicy
from opendata.services.unit_of_work import reading
from opendata.store.models import Dataset, Version
from opendata.store.search_snapshot import ScoreTable

MAX_LIMIT = 500  # datasets in a ranking's best and lowest lists


def _standing(ds: Dataset, policy: TimelinessPolicy, today: date) -> Standing | None:
    if ds.disclosure == "closed" or ds.state != lifecycle.DATASET_ACTIVE:
        return None  # not on the timeliness board
    last = max((v.published_at for v in ds.versions if v.state == lifecycle.PUBLISHED and v.published_at),
               default=None)
    return standing(ds.frequency, policy.local_date(last) if last else None, policy.local_date(ds.created_at),
                    today, policy.notice_days)


def dataset_standing(ds: Dataset, policy: TimelinessPolicy, today: date) -> dict[str, Any] | None:
    """A loaded dataset's timeliness (None for closed or withdrawn datasets, which are not on the board)."""
    s = _standing(ds, policy, today)
    if s is None:
        return None
    return {"status": s.status, "status_name": STATUS_NAMES[s.status][0], "last_update": s.last_update,
            "due": s.due, "days_left": s.days_left, "never_published": s.never_published}


def quality_facts(ds: Dataset, policy: TimelinessPolicy, today: date) -> QualityFacts:
    """The facts of a dataset loaded with its schema, versions and their artifacts."""
    published = [v for v in ds.versions if v.state == lifecycle.PUBLISHED and v.published_at is not None]
    served = latest_served_version(ANONYMOUS, ds)
    descriptor = ds.table_schema.descriptor or {}
    record = served.report_record if served else None  # the summary columns, never the report itself
    placed = _standing(ds, policy, today)
    status = placed.status if placed else None
    return QualityFacts(
        description=ds.description or "", keywords=tuple(ds.keywords or ()), title_en=ds.title_en,
        license=ds.license, contact=dict(ds.contact or {}), disclosure=ds.disclosure,
        temporal=ds.temporal_start is not None or ds.temporal_end is not None, spatial=bool(ds.spatial),
        schema_fields=tuple(descriptor.get("fields") or ()), primary_key=bool(descriptor.get("primaryKey")),
        published=bool(published), formats=tuple(a.kind for a in served.artifacts) if served else (),
        valid=bool(record and record.valid), warnings=int(record.warnings or 0) if record else 0,
        unresolved_pii=int((served.pii or {}).get("unresolved", 0) or 0) if served else 0, timeliness=status)


def dataset_quality(*, runtime: Runtime, policy: TimelinessPolicy, identifier: str,
                    now: datetime | None = None) -> dict[str, Any]:
    """A dataset's score, its breakdown and what would raise it (its catalogue entry must be listed)."""
    with reading(runtime) as session:
        ds = session.scalar(_loaded().where(Dataset.identifier == identifier,
                                            Dataset.state == lifecycle.DATASET_ACTIVE))
        if ds is None:
            raise NotFoundError(f"dataset '{identifier}' does not exist")
        return assess(quality_facts(ds, policy, policy.today(now)))


def all_scores(runtime: Runtime, policy: TimelinessPolicy, today: date) -> list[tuple[int, str, str, int, int]]:
    """(dataset id, identifier, title, organisation id, score) of every active dataset; cached until a commit."""
    key = ("quality-scores", today)
    found, version = runtime.read_cache.lookup(key)
    if found:
        return version
    with reading(runtime) as session:
        scores = _scores(session, policy, today)
    runtime.read_cache.store(key, scores, version)
    return scores


def quality_score_table(runtime: Runtime, policy: TimelinessPolicy, now: datetime | None = None) -> ScoreTable:
    """Every active dataset's score as the search index takes it (sort=quality, quality__gte); cached until a
    commit, and made again on a new day (timeliness moves with the date)."""
    today = policy.today(now)
    key = ("quality-score-table", today)
    found, version = runtime.read_cache.lookup(key)
    if found:
        return version
    scores = all_scores(runtime, policy, today)
    # the token names this table in the index's caches: a new one after any commit (none known: every time)
    table = ScoreTable(token=(today, version) if version is not None else object(), ids=np.array([s[0] for s in scores], dtype=np.int64),
                       scores=np.array([s[4] for s in scores], dtype=np.int64))
    runtime.read_cache.store(key, table, version)
    return table


def quality_ranking(*, runtime: Runtime, policy: TimelinessPolicy, organization: str | None = None,
                    limit: int = 20, now: datetime | None = None) -> dict[str, Any]:
    """Organisations by the average score of their tree's datasets, with their own average; the best and the
    least scored datasets of the scope."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be 1 to {MAX_LIMIT}, not {limit}",
                              problems=[Problem("invalid-parameter", f"limit must be 1 to {MAX_LIMIT}", path="limit")])
    today = policy.today(now)
    with reading(runtime) as session:
        tree = load_org_tree(session)
    root = find_organization(tree, organization) if organization is not None else None
    scope = set(tree.subtree_ids(root.id)) if root is not None else set(tree.nodes)
    scores = [s for s in all_scores(runtime, policy, today) if s[3] in scope]
    own: dict[int, list[int]] = defaultdict(list)
    for _id, _ident, _title, org, score in scores:
        own[org].append(score)
    rows = []
    for node, depth in tree.walk(root.id if root else None):
        in_tree = [x for i in tree.subtree_ids(node.id) for x in own.get(i, ())]
        rows.append({"organization": node.slug, "name": node.name, "depth": depth,
                     "datasets": len(own.get(node.id, ())), "average": _average(own.get(node.id, [])),
                     "tree_datasets": len(in_tree), "tree_average": _average(in_tree)})
    ranked = sorted((r for r in rows if r["tree_datasets"]), key=lambda r: (-r["tree_average"], r["organization"]))
    for place, r in enumerate(ranked, start=1):
        r["rank"] = place
    by_score = sorted(scores, key=lambda s: (-s[4], s[1]))
    overall = _average([s[4] for s in scores])
    return {"today": today, "organization": root.slug if root else None, "datasets": len(scores),
            "average": overall, "rating": rating(round(overall))[0] if overall is not None else None,
            "organizations": rows, "ranking": [r["organization"] for r in ranked],
            "best": [_dataset_row(s) for s in by_score[:limit]],
            "lowest": [_dataset_row(s) for s in reversed(by_score[-limit:])] if by_score else []}


def _scores(session: Session, policy: TimelinessPolicy, today: date) -> list[tuple[int, str, str, int, int]]:
    out = []
    for ds in session.scalars(_loaded().where(Dataset.state == lifecycle.DATASET_ACTIVE)):
        out.append((ds.id, ds.identifier, ds.title, ds.organization_id,
                    quality_score(quality_facts(ds, policy, today))))
    return out


def _loaded():
    return select(Dataset).options(selectinload(Dataset.table_schema),
                                   selectinload(Dataset.versions).selectinload(Version.artifacts),
                                   selectinload(Dataset.versions).selectinload(Version.report_record))


def _average(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _dataset_row(s: tuple[int, str, str, int, int]) -> dict[str, Any]:
    return {"dataset": s[1], "title": s[2], "score": s[4], "rating": rating(s[4])[0]}
