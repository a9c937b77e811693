"""Catalogue search: keep the search index in step with the database and answer searches.

The index follows the change feed: every sync, publication and withdrawal writes a ChangeRecord,
and a search first re-indexes the datasets changed since the last indexed sequence number (one
primary-key lookup when nothing changed). ``reindex_search`` rebuilds it all, e.g. after a sync
that only changed a schema. ``search_datasets`` is the one search use case, shared by the REST API
and the CKAN-compatible ``package_search``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from opendata.core import lifecycle, vocab
from opendata.core.errors import Problem, ValidationError
from opendata.services.access import ANONYMOUS, Viewer, latest_served_version
from opendata.services.published.schema import dataset_table_schema
from opendata.services.quality import quality_score_table
from opendata.services.runtime import Runtime
from opendata.services.search_loader import PARALLEL_FROM, docs_from_child
from opendata.services.timeliness.policy import timeliness_policy
from opendata.store.artifacts import ArtifactStore
from opendata.store.models import ChangeRecord, Dataset, Organization, UsageDaily, Version
from opendata.store.search import (  # noqa: F401  (FACETS, IDENTIFIER, SORTS, Clause: the search vocabulary)
    FACETS,
    IDENTIFIER,
    SORTS,
    Clause,
    SearchDoc,
    SearchHits,
    SearchQuery,
    SqliteSearchIndex,
)
from opendata.store.search_words import load_synonyms

FORMAT_NAMES = {"csv": "CSV", "parquet": "Parquet"}
VOCAB_FACETS = {"theme": "theme", "frequency": "frequency", "disclosure": "disclosure"}
MAX_PAGE_SIZE = 1000
LOAD_BATCH = 2000  # datasets loaded from the database per step of a rebuild


def check_search_settings(runtime: Runtime) -> None:
    """Read the search settings that can be wrong (the synonym file), so a server refuses to start on them."""
    load_synonyms(runtime.config.SEARCH_SYNONYMS_FILE)


def search_index(runtime: Runtime) -> SqliteSearchIndex:
    """The search index of this OPENDATA_HOME (a part of the runtime, closed with it)."""
    return runtime.part("search", lambda: SqliteSearchIndex(
        runtime.config.folder.search_index, pinyin=runtime.config.SEARCH_PINYIN,
        synonyms=load_synonyms(runtime.config.SEARCH_SYNONYMS_FILE)))


def _columns(ds: Dataset, store: ArtifactStore) -> list[str]:
    out = []  # the published fields only: a column a reviewer dropped is not searchable
    for f in dataset_table_schema(store, ds, shared=True).get("fields", []):
        out.extend(str(f.get(k) or "") for k in ("name", "title", "description"))
    return [c for c in out if c]


def listed_versions(ds: Dataset) -> list[Version]:
    """Published versions, newest first (what every anonymous list shows)."""
    return sorted((v for v in ds.versions if v.state == lifecycle.PUBLISHED), key=lambda v: -v.number)


def dataset_formats(ds: Dataset) -> list[str]:
    """Download formats anyone may fetch (CSV, Parquet): none for data that is not fully open.

    The search index is shared by every caller, so it holds what an anonymous caller may see;
    formats of conditional or closed data would tell of files nobody may download from a list.
    """
    served = latest_served_version(ANONYMOUS, ds)
    if served is None:
        return []
    kinds = {a.kind for a in served.artifacts}
    return [name for kind, name in FORMAT_NAMES.items() if kind in kinds]


def _words(ds: Dataset) -> list[str]:
    """Words a dataset brings to the segmenter's dictionary: its keywords, theme and publisher names."""
    theme = vocab.lookup("theme", ds.theme) if ds.theme else None
    return [*(ds.keywords or []), *((theme.zh,) if theme else ()), ds.organization.name]


def _doc(ds: Dataset, downloads: int, store: ArtifactStore) -> SearchDoc:
    return SearchDoc(
        id=ds.id, identifier=ds.identifier, title=ds.title, title_en=ds.title_en, words=_words(ds),
        description=" ".join(filter(None, [ds.description, ds.description_en, ds.identifier])),
        keywords=list(ds.keywords or []), columns=_columns(ds, store), theme=ds.theme,
        publisher=ds.organization.slug, frequency=ds.frequency, disclosure=ds.disclosure,
        formats=dataset_formats(ds), modified=ds.modified_at.timestamp(),
        listed=ds.state == lifecycle.DATASET_ACTIVE, downloads=downloads, publisher_name=ds.organization.name,
        license=ds.license, summary=encode_summary(dataset_summary(ds, ANONYMOUS)))


