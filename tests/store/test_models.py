"""The database refuses what the domain forbids, even when a caller skips the services."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from opendata.store.db import transaction
from opendata.store.models import Dataset, Organization, TableSchemaRecord, Version


@pytest.fixture
def org_and_schema(runtime):
    with transaction(runtime.sessions) as s:
        org = Organization(slug="o", name="示例局", level="city", division_code="330100")
        schema = TableSchemaRecord(name="s.json", descriptor={"fields": []}, sha256="0" * 64)
        s.add_all([org, schema])
    return org.id, schema.id


def _dataset(org_id, schema_id, **overrides):
    values = dict(identifier="d", code="C-1", title="数据", organization_id=org_id, theme="fiscal",
                  license="CC-BY-4.0", disclosure="unconditional", frequency="annual", schema_id=schema_id)
    values.update(overrides)
    return Dataset(**values)


def _insert(runtime, obj):
    with transaction(runtime.sessions) as s:
        s.add(obj)


def test_dataset_defaults(runtime, org_and_schema):
    _insert(runtime, _dataset(*org_and_schema))
    with runtime.sessions() as s:
        ds = s.query(Dataset).one()
        assert ds.state == "active" and ds.keywords == [] and ds.created_at.tzinfo is not None


@pytest.mark.parametrize("overrides", [
    {"disclosure": "secret"},
    {"disclosure": "conditional"},  # no legal basis
    {"disclosure": "closed", "legal_basis": None},
    {"theme": "weather"},
    {"frequency": "hourly"},
    {"state": "deleted"},
])
def test_dataset_constraints(runtime, org_and_schema, overrides):
    with pytest.raises(IntegrityError):
        _insert(runtime, _dataset(*org_and_schema, **overrides))


def test_conditional_dataset_with_legal_basis_is_accepted(runtime, org_and_schema):
    _insert(runtime, _dataset(*org_and_schema, disclosure="conditional", legal_basis="第十五条"))


def test_organization_level_is_checked(runtime):
    with pytest.raises(IntegrityError):
        _insert(runtime, Organization(slug="x", name="x", level="planet", division_code="330100"))


def test_version_numbers_and_sources_are_unique_per_dataset(runtime, org_and_schema):
    _insert(runtime, _dataset(*org_and_schema))
    with runtime.sessions() as s:
        ds_id = s.query(Dataset.id).scalar()

    def version(number, sha):
        return Version(dataset_id=ds_id, number=number, source_filename="f.csv", source_bytes=1,
                       source_sha256=sha, schema_sha256="0" * 64, created_by="t")

    _insert(runtime, version(1, "a" * 64))
    with pytest.raises(IntegrityError):
        _insert(runtime, version(1, "b" * 64))
    with pytest.raises(IntegrityError):
        _insert(runtime, version(2, "a" * 64))
    with pytest.raises(IntegrityError):
        lost = version(3, "c" * 64)
        lost.state = "lost"
        _insert(runtime, lost)


def test_organization_with_datasets_cannot_be_deleted(runtime, org_and_schema):
    _insert(runtime, _dataset(*org_and_schema))
    with pytest.raises(IntegrityError), transaction(runtime.sessions) as s:
        s.delete(s.get(Organization, org_and_schema[0]))
