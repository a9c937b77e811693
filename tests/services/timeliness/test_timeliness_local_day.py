"""A publication counts on its local day in Beijing (OPENDATA_REQUESTS_TIMEZONE), to the second around
midnight: the database gives whole seconds and the board turns them into local days."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from opendata.services.timeliness.board import dataset_timeliness, timeliness_board
from opendata.services.timeliness.policy import TimelinessPolicy
from opendata.store.db import transaction
from tests.builders import generate_rows, make_catalog, publish_rows

POLICY = TimelinessPolicy()
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 March in Beijing
# identifier: the UTC moment of its only publication (None: never published, registered then)
MOMENTS = {
    "before-midnight": datetime(2026, 2, 27, 15, 59, 59, 900_000, tzinfo=UTC),  # 27 Feb 23:59:59.9 in Beijing
    "after-midnight": datetime(2026, 2, 27, 16, 0, 0, tzinfo=UTC),  # 28 Feb 00:00:00 in Beijing, same UTC day
    "registered-late": datetime(2026, 2, 26, 15, 59, 59, tzinfo=UTC),  # never published: 26 Feb 23:59:59
}


def _dated(runtime, tmp_path) -> dict[str, int]:
    make_catalog(runtime, tmp_path, datasets=[{"id": ds, "title": f"数据集 {ds}", "publisher": "finance",
                                               "frequency": "daily"} for ds in MOMENTS])
    for ds in ("before-midnight", "after-midnight"):
        publish_rows(runtime, ds, generate_rows(2))
    with transaction(runtime.sessions) as session:
        for ds, at in MOMENTS.items():
            column = "created_at" if ds == "registered-late" else "published_at"
            table = "dataset" if ds == "registered-late" else "version"
            key = "id" if table == "dataset" else "dataset_id"
            session.execute(text(f"UPDATE {table} SET {column} = :at WHERE {key} = "
                                 "(SELECT id FROM dataset WHERE identifier = :ds)"), {"at": at, "ds": ds})
        return dict(session.execute(text("SELECT identifier, id FROM dataset")).all())


def test_a_dataset_published_just_before_midnight_beijing_time_is_due_a_day_earlier(runtime, tmp_path):
    ids = _dated(runtime, tmp_path)
    board = timeliness_board(runtime=runtime, policy=POLICY, now=NOW, status=("overdue", "due-soon", "on-time"))
    found = {i["dataset"]: (i["last_update"].isoformat(), i["due"].isoformat(), i["days_left"], i["status"])
             for i in board["items"]}
    assert found == {"before-midnight": ("2026-02-27", "2026-03-01", 0, "due-soon"),
                     "after-midnight": ("2026-02-28", "2026-03-02", 1, "due-soon"),
                     "registered-late": ("2026-02-26", "2026-02-28", -1, "overdue")}
    one = dataset_timeliness(runtime=runtime, policy=POLICY, dataset_id=ids["before-midnight"], now=NOW)
    assert (one["last_update"].isoformat(), one["days_left"], one["never_published"]) == ("2026-02-27", 0, False)
