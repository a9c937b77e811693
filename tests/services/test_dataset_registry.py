"""The registry service: the disclosure class changes only by its own action, with legal basis and reason."""

from __future__ import annotations

import pytest

from opendata.core.errors import ValidationError
from opendata.services.access import system_viewer
from opendata.services.audit import AuditFilter, audit_list
from opendata.services.registry import dataset_change_disclosure
from opendata.store.db import transaction
from tests.accounts_fixtures import seed_accounts

ADMIN = system_viewer("test-admin")


def test_disclosure_change_needs_a_legal_basis_and_a_reason_and_is_audited(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    with transaction(runtime.sessions) as session:
        with pytest.raises(ValidationError) as missing:
            dataset_change_disclosure(session=session, actor=ADMIN, identifier="budget", disclosure="closed",
                                      legal_basis=None, reason="含个人信息")
        assert missing.value.problems[0].path == "legal_basis"
        with pytest.raises(ValidationError) as no_reason:
            dataset_change_disclosure(session=session, actor=ADMIN, identifier="budget", disclosure="unconditional",
                                      legal_basis=None, reason=" ")
        assert no_reason.value.problems[0].path == "reason"
        ds = dataset_change_disclosure(session=session, actor=ADMIN, identifier="budget", disclosure="不予开放",
                                       legal_basis="《政府信息公开条例》第十四条", reason="含个人信息")
        assert (ds.disclosure, ds.legal_basis) == ("closed", "《政府信息公开条例》第十四条")
    with runtime.sessions() as session:
        (entry,) = audit_list(session=session, actor=ADMIN, filters=AuditFilter(action="dataset-disclosure-changed"))
    assert entry.before == {"disclosure": "unconditional", "legal_basis": None}
    assert entry.after == {"disclosure": "closed", "legal_basis": "《政府信息公开条例》第十四条", "reason": "含个人信息"}
