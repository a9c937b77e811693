"""What the platform tells applicants and staff about a request, queued in the outbox.

Applicants: received, correction needed, extended, fee notice, decided (and closed by the clock).
Staff (the handler, else the organisation's contact address): due within 3 working days, overdue.
Plain text, Chinese first with the English beside it; the tracking code and the status page are
in every applicant message, the identity number in none. Each message has a dedup key, so a
retried use case or a second sweep never queues it twice.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from opendata.core.requests.applicant import format_tracking_code
from opendata.core.requests.vocab import OUTCOME_BY_KEY
from opendata.core.urls import Links
from opendata.services.outbox import outbox_enqueue
from opendata.services.requests.policy import RequestPolicy
from opendata.store.accounts import User
from opendata.store.requests import DisclosureRequest

SIGNATURE = "—— {org}\n（本邮件由系统自动发送，请勿直接回复。This message was sent automatically.）"


def notify_applicant(session: Session, policy: RequestPolicy, request: DisclosureRequest, topic: str,
                     lines: list[str], *, key: str | None = None) -> None:
    """Queue a message to the applicant (manual delivery when they gave no e-mail address)."""
    code = format_tracking_code(request.code)
    title = {"received": "已收到您的申请 Request received", "correction": "请补正申请 Please correct your request",
             "extended": "答复期限已延长 Reply period extended", "fee": "信息处理费缴费通知 Fee notice",
             "decided": "申请已办结 Your request has been answered"}[topic]
    body = "\n".join([
        f"{request.applicant_name}：", "",
        *lines, "",
        f"申请编号 Tracking code: {code}",
        f"事项 Subject: {request.subject}",
        f"查询进度 Follow your request: {Links(policy.portal_url).request_status()} （输入申请编号和联系方式 "
        "enter the code and your contact）", "",
        SIGNATURE.format(org=request.organization.name)])
    outbox_enqueue(session=session, dedup_key=f"request:{request.code}:{key or topic}", topic=f"request-{topic}",
                   audience="applicant", recipient=request.email, recipient_name=request.applicant_name,
                   subject=f"{title} [{code}]", body=body, subject_type="disclosure_request",
                   subject_id=request.code, organization_id=request.organization_id)


def notify_received(session: Session, policy: RequestPolicy, request: DisclosureRequest) -> None:
    """The acknowledgement, with the date the reply is due."""
    lines = [f"{request.organization.name}已于 {request.receipt_date} 收到您的申请，将在 {request.due_date} 前答复。",
             f"Received on {request.receipt_date}; the reply is due by {request.due_date} (20 working days)."]
    if request.calendar_warning:
        lines.append(request.calendar_warning)
    notify_applicant(session, policy, request, "received", lines)


def notify_correction(session: Session, policy: RequestPolicy, request: DisclosureRequest, reason: str) -> None:
    """The correction notice: what to correct and by when."""
    notify_applicant(session, policy, request, "correction", [
        f"您的申请需要补正：{reason}",
        f"请于 {request.correction_due} 前提交补正后的申请；逾期未补正的，视为放弃申请。",
        f"Please send the corrected request by {request.correction_due}; without it the request is closed.",
        "答复期限自收到补正后的申请之日起重新计算。The reply period restarts when the correction arrives."])


def notify_extended(session: Session, policy: RequestPolicy, request: DisclosureRequest, days: int,
                    reason: str) -> None:
    """The extension notice with its reason."""
    notify_applicant(session, policy, request, "extended", [
        f"答复期限延长 {days} 个工作日，至 {request.due_date}。理由：{reason}",
        f"The reply period is extended by {days} working days, to {request.due_date}. Reason: {reason}"])


def notify_fee(session: Session, policy: RequestPolicy, request: DisclosureRequest) -> None:
    """The fee notice: basis, amount and the last day to pay."""
    fee = request.fee
    notify_applicant(session, policy, request, "fee", [
        f"根据《政府信息公开信息处理费管理办法》（国办函〔2020〕109号），本申请需缴纳信息处理费 {fee.amount} 元"
        f"（{'按件计收' if fee.basis == 'per-item' else '按量计收'}，{fee.units} {'件' if fee.basis == 'per-item' else '页'}）。",
        f"请于 {fee.payment_due} 前缴纳；逾期未缴纳的，不再处理该申请。缴费期间不计入答复期限。",
        f"A fee of ¥{fee.amount} is due by {fee.payment_due}; unpaid, the request is no longer processed. "
        "The time until payment does not count towards the reply period."])


def notify_decided(session: Session, policy: RequestPolicy, request: DisclosureRequest) -> None:
    """The decision: its outcome row, legal basis and where to read the reply."""
    outcome = OUTCOME_BY_KEY[request.outcome]
    lines = [f"办理结果：{outcome.row}", f"Outcome: {outcome.en}"]
    if request.legal_basis:
        lines.append(f"依据 Legal basis: {request.legal_basis}")
    lines.append("答复全文及附件可在查询页面查看。The full reply and its attachments are on the status page.")
    notify_applicant(session, policy, request, "decided", lines)


def notify_staff(session: Session, request: DisclosureRequest, topic: str, today: date, days_left: int) -> None:
    """Tell the handler (else the organisation's contact) that a reply is due soon or overdue; once a day."""
    handler = session.get(User, request.handler_id) if request.handler_id else None
    recipient = (handler.email if handler and handler.email else None) or (request.organization.contact or {}).get("email")
    code = format_tracking_code(request.code)
    if topic == "overdue":
        subject = f"申请已逾期 Reply overdue [{code}]"
        first = f"该申请的答复期限 {request.due_date} 已过 {-days_left} 个工作日。The reply was due on {request.due_date}."
    else:
        subject = f"申请即将到期 Reply due soon [{code}]"
        first = (f"该申请须在 {request.due_date} 前答复，还剩 {days_left} 个工作日。"
                 f"The reply is due on {request.due_date}: {days_left} working day(s) left.")
    body = "\n".join([first, "", f"申请编号 Tracking code: {code}", f"事项 Subject: {request.subject}",
                      f"承办人 Handler: {handler.username if handler else '未分配 unassigned'}", "",
                      f"opendata requests show {request.code}"])
    outbox_enqueue(session=session, dedup_key=f"request:{request.code}:{topic}:{today.isoformat()}",
                   topic=f"request-{topic}", audience="staff", recipient=recipient,
                   recipient_name=handler.display_name if handler else request.organization.name, subject=subject,
                   body=body, subject_type="disclosure_request", subject_id=request.code,
                   organization_id=request.organization_id)
