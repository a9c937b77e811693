"""``opendata quality [DATASET]``: quality scores ranked, or one dataset's breakdown and what would raise it."""

from __future__ import annotations

import json
import sys
from datetime import date

import click

from opendata.core.errors import OpendataError


def register(main: click.Group) -> None:
    """Add the quality command to the main group."""

    @main.command("quality")
    @click.argument("dataset", required=False)
    @click.option("--organization", default=None, help="Rank this organisation and those under it (default: all).")
    @click.option("--limit", type=int, default=10, show_default=True, help="Datasets in the best and lowest lists.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_obj
    def quality(obj, dataset, organization, limit, as_json) -> None:
        """Organisations ranked by average quality score, or DATASET's score explained."""
        from opendata.services.quality import dataset_quality, quality_ranking
        from opendata.services.timeliness.policy import timeliness_policy

        rt = obj.require_initialized()
        try:
            policy = timeliness_policy(rt)
            if dataset is not None:
                found = dataset_quality(runtime=rt, policy=policy, identifier=dataset)
            else:
                found = quality_ranking(runtime=rt, policy=policy, organization=organization, limit=limit)
        except OpendataError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        if as_json:
            click.echo(json.dumps(found, ensure_ascii=False, indent=2,
                                  default=lambda v: v.isoformat() if isinstance(v, date) else str(v)))
        elif dataset is not None:
            _print_dataset(dataset, found)
        else:
            _print_ranking(found)


def _print_dataset(dataset: str, q: dict) -> None:
    click.echo(f"{dataset}: {q['score']}/100 ({q['rating']}), {q['points']} of {q['max_points']} points")
    for d in q["dimensions"]:
        click.echo(f"  {d['name_en']:<17} {d['points']:>5} / {d['max_points']}")
    for i in q["improvements"]:
        click.echo(f"  +{i['score']:>4} {i['key']}: {i['hint_en']}")


def _print_ranking(r: dict) -> None:
    average = "-" if r["average"] is None else f"{r['average']:.1f}"
    click.echo(f"{r['today']}: {r['datasets']} datasets, average score {average}")
    for org in r["organizations"]:
        if org["tree_datasets"]:
            click.echo(f"{'  ' * org['depth']}{org['organization']:<24} #{org['rank']:<3} tree "
                       f"{org['tree_average']:>5.1f} ({org['tree_datasets']})")
    for title, rows in (("best", r["best"]), ("lowest", r["lowest"])):
        click.echo(f"{title}: " + ", ".join(f"{d['dataset']} {d['score']}" for d in rows))