def _load_docs(session: Session, ids: Sequence[int], store: ArtifactStore) -> list[SearchDoc]:
    stmt = select(Dataset).where(Dataset.id.in_(ids)).options(
        selectinload(Dataset.organization), selectinload(Dataset.table_schema),
        selectinload(Dataset.versions).selectinload(Version.artifacts))
    usage = (select(UsageDaily.dataset_id, func.sum(UsageDaily.downloads))
             .where(UsageDaily.dataset_id.in_(ids)).group_by(UsageDaily.dataset_id))
    downloads = dict(session.execute(usage).all())
    return [_doc(ds, int(downloads.get(ds.id) or 0), store) for ds in session.scalars(stmt)]


def _all_docs(session: Session, store: ArtifactStore) -> Iterator[SearchDoc]:
    """Every dataset's document, loaded a batch at a time so memory stays flat whatever the catalogue size."""
    ids = list(session.scalars(select(Dataset.id).order_by(Dataset.id)))
    for start in range(0, len(ids), LOAD_BATCH):
        yield from _load_docs(session, ids[start:start + LOAD_BATCH], store)
        session.expunge_all()


def catalogue_words(session: Session) -> set[str]:
    """The catalogue's own words for the segmenter: every keyword, theme name and organization name."""
    words = {t.zh for t in (vocab.lookup("theme", k) for k in vocab.keys("theme")) if t}
    words.update(session.scalars(select(Organization.name)))
    for keywords in session.scalars(select(Dataset.keywords)):
        words.update(keywords or ())
    return words


def _write(runtime: Runtime, index: SqliteSearchIndex, changed: list[int] | None, seq: int | None) -> int:
    """Re-index the ``changed`` datasets (None: rebuild everything); record ``seq`` as indexed."""
    store = runtime.artifacts  # a published version's schema is read from its datapackage.json
    with runtime.sessions() as session:
        if changed is None:
            words = catalogue_words(session)
            large = session.scalar(select(func.count(Dataset.id))) >= PARALLEL_FROM
            load = partial(_load_docs, store=store)  # picklable: the child gets the same store
            docs = _Counted(docs_from_child(runtime.config, LOAD_BATCH, load) if large
                            else _all_docs(session, store))
            index.write(docs, replace_all=True, indexed_seq=seq, words=words)
            return docs.count
        found = _load_docs(session, changed, store)
    index.write(found, remove=sorted(set(changed) - {d.id for d in found}), indexed_seq=seq)
    return len(found)


class _Counted:
    """An iterable that counts what it yields."""

    def __init__(self, items: Iterable[SearchDoc]):
        self.items, self.count = items, 0

    def __iter__(self) -> Iterator[SearchDoc]:
        for item in self.items:
            self.count += 1
            yield item


def reindex_search(*, runtime: Runtime, dataset_ids: Iterable[int] | None = None) -> int:
    """Rebuild the index (or re-index some datasets); returns how many documents were written."""
    index = search_index(runtime)
    if dataset_ids is None:
        with runtime.sessions() as session:
            seq = session.scalar(select(func.max(ChangeRecord.seq))) or 0
        return _write(runtime, index, None, seq)
    return _write(runtime, index, sorted(set(dataset_ids)), None)


CATCH_UP_SECONDS = 1.0  # how stale another process's change may look (this process re-indexes at once)


def _catch_up(runtime: Runtime, index: SqliteSearchIndex) -> None:
    """Re-index datasets changed since the last indexed change record (checked at most once a second)."""
    checked: dict[str, float] = runtime.part("search.checked", dict)
    now = time.monotonic()
    if now - checked.get("at", -1e9) < CATCH_UP_SECONDS and index.get_meta("indexed_seq") is not None:
        return
    checked["at"] = now
    indexed = index.get_meta("indexed_seq")
    with runtime.sessions() as session:
        latest = session.scalar(select(func.max(ChangeRecord.seq))) or 0
        if indexed is not None and int(indexed) >= latest:
            return
        changed = None if indexed is None else sorted(set(session.scalars(
            select(ChangeRecord.dataset_id).where(ChangeRecord.seq > int(indexed)))))
    _write(runtime, index, changed, latest)


def term(vocabulary: str, key: str | None) -> dict[str, Any] | None:
    """A vocabulary term as {key, name (Chinese), name_en}."""
    if key is None:
        return None
    t = vocab.lookup(vocabulary, key)
    return {"key": key, "name": t.zh if t else key, "name_en": t.en if t else key}


