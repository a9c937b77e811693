"""Often requested → proactive disclosure (政府信息公开条例 Art. 44, the November self-review).

The listing: per organisation and period, the datasets and subjects that several different
applicants asked for (``OPENDATA_REQUESTS_OFTEN_THRESHOLD``, default 3), with the outcomes they
got. From it staff move a conditional dataset to proactive disclosure, or register a dataset for a
subject that has none, through the normal catalogue path; the requests behind it get a timeline
note. Different applicants are different identity documents.

Moving a dataset to proactive disclosure loosens access, so it goes through the one disclosure-change
path (opendata.services.disclosure): a pending change that the review steps must approve before
anything is served under the new class.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select

from opendata.core import lifecycle
from opendata.core.errors import ConflictError, NotFoundError
from opendata.core.requests import applicant as ap
from opendata.core.urls import SITE
from opendata.services.access import Viewer
from opendata.services.disclosure import open_disclosure_change
from opendata.services.registry import after_dataset_change, dataset_register
from opendata.services.requests import timeline
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.staff import require_staff
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import unit_of_work
from opendata.store.models import Dataset, Organization
from opendata.store.requests import DisclosureRequest

_PUNCTUATION = re.compile(r"[\s\W_]+", re.UNICODE)


def subject_key(subject: str) -> str:
    """A subject as grouped: NFKC, lower case, punctuation and spaces removed (全角/半角 alike)."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", subject).lower())[:200]


def often_requested(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, since: date, until: date,
                    organization: str | None = None, threshold: int | None = None) -> dict[str, Any]:
    """Datasets and subjects requested by at least ``threshold`` different applicants in the period."""
    threshold = threshold or policy.often_threshold
    if until < since:
        raise ap.invalid("until", f"until ({until}) is before since ({since})", "wrong-order")
    if not 2 <= threshold <= 1000:
        raise ap.invalid("threshold", "threshold is 2 to 1000 different applicants")
    with runtime.sessions() as session:
        scope = require_staff(session, viewer)
        query = (select(DisclosureRequest.code, DisclosureRequest.subject, DisclosureRequest.applicant_key,
                        DisclosureRequest.outcome, DisclosureRequest.organization_id, Dataset.identifier,
                        Dataset.title, Dataset.disclosure)
                 .outerjoin(Dataset, Dataset.id == DisclosureRequest.dataset_id)
                 .where(DisclosureRequest.receipt_date >= since, DisclosureRequest.receipt_date <= until))
        if organization:
            org_id = session.scalar(select(Organization.id).where(Organization.slug == organization))
            if org_id is None or not scope.may_read(org_id):
                raise ap.invalid("organization", f"no organisation {organization[:100]!r} among those you read",
                                 "not-found")
            query = query.where(DisclosureRequest.organization_id == org_id)
        elif not scope.everywhere:
            query = query.where(DisclosureRequest.organization_id.in_(sorted(scope.read)))
        groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {
            "applicants": set(), "codes": [], "outcomes": Counter(), "subjects": Counter()})
        for code, subject, applicant, outcome, _org, ds_id, ds_title, disclosure in session.execute(query):
            key = ("dataset", ds_id) if ds_id else ("subject", subject_key(subject))
            group = groups[key]
            group["applicants"].add(applicant)
            group["codes"].append(code)
            group["outcomes"][outcome or "open"] += 1
            group["subjects"][subject] += 1
            group["dataset"] = {"id": ds_id, "title": ds_title, "disclosure": disclosure} if ds_id else None
    items = []
    for (kind, key), g in groups.items():
        if len(g["applicants"]) < threshold:
            continue
        action = None
        if kind == "dataset" and g["dataset"]["disclosure"] == "conditional":
            action = "make-proactive"
        elif kind == "subject":
            action = "register-dataset"
        items.append({"kind": kind, "key": key, "subject": g["subjects"].most_common(1)[0][0], "dataset": g["dataset"],
                      "applicants": len(g["applicants"]), "requests": len(g["codes"]),
                      "outcomes": dict(g["outcomes"]), "codes": sorted(g["codes"])[:50], "action": action})
    items.sort(key=lambda i: (-i["applicants"], i["kind"], i["key"]))
    return {"since": since, "until": until, "threshold": threshold, "items": items}


def make_proactive(*, runtime: Runtime, viewer: Viewer, dataset: str, reason: str) -> dict[str, Any]:
    """Ask to move a dataset to proactive disclosure (无条件开放): a pending change, noted on the requests behind it.

    The dataset keeps its class until the change's last review step (``disclosure_change`` says which).
    """
    reason = ap.check_text(reason, "reason", required=True, max_length=4000, multiline=True)
    with unit_of_work(runtime) as session:
        ds = session.scalar(select(Dataset).where(Dataset.identifier == dataset))
        if ds is None or (ds.state != lifecycle.DATASET_ACTIVE and not viewer.is_admin):
            raise NotFoundError(f"dataset '{dataset}' does not exist")
        change = open_disclosure_change(session=session, actor=viewer, dataset=ds, disclosure="unconditional",
                                        legal_basis=None, reason=f"第四十四条（多次申请，转为主动公开）: {reason}",
                                        source="requests (Art. 44)")
        if change is None or change.state != "pending":
            raise ConflictError(f"dataset '{dataset}' is already unconditional")
        noted = _note_requests(session, viewer, select(DisclosureRequest).where(DisclosureRequest.dataset_id == ds.id),
                               f"数据集 {ds.identifier} 转为主动公开已提交审核 (Art. 44, disclosure change {change.id}): "
                               f"{reason}")
        return {"dataset": ds.identifier, "disclosure": ds.disclosure, "requests_noted": noted,
                "disclosure_change": {"id": change.id, "state": change.state,
                                      "url": SITE.disclosure_change(change.id)}}


def register_for_subject(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, subject: str,
                         since: date, until: date, entry: dict[str, Any]) -> dict[str, Any]:
    """Register a dataset (a full catalogue entry) for an often-requested subject and note it on its requests."""
    key = subject_key(ap.check_text(subject, "subject", required=True, max_length=300) or "")
    with unit_of_work(runtime) as session:
        ds = dataset_register(session=session, actor=viewer, entry=entry)
        candidates = session.scalars(select(DisclosureRequest).where(
            DisclosureRequest.dataset_id.is_(None), DisclosureRequest.organization_id == ds.organization_id,
            DisclosureRequest.receipt_date >= since, DisclosureRequest.receipt_date <= until))
        matching = [r for r in candidates if subject_key(r.subject) == key]
        for request in matching:
            timeline.record(session, request, viewer, "note", public=False,
                            text=f"已登记为数据集 {ds.identifier} (Art. 44)", data={"dataset": ds.identifier})
        dataset_id, result = ds.id, {"dataset": ds.identifier, "requests_noted": len(matching)}
    after_dataset_change(runtime=runtime, dataset_id=dataset_id)
    return result


def _note_requests(session, viewer: Viewer, query, text: str) -> int:
    found = list(session.scalars(query))
    for request in found:
        timeline.record(session, request, viewer, "note", public=False, text=text)
    return len(found)
