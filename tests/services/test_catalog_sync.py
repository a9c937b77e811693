"""catalogue sync: creates, updates, is idempotent, withdraws instead of deleting."""

from __future__ import annotations

from sqlalchemy import select

from opendata.core.catalog_file import load_catalog
from opendata.services.catalog_sync import sync_catalog
from opendata.store.db import transaction
from opendata.store.models import Dataset, Organization, TableSchemaRecord, Version
from tests.conftest import BASIC_CATALOG, SIMPLE_SCHEMA, write_catalog


def _sync(runtime, root, body, schemas=None):
    spec = load_catalog(write_catalog(root, body, schemas), schemas_dir=root / "schemas")
    with transaction(runtime.sessions) as session:
        return sync_catalog(session=session, spec=spec)


def test_first_sync_creates_everything(runtime, tmp_path):
    result = _sync(runtime, tmp_path, BASIC_CATALOG)
    assert result.changes == [
        "created schema simple.json",
        "created organization city (示例市人民政府)",
        "created organization finance (示例市财政局)",
        "created dataset budget (示例市财政预算)",
        "created dataset subsidies (补贴发放明细)",
    ]
    with runtime.sessions() as s:
        finance = s.scalar(select(Organization).where(Organization.slug == "finance"))
        assert finance.parent.slug == "city"
        ds = s.scalar(select(Dataset).where(Dataset.identifier == "subsidies"))
        assert (ds.disclosure, ds.theme, ds.frequency) == ("conditional", "agricultural-subsidies", "annual")
        assert ds.table_schema.descriptor == SIMPLE_SCHEMA


def test_second_sync_changes_nothing(runtime, tmp_path):
    _sync(runtime, tmp_path, BASIC_CATALOG)
    with runtime.sessions() as s:
        before = [(d.identifier, d.modified_at) for d in s.scalars(select(Dataset))]
    result = _sync(runtime, tmp_path, BASIC_CATALOG)
    assert result.changes == [] and not result.changed
    with runtime.sessions() as s:
        assert [(d.identifier, d.modified_at) for d in s.scalars(select(Dataset))] == before


def test_changed_fields_are_named(runtime, tmp_path):
    _sync(runtime, tmp_path, BASIC_CATALOG)
    body = BASIC_CATALOG.replace("title: 示例市财政预算", "title: 示例市财政预算（修订）").replace(
        "keywords: [预算, 财政]", "keywords: [预算]")
    result = _sync(runtime, tmp_path, body)
    assert result.changes == ["updated dataset budget: title, keywords"]


def test_schema_change_is_reported(runtime, tmp_path):
    _sync(runtime, tmp_path, BASIC_CATALOG)
    schema = {**SIMPLE_SCHEMA, "fields": [*SIMPLE_SCHEMA["fields"], {"name": "note", "type": "string"}]}
    result = _sync(runtime, tmp_path, BASIC_CATALOG, {"simple.json": schema})
    assert result.changes == ["updated schema simple.json"]


def test_removed_dataset_is_withdrawn_with_its_versions_kept(runtime, tmp_path):
    _sync(runtime, tmp_path, BASIC_CATALOG)
    with transaction(runtime.sessions) as s:
        ds = s.scalar(select(Dataset).where(Dataset.identifier == "subsidies"))
        s.add(Version(dataset_id=ds.id, number=1, source_filename="x.csv", source_bytes=1,
                      source_sha256="0" * 64, schema_sha256="0" * 64, created_by="test"))
    body = BASIC_CATALOG.split("  - id: subsidies")[0]
    result = _sync(runtime, tmp_path, body)
    assert result.changes == ["withdrew dataset subsidies (no longer in the catalogue)"]
    assert any("subsidies" in w and "1 version(s) kept" in w for w in result.warnings)
    with runtime.sessions() as s:
        ds = s.scalar(select(Dataset).where(Dataset.identifier == "subsidies"))
        assert ds.state == "withdrawn" and len(ds.versions) == 1
    assert _sync(runtime, tmp_path, body).changes == []  # withdrawing is reported once
    assert _sync(runtime, tmp_path, BASIC_CATALOG).changes == ["restored dataset subsidies (listed again)"]


def test_failed_sync_writes_nothing(runtime, tmp_path):
    _sync(runtime, tmp_path, BASIC_CATALOG)
    # The catalogue checks out, but the database refuses a row half-way (a credit code already
    # used by another organization): the whole transaction is rolled back.
    from tests.conftest import CITY_CODE, FIN_CODE

    body = (BASIC_CATALOG.replace("title: 示例市财政预算", "title: 新标题")
            .replace(FIN_CODE, "PLACEHOLDER").replace(CITY_CODE, FIN_CODE).replace("PLACEHOLDER", CITY_CODE))
    import pytest
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        _sync(runtime, tmp_path, body)
    with runtime.sessions() as s:
        assert s.scalar(select(Dataset.title).where(Dataset.identifier == "budget")) == "示例市财政预算"
        assert s.scalar(select(Organization.credit_code).where(Organization.slug == "city")) == CITY_CODE
        assert len(s.scalars(select(TableSchemaRecord)).all()) == 1


def test_the_catalogue_metadata_is_read_from_the_database_not_from_the_file(runtime, tmp_path):
    from opendata.services.published.entries import load_catalog_info

    _sync(runtime, tmp_path, BASIC_CATALOG)
    (tmp_path / "catalog.yaml").unlink()  # the server's working directory need not hold catalog.yaml
    with runtime.sessions() as s:
        info = load_catalog_info(runtime.config, s)
        assert (info.title, info.publisher.slug) == ("示例市公共数据开放平台", "city")
    changed = BASIC_CATALOG.replace("示例市公共数据开放平台", "示例市数据目录")
    assert _sync(runtime, tmp_path, changed).changes == ["updated the catalogue's metadata"]
    with runtime.sessions() as s:
        assert load_catalog_info(runtime.config, s).title == "示例市数据目录"
