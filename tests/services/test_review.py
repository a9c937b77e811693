"""Review before publishing (三审): steps, separation of duties, PII resolutions, re-derived outputs."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from opendata.core.errors import ConflictError, NotFoundError, ValidationError
from opendata.services.access import PermissionDeniedError
from opendata.services.review import (
    get_review_version,
    parse_review_steps,
    resolve_finding,
    review_queue,
    review_reject,
    review_step,
    review_view,
    version_publish,
    version_withdraw,
)
from opendata.store.accounts import AuditLog
from opendata.store.db import transaction
from opendata.store.models import Version
from opendata.store.review import PiiResolution, ReviewDecision
from tests.builders import generate_rows, ingest_rows
from tests.review_fixtures import person_rows, seed_review_catalog, viewer_of

STEPS = ("submit", "review", "approve")


@pytest.fixture
def catalog(runtime, tmp_path):
    seed_review_catalog(runtime, tmp_path)
    return runtime


def _step(rt, user, step, dataset="payees", number=1, note=None):
    return review_step(runtime=rt, viewer=viewer_of(rt, user), identifier=dataset, number=number, step=step,
                       note=note)


def _resolve(rt, user="finrev1", **kw):
    with transaction(rt.sessions) as session:
        return resolve_finding(session=session, viewer=viewer_of(rt, user), identifier="payees", number=1,
                               field="id_card", kind="id-number", **kw)


def _version(rt, dataset="payees", number=1) -> Version:
    with rt.sessions() as session:
        v = get_review_version(session, viewer_of(rt, "admin"), dataset, number)
        session.expunge_all()
        return v


def _artifact_text(rt, version_id, kind="csv") -> str:
    with rt.sessions() as session:
        art = next(a for a in session.get(Version, version_id).artifacts if a.kind == kind)
        return rt.artifacts.path(art.path).read_text(encoding="utf-8-sig")


def test_three_steps_by_three_people_publish_the_version(catalog):
    rt = catalog
    ingest_rows(rt, "budget", generate_rows(5))
    _step(rt, "finpub", "submit", "budget", note="请审核")
    view = _step(rt, "finrev1", "review", "budget")
    assert view["steps"]["next"] == "approve" and view["version"]["state"] == "awaiting-review"
    view = _step(rt, "finrev2", "approve", "budget", note="同意发布")
    assert view["version"]["state"] == "published"
    assert [(d["step"], d["actor"]) for d in view["decisions"]] == [
        ("submit", "finpub"), ("review", "finrev1"), ("approve", "finrev2")]
    with rt.sessions() as session:
        actions = [a.action for a in session.scalars(select(AuditLog).where(AuditLog.target_id == "budget/1"))]
    assert actions == ["review-step", "review-step", "review-step", "version-published"]


def test_one_person_may_not_take_two_steps(catalog):
    rt = catalog
    ingest_rows(rt, "budget", generate_rows(5))
    _step(rt, "pubrev", "submit", "budget")
    with pytest.raises(PermissionDeniedError, match="separation of duties"):
        _step(rt, "pubrev", "review", "budget")
    _step(rt, "finrev1", "review", "budget")
    with pytest.raises(PermissionDeniedError, match="separation of duties"):
        _step(rt, "finrev1", "approve", "budget")
    assert _version(rt, "budget").state == "awaiting-review"


def test_steps_run_in_order_and_each_by_its_role(catalog):
    rt = catalog
    ingest_rows(rt, "budget", generate_rows(5))
    with pytest.raises(ConflictError, match="next step .* is 'submit'"):
        _step(rt, "finrev1", "review", "budget")
    with pytest.raises(PermissionDeniedError):
        _step(rt, "finrev1", "submit", "budget")  # a reviewer without the publish scope
    with pytest.raises(ValidationError):
        _step(rt, "finpub", "sign", "budget")


def test_other_organizations_see_nothing_to_review(catalog):
    rt = catalog
    ingest_rows(rt, "budget", generate_rows(5))
    for user in ("envrev", "envpub"):
        with pytest.raises(NotFoundError) as hidden:
            _step(rt, user, "submit", "budget")
        with pytest.raises(NotFoundError) as missing:
            _step(rt, user, "submit", "budget", number=99)
        assert str(hidden.value).replace("1", "N") == str(missing.value).replace("99", "N")
        with rt.sessions() as session:
            assert review_queue(session=session, viewer=viewer_of(rt, user), steps=STEPS) == []
    with rt.sessions() as session:
        queue = review_queue(session=session, viewer=viewer_of(rt, "finrev1"), steps=STEPS)
    assert [(q["dataset"], q["next_step"], q["you_may_act"]) for q in queue] == [("budget", "submit", False)]


def test_whoever_took_a_step_is_not_offered_the_next_one(catalog):
    rt = catalog
    ingest_rows(rt, "budget", generate_rows(5))
    _step(rt, "finpub", "submit", "budget")
    _step(rt, "finrev1", "review", "budget")

    def offered(user):
        with rt.sessions() as session:
            viewer = viewer_of(rt, user)
            queue = review_queue(session=session, viewer=viewer, steps=STEPS)
            version = get_review_version(session, viewer, "budget", 1)
            view = review_view(session=session, viewer=viewer, version=version, steps=STEPS)
        return [q["you_may_act"] for q in queue], view["steps"]["you_may_act"]

    assert offered("finrev1") == ([False], False)  # separation of duties: approve is someone else's
    assert offered("finrev2") == ([True], True)


def test_unresolved_findings_block_approval_and_the_view_shows_masked_samples(catalog):
    rt = catalog
    rows = person_rows(12)
    ingest_rows(rt, "payees", rows)
    _step(rt, "finpub", "submit")
    _step(rt, "finrev1", "review")
    with pytest.raises(ConflictError, match="unresolved"):
        _step(rt, "finrev2", "approve")
    with rt.sessions() as session:
        v = get_review_version(session, viewer_of(rt, "finrev2"), "payees", 1)
        view = review_view(session=session, viewer=viewer_of(rt, "finrev2"), version=v, steps=STEPS)
    assert view["pii"]["unresolved"] == 2 and view["report"]["valid"] is True
    text = str(view)
    assert "330106********" in text and all(r["id_card"] not in text for r in rows)


def test_confirm_needs_a_reason_and_then_publishes_unchanged_outputs(catalog):
    rt = catalog
    rows = person_rows(8)
    outcome = ingest_rows(rt, "payees", rows)
    with pytest.raises(ValidationError, match="reason"):
        _resolve(rt, action="confirm")
    result = _resolve(rt, action="confirm", reason="当事人书面同意公开")
    assert result["unresolved"] == 0
    with pytest.raises(ConflictError, match="already resolved"):
        _resolve(rt, action="drop")
    before = _artifact_text(rt, outcome.version_id)
    _step(rt, "finpub", "submit")
    _step(rt, "finrev1", "review")
    _step(rt, "finrev2", "approve")
    assert _artifact_text(rt, outcome.version_id) == before
    assert rows[0]["id_card"] in before


def test_hash_mask_rewrites_every_output_before_publication(catalog):
    rt = catalog
    rows = person_rows(10)
    outcome = ingest_rows(rt, "payees", rows)
    _resolve(rt, action="mask", method="hash")
    _step(rt, "finpub", "submit")
    _step(rt, "finrev1", "review")
    view = _step(rt, "finrev2", "approve")
    assert view["version"]["state"] == "published"
    assert [d["step"] for d in view["decisions"]] == ["submit", "review", "approve", "reprocess"]
    for kind in ("csv", "csv-excel", "datapackage"):
        text = _artifact_text(rt, outcome.version_id, kind)
        assert not any(r["id_card"] in text for r in rows), kind
    with rt.sessions() as session:
        parquet = next(a for a in session.get(Version, outcome.version_id).artifacts if a.kind == "parquet")
        table = pq.read_table(rt.artifacts.path(parquet.path))
        assert parquet.sha256 != outcome.artifacts["parquet"]["sha256"]
        audit = session.scalar(select(AuditLog).where(AuditLog.action == "version-reprocessed"))
    hashed = table.column("id_card").to_pylist()
    assert len(hashed[0]) == 64 and not set(hashed) & {r["id_card"] for r in rows}
    assert audit.after["x-mask"] == {"id_card": {"method": "hash"}}


def test_partial_mask_and_drop(catalog):
    rt = catalog
    rows = person_rows(6)
    outcome = ingest_rows(rt, "payees", rows)
    _resolve(rt, action="mask", method="partial", keep_first=6, keep_last=4)
    version_publish(runtime=rt, viewer=viewer_of(rt, "admin"), identifier="payees", number=1, note="急需发布")
    text = _artifact_text(rt, outcome.version_id)
    first = rows[0]["id_card"]
    assert f"{first[:6]}********{first[-4:]}" in text and first not in text

    rows2 = person_rows(6, seed=7)
    outcome2 = ingest_rows(rt, "payees", rows2)
    with transaction(rt.sessions) as session:
        resolve_finding(session=session, viewer=viewer_of(rt, "finrev1"), identifier="payees", number=2,
                        field="id_card", kind="id-number", action="drop")
    version_publish(runtime=rt, viewer=viewer_of(rt, "admin"), identifier="payees", number=2)
    text2 = _artifact_text(rt, outcome2.version_id)
    assert text2.splitlines()[0] == "id,name,amount"
    assert '"id_card"' not in _artifact_text(rt, outcome2.version_id, "datapackage")


def test_resolutions_are_recorded_and_only_the_organizations_publishers_and_reviewers_resolve(catalog):
    rt = catalog
    ingest_rows(rt, "payees", person_rows(4))
    with pytest.raises(NotFoundError):  # another organization's publisher does not even see the version
        _resolve(rt, user="envpub", action="drop")
    with pytest.raises(ValidationError, match="method"):
        _resolve(rt, action="mask", method="rot13")
    with pytest.raises(ValidationError, match="keepFirst"):
        _resolve(rt, action="mask", method="partial", keep_first=-1)
    _resolve(rt, action="drop", reason="无需公开")
    with rt.sessions() as session:
        rec = session.scalars(select(PiiResolution)).all()
    assert [(r.field_name, r.kind, r.action, r.actor) for r in rec] == [("id_card", "id-number", "drop", "finrev1")]


def test_the_publisher_who_prepares_a_version_resolves_its_findings_before_submitting(catalog):
    rt = catalog
    ingest_rows(rt, "payees", person_rows(4))
    _resolve(rt, user="finpub", action="mask", method="hash")
    with rt.sessions() as session:
        rec = session.scalars(select(PiiResolution)).all()
    assert [(r.action, r.mask_method, r.actor) for r in rec] == [("mask", "hash", "finpub")]
    _step(rt, "finpub", "submit", "payees")


def test_reject_with_a_reason_at_any_step(catalog):
    rt = catalog
    ingest_rows(rt, "budget", generate_rows(5))
    _step(rt, "finpub", "submit", "budget")
    with transaction(rt.sessions) as session, pytest.raises(ValidationError):
        review_reject(session=session, viewer=viewer_of(rt, "finrev1"), identifier="budget", number=1, reason=" ")
    with transaction(rt.sessions) as session:
        review_reject(session=session, viewer=viewer_of(rt, "finrev1"), identifier="budget", number=1,
                      reason="金额单位错误")
    assert _version(rt, "budget").state == "rejected"
    with pytest.raises(ConflictError):
        _step(rt, "finrev2", "review", "budget")
    with rt.sessions() as session:
        outcomes = [d.outcome for d in session.scalars(select(ReviewDecision))]
    assert outcomes == ["done", "rejected"]


def test_withdraw_and_publish_are_explicit_audited_actions(catalog):
    rt = catalog
    ingest_rows(rt, "budget", generate_rows(5))
    with pytest.raises(PermissionDeniedError):
        version_publish(runtime=rt, viewer=viewer_of(rt, "finrev1"), identifier="budget", number=1)
    version_publish(runtime=rt, viewer=viewer_of(rt, "admin"), identifier="budget", number=1)
    with pytest.raises(NotFoundError):
        version_withdraw(runtime=rt, viewer=viewer_of(rt, "envpub"), identifier="budget", number=1, reason="x")
    version_withdraw(runtime=rt, viewer=viewer_of(rt, "finpub"), identifier="budget", number=1, reason="数据有误")
    assert _version(rt, "budget").state == "withdrawn"
    with rt.sessions() as session:
        actions = [a.action for a in session.scalars(select(AuditLog).where(AuditLog.target_type == "version"))]
    assert actions == ["version-published", "version-withdrawn"]


def test_review_steps_setting_is_checked():
    assert parse_review_steps(" submit , approve ") == ("submit", "approve")
    for bad in ("", "submit,submit", "Submit", "submit,reject"):
        with pytest.raises(ValidationError):
            parse_review_steps(bad)


def test_a_single_configured_step_publishes(runtime, tmp_path):
    from dataclasses import replace

    seed_review_catalog(runtime, tmp_path)
    runtime.config = replace(runtime.config, values={**runtime.config.values, "REVIEW_STEPS": "approve"})
    ingest_rows(runtime, "budget", generate_rows(3))
    assert _step(runtime, "finrev1", "approve", "budget")["version"]["state"] == "published"


def test_the_trusted_publish_path_applies_mask_resolutions_too(catalog):
    from opendata.services.publication import publish_if_clean

    rt = catalog
    rows = person_rows(5)
    outcome = ingest_rows(rt, "payees", rows)
    _resolve(rt, action="drop")
    assert publish_if_clean(runtime=rt, version_id=outcome.version_id, actor="tests") == "published version 1"
    text = _artifact_text(rt, outcome.version_id)
    assert text.splitlines()[0] == "id,name,amount" and not any(r["id_card"] in text for r in rows)


def _swap_parquet_day(rt, version_id: int, day_index: int, days_since_epoch: int) -> None:
    """Put a date of year 0 into a waiting version's Parquet, as a release before the date check let through."""
    import pyarrow as pa

    with transaction(rt.sessions) as session:
        art = next(a for a in session.get(Version, version_id).artifacts if a.kind == "parquet")
        table = pq.read_table(rt.artifacts.path(art.path))
        days = table.column("day").cast(pa.int32()).to_pylist()
        days[day_index] = days_since_epoch
        table = table.set_column(table.schema.get_field_index("day"), "day", pa.array(days, pa.int32()).cast(pa.date32()))
        tmp = rt.artifacts.new_workdir() / "bad.parquet"
        pq.write_table(table, tmp)
        art.path, art.sha256, art.bytes = rt.artifacts.adopt(tmp, suffix=".parquet")


def test_a_version_whose_files_do_not_read_back_is_not_published(catalog):
    from opendata.store.models import ChangeRecord

    rt = catalog
    outcome = ingest_rows(rt, "budget", generate_rows(5))
    _swap_parquet_day(rt, outcome.version_id, 3, -719_893)  # 0000-01-01
    _step(rt, "finpub", "submit", "budget")
    _step(rt, "finrev1", "review", "budget")
    with pytest.raises(ConflictError) as refused:
        _step(rt, "finrev2", "approve", "budget")
    message = str(refused.value)
    assert "version 1 of budget cannot be published: its files do not read back" in message
    assert 'to_pylist() fails in row 5 of field "day"' in message and "pandas" in message
    assert _version(rt, "budget").state == "awaiting-review"
    with rt.sessions() as session:
        assert session.scalar(select(ChangeRecord.seq).where(ChangeRecord.action == "version-published")) is None
