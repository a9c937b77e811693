"""Decisions: every outcome, the legal basis, the sealed reply and attachments, the access grant."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from opendata.core.errors import ConflictError, NotFoundError, ValidationError
from opendata.core.requests.vocab import AUTOMATIC_OUTCOMES, OUTCOMES
from opendata.services.access import ANONYMOUS
from opendata.services.accounts import user_get, viewer_for_user
from opendata.services.requests.attachments import AttachmentTooLargeError, add_attachment
from opendata.services.requests.decision import decide_request, reply_sha256
from opendata.services.requests.submit import submit_request
from opendata.services.requests.tracking import (
    attachment_by_token,
    attachment_token,
    lookup_request,
)
from opendata.store.accounts import AccessGrant
from opendata.store.requests import DisclosureRequest, RequestReply
from tests.services.requests.conftest import FORM, FRIDAY_MORNING, ID_CARD, staff

NOW = datetime(2025, 10, 9, 2, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
STAFF_OUTCOMES = [o.key for o in OUTCOMES if o.key not in AUTOMATIC_OUTCOMES]


@pytest.fixture
def code(seeded, policy):
    return submit_request(runtime=seeded, policy=policy, viewer=ANONYMOUS, form=dict(FORM), now=FRIDAY_MORNING).code


def _decide(runtime, policy, code, outcome, **kw):
    kw.setdefault("reply", "经查，现答复如下。")
    return decide_request(runtime=runtime, policy=policy, viewer=staff(runtime, "finclerk"), code=code,
                          outcome=outcome, now=NOW, **kw)


@pytest.mark.parametrize("outcome", STAFF_OUTCOMES)
def test_every_staff_outcome_closes_the_request_with_its_row(seeded, policy, code, outcome):
    withholds = outcome == "partial" or outcome.startswith("withheld-")
    if withholds:
        with pytest.raises(ValidationError) as err:
            _decide(seeded, policy, code, outcome)
        assert err.value.problems[0].path == "legal_basis"
    _decide(seeded, policy, code, outcome, legal_basis="《政府信息公开条例》第十五条" if withholds else None)
    view = lookup_request(runtime=seeded, policy=policy, code=code, contact=FORM["email"], now=NOW)
    assert view["state"] == "closed" and view["outcome"] == outcome and view["outcome_row"]
    assert view["reply"]["text"] == "经查，现答复如下。"


@pytest.mark.parametrize("outcome", sorted(AUTOMATIC_OUTCOMES) + ["granted", ""])
def test_outcomes_the_clock_sets_and_unknown_ones_are_refused(seeded, policy, code, outcome):
    with pytest.raises(ValidationError) as err:
        _decide(seeded, policy, code, outcome)
    assert err.value.problems[0].path == "outcome"


def test_a_closed_request_cannot_be_decided_again(seeded, policy, code):
    _decide(seeded, policy, code, "disclosed")
    with pytest.raises(ConflictError) as err:
        _decide(seeded, policy, code, "unavailable-not-held")
    assert "closed" in str(err.value)


def test_the_reply_is_sealed_and_the_database_refuses_to_change_it(seeded, policy, code):
    clerk = staff(seeded, "finclerk")
    attachment = add_attachment(runtime=seeded, policy=policy, viewer=clerk, code=code, filename="答复.pdf",
                                stream=io.BytesIO(PDF))
    _decide(seeded, policy, code, "disclosed", attachment_ids=[attachment.id])
    with seeded.sessions() as session:
        reply = session.scalar(select(RequestReply))
        assert reply.sha256 == reply_sha256("经查，现答复如下。", [attachment])
        with pytest.raises(DatabaseError):
            session.execute(text("UPDATE request_reply SET text = 'changed'"))
        session.rollback()
        with pytest.raises(DatabaseError):
            session.execute(text("DELETE FROM disclosure_request"))


def test_the_applicant_downloads_reply_attachments_by_a_signed_link(seeded, policy, code):
    clerk = staff(seeded, "finclerk")
    draft = add_attachment(runtime=seeded, policy=policy, viewer=clerk, code=code, filename="草稿.pdf",
                           stream=io.BytesIO(PDF + b"draft"))
    final = add_attachment(runtime=seeded, policy=policy, viewer=clerk, code=code, filename="答复.pdf",
                           stream=io.BytesIO(PDF))
    _decide(seeded, policy, code, "disclosed", attachment_ids=[final.id])
    view = lookup_request(runtime=seeded, policy=policy, code=code, contact=FORM["email"], now=NOW)
    [listed] = view["reply"]["attachments"]
    assert listed["id"] == final.id
    found = attachment_by_token(runtime=seeded, policy=policy, token=listed["token"])
    assert seeded.artifacts.path(found.path).read_bytes() == PDF
    with pytest.raises(NotFoundError):  # a draft is never the applicant's, whatever the token says
        attachment_by_token(runtime=seeded, policy=policy, token=attachment_token(policy, 1, draft.id))
    with pytest.raises(NotFoundError):
        attachment_by_token(runtime=seeded, policy=policy, token=listed["token"][:-2] + "xx")


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def test_attachments_of_refused_types_or_too_large_are_refused_naming_the_file(seeded, policy, code):
    clerk = staff(seeded, "finclerk")
    for name, body, problem in (("a.pdf", b"MZ\x90\x00\x00binary", "attachment-type"),
                                ("a.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 20, "attachment-type"),
                                ("empty.pdf", b"", "empty-file")):
        with pytest.raises(ValidationError) as err:
            add_attachment(runtime=seeded, policy=policy, viewer=clerk, code=code, filename=name,
                           stream=io.BytesIO(body))
        assert err.value.problems[0].code == problem
    small = policy.__class__(**{**policy.__dict__, "attachment_max_bytes": 100})
    with pytest.raises(AttachmentTooLargeError) as err:
        add_attachment(runtime=seeded, policy=small, viewer=clerk, code=code, filename="big.pdf",
                       stream=io.BytesIO(PDF + b"0" * 200))
    assert err.value.problems[0].file == "big.pdf"
    docx = add_attachment(runtime=seeded, policy=policy, viewer=clerk, code=code, filename="../../etc/答复.docx",
                          stream=io.BytesIO(_docx()))
    assert docx.filename == "答复.docx" and docx.media_type.endswith("wordprocessingml.document")


def _application(runtime, policy, **extra):
    alice = staff(runtime, "alice")
    form = {**FORM, "dataset": "subsidies", "purpose": "科研", "intended_use": "统计分析", "period_start": "2025-10-01",
            "period_end": "2026-09-30", **extra}
    form.pop("organization")
    return submit_request(runtime=runtime, policy=policy, viewer=alice, form=form, now=FRIDAY_MORNING).code


def test_an_approved_data_access_application_grants_the_applicant_access_for_the_period(seeded, policy):
    code = _application(seeded, policy)
    _decide(seeded, policy, code, "disclosed")
    with seeded.sessions() as session:
        grant = session.scalar(select(AccessGrant))
        assert grant.user.username == "alice" and grant.dataset.identifier == "subsidies"
        assert grant.expires_at.astimezone(policy.timezone).date().isoformat() == "2026-09-30"
        assert session.scalar(select(DisclosureRequest.grant_id)) == grant.id
        alice = viewer_for_user(session=session, user=user_get(session=session, username="alice"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
        assert grant.dataset_id in alice.granted_dataset_ids


def test_a_refused_application_grants_nothing(seeded, policy):
    code = _application(seeded, policy)
    _decide(seeded, policy, code, "withheld-third-party", legal_basis="第十五条")
    with seeded.sessions() as session:
        assert session.scalar(select(AccessGrant)) is None


def test_a_partial_decision_grants_the_columns_it_does_not_withhold(seeded, policy):
    code = _application(seeded, policy)
    columns = {"masked": ["name"], "dropped": ["amount"]}
    with pytest.raises(ValidationError) as err:
        _decide(seeded, policy, code, "partial", legal_basis="第十五条", withheld_columns={"dropped": ["nosuch"]})
    assert err.value.problems[0].code == "unknown-column"
    _decide(seeded, policy, code, "partial", legal_basis="第十五条", withheld_columns=columns)
    view = lookup_request(runtime=seeded, policy=policy, code=code, contact=FORM["email"], now=NOW)
    assert view["withheld_columns"] == columns
    with seeded.sessions() as session:
        grant = session.scalar(select(AccessGrant))
        assert grant.user.username == "alice" and sorted(grant.withheld_columns) == ["amount", "name"]
        alice = viewer_for_user(session=session, user=user_get(session=session, username="alice"),
                                now=datetime(2026, 1, 1, tzinfo=UTC))
        assert grant.dataset_id not in alice.granted_dataset_ids  # no file holds only the other columns
        assert alice.withheld_columns(grant.dataset_id) == {"amount", "name"}


def test_a_grant_cannot_withhold_the_primary_key_so_that_decision_delivers_an_extract(seeded, policy):
    code = _application(seeded, policy)
    with pytest.raises(ValidationError) as err:
        _decide(seeded, policy, code, "partial", legal_basis="第十五条", withheld_columns={"dropped": ["id"]})
    assert err.value.problems[0].path == "attachment_ids" and "'id' is the primary key" in err.value.message
    extract = add_attachment(runtime=seeded, policy=policy, viewer=staff(seeded, "finclerk"), code=code,
                             filename="extract.csv", stream=io.BytesIO(b"name\n1\n"))
    _decide(seeded, policy, code, "partial", legal_basis="第十五条", withheld_columns={"dropped": ["id"]},
            attachment_ids=[extract.id])
    with seeded.sessions() as session:
        assert session.scalar(select(AccessGrant)) is None


def test_a_partial_decision_without_withheld_columns_grants_access(seeded, policy):
    code = _application(seeded, policy)
    _decide(seeded, policy, code, "partial", legal_basis="部分期间不予提供")
    with seeded.sessions() as session:
        assert session.scalar(select(AccessGrant)) is not None


def test_an_unknown_code_and_a_wrong_contact_get_the_same_answer(seeded, policy, code):
    answers = []
    for c, contact in ((code, "someone@else.cn"), ("ABCDEFGHJKMNPQRS", FORM["email"]), ("nonsense", "x"),
                       (code, "")):
        with pytest.raises(NotFoundError) as err:
            lookup_request(runtime=seeded, policy=policy, code=c, contact=contact)
        answers.append(str(err.value))
    assert len(set(answers)) == 1
    view = lookup_request(runtime=seeded, policy=policy, code=code.lower(), contact=" Li.Ming@Example.cn", now=NOW)
    assert ID_CARD not in repr(view) and view["code"] == code
