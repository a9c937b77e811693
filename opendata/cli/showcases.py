"""``opendata showcases``: the reuse showcases waiting for moderation (or in another state), and decisions."""

from __future__ import annotations

import json
import sys

import click

from opendata.core.errors import OpendataError
from opendata.core.showcase import STATES
from opendata.core.urls import Links


def register(main: click.Group) -> None:
    """Add the showcases group to the main group."""

    @main.group("showcases")
    def showcases() -> None:
        """Reuse showcases (应用成果): the moderation queue and decisions."""

    @showcases.command("list")
    @click.option("--state", type=click.Choice(STATES), default="pending", show_default=True)
    @click.option("--as", "as_user", default=None, help="Act with this user's roles instead of as the operator.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_obj
    def list_cmd(obj, state, as_user, as_json) -> None:
        """Showcases in a state that you moderate, oldest submission first."""
        from opendata.services.showcases.moderation import moderation_queue

        found = _run(obj, as_user, lambda rt, viewer, links: moderation_queue(runtime=rt, viewer=viewer, links=links,
                                                                              state=state, limit=500))
        if as_json:
            click.echo(json.dumps(found, ensure_ascii=False, indent=2))
            return
        for sc in found:
            datasets = ", ".join(d["id"] for d in sc["datasets"])
            click.echo(f"{sc['name']}\t{sc['state']}\t{sc['submitted_at'][:10]}\t{sc['title']}\t{sc['url']}\t{datasets}")

    @showcases.command("moderate")
    @click.argument("name")
    @click.argument("decision", type=click.Choice(["publish", "reject", "withdraw"]))
    @click.option("--note", default=None, help="Why (required to reject or withdraw; kept for the moderators).")
    @click.option("--as", "as_user", default=None, help="Act with this user's roles instead of as the operator.")
    @click.pass_obj
    def moderate_cmd(obj, name, decision, note, as_user) -> None:
        """Publish, reject or withdraw the showcase NAME."""
        from opendata.services.showcases.moderation import moderate_showcase

        done = _run(obj, as_user, lambda rt, viewer, links: moderate_showcase(
            runtime=rt, viewer=viewer, links=links, name=name, decision=decision, note=note))
        click.echo(f"{done['name']}: {done['state']} ({done['links']['page']})")


def _run(obj, as_user, work):
    from opendata.cli.reports import _viewer

    rt = obj.require_initialized()
    try:
        return work(rt, _viewer(rt, as_user), Links(rt.config.public_base_url("")))
    except OpendataError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
