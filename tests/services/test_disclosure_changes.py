"""Disclosure changes: a loosening waits for every review step, a tightening is in force at once, on every path.

catalog.yaml (opendata sync) and the service used by the API, the command line and disclosure
requests share one rule; each request, step and application is audited with its source.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from opendata.core.catalog_file import load_catalog
from opendata.core.errors import CatalogError, ConflictError, NotFoundError, ValidationError
from opendata.services.access import ANONYMOUS, PermissionDeniedError
from opendata.services.audit import AuditFilter, audit_list
from opendata.services.catalog_sync import SyncResult, sync_catalog
from opendata.services.disclosure import (
    list_disclosure_changes,
    open_disclosure_change,
    reject_disclosure_change,
    request_disclosure_change,
    take_disclosure_step,
)
from opendata.services.published.downloads import resolve_download
from opendata.store.db import transaction
from opendata.store.models import Dataset
from tests.builders import ORGANIZATIONS, generate_rows, make_catalog, publish_rows
from tests.review_fixtures import OPERATOR, REVIEW_USERS, add_users, viewer_of

SECRET = "《中华人民共和国政府信息公开条例》第十四条"
PRIVACY = "《中华人民共和国政府信息公开条例》第十五条"


@pytest.fixture
def rt(runtime, tmp_path):
    """budget (closed, with a published version) and open (unconditional) of finance, and the review users."""
    make_catalog(runtime, tmp_path, datasets=_entries("closed"))
    add_users(runtime, REVIEW_USERS)
    publish_rows(runtime, "budget", generate_rows(5))
    return runtime


def _entries(budget: str, legal_basis: str | None = SECRET, code: str = "330100/0001") -> list[dict]:
    budget_entry = {"id": "budget", "title": "预算", "code": code, "disclosure": budget}
    if legal_basis is not None:
        budget_entry["legal_basis"] = legal_basis
    return [budget_entry, {"id": "open", "title": "公开"}]


def _sync(rt, tmp_path: Path, datasets: list[dict]) -> tuple[SyncResult, str]:
    """Write catalog.yaml with these datasets and sync it; (result, the file's source name)."""
    root = make_catalog(rt, tmp_path, datasets=datasets, sync=False)
    spec = load_catalog(root / "catalog.yaml", schemas_dir=root / "schemas")
    with transaction(rt.sessions) as session:
        result = sync_catalog(session=session, spec=spec)
    assert spec.source.endswith(hashlib.sha256((root / "catalog.yaml").read_bytes()).hexdigest())
    return result, f"catalog.yaml@sha256:{hashlib.sha256((root / 'catalog.yaml').read_bytes()).hexdigest()}"


def _served_class(rt) -> tuple[str, str | None]:
    with rt.sessions() as session:
        ds = session.query(Dataset).filter_by(identifier="budget").one()
        return ds.disclosure, ds.legal_basis


def _anonymous_download(rt) -> bool:
    try:
        resolve_download(runtime=rt, identifier="budget", kind="csv", viewer=ANONYMOUS)
        return True
    except NotFoundError:
        return False


def _audit(rt, **filters):
    with rt.sessions() as session:
        return audit_list(session=session, actor=OPERATOR, filters=AuditFilter(**filters), limit=1000)


def _step_all(rt, change_id: int, people=(("submit", "finpub"), ("review", "finrev1"), ("approve", "finrev2"))):
    out = None
    for step, user in people:
        out = take_disclosure_step(runtime=rt, viewer=viewer_of(rt, user), change_id=change_id, step=step)
    return out


def test_loosening_in_catalog_yaml_is_held_until_the_last_review_step(rt, tmp_path):
    assert _served_class(rt) == ("closed", SECRET) and not _anonymous_download(rt)
    result, source = _sync(rt, tmp_path, _entries("unconditional", legal_basis=None))
    assert result.changes == [] and len(result.held) == 1 and "held for review" in result.held[0]
    assert _served_class(rt) == ("closed", SECRET) and not _anonymous_download(rt)
    (change,) = list_disclosure_changes(runtime=rt, viewer=OPERATOR)
    assert (change["from"], change["to"]) == ({"disclosure": "closed", "legal_basis": SECRET},
                                             {"disclosure": "unconditional", "legal_basis": None})
    assert change["source"] == source and change["state"] == "pending" and change["loosens"]
    again, _ = _sync(rt, tmp_path, _entries("unconditional", legal_basis=None))  # no second request
    assert again.changes == [] and len(again.held) == 1
    assert len(list_disclosure_changes(runtime=rt, viewer=OPERATOR, state=None)) == 1
    for step, user in (("submit", "finpub"), ("review", "finrev1")):
        take_disclosure_step(runtime=rt, viewer=viewer_of(rt, user), change_id=change["id"], step=step)
        assert _served_class(rt)[0] == "closed" and not _anonymous_download(rt)  # not before the last step
    done = take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "finrev2"), change_id=change["id"], step="approve")
    assert done["state"] == "approved" and _served_class(rt) == ("unconditional", None) and _anonymous_download(rt)
    (applied,) = _audit(rt, action="dataset-disclosure-changed")
    assert applied.source == source and applied.actor == "finrev2"
    assert applied.before == {"disclosure": "closed", "legal_basis": SECRET}  # the old basis is kept on record
    assert _sync(rt, tmp_path, _entries("unconditional", legal_basis=None))[0].held == []


