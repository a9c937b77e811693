"""Usage statistics by month over a catalogue with known daily counts (by hand below), through the service, the
API (JSON and CSV), the command and the portal page.

  budget (finance)  2025-01-05: 3 downloads, 10 API calls; 2025-01-31: 2, 0; 2025-03-01: 5, 1
  air    (env)      2025-01-10: 1, 4;                       2025-02-28: 0, 7
  So 2025-01: 6 downloads, 14 calls; 2025-02: 0, 7; 2025-03: 5, 1; the platform 11 and 22.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from click.testing import CliRunner

from opendata.cli import main
from opendata.config import load_config
from opendata.core.errors import ValidationError
from opendata.services.usage import usage_counter
from opendata.services.usage_statistics import usage_statistics
from opendata.store.db import transaction
from opendata.store.models import Dataset, UsageDaily
from tests.accounts_fixtures import ERROR_KEYS
from tests.builders import make_catalog
from tests.conftest import running_app

COUNTS = {("budget", "2025-01-05"): (3, 10), ("budget", "2025-01-31"): (2, 0), ("budget", "2025-03-01"): (5, 1),
          ("air", "2025-01-10"): (1, 4), ("air", "2025-02-28"): (0, 7)}
Q1 = {"first": "2025-01", "last": "2025-03"}


@pytest.fixture
def used(runtime, tmp_path):
    make_catalog(runtime, tmp_path, datasets=[{"id": "budget", "title": "预算"},
                                              {"id": "air", "title": "空气质量", "publisher": "env"}])
    with transaction(runtime.sessions) as session:
        ids = {ds.identifier: ds.id for ds in session.query(Dataset)}
        for (ds, day), (downloads, api_calls) in COUNTS.items():
            session.add(UsageDaily(dataset_id=ids[ds], day=dt.date.fromisoformat(day), downloads=downloads,
                                   api_calls=api_calls))
    return runtime


def test_months_totals_and_most_used_match_the_counts_by_hand(used):
    got = usage_statistics(runtime=used, **Q1)
    assert [(m["month"], m["downloads"], m["api_calls"]) for m in got["months"]] == [
        ("2025-01", 6, 14), ("2025-02", 0, 7), ("2025-03", 5, 1)]
    assert got["totals"] == {"downloads": 11, "api_calls": 22} and got["scope"] == "platform"
    assert [(d["dataset"], d["downloads"]) for d in got["datasets"]] == [("budget", 10), ("air", 1)]
    env = usage_statistics(runtime=used, organization="env", **Q1)
    assert env["totals"] == {"downloads": 1, "api_calls": 11} and [d["dataset"] for d in env["datasets"]] == ["air"]
    assert usage_statistics(runtime=used, organization="city", **Q1)["totals"]["downloads"] == 11  # its tree
    one = usage_statistics(runtime=used, dataset="budget", first="2025-02", last="2025-03")
    assert [m["downloads"] for m in one["months"]] == [0, 5] and one["datasets"] == []


def test_counted_hits_appear_in_this_months_statistics(used):
    counter = usage_counter(used)
    with transaction(used.sessions) as session:
        budget = session.query(Dataset).filter_by(identifier="budget").one().id
    counter.hit(budget, "downloads", 4)
    counter.flush()
    this_month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
    got = usage_statistics(runtime=used, dataset="budget", first=this_month, last=this_month)
    assert got["totals"]["downloads"] == 4 + sum(v[0] for (ds, day), v in COUNTS.items()
                                                 if ds == "budget" and day.startswith(this_month))


def test_bad_periods_are_refused_naming_the_parameter(used):
    for kw, path in (({"first": "2025-13"}, "from"), ({"last": "25-01"}, "to"),
                     ({"first": "2025-03", "last": "2025-01"}, "from"), ({"first": "2000-01", "last": "2025-01"}, "from")):
        with pytest.raises(ValidationError) as err:
            usage_statistics(runtime=used, **kw)
        assert err.value.problems[0].path == path


def test_the_api_answers_json_and_csv_and_the_one_error_shape(used):
    with running_app(load_config({}, **{**used.config.values, "RATE_LIMIT_ENABLED": False})) as app:
        client = app.test_client()
        body = client.get("/api/v1/statistics?from=2025-01&to=2025-03").get_json()
        assert body["from"] == "2025-01" and body["totals"] == {"downloads": 11, "api_calls": 22}
        text = client.get("/api/v1/statistics?from=2025-01&to=2025-03&format=csv").get_data(as_text=True)
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [(r["month"], r["dataset"], r["organization"], r["downloads"], r["api_calls"]) for r in rows] == [
            ("2025-01", "air", "env", "1", "4"), ("2025-01", "budget", "finance", "5", "10"),
            ("2025-02", "air", "env", "0", "7"), ("2025-03", "budget", "finance", "5", "1")]
        bad = client.get("/api/v1/statistics?from=January")
        assert bad.status_code == 422 and set(bad.get_json()) == ERROR_KEYS
        assert client.get("/api/v1/statistics?organization=env&dataset=air&from=2025-01&to=2025-03").get_json()["totals"]["api_calls"] == 11
        assert client.get("/api/v1/statistics?organization=finance&dataset=air").status_code == 404
        assert client.get("/api/v1/statistics?organization=nowhere").status_code == 404
        assert client.get("/api/v1/statistics?dataset=nowhere").status_code == 404
        page = client.get("/statistics?from=2025-01&to=2025-03").get_data(as_text=True)
        assert '<svg class="chart"' in page and "<th scope=\"row\">2025-02</th><td>0</td><td>7</td>" in page
        assert "空气质量" in page and "预算" in page


def test_the_command_prints_months_and_writes_the_csv(used, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENDATA_HOME", str(used.config.home))
    runner = CliRunner()
    out = runner.invoke(main, ["statistics", "--organization", "finance", "--from", "2025-01", "--to", "2025-03"],
                        catch_exceptions=False)
    assert out.exit_code == 0 and "10 downloads, 11 API calls" in out.output
    path = tmp_path / "use.csv"
    assert runner.invoke(main, ["statistics", "--from", "2025-01", "--to", "2025-03", "--csv", str(path)]).exit_code == 0
    assert len(path.read_text(encoding="utf-8").splitlines()) == 5
    bad = runner.invoke(main, ["statistics", "--to", "2025-1"])
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output
