"""Terminal output for the CLI: progress bar, ingest summary, validation report."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from typing import Any

import click


class ProgressPrinter:
    """A progress bar over bytes read, showing rows per second; a callable for the pipeline."""

    def __init__(self, total_bytes: int, *, enabled: bool = True):
        self.total = max(total_bytes, 1)
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self.rows = 0
        self._last = 0.0

    def __call__(self, rows_done: int, bytes_done: int) -> None:
        self.rows = rows_done
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.2:
            return
        self._last = now
        frac = min(bytes_done / self.total, 1.0)
        width = 30
        bar = "#" * int(frac * width) + "-" * (width - int(frac * width))
        rate = rows_done / max(now - self.started, 1e-9)
        click.echo(f"\r[{bar}] {frac:6.1%} {rows_done:,} rows {rate:,.0f} rows/s", nl=False, err=True)

    def close(self) -> None:
        if self.enabled:
            click.echo("", err=True)


def pad(text: str, width: int) -> str:
    """Left-justify for a terminal, counting wide (CJK) characters as two columns."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)
    return text + " " * max(width - used, 0)


def _fmt_bytes(n: int | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


def error_counts(report: dict[str, Any] | None) -> dict[str, int]:
    """Errors by type, from the summary when the report was truncated."""
    if not report:
        return {}
    counts: Counter[str] = Counter()
    for task in report.get("tasks", []):
        summary = task.get("errorSummary")  # complete counts, also when errors were truncated
        if summary:
            counts.update(summary)
        else:
            counts.update(e["type"] for e in task.get("errors", []))
    counts.update(e["type"] for e in report.get("errors", []))
    return dict(counts)


def print_ingest_summary(outcome, *, dataset: str, as_json: bool, published: str | None) -> None:
    """Rows, errors by type, PII findings, output sizes and time of one ingest."""
    data = {
        "dataset": dataset, "version": outcome.number, "state": outcome.state, "created": outcome.created,
        "rows": outcome.row_count, "errors": error_counts(outcome.report),
        "pii": (outcome.pii or {}).get("summary", outcome.pii), "artifacts": outcome.artifacts,
        "seconds": round(outcome.seconds, 3), "published": published,
    }
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    if not outcome.created:
        click.echo(f"{dataset}: identical bytes already ingested as version {outcome.number} ({outcome.state}); "
                   "no new version")
        return
    click.echo(f"{dataset}: version {outcome.number} is {outcome.state}")
    rows = outcome.row_count
    rate = f" ({rows / outcome.seconds:,.0f} rows/s)" if rows and outcome.seconds > 0 else ""
    click.echo(f"  rows:      {rows if rows is not None else '-':,}{rate}" if rows is not None else "  rows:      -")
    click.echo(f"  errors:    {', '.join(f'{k} {v:,}' for k, v in data['errors'].items()) or 'none'}")
    pii = outcome.pii or {}
    findings = pii.get("findings") or []
    if findings:
        unresolved = pii.get("unresolved", 0)
        click.echo(f"  personal information: {len(findings)} finding(s), {unresolved} unresolved")
        for f in findings[:10]:
            status = "resolved" if f.get("resolved") else "UNRESOLVED"
            click.echo(f"    - {f.get('fieldName')}: {f.get('kind')} x{f.get('count')} ({status})")
    else:
        click.echo("  personal information: none found")
    for kind, art in sorted(outcome.artifacts.items()):
        click.echo(f"  {kind:<12} {_fmt_bytes(art['bytes']):>10}  sha256:{art['sha256'][:16]}…")
    click.echo(f"  time:      {outcome.seconds:.2f} s")
    if published:
        click.echo(f"  {published}")


def _short(text: object, limit: int = 300) -> str:
    """A message cut to a readable length (a cell may hold megabytes)."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


def print_report(report: dict[str, Any], *, as_json: bool, limit: int = 50) -> None:
    """A validation report, as JSON or as readable lines."""
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return
    click.echo("valid" if report["valid"] else "invalid")
    shown = 0
    for err in report.get("errors", []):
        click.echo(f"  {err.get('type')}: {_short(err.get('message'))}")
    for task in report.get("tasks", []):
        stats = task.get("stats", {})
        click.echo(f"  {task.get('place') or task.get('name')}: {stats.get('rows', '-')} rows, "
                   f"{stats.get('errors', 0)} errors")
        for err in task.get("errors", []):
            if shown >= limit:
                break
            shown += 1
            where = ", ".join(f"{k} {err[k]}" for k in ("rowNumber", "fieldNumber") if err.get(k) is not None)
            click.echo(f"    [{err.get('type')}] {where}: {_short(err.get('message'))}")
        for warning in task.get("warnings", [])[:limit]:
            click.echo(f"    warning: {_short(warning if isinstance(warning, str) else warning.get('message'))}")
    counts = error_counts(report)
    if counts:
        click.echo("  errors by type: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())))