def test_tightening_in_catalog_yaml_is_in_force_at_once(rt, tmp_path):
    _sync(rt, tmp_path, _entries("unconditional", legal_basis=None))
    change_id = list_disclosure_changes(runtime=rt, viewer=OPERATOR)[0]["id"]
    _step_all(rt, change_id)
    assert _anonymous_download(rt)
    result, source = _sync(rt, tmp_path, _entries("conditional", legal_basis=PRIVACY))
    assert result.held == [] and any("conditional" in c and "at once" in c for c in result.changes)
    assert _served_class(rt) == ("conditional", PRIVACY) and not _anonymous_download(rt)
    assert [e.source for e in _audit(rt, action="dataset-disclosure-changed")][-1] == source


def test_a_rejected_loosening_is_not_asked_again_by_the_same_catalogue(rt, tmp_path):
    result, _ = _sync(rt, tmp_path, _entries("conditional", legal_basis=PRIVACY))
    change_id = list_disclosure_changes(runtime=rt, viewer=OPERATOR)[0]["id"]
    rejected = reject_disclosure_change(runtime=rt, viewer=viewer_of(rt, "finrev1"), change_id=change_id,
                                        reason="仍涉及公共安全")
    assert rejected["state"] == "rejected" and _served_class(rt) == ("closed", SECRET)
    again, _ = _sync(rt, tmp_path, _entries("conditional", legal_basis=PRIVACY))
    assert again.held == [] and any("rejected" in w for w in again.warnings)
    assert list_disclosure_changes(runtime=rt, viewer=OPERATOR) == []
    with pytest.raises(ConflictError):  # a rejected change takes no more steps
        take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "finpub"), change_id=change_id, step="submit")


def test_reverting_catalog_yaml_withdraws_the_pending_change(rt, tmp_path):
    _sync(rt, tmp_path, _entries("unconditional", legal_basis=None))
    result, _ = _sync(rt, tmp_path, _entries("closed"))
    assert result.held == [] and any("withdrew the pending disclosure change" in c for c in result.changes)
    (change,) = list_disclosure_changes(runtime=rt, viewer=OPERATOR, state=None)
    assert change["state"] == "superseded" and _served_class(rt) == ("closed", SECRET)


def test_an_unconditional_entry_with_a_legal_basis_is_refused_with_the_field(rt, tmp_path):
    with pytest.raises(CatalogError) as refused:
        _sync(rt, tmp_path, _entries("unconditional", legal_basis=SECRET))
    (problem,) = refused.value.problems
    assert problem.path == "datasets/0/legal_basis" and problem.line and "remove 'legal_basis'" in problem.message
    assert _served_class(rt) == ("closed", SECRET)


