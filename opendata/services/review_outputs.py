"""Re-derive a reviewed version's outputs with its mask and drop resolutions, then publish it.

The re-derivation runs in a child process with the ingest's memory limit (core.childprocess).

A reviewer's ``mask`` or ``drop`` resolution changes what may be published, so before the version
is published the pipeline runs again from the version's stored source (artifact kind ``source``)
with the dataset's schema amended by ``x-mask`` rules, and the version's csv, csv-excel, parquet
and datapackage artifacts are replaced. The version is still unpublished, so published versions
stay immutable; the replacement is recorded (review decision ``reprocess`` and the audit log with
the checksums before and after).
"""

from __future__ import annotations

import copy
import shutil
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core import lifecycle, vocab
from opendata.core.childprocess import run_in_child
from opendata.core.errors import ConflictError
from opendata.core.limits import IngestLimits
from opendata.core.pipeline_child import run_pipeline_in_child
from opendata.core.tableschema import load_table_schema
from opendata.services.access import Viewer
from opendata.services.audit import audit_record
from opendata.services.runtime import Runtime
from opendata.store.models import Artifact, Version
from opendata.store.review import PiiResolution, ReviewDecision

REPLACED_KINDS = vocab.SOURCE_DERIVED  # csv, csv-excel, parquet, datapackage
DERIVED_AT_PUBLISH = ("duckdb", "profile")  # built from the outputs after publication; stale once they change


@dataclass
class PreparedOutputs:
    """Outputs re-derived for a version: kind -> (relative path, sha256, bytes), and the rules used."""

    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    artifacts: dict[str, tuple[str, str, int]] = field(default_factory=dict)


def mask_rules(session: Session, version_id: int) -> dict[str, dict[str, Any]]:
    """The ``x-mask`` rule per field from the version's mask and drop resolutions."""
    rules: dict[str, dict[str, Any]] = {}
    for r in session.scalars(select(PiiResolution).where(PiiResolution.version_id == version_id,
                                                         PiiResolution.action.in_(("mask", "drop")))
                             .order_by(PiiResolution.id)):
        if r.action == "drop":
            rules[r.field_name] = {"method": "drop"}
        elif r.field_name not in rules:
            rule = {"method": r.mask_method}
            if r.mask_method == "partial":
                rule.update(keepFirst=r.keep_first or 0, keepLast=r.keep_last or 0)
            rules[r.field_name] = rule
    return rules


def amended_schema(descriptor: dict[str, Any], rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The schema descriptor with ``x-mask`` set on the resolved fields."""
    amended = copy.deepcopy(descriptor)
    for fd in amended.get("fields", []):
        if fd.get("name") in rules:
            fd["x-mask"] = dict(rules[fd["name"]])
    return amended


def prepare_outputs(*, runtime: Runtime, version_id: int) -> PreparedOutputs | None:
    """Re-run the pipeline with the version's mask and drop rules (None when there are none)."""
    from opendata.store.jobs import IngestJob

    with runtime.sessions() as session:
        version = session.get(Version, version_id)
        rules = mask_rules(session, version_id)
        if not rules:
            return None
        ds = version.dataset
        source = next((a for a in version.artifacts if a.kind == "source"), None)
        if source is None:
            raise ConflictError(f"version {version.number} of {ds.identifier} has no stored source to re-derive "
                                "its masked outputs from")
        sheet = session.scalar(select(IngestJob.sheet).where(IngestJob.version_id == version_id)) or ds.source_sheet
        schema = load_table_schema(amended_schema(ds.table_schema.descriptor, rules), name=ds.table_schema.name)
        package = {"name": ds.identifier, "title": ds.title,
                   "licenses": [{"name": ds.license, "path": vocab.LICENSES.get(ds.license, "")}]}
        salt, source_path, source_name = ds.mask_salt, runtime.artifacts.local_path(source.path), version.source_filename
    workdir = runtime.artifacts.new_workdir(prefix="review-")
    try:
        limits = IngestLimits.from_settings(runtime.config.values)
        result = run_pipeline_in_child(source_path, schema, workdir, memory_bytes=limits.memory_bytes, sheet=sheet,
                                       salt=salt, source_name=source_name, limits=limits.read,
                                       limit_errors=limits.limit_errors, **package)
        if not result.valid:
            raise ConflictError("the version's source no longer validates with the mask rules applied; "
                                "reject it and upload a corrected file")
        prepared = PreparedOutputs(rules=rules)
        prepared.artifacts.update(runtime.artifacts.adopt_outputs(result.artifacts))
        return prepared
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def replace_artifacts(session: Session, viewer: Viewer, version: Version, prepared: PreparedOutputs) -> None:
    before, after = {}, {}
    for art in list(version.artifacts):
        if art.kind in DERIVED_AT_PUBLISH:
            session.delete(art)
        elif art.kind in REPLACED_KINDS and art.kind in prepared.artifacts:
            rel, sha, nbytes = prepared.artifacts[art.kind]
            before[art.kind] = art.sha256
            art.path, art.sha256, art.bytes = rel, sha, nbytes
            after[art.kind] = sha
    for kind, (rel, sha, nbytes) in prepared.artifacts.items():
        if kind not in before and kind in REPLACED_KINDS:

            session.add(Artifact(version_id=version.id, kind=kind, path=rel, sha256=sha, bytes=nbytes,
                                 media_type=vocab.media_type(kind)))
            after[kind] = sha
    summary = ", ".join(f"{name}: {rule['method']}" for name, rule in sorted(prepared.rules.items()))
    session.add(ReviewDecision(version_id=version.id, step="reprocess", outcome="reprocessed",
                               actor=viewer.user or "anonymous", user_id=viewer.user_id,
                               note=f"outputs re-derived from the source with {summary}"))
    audit_record(session=session, actor=viewer, action="version-reprocessed", target_type="version",
                 target_id=f"{version.dataset.identifier}/{version.number}",
                 before={"artifacts": before}, after={"artifacts": after, "x-mask": prepared.rules})


def check_files_read_back(*, runtime: Runtime, version_id: int, prepared: PreparedOutputs | None) -> None:
    """Refuse to publish files that pyarrow, pandas or frictionless cannot read back (ConflictError naming each)."""
    from opendata.core.readback import PublishedFiles, check_readback

    with runtime.sessions() as session:
        version = session.get(Version, version_id)
        lifecycle.check_transition(version.state, lifecycle.PUBLISHED)
        paths = {a.kind: a.path for a in version.artifacts}
        if prepared is not None:
            paths.update({kind: rel for kind, (rel, _sha, _bytes) in prepared.artifacts.items()})
        ref, rows = f"version {version.number} of {version.dataset.identifier}", version.row_count
    missing = [kind for kind in ("parquet", "csv", "datapackage") if kind not in paths]
    if missing:
        raise ConflictError(f"{ref} cannot be published: it has no {', '.join(missing)} file")
    local = runtime.artifacts.local_path
    files = PublishedFiles(parquet=local(paths["parquet"]), csv=local(paths["csv"]),
                           datapackage=local(paths["datapackage"]), row_count=rows)
    # in a child, like the ingest: pandas and frictionless are loaded there (by the fork server), never in
    # the serving process, where importing them held the interpreter lock while it answered requests
    problems = run_in_child(check_readback, files, frictionless_rows=runtime.config.READBACK_FRICTIONLESS_ROWS,
                            memory_bytes=IngestLimits.from_settings(runtime.config.values).memory_bytes,
                            what=f"reading back the files of {ref}")
    if problems:
        raise ConflictError(f"{ref} cannot be published: its files do not read back ({problems[0].message})",
                            problems=problems)

