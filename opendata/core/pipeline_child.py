"""The ingest pipeline as the serving process sees it: run in a child, answered in plain data.

The pipeline's modules (the readers, the validator, the PII scanner with pandas, the writers:
about 350 modules) are loaded by the fork server that children are forked from
(core.childprocess.PRELOAD), never by the process that answers requests. Importing them there
on the first ingest held the interpreter lock for up to 150 ms at a time, so every request
served meanwhile waited (the reads of other datasets during a first hostile upload). This
module imports none of them: the child runs the pipeline and sends back a
:class:`PipelineOutcome` made of builtins and the small dataclasses below, which the parent can
unpickle without importing anything heavy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.core.childprocess import run_in_child

if TYPE_CHECKING:
    from opendata.core.pipeline import PipelineResult, Progress
    from opendata.core.tableschema import TableSchema


@dataclass(frozen=True)
class OutputFile:
    """One finished output file of an ingest (the fields of core.writers.Artifact the store needs)."""

    kind: str  # csv | csv-excel | parquet | datapackage
    path: str
    bytes: int
    sha256: str
    mediatype: str
    same_bytes_as: str | None = None  # not written: this file's bytes are a prefix then that file's


@dataclass
class PipelineOutcome:
    """What one ingest in a child produced: the report, the PII findings as stored, the outputs."""

    report: dict[str, Any]
    pii: dict[str, Any] | None
    row_count: int
    source_sha256: str | None
    source_bytes: int
    source_format: str | None
    source_encoding: str | None
    artifacts: list[OutputFile] = field(default_factory=list)  # empty when the file is invalid
    normalization: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def valid(self) -> bool:
        return bool(self.report.get("valid"))

    @classmethod
    def of(cls, result: PipelineResult) -> PipelineOutcome:
        """The plain-data form of a pipeline result."""
        return cls(report=result.report, pii=result.pii.to_dict() if result.pii is not None else None,
                   row_count=result.row_count, source_sha256=result.source_sha256,
                   source_bytes=result.source_bytes, source_format=result.source_format,
                   source_encoding=result.source_encoding,
                   artifacts=[OutputFile(a.kind, a.path, a.bytes, a.sha256, a.mediatype, a.same_bytes_as)
                              for a in result.artifacts],
                   normalization=result.normalization, seconds=result.seconds)


def run_pipeline_in_child(path: str | Path, schema: TableSchema, out_dir: str | Path, *, memory_bytes: int,
                          progress: Progress | None = None, **options: Any) -> PipelineOutcome:
    """core.pipeline.run_pipeline in a child process whose memory is limited to ``memory_bytes``.

    The same arguments; running out of memory raises a LimitError naming the limit.
    """
    shown = options.get("source_name") or Path(path).name
    return run_in_child(_run_pipeline, str(path), schema, str(out_dir), memory_bytes=memory_bytes,
                        progress=progress, what=f"reading {shown}", **options)


def _run_pipeline(*args: Any, **kwargs: Any) -> PipelineOutcome:
    """In the child: the pipeline (already imported by the fork server), its result as plain data."""
    from opendata.core.pipeline import run_pipeline

    return PipelineOutcome.of(run_pipeline(*args, **kwargs))