def test_the_review_steps_keep_order_roles_and_separation_of_duties(rt):
    change = request_disclosure_change(runtime=rt, viewer=viewer_of(rt, "finpub"), identifier="budget",
                                       disclosure="无条件开放", legal_basis=None, reason="已脱密")
    assert change["state"] == "pending" and change["steps"]["next"] == "submit" and change["source"] == "api"
    cid = change["id"]
    with pytest.raises(ConflictError, match="'submit'"):
        take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "finrev1"), change_id=cid, step="review")
    with pytest.raises(PermissionDeniedError):  # submit is for publishers
        take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "finrev1"), change_id=cid, step="submit")
    take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "pubrev"), change_id=cid, step="submit")
    with pytest.raises(PermissionDeniedError, match="separation of duties"):
        take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "pubrev"), change_id=cid, step="review")
    with pytest.raises(NotFoundError):  # another organization's reviewer: as if there were no change
        take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "envrev"), change_id=cid, step="review")
    with pytest.raises(ValidationError) as unknown:
        take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "finrev1"), change_id=cid, step="sign")
    assert unknown.value.problems[0].path == "step"
    take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "finrev1"), change_id=cid, step="review")
    with pytest.raises(PermissionDeniedError, match="separation of duties"):
        take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "finrev1"), change_id=cid, step="approve")
    assert _served_class(rt)[0] == "closed"
    take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "finrev2"), change_id=cid, step="approve")
    assert _served_class(rt) == ("unconditional", None)
    actions = [e.action for e in _audit(rt, target_type="disclosure_change")]
    assert actions == ["disclosure-review-step"] * 3


@pytest.mark.parametrize(("disclosure", "legal_basis", "reason", "path"), [
    ("secret", None, "x", "disclosure"),
    ("conditional", None, "x", "legal_basis"),
    ("closed", "  ", "x", "legal_basis"),
    ("unconditional", SECRET, "x", "legal_basis"),  # a stale basis for withholding is refused, not kept
    ("conditional", PRIVACY, " ", "reason"),
])
def test_a_class_without_a_fitting_legal_basis_is_refused_with_the_field(rt, disclosure, legal_basis, reason, path):
    with pytest.raises(ValidationError) as refused:
        request_disclosure_change(runtime=rt, viewer=viewer_of(rt, "finpub"), identifier="budget",
                                  disclosure=disclosure, legal_basis=legal_basis, reason=reason)
    assert [p.path for p in refused.value.problems] == [path]
    assert _served_class(rt) == ("closed", SECRET) and list_disclosure_changes(runtime=rt, viewer=OPERATOR) == []


def test_only_the_organizations_publishers_reviewers_and_administrators_may_ask(rt):
    with pytest.raises(PermissionDeniedError):
        request_disclosure_change(runtime=rt, viewer=viewer_of(rt, "envpub"), identifier="budget",
                                  disclosure="unconditional", legal_basis=None, reason="x")
    with pytest.raises(NotFoundError):
        request_disclosure_change(runtime=rt, viewer=viewer_of(rt, "finpub"), identifier="nosuch",
                                  disclosure="unconditional", legal_basis=None, reason="x")
    with pytest.raises(ConflictError):  # nothing would change
        request_disclosure_change(runtime=rt, viewer=viewer_of(rt, "finpub"), identifier="budget",
                                  disclosure="closed", legal_basis=SECRET, reason="x")
    for huge in (0, -1, 2**63, 10**30):
        with pytest.raises(NotFoundError):
            take_disclosure_step(runtime=rt, viewer=viewer_of(rt, "finpub"), change_id=huge, step="submit")


def test_a_disclosure_request_moves_a_dataset_to_proactive_through_the_same_review(rt):
    """The service other use cases call inside their own transaction (e.g. a request granted to many)."""
    with transaction(rt.sessions) as session:
        ds = session.query(Dataset).filter_by(identifier="budget").one()
        change = open_disclosure_change(session=session, actor=viewer_of(rt, "finrev1"), dataset=ds,
                                        disclosure="unconditional", legal_basis=None,
                                        reason="多人申请，转为主动公开（条例第四十四条）", source="request:7")
        assert change.state == "pending" and ds.disclosure == "closed"
    (pending,) = list_disclosure_changes(runtime=rt, viewer=viewer_of(rt, "finrev2"))
    assert pending["source"] == "request:7" and pending["requested_by"] == "finrev1"
    _step_all(rt, pending["id"])
    assert _served_class(rt) == ("unconditional", None)


