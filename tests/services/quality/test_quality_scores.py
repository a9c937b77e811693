"""Quality scores over a real catalogue: the dataset detail, the score's own resource, the ranking, the command.

By hand (opendata.core.quality's table, 130 points; ROWS_SCHEMA: 3 of 5 fields described, a primary
key, types and a constraint):
  rich  (finance) everything but 2 undescribed fields: 130 - 4 = 126 -> 97
  bare  (finance) not published, no description, keywords, contact, coverage or English title:
        open access 10 + licence 10 + field descriptions 6 + constraints 10 + on time 10 (annual, registered
        today) = 46 -> 35
  cond  (env)     like bare but conditional (no open-access points) with a contact: 46 - 10 + 10 = 46 -> 35
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from opendata.cli import main
from opendata.config import load_config
from opendata.services.quality import dataset_quality, quality_ranking
from opendata.services.timeliness.policy import TimelinessPolicy
from opendata.store.db import transaction
from tests.builders import generate_rows, make_catalog, publish_rows
from tests.conftest import running_app

RICH = {"id": "rich", "title": "财政支出明细", "title_en": "Spending details", "keywords": ["财政", "支出", "预算"],
        "description": "示例市各区县财政支出明细，数据来自财政局预算执行系统，按月汇总，覆盖二〇二〇年至今的全部支出项目，包括教育、卫生和交通三类。",
        "contact": {"name": "办公室", "email": "office@finance.example.cn"},
        "temporal": {"start": "2020-01-01", "end": "2025-12-31"}, "spatial": "示例市"}


@pytest.fixture
def scored(runtime, tmp_path):
    make_catalog(runtime, tmp_path, datasets=[
        RICH, {"id": "bare", "title": "空白数据集"},
        {"id": "cond", "title": "有条件数据集", "publisher": "env", "disclosure": "conditional",
         "contact": {"email": "env@example.cn"}}])
    publish_rows(runtime, "rich", generate_rows(20))
    return runtime


def _client(runtime):
    return running_app(load_config({}, **{**runtime.config.values, "RATE_LIMIT_ENABLED": False}))


def test_scores_match_the_points_counted_by_hand(scored):
    policy = TimelinessPolicy()
    got = {ds: dataset_quality(runtime=scored, policy=policy, identifier=ds) for ds in ("rich", "bare", "cond")}
    assert {ds: q["score"] for ds, q in got.items()} == {"rich": 97, "bare": 35, "cond": 35}
    assert [i["key"] for i in got["rich"]["improvements"]] == ["field-descriptions"]
    assert got["bare"]["improvements"][0]["key"] == "published"


def test_the_dataset_detail_explains_the_score(scored):
    with _client(scored) as app:
        client = app.test_client()
        detail = client.get("/api/v1/datasets/rich").get_json()
        assert detail["quality"]["score"] == 97 and detail["quality"]["rating"] == "excellent"
        assert {d["key"] for d in detail["quality"]["dimensions"]} == {
            "findability", "accessibility", "interoperability", "reusability", "contextuality"}
        assert detail["timeliness"]["status"] == "on-time"
        assert client.get("/api/v1/datasets/bare/quality").get_json()["score"] == 35
        assert client.get("/api/v1/datasets/nowhere/quality").status_code == 404


def test_the_ranking_orders_organisations_by_their_trees_average(scored):
    with _client(scored) as app:
        client = app.test_client()
        board = client.get("/api/v1/quality").get_json()
        rows = {r["organization"]: r for r in board["organizations"]}
        assert rows["finance"]["average"] == 66.0 and rows["env"]["average"] == 35.0
        assert rows["city"]["datasets"] == 0 and rows["city"]["tree_average"] == round((97 + 35 + 35) / 3, 1)
        assert board["ranking"] == ["finance", "city", "env"]
        assert [d["dataset"] for d in board["best"]] == ["rich", "bare", "cond"]
        assert board["lowest"][0]["dataset"] == "cond" and board["best"][0]["url"].endswith("/datasets/rich")
        only_env = client.get("/api/v1/quality?organization=env").get_json()
        assert only_env["ranking"] == ["env"] and only_env["datasets"] == 1
        assert client.get("/api/v1/quality?organization=nowhere").status_code == 404
        assert client.get("/api/v1/quality?limit=0").status_code == 422


def test_a_version_gone_overdue_or_with_warnings_loses_those_points(scored):
    # rich published two years ago: annual, so overdue (-10); its report gets a warning (-10): 106 of 130
    with transaction(scored.sessions) as session:
        session.execute(text("UPDATE version SET published_at = '2020-01-01 00:00:00'"))
        session.execute(text("UPDATE version_report SET warnings = 1"))
    got = dataset_quality(runtime=scored, policy=TimelinessPolicy(), identifier="rich")
    assert got["score"] == round(100 * 106 / 130) == 82
    assert [i["key"] for i in got["improvements"]][:2] == ["valid", "on-time"]
    assert quality_ranking(runtime=scored, policy=TimelinessPolicy())["best"][0]["score"] == 82


def test_the_command_ranks_organisations_and_explains_a_dataset(scored, monkeypatch):
    monkeypatch.setenv("OPENDATA_HOME", str(scored.config.home))
    runner = CliRunner()
    ranked = runner.invoke(main, ["quality"], catch_exceptions=False)
    assert ranked.exit_code == 0, ranked.output
    assert "3 datasets, average score 55.7" in ranked.output and "finance" in ranked.output
    one = runner.invoke(main, ["quality", "bare", "--json"], catch_exceptions=False)
    assert one.exit_code == 0 and json.loads(one.output)["score"] == 35
    explained = runner.invoke(main, ["quality", "rich"], catch_exceptions=False)
    assert "97/100" in explained.output and "Describe every field" in explained.output
    missing = runner.invoke(main, ["quality", "nowhere"])
    assert missing.exit_code == 1 and "nowhere" in missing.output
