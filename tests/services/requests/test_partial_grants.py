"""A partial decision's grant (部分公开 with withheld columns) through the real row engine: the applicant
reads the other columns by row queries, never the withheld ones, and no file."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from opendata.core.errors import ColumnsWithheldError, NotFoundError
from opendata.services.accounts import user_get, viewer_for_user
from opendata.services.published.downloads import resolve_download
from opendata.services.requests.decision import decide_request
from opendata.services.requests.submit import submit_request
from opendata.services.rows import query_rows
from tests.builders import publish_rows
from tests.services.requests.conftest import FORM, FRIDAY_MORNING, staff

NOW = datetime(2025, 10, 9, 2, 0, tzinfo=UTC)
LATER = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def alice(seeded, policy):
    """alice's viewer after her application for 'subsidies' was decided 部分公开 withholding 'name'."""
    rnd = random.Random(42)
    publish_rows(seeded, "subsidies", [{"id": i, "name": f"申请人{i}", "amount": round(rnd.uniform(0, 900), 2)}
                                       for i in range(1, 31)])
    form = {**FORM, "dataset": "subsidies", "purpose": "科研", "intended_use": "统计分析",
            "period_start": "2025-10-01", "period_end": "2026-09-30"}
    form.pop("organization")
    code = submit_request(runtime=seeded, policy=policy, viewer=staff(seeded, "alice"), form=form,
                          now=FRIDAY_MORNING).code
    decide_request(runtime=seeded, policy=policy, viewer=staff(seeded, "finclerk"), code=code, outcome="partial",
                   reply="姓名不予公开。", legal_basis="第十五条", withheld_columns={"masked": ["name"]}, now=NOW)
    with seeded.sessions() as session:
        return viewer_for_user(session=session, user=user_get(session=session, username="alice"), now=LATER)


def test_the_applicant_reads_the_other_columns_by_row_queries(seeded, alice):
    _pk, result = query_rows(runtime=seeded, identifier="subsidies", args={"limit": "5", "sort": "-amount"},
                             viewer=alice)
    assert result.columns == ("id", "amount") and len(result.rows) == 5 and result.total == 30
    assert "申请人" not in result.body.decode("utf-8")
    assert [r[1] for r in result.rows] == sorted((r[1] for r in result.rows), reverse=True)
    _pk, csv = query_rows(runtime=seeded, identifier="subsidies", args={"format": "csv", "amount__gt": "0"},
                          viewer=alice)
    assert "申请人" not in csv.body.decode("utf-8-sig") and csv.body.decode("utf-8-sig").startswith("id,amount")


@pytest.mark.parametrize(("args", "param"), [
    ({"name": "申请人1"}, "name"), ({"name__contains": "1"}, "name__contains"), ({"sort": "name"}, "sort"),
    ({"fields": "id,name"}, "fields"), ({"group_by": "name"}, "group_by"), ({"q": "申请人"}, "q"),
])
def test_a_query_that_would_tell_withheld_values_is_refused_naming_the_parameter(seeded, alice, args, param):
    with pytest.raises(ColumnsWithheldError) as err:
        query_rows(runtime=seeded, identifier="subsidies", args=args, viewer=alice)
    assert err.value.problems[0].path == param


def test_no_file_is_served_on_a_partial_grant_and_others_still_read_everything(seeded, alice):
    with pytest.raises(NotFoundError):
        resolve_download(runtime=seeded, identifier="subsidies", kind="csv", viewer=alice)
    clerk = staff(seeded, "finclerk")  # the publishing organisation reads every column
    _pk, result = query_rows(runtime=seeded, identifier="subsidies", args={"limit": "1"}, viewer=clerk)
    assert result.columns == ("id", "name", "amount")
