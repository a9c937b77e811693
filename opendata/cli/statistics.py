"""``opendata statistics``: downloads and API calls by month for a dataset, an organisation or the platform."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from opendata.core.errors import OpendataError


def register(main: click.Group) -> None:
    """Add the statistics command to the main group."""

    @main.command("statistics")
    @click.option("--organization", default=None, help="This organisation and those under it (default: the platform).")
    @click.option("--dataset", default=None, help="One dataset.")
    @click.option("--from", "first", default=None, help="First month, YYYY-MM (default: 11 months before --to).")
    @click.option("--to", "last", default=None, help="Last month, YYYY-MM (default: this month).")
    @click.option("--csv", "csv_path", type=click.Path(dir_okay=False), default=None,
                  help="Write one row per month and dataset with any use to this file.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_obj
    def statistics(obj, organization, dataset, first, last, csv_path, as_json) -> None:
        """Downloads and API calls by month, totals, and the most used datasets."""
        from opendata.services.usage_statistics import usage_csv, usage_statistics

        rt = obj.require_initialized()
        scope = {"organization": organization, "dataset": dataset, "first": first, "last": last}
        try:
            if csv_path is not None:
                Path(csv_path).write_text(usage_csv(runtime=rt, **scope), encoding="utf-8")
                click.echo(f"wrote {csv_path}")
                return
            found = usage_statistics(runtime=rt, **scope)
        except OpendataError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        if as_json:
            click.echo(json.dumps(found, ensure_ascii=False, indent=2))
            return
        t = found["totals"]
        click.echo(f"{found['scope']} {found['organization'] or found['dataset'] or ''} {found['from']} to "
                   f"{found['to']}: {t['downloads']:,} downloads, {t['api_calls']:,} API calls")
        for m in found["months"]:
            click.echo(f"  {m['month']}  {m['downloads']:>12,}  {m['api_calls']:>12,}")
        for d in found["datasets"]:
            click.echo(f"  {d['dataset']}: {d['downloads']:,} downloads, {d['api_calls']:,} API calls")