def _normalize_clause(clause: Clause) -> Clause:
    """Vocabulary names become keys; unknown values stay (they match nothing), unknown facets are refused."""
    if clause.name not in FACETS and clause.name != IDENTIFIER:
        raise ValidationError("invalid search clause", problems=[Problem(
            "unknown-facet", f"unknown facet '{clause.name}' (one of {', '.join(FACETS)})", path=clause.name)])
    if clause.name not in VOCAB_FACETS:
        return clause
    terms = [vocab.lookup(VOCAB_FACETS[clause.name], v) for v in clause.values]
    return Clause(clause.name, tuple(t.key if t else v for t, v in zip(terms, clause.values, strict=True)),
                  clause.negated)


def _normalize_filters(filters: dict[str, Sequence[str]] | None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for name, values in (filters or {}).items():
        if name not in FACETS:
            problems.append(Problem("unknown-facet", f"unknown facet '{name}' (one of {', '.join(FACETS)})", path=name))
            continue
        kept = []
        for raw in values:
            for value in (v.strip() for v in str(raw).split(",")):
                if not value:
                    continue
                if name in VOCAB_FACETS:
                    t = vocab.lookup(VOCAB_FACETS[name], value)
                    if t is None:
                        problems.append(Problem("unknown-term", f"'{value[:50]}' is not a known {name}", path=name))
                        continue
                    value = t.key
                kept.append(value)
        if kept:
            out[name] = kept
    if problems:
        raise ValidationError("invalid search filters", problems=problems)
    return out


def search_datasets(*, runtime: Runtime, viewer: Viewer = ANONYMOUS, **search: Any) -> dict[str, Any]:
    """Search the catalogue: {total, offset, limit, results: [dataset summaries], facets}.

    ``filters`` maps a facet (theme, publisher, format, disclosure, frequency, keyword, license) to
    accepted values (OR within a facet, AND across facets); vocabulary facets accept keys or Chinese
    names. ``clauses`` add conditions that may be negated (also on ``identifier``), ``modified``
    bounds the modification time (POSIX seconds, inclusive) and ``descending`` sets the direction
    of the sort. ``sort="quality"`` puts the best quality score first and ``quality_min`` keeps the
    datasets scoring at least that (0-100; opendata.services.quality). Facet counts are over every match. Only datasets the viewer may see are counted or
    returned.
    """
    hits, offset, limit = _find(runtime, viewer, **search)
    if _plain_anonymous(viewer):  # the stored list form is the anonymous one
        results = [json.loads(hits.summaries[i]) for i in hits.ids if i in hits.summaries]
    else:
        results = _viewer_summaries(runtime, viewer, hits.ids)
    return _answer(hits, offset, limit, results)


def search_datasets_encoded(*, runtime: Runtime, viewer: Viewer = ANONYMOUS, **search: Any) -> dict[str, Any]:
    """:func:`search_datasets` with each result, and the facets, already JSON as the API sends it
    (:func:`encode_summary`).

    For an anonymous caller the results are the texts the index stores, so a page of results is
    joined, not decoded and encoded again (about a third of the API's time on a search answered
    from cache); the facets' items are made of encoded parts kept per value.
    """
    hits, offset, limit = _find(runtime, viewer, **search)
    if _plain_anonymous(viewer):
        results = [hits.summaries[i] for i in hits.ids if i in hits.summaries]
    else:
        results = [encode_summary(s) for s in _viewer_summaries(runtime, viewer, hits.ids)]
    names = hits.labels.get("publisher", {})
    facets = ",".join(f'{_encode(name)}:[' + ",".join(
        f'{{"count":{n:d},{_encoded_label_and_value(_facet_label(name, value, names), value)}}}'
        for value, n in hits.facets[name]) + "]" for name in sorted(hits.facets))
    return {"total": hits.total, "offset": offset, "limit": limit, "results": results, "facets": f"{{{facets}}}"}


def encode_summary(summary: dict[str, Any]) -> str:
    """A dataset summary as JSON the way the API encodes its answers (Flask's: sorted keys, no spaces,
    characters as they are); the index stores it so for the anonymous list form."""
    return json.dumps(summary, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _encode(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@lru_cache(maxsize=16384)
def _encoded_label_and_value(label: str, value: str) -> str:
    """The end of a facet item as encode_summary writes it: its keys sort as count, label, value."""
    return f'"label":{_encode(label)},"value":{_encode(value)}'


def _find(runtime: Runtime, viewer: Viewer, q: str | None = None, filters: dict[str, Sequence[str]] | None = None,
          sort: str = "relevance", offset: int = 0, limit: int = 20, facet_limit: int = 50,
          clauses: Sequence[Clause] = (), modified: tuple[float | None, float | None] = (None, None),
          descending: bool | None = None, quality_min: int | None = None) -> tuple[SearchHits, int, int]:
    if sort not in SORTS:
        raise ValidationError("invalid sort", problems=[Problem("invalid-parameter",
                                                                f"sort must be one of {', '.join(SORTS)}", path="sort")])
    if not (0 <= offset <= 10**9 and 0 <= limit <= MAX_PAGE_SIZE):
        raise ValidationError("invalid page", problems=[Problem("invalid-parameter",
                                                                f"limit must be 0..{MAX_PAGE_SIZE}", path="limit")])
    if quality_min is not None and not 0 <= quality_min <= 100:
        raise ValidationError("invalid quality__gte", problems=[Problem(
            "invalid-parameter", "quality__gte must be a score from 0 to 100", path="quality__gte")])
    scores = None
    if sort == "quality" or quality_min is not None:
        scores = quality_score_table(runtime, timeliness_policy(runtime))
    index = search_index(runtime)
    _catch_up(runtime, index)
    hits = index.search(SearchQuery(q=(q or "").strip() or None, filters=_normalize_filters(filters), sort=sort,
                                    offset=offset, limit=limit, include_unlisted=viewer.is_admin,
                                    facet_limit=facet_limit, clauses=tuple(_normalize_clause(c) for c in clauses),
                                    modified_from=modified[0], modified_to=modified[1], descending=descending,
                                    scores=scores, score_min=quality_min))
    return hits, offset, limit


def _viewer_summaries(runtime: Runtime, viewer: Viewer, ids: list[int]) -> list[dict[str, Any]]:
    """The list form of the page's datasets as ``viewer`` sees them (read from the database)."""
    with runtime.sessions() as session:
        datasets = {ds.id: ds for ds in session.scalars(
            select(Dataset).where(Dataset.id.in_(ids)).options(
                selectinload(Dataset.organization),
                selectinload(Dataset.versions).selectinload(Version.artifacts)))}
        return [dataset_summary(datasets[i], viewer) for i in ids if i in datasets]


def _answer(hits: SearchHits, offset: int, limit: int, results: list) -> dict[str, Any]:
    names = hits.labels.get("publisher", {})
    return {"total": hits.total, "offset": offset, "limit": limit, "results": results,
            "facets": {name: [_facet_item(name, value, n, names) for value, n in items]
                       for name, items in hits.facets.items()}}


def _plain_anonymous(viewer: Viewer) -> bool:
    return (viewer.is_anonymous and not viewer.is_admin and not viewer.organization_ids
            and not viewer.granted_dataset_ids)


@lru_cache(maxsize=4096)
def _vocab_label(name: str, value: str) -> str:
    return (term(VOCAB_FACETS[name], value) or {}).get("name", value)


def _facet_item(name: str, value: str, count: int, org_names: dict[str, str]) -> dict[str, Any]:
    return {"value": value, "label": _facet_label(name, value, org_names), "count": count}


def _facet_label(name: str, value: str, org_names: dict[str, str]) -> str:
    if name in VOCAB_FACETS:
        return _vocab_label(name, value)
    return org_names.get(value, value) if name == "publisher" else value


def dataset_summary(ds: Dataset, viewer: Viewer = ANONYMOUS) -> dict[str, Any]:
    """The list form of a dataset: identity, vocabulary terms with Chinese names, latest version."""
    versions = listed_versions(ds)
    latest = versions[0] if versions else None
    return {
        "id": ds.identifier, "code": ds.code, "title": ds.title, "title_en": ds.title_en,
        "description": ds.description, "description_en": ds.description_en,
        "publisher": {"id": ds.organization.slug, "name": ds.organization.name},
        "theme": term("theme", ds.theme), "keywords": list(ds.keywords or []),
        "disclosure": term("disclosure", ds.disclosure), "frequency": term("frequency", ds.frequency),
        "license": ds.license, "formats": dataset_formats(ds),
        "created": ds.created_at.isoformat(), "modified": ds.modified_at.isoformat(),
        "latest_version": ({"number": latest.number, "published": latest.published_at.isoformat()
                            if latest.published_at else None} if latest else None),
        "data_available": latest_served_version(viewer, ds) is not None,
    }
