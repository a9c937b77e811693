"""`opendata showcases …`: the operator lists the moderation queue and decides; a bad decision is an error."""

from __future__ import annotations

import json

from opendata.config import load_config
from opendata.core.urls import SITE
from opendata.services.access import ANONYMOUS
from opendata.services.runtime import Runtime
from opendata.services.showcases.submission import submit_showcase


def test_list_the_queue_publish_and_withdraw_with_a_note(synced_cli, home):
    rt = Runtime(load_config({}, HOME=str(home)))
    submit_showcase(runtime=rt, viewer=ANONYMOUS, links=SITE, form={
        "name": "budget-board", "title": "预算看板", "description": "说明。", "url": "https://apps.example.org/b",
        "author": "赵六", "datasets": ["budget"]})
    rt.close()
    listed = synced_cli("showcases", "list").output
    assert listed.startswith("budget-board\tpending\t") and "https://apps.example.org/b\tbudget" in listed
    assert "budget-board: published" in synced_cli("showcases", "moderate", "budget-board", "publish").output
    refused = synced_cli("showcases", "moderate", "budget-board", "withdraw", code=1)
    assert "note is required" in refused.output
    synced_cli("showcases", "moderate", "budget-board", "withdraw", "--note", "链接失效")
    withdrawn = json.loads(synced_cli("showcases", "list", "--state", "withdrawn", "--json").output)
    assert [(s["name"], s["moderation"]["note"]) for s in withdrawn] == [("budget-board", "链接失效")]
    assert "does not exist" in synced_cli("showcases", "moderate", "nothing-here", "publish", code=1).output
