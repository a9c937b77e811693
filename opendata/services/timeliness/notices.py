"""Notices to publishers: a dataset falls due within N days, or is overdue (through the outbox).

Run by the server's notification worker (and `opendata timeliness notify`): every dataset due
within ``OPENDATA_TIMELINESS_NOTICE_DAYS`` gets one "due soon" message per due date, and one
"overdue" message the first time it is found overdue; dedup keys keep a message single however
often the sweep runs. The message goes to the publishers of the dataset's organisation (users
holding the publisher role there, with an e-mail address); without one, to the dataset's contact,
then the organisation's; without any address it is listed as ``manual`` for staff.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core import vocab
from opendata.core.timeliness import DUE_SOON, OVERDUE, Standing
from opendata.core.urls import Links
from opendata.services.outbox import outbox_enqueue
from opendata.services.runtime import Runtime
from opendata.services.timeliness.board import DatasetFacts, standings
from opendata.services.timeliness.policy import TimelinessPolicy
from opendata.services.unit_of_work import unit_of_work
from opendata.store.accounts import RoleAssignment, User
from opendata.store.models import Dataset, Organization

BATCH = 500


@dataclass
class NoticeReport:
    """How many messages one run queued (repeats of earlier runs are not counted)."""

    due_soon: int = 0
    overdue: int = 0


def send_timeliness_notices(*, runtime: Runtime, policy: TimelinessPolicy, now: datetime | None = None) -> NoticeReport:
    """Queue today's due-soon and overdue notices; each batch of datasets in its own transaction."""
    today = policy.today(now)
    due = [(f, s) for f, s in standings(runtime, policy, today, policy.notice_days) if s.status in (DUE_SOON, OVERDUE)]
    links = Links(runtime.config.public_base_url(""))
    report = NoticeReport()
    for start in range(0, len(due), BATCH):
        batch = due[start:start + BATCH]
        with unit_of_work(runtime) as session:
            recipients = _recipients(session, {f.organization_id for f, _s in batch}, [f.id for f, _s in batch])
            for f, s in batch:
                for address, name in recipients[f.id]:
                    if not _queue(session, f, s, address, name, links, now):
                        continue  # queued by an earlier run
                    if s.status == OVERDUE:
                        report.overdue += 1
                    else:
                        report.due_soon += 1
    return report


def _recipients(session: Session, organization_ids: set[int], dataset_ids: list[int]) -> dict[int, list]:
    """Per dataset: (address, name) pairs: its organisation's publishers, else its contact, else the
    organisation's contact, else one (None, organisation name) for manual delivery."""
    publishers: dict[int, list] = defaultdict(list)
    rows = session.execute(select(RoleAssignment.organization_id, User.email, User.display_name)
                           .join(User, User.id == RoleAssignment.user_id)
                           .where(RoleAssignment.role == "publisher", User.active.is_(True), User.email.is_not(None),
                                  RoleAssignment.organization_id.in_(sorted(organization_ids))))
    for org_id, email, name in rows:
        publishers[org_id].append((email, name))
    orgs = {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(sorted(organization_ids))))}
    out: dict[int, list] = {}
    for ds_id, org_id, contact in session.execute(select(Dataset.id, Dataset.organization_id, Dataset.contact)
                                                  .where(Dataset.id.in_(dataset_ids))):
        org = orgs[org_id]
        fallback = (contact or {}).get("email") or (org.contact or {}).get("email")
        out[ds_id] = sorted(set(publishers[org_id])) or [(fallback, (contact or {}).get("name") or org.name)]
    return out


def _queue(session: Session, f: DatasetFacts, s: Standing, address: str | None, name: str | None, links: Links,
           now: datetime | None) -> bool:
    frequency = vocab.lookup("frequency", f.frequency)
    every = f"{frequency.zh} {frequency.en}" if frequency else f.frequency
    if s.status == OVERDUE:
        subject = f"数据集已逾期未更新 Dataset overdue: {f.title}"[:300]
        first = (f"数据集《{f.title}》按更新周期（{every}）应于 {s.due} 前更新，已逾期 {-s.days_left} 天。"
                 f"\nThe dataset was due for an update on {s.due}: {-s.days_left} day(s) overdue.")
    else:
        subject = f"数据集即将到期 Dataset due for update: {f.title}"[:300]
        first = (f"数据集《{f.title}》按更新周期（{every}）应于 {s.due} 前更新，还剩 {s.days_left} 天。"
                 f"\nThe dataset is due for an update on {s.due}: {s.days_left} day(s) left.")
    last = "从未发布 never published (counted from registration)" if s.never_published else str(s.last_update)
    body = "\n".join([first, "", f"最近更新 Last update: {last}", f"数据集 Dataset: {links.dataset_page(f.identifier)}",
                      "", f"opendata ingest {f.identifier} FILE"])
    key = f"timeliness:{s.status}:{f.id}:{s.due.isoformat()}:{address or 'manual'}"
    return outbox_enqueue(session=session, dedup_key=key, topic=f"dataset-{s.status}", audience="publisher",
                          recipient=address, recipient_name=name, subject=subject, body=body, subject_type="dataset",
                          subject_id=f.identifier, organization_id=f.organization_id, now=now) is not None


def send_daily_timeliness_notices(runtime: Runtime, now: datetime | None = None) -> NoticeReport | None:
    """The notices of today, once per local day in this process (the notification worker runs every minute;
    other processes' runs add nothing, by the dedup keys). None when today's were already queued here."""
    policy = TimelinessPolicy.from_config(runtime.config)
    done = runtime.part("timeliness.notified", dict)
    today = policy.today(now)
    if done.get("day") == today:
        return None
    report = send_timeliness_notices(runtime=runtime, policy=policy, now=now)
    done["day"] = today
    return report