def test_a_new_request_supersedes_the_pending_one_and_tightening_supersedes_too(rt):
    first = request_disclosure_change(runtime=rt, viewer=viewer_of(rt, "finpub"), identifier="budget",
                                      disclosure="unconditional", legal_basis=None, reason="一")
    same = request_disclosure_change(runtime=rt, viewer=viewer_of(rt, "finpub"), identifier="budget",
                                     disclosure="unconditional", legal_basis=None, reason="一")
    assert same["id"] == first["id"]
    second = request_disclosure_change(runtime=rt, viewer=viewer_of(rt, "finpub"), identifier="budget",
                                       disclosure="conditional", legal_basis=PRIVACY, reason="二")
    states = {c["id"]: c["state"] for c in list_disclosure_changes(runtime=rt, viewer=OPERATOR, state=None)}
    assert states == {first["id"]: "superseded", second["id"]: "pending"}
    applied = request_disclosure_change(runtime=rt, viewer=viewer_of(rt, "finpub"), identifier="budget",
                                        disclosure="closed", legal_basis=PRIVACY, reason="改依据")
    assert applied["state"] == "applied" and _served_class(rt) == ("closed", PRIVACY)
    states = {c["id"]: c["state"] for c in list_disclosure_changes(runtime=rt, viewer=OPERATOR, state=None)}
    assert states[second["id"]] == "superseded"


def test_every_change_a_sync_makes_is_audited_with_the_catalogs_sha256(runtime, tmp_path):
    result, first = _sync(runtime, tmp_path, _entries("closed"))
    created = {(e.action, e.target_id) for e in _audit(runtime, source=first)}
    assert {("organization-created", "city"), ("organization-created", "finance"), ("schema-registered", "rows.json"),
            ("dataset-registered", "budget"), ("dataset-registered", "open")} <= created
    assert len(created) == len(result.changes)  # one entry per change reported
    (budget,) = [e for e in _audit(runtime, source=first) if e.target_id == "budget"]
    assert budget.after["disclosure"] == "closed" and budget.after["legal_basis"] == SECRET
    assert (budget.after["publisher"], budget.after["schema"], budget.after["code"]) == ("finance", "rows.json",
                                                                                       "330100/0001")
    _, changed = _sync(runtime, tmp_path, [{**_entries("closed", code="330100/0002")[0], "title": "预算（新）"}])
    entries = {e.action: e for e in _audit(runtime, source=changed)}
    assert set(entries) == {"dataset-code-changed", "dataset-updated", "dataset-withdrawn"}
    assert entries["dataset-code-changed"].before == {"code": "330100/0001"}
    assert entries["dataset-code-changed"].after == {"code": "330100/0002"}
    assert (entries["dataset-updated"].before, entries["dataset-updated"].after) == ({"title": "预算"}, {"title": "预算（新）"})
    assert entries["dataset-withdrawn"].target_id == "open"
    _, restored = _sync(runtime, tmp_path, _entries("closed", code="330100/0002"))
    actions = {(e.action, e.target_id) for e in _audit(runtime, source=restored)}
    assert actions == {("dataset-restored", "open"), ("dataset-updated", "budget")}
    assert changed != restored != first  # each file's own sha256
    orgs = [dict(o) for o in ORGANIZATIONS]
    orgs[2]["name"] = "示例市生态环境局（新）"
    root = make_catalog(runtime, tmp_path, datasets=_entries("closed", code="330100/0002"), organizations=orgs,
                        sync=False)
    spec = load_catalog(root / "catalog.yaml", schemas_dir=root / "schemas")
    with transaction(runtime.sessions) as session:
        sync_catalog(session=session, spec=spec)
    (org,) = _audit(runtime, source=spec.source)
    assert (org.action, org.target_id, org.after) == ("organization-updated", "env", {"name": "示例市生态环境局（新）"})
