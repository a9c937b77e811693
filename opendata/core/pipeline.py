"""The ingest pipeline: one streaming pass from an uploaded file to validated, typed outputs.

open_table → normalize → validate → scan for personal information → mask → write canonical
CSV, Parquet and the Excel-friendly CSV → datapackage.json. Batch by batch, so memory stays
bounded whatever the file size (the validator spills uniqueness keys to disk).

Only valid versions are published, so outputs are written only while the file is valid: the
first error aborts the writers (their temporary files are deleted) and validation continues to
the end for a complete report; errors found at the end (duplicate keys) discard the outputs too.
An invalid file therefore returns its report, PII findings and source facts with no artifacts.
Files that cannot be read at all raise :class:`~opendata.core.errors.InputError`.
"""

from __future__ import annotations

import functools
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from opendata.core.datapackage import build_datapackage, package_name, write_datapackage
from opendata.core.errors import room_for
from opendata.core.excel_csv import BOM, ExcelCsvWriter
from opendata.core.files import sha256_file
from opendata.core.masking import Masker, kept_fields, published_schema
from opendata.core.memory import use_streaming_memory_pool
from opendata.core.pii import PiiFindings, PiiScanner
from opendata.core.readers.base import RawBatch, ReadLimits
from opendata.core.report import LIMIT_ERRORS, ReportBuilder, public_place
from opendata.core.report_bounds import bound_report
from opendata.core.tableschema import TableSchema
from opendata.core.writers import Artifact, CsvArtifactWriter, ParquetArtifactWriter, csv_cells

Progress = Callable[[int, int], None]
_CHUNK = 1024 * 1024


@dataclass
class PipelineResult:
    """What one ingest produced."""

    report: dict[str, Any]  # Frictionless v5 report shape; task["normalization"] lists changes
    pii: PiiFindings
    row_count: int
    source_sha256: str
    source_bytes: int
    source_format: str | None
    source_encoding: str | None
    artifacts: list[Artifact] = field(default_factory=list)  # empty when the file is invalid
    normalization: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def valid(self) -> bool:
        return bool(self.report.get("valid"))

    def artifact(self, kind: str) -> Artifact | None:
        """The artifact of one kind (csv, csv-excel, parquet, datapackage), if written."""
        return next((a for a in self.artifacts if a.kind == kind), None)


class _SerialWorker:
    """Runs submitted calls in order on one background thread.

    PII scanning, masking, CSV text and Parquet encoding run in pyarrow kernels that release the
    GIL, so they overlap with reading and validating the next batch. At most ``depth`` calls
    wait, which keeps memory bounded; the first exception is re-raised in the caller's thread.
    """

    def __init__(self, depth: int = 2):
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="ingest-worker", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((fn, args))

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    item[0](*item[1])
                except BaseException as exc:  # handed to the caller's thread
                    self._error = exc

    def join(self) -> None:
        """Wait for every submitted call; re-raise the first failure."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._error is not None:
            raise self._error


class _Outputs:
    """The data writers of one ingest, aborted together on the first sign of invalidity."""

    def __init__(self, out_dir: Path, schema: TableSchema, masker: Masker, *, excel_csv: bool):
        self.fields = kept_fields(schema)
        self.masker = masker
        self.discarded = False
        self.number_positions = [(f.name, i) for i, f in enumerate(schema.fields) if f.type == "number"]
        self.writers: list[Any] = []
        self.excel: ExcelCsvWriter | None = None
        try:
            with room_for(_NAMES["csv"]):
                self.csv = CsvArtifactWriter(out_dir / "data.csv", self.fields,
                                             mirror_prefix=BOM if excel_csv else None)
            self.writers.append(self.csv)
            with room_for(_NAMES["parquet"]):
                self.parquet = ParquetArtifactWriter(out_dir / "data.parquet", self.fields,
                                                     table_schema=published_schema(schema))
            self.writers.append(self.parquet)
            if excel_csv:  # written only if a cell differs from the canonical bytes (opendata.core.excel_csv)
                with room_for(_NAMES["csv-excel"]):
                    self.excel = ExcelCsvWriter(out_dir / "data-excel.csv", self.fields, canonical=self.csv)
        except BaseException:
            self.abort()
            raise

    def write(self, batch: pa.RecordBatch, source: RawBatch) -> None:
        if self.discarded:  # the file turned out invalid while this batch was queued
            return
        masked = self.masker.apply(batch)
        text = {name: source.columns[i] for name, i in self.number_positions if i < len(source.columns)}
        cells = csv_cells(masked, self.fields, text)
        with room_for(_NAMES["csv"]):
            written = self.csv.write_cells(cells, masked.num_rows)
        if self.excel is not None:
            with room_for(_NAMES["csv-excel"]):
                self.excel.write_cells(cells, masked.num_rows, canonical=written)
        with room_for(_NAMES["parquet"]):
            self.parquet.write_batch(masked)

    def close(self) -> list[Artifact]:
        done = []
        try:
            for w in self.writers:
                kind = "parquet" if w is self.parquet else "csv"
                with room_for(_NAMES[kind]):
                    done.append(w.close())
            if self.excel is not None:
                with room_for(_NAMES["csv-excel"]):
                    done.append(self.excel.close(done[0]))  # after the canonical CSV it may name
                self.excel = None
        except BaseException:
            self.abort()
            for art in done:
                Path(art.path).unlink(missing_ok=True)
            raise
        self.writers = []
        return done

    def abort(self) -> None:
        self.discarded = True
        for w in self.writers:
            w.abort()
        if self.excel is not None:
            self.excel.abort()
            self.excel = None
        self.writers = []


_NAMES = {"csv": "the CSV file of this version", "csv-excel": "the Excel-friendly CSV file of this version",
          "parquet": "the Parquet file of this version", "datapackage": "the datapackage.json of this version"}


class _BackgroundHash:
    """sha256 of a file computed on its own thread."""

    def __init__(self, path: Path):
        self._digest: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(path,), name="ingest-hash", daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self._digest = sha256_file(path)[0]
        except BaseException as exc:
            self._error = exc

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._digest


def _room_for_working_files(function: Callable[..., PipelineResult]) -> Callable[..., PipelineResult]:
    """Name the working files (a transcoded copy, spilled keys) when the disk fills while an ingest
    writes them; the outputs are named by the writers' own :func:`room_for`."""
    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> PipelineResult:
        with room_for("the working files of this ingest (temporary copies and key spills)"):
            return function(*args, **kwargs)

    return guarded


