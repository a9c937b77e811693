"""The Excel-friendly CSV of an ingest: a UTF-8 BOM and the canonical CSV's bytes, written only when it differs.

Spreadsheets run a text cell that starts like a formula, so in this variant such a cell gets a
leading apostrophe (see :mod:`opendata.core.writers`). Most files have none: their Excel variant
is exactly the BOM followed by the canonical bytes. Then nothing is written; the canonical
writer hashes its bytes a second time behind the BOM, and :meth:`ExcelCsvWriter.close` returns an
artifact naming the canonical file (``same_bytes_as``) with the BOM as its ``prefix``: stored
once, served as the BOM plus that file. The first batch with a cell to escape makes the variant a
file of its own: the BOM, the canonical bytes written so far (identical up to there), then its own
escaped lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from opendata.core.files import BOM
from opendata.core.tableschema import FieldSpec
from opendata.core.writers import (
    Artifact,
    CsvArtifactWriter,
    CsvCell,
    formula_in_header,
    formula_masks,
)


class ExcelCsvWriter:
    """The Excel variant beside ``canonical``, which must be made with ``mirror_prefix=BOM``."""

    def __init__(self, path: str | Path, fields: Sequence[FieldSpec], canonical: CsvArtifactWriter):
        if canonical._out.mirror is None:
            raise ValueError("the canonical writer must hash its bytes behind the BOM (mirror_prefix=BOM)")
        self.path = Path(path)
        self.kind = "csv-excel"
        self._fields = list(fields)
        self._canonical = canonical
        self._own: CsvArtifactWriter | None = None
        if formula_in_header(self._fields):
            self._start_own(copy_upto=None)  # the header row itself differs

    @property
    def written(self) -> bool:
        """Whether the variant has a file of its own."""
        return self._own is not None

    def write_cells(self, cells: Sequence[CsvCell], num_rows: int, *, canonical: memoryview) -> None:
        """Follow one batch the canonical writer has just written as ``canonical``."""
        if self._own is None:
            if all(r is None for r in formula_masks(cells)):
                return  # the canonical writer's mirror hash has these bytes already
            self._start_own(copy_upto=self._canonical._out.bytes - len(canonical))
        self._own.write_cells(cells, num_rows, canonical=canonical)

    def _start_own(self, copy_upto: int | None) -> None:
        """Write the variant from here on: BOM and header, then the canonical rows before this batch."""
        own = CsvArtifactWriter(self.path, self._fields, excel=True)
        try:
            if copy_upto is not None:
                canonical = self._canonical._out
                canonical.flush()
                with open(canonical.tmp, "rb") as src:
                    src.seek(self._canonical.header_bytes)
                    _copy(src, own._out, copy_upto - self._canonical.header_bytes)
        except BaseException:
            own.abort()
            raise
        self._own = own
        self._canonical._out.mirror = None  # no longer needed: the variant is hashed as written

    def close(self, canonical: Artifact) -> Artifact:
        """The finished variant; ``canonical`` is what the canonical writer's close returned."""
        if self._own is not None:
            return self._own.close()
        mirror = self._canonical._out.mirror
        return Artifact(self.kind, str(self.path), len(BOM) + canonical.bytes, mirror.hexdigest(), "text/csv",
                        same_bytes_as=canonical.path, prefix=BOM)

    def abort(self) -> None:
        if self._own is not None:
            self._own.abort()


def _copy(src, out, length: int) -> None:  # noqa: ANN001 (binary files)
    """Copy ``length`` bytes from ``src`` to the AtomicOutput ``out`` in large blocks."""
    block = 1 << 20
    while length > 0:
        data = src.read(min(block, length))
        if not data:
            raise OSError("the canonical CSV is shorter than written")
        out.write(data)
        length -= len(data)
