"""GET /api/v1/timeliness and `opendata timeliness` over the dated catalogue, on the real clock: every day
after 2026-04-18 finds every scheduled dataset of conftest.DATASETS overdue, in the same order."""

from __future__ import annotations

from click.testing import CliRunner

from opendata.cli import main
from opendata.config import load_config
from tests.accounts_fixtures import ERROR_KEYS
from tests.conftest import running_app


def test_the_api_lists_the_board_with_links_and_refuses_bad_parameters(dated):
    config = load_config({}, **{**dated.config.values, "RATE_LIMIT_ENABLED": False})
    with running_app(config) as app:
        client = app.test_client()
        board = client.get("/api/v1/timeliness?organization=finance&limit=2").get_json()
        assert board["total"] == 4 and [i["dataset"] for i in board["items"]] == ["a-never", "w-late"]
        assert board["items"][0]["url"] == "http://localhost/datasets/a-never"
        assert board["summary"]["on_time_rate"] == 0.0 and board["summary"]["no_schedule"] == 1
        second = client.get("/api/v1/timeliness?organization=finance&limit=2&page=2").get_json()
        assert [(i["dataset"], i["due"]) for i in second["items"]] == [("m-soon", "2026-03-03"),
                                                                         ("m-ok", "2026-03-24")]
        assert client.get("/api/v1/timeliness?status=no-schedule").get_json()["total"] == 1
        bad = client.get("/api/v1/timeliness?within=-1")
        assert bad.status_code == 422 and set(bad.get_json()) == ERROR_KEYS
        assert client.get("/api/v1/timeliness?status=late").status_code == 422
        assert client.get("/api/v1/timeliness?organization=nowhere").status_code == 404


def test_the_command_prints_the_board_and_queues_the_notices(dated, monkeypatch):
    monkeypatch.setenv("OPENDATA_HOME", str(dated.config.home))
    runner = CliRunner()
    board = runner.invoke(main, ["timeliness", "--organization", "env"], catch_exceptions=False)
    assert board.exit_code == 0, board.output
    assert "3 overdue" in board.output and "withdrawn" in board.output and "d-env" in board.output
    notify = runner.invoke(main, ["timeliness", "notify"], catch_exceptions=False)
    assert notify.exit_code == 0 and "queued" in notify.output
    bad = runner.invoke(main, ["timeliness", "--within", "999"])
    assert bad.exit_code == 1 and "within" in bad.output