@_room_for_working_files
def run_pipeline(path: str | Path, schema: TableSchema, out_dir: str | Path, *,
                 sheet: str | int | None = None, salt: str | bytes = b"",
                 progress: Progress | None = None, name: str | None = None,
                 title: str | None = None, licenses: Sequence[Mapping[str, Any]] | None = None,
                 excel_csv: bool = True, format: str | None = None,
                 source_sha256: str | None = None, source_name: str | None = None,
                 limits: ReadLimits | None = None, limit_errors: int = LIMIT_ERRORS) -> PipelineResult:
    """Validate ``path`` against ``schema`` and, if valid, write its outputs into ``out_dir``.

    ``salt`` keys the hashes of ``x-mask: hash`` fields and must be a per-dataset secret
    (see :mod:`opendata.core.masking`). ``progress(rows_done, bytes_done)`` is called per batch.
    ``source_sha256``, when the caller already hashed the file, saves reading it a second time.
    ``source_name`` is the file name the report shows (its ``place``, and its ``name`` as a slug);
    by default the base name of ``path``: a report never names a directory of this machine.
    ``limits`` bound the input (a file beyond one raises :class:`~opendata.core.errors.LimitError`
    before the work it bounds); the report keeps the first ``limit_errors`` errors in full.
    """
    from opendata.core.readers import open_table
    from opendata.core.validation.table import TableCheck

    use_streaming_memory_pool()
    started = time.perf_counter()
    path, out_dir = Path(path), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    reader = open_table(path, sheet=sheet, format=format, limits=limits or ReadLimits())
    try:
        source_bytes = path.stat().st_size
        # hashed on its own thread, overlapping the pass below (hashlib releases the GIL)
        hashing = _BackgroundHash(path) if source_sha256 is None else None
        labels = list(reader.labels)
        place = public_place(source_name or path.name)
        builder = ReportBuilder(name=package_name(Path(place).stem, default="table"), place=place,
                                limit_errors=limit_errors)
        check = TableCheck(reader, schema, builder, limit_errors=limit_errors)
        scanner = PiiScanner(schema, labels)
        masker = Masker(schema, salt=salt)
        outputs: _Outputs | None = None
        worker = _SerialWorker()
        try:
            if check.start():
                outputs = _Outputs(out_dir, schema, masker, excel_csv=excel_csv)
            rows = 0
            for raw in reader.iter_batches():
                batch, typed = check.process(raw)
                worker.submit(scanner.scan, batch, typed.data)
                if outputs is not None and (typed.errors.num_rows or reader.source_errors
                                            or batch.extra_unlisted):
                    outputs.discarded = True  # queued writes become no-ops; files go at the end
                if outputs is not None and not outputs.discarded:
                    worker.submit(outputs.write, typed.data, batch)
                rows += batch.num_rows
                if progress is not None:
                    progress(rows, min(getattr(reader, "bytes_read", 0) or 0, source_bytes))
            worker.join()
            normalization = check.finish()
            if hashing is not None:
                source_sha256 = hashing.result()
            report = builder.build(stats={"fields": len(schema.fields), "rows": rows,
                                          "bytes": source_bytes, "sha256": source_sha256}).to_descriptor()
            report["tasks"][0]["normalization"] = normalization
            report = bound_report(report, builder.max_bytes)
            artifacts: list[Artifact] = []
            if outputs is not None and not outputs.discarded and report["valid"]:
                artifacts = outputs.close()
                outputs = None
                descriptor = build_datapackage(
                    name=name or package_name(path.stem), title=title, artifacts=artifacts,
                    table_schema=published_schema(schema), licenses=licenses, base_dir=out_dir)
                with room_for(_NAMES["datapackage"]):
                    artifacts.append(write_datapackage(out_dir / "datapackage.json", descriptor))
        finally:
            try:
                worker.join()
            finally:
                if outputs is not None:
                    outputs.abort()
                check.close()
        if progress is not None:
            progress(rows, source_bytes)
        return PipelineResult(
            report=report, pii=scanner.finish(), row_count=rows, source_sha256=source_sha256,
            source_bytes=source_bytes, source_format=reader.format, source_encoding=reader.encoding,
            artifacts=artifacts, normalization=normalization,
            seconds=round(time.perf_counter() - started, 3))
    finally:
        reader.close()
