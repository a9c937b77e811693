"""The sample catalogue holds together: schemas, source files, codes, disclosure rules, formats.

Checks catalog.yaml as content (the loader has its own tests), and validates every source file
against its Table Schema with frictionless-py, independently of opendata's own validator.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import re
import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
import yaml
from frictionless import Schema
from frictionless.formats import ExcelControl
from frictionless.resources import TableResource

from opendata.core import vocab
from opendata.core.codes import (
    is_luhn_valid,
    is_mobile_number,
    is_valid_id_number,
    is_valid_uscc,
)
from opendata.core.divisions import division_level, is_known_division
from opendata.core.tableschema import load_table_schema

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
CATALOG = yaml.safe_load((ROOT / "catalog.yaml").read_text(encoding="utf-8"))
ORGS = {o["id"]: o for o in CATALOG["organizations"]}
DATASETS = CATALOG["datasets"]
WITH_SOURCE = [d for d in DATASETS if d.get("source")]
LAW = "《中华人民共和国政府信息公开条例》"
LEVEL_RANK = {"province": 0, "city": 1, "county": 2, "township": 3}


def _encoding(path: Path) -> str | None:
    """How the sample file is encoded: utf-8-sig, utf-8 or gbk (None for XLSX)."""
    if path.suffix == ".xlsx":
        return None
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        raw.decode("gbk")
        return "gbk"


def _ids(datasets):
    return [d["id"] for d in datasets]


# -- catalogue ----------------------------------------------------------------------------

def test_enough_organizations_datasets_and_levels():
    assert len(ORGS) >= 8
    assert {o["level"] for o in ORGS.values()} >= {"city", "county"}
    assert len(DATASETS) >= 13


def test_ids_and_catalogue_codes_are_unique():
    for items, key in ((CATALOG["organizations"], "id"), (DATASETS, "id"), (DATASETS, "code")):
        values = [i[key] for i in items]
        assert len(values) == len(set(values)), key


@pytest.mark.parametrize("org", CATALOG["organizations"], ids=lambda o: o["id"])
def test_organization_codes_are_valid(org):
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", org["id"])
    assert is_valid_uscc(org["credit_code"]), org["credit_code"]
    assert org["credit_code"][:2] in ("11", "12")  # 机关 or 事业单位
    assert org["credit_code"][2:8] == org["division_code"][:6]
    assert is_known_division(org["division_code"])
    assert division_level(org["division_code"]) == org["level"]
    assert vocab.lookup("level", org["level"]) is not None


def test_a_credit_code_with_a_wrong_check_character_is_caught():
    code = ORGS["qc-gov"]["credit_code"]
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    assert is_valid_uscc(code) and not is_valid_uscc(wrong)


def test_credit_codes_are_unique():
    codes = [o["credit_code"] for o in ORGS.values()]
    assert len(codes) == len(set(codes))


def test_parents_exist_and_sit_at_the_same_or_a_higher_level():
    roots = [o for o in ORGS.values() if not o.get("parent")]
    assert [o["id"] for o in roots] == [CATALOG["catalog"]["publisher"]]
    for org in ORGS.values():
        if org.get("parent"):
            parent = ORGS[org["parent"]]
            assert LEVEL_RANK[parent["level"]] <= LEVEL_RANK[org["level"]], org["id"]
            assert org["division_code"].startswith(parent["division_code"][:4]), org["id"]


@pytest.mark.parametrize("ds", DATASETS, ids=_ids(DATASETS))
def test_dataset_metadata_is_complete_and_known(ds):
    for key in ("code", "title", "title_en", "description", "publisher", "theme", "keywords",
                "license", "disclosure", "frequency", "spatial", "schema"):
        assert ds.get(key), key
    assert "示例数据" in ds["description"]
    assert ds["publisher"] in ORGS
    assert vocab.lookup("theme", ds["theme"]) is not None
    assert vocab.lookup("frequency", ds["frequency"]) is not None
    assert vocab.lookup("disclosure", ds["disclosure"]) is not None
    assert ds["license"] in vocab.LICENSES
    assert is_known_division(ds["spatial"])
    assert ds.get("contact") or ORGS[ds["publisher"]].get("contact")
    # 信息资源代码: the publisher's organization code (credit code chars 9-17) / sequence
    org_code = ORGS[ds["publisher"]]["credit_code"][8:17]
    assert re.fullmatch(re.escape(org_code) + r"/\d{5}", ds["code"]), ds["code"]
    if ds.get("temporal"):
        assert isinstance(ds["temporal"]["start"], date)
        assert ds["temporal"]["start"] <= ds["temporal"]["end"]


@pytest.mark.parametrize("ds", DATASETS, ids=_ids(DATASETS))
def test_legal_basis_iff_not_unconditional(ds):
    disclosure = vocab.lookup("disclosure", ds["disclosure"]).key
    basis = ds.get("legal_basis")
    if disclosure == "unconditional":
        assert not basis
    else:
        assert basis and LAW in basis
        assert re.search(r"第十[四五六]条", basis), basis


def test_conditional_and_closed_datasets_are_present():
    classes = [vocab.lookup("disclosure", d["disclosure"]).key for d in DATASETS]
    assert classes.count("conditional") >= 2
    assert classes.count("closed") >= 1


@pytest.mark.parametrize("ds", DATASETS, ids=_ids(DATASETS))
def test_schema_file_exists_and_loads(ds):
    schema = load_table_schema(ROOT / "schemas" / ds["schema"])
    for f in schema.fields:
        assert f.title and re.search(r"[\u4e00-\u9fff]", f.title), f.name
        assert f.description and re.search(r"[\u4e00-\u9fff]", f.description), f.name
        if f.pii:  # personal data is masked when published
            assert f.mask is not None, f.name


def test_every_source_file_exists_and_only_the_large_dataset_has_none():
    for ds in WITH_SOURCE:
        assert (ROOT / ds["source"]).is_file(), ds["source"]
    assert [d["id"] for d in DATASETS if not d.get("source")] == ["qc-bus-boardings"]


def test_source_files_come_in_the_formats_departments_send():
    kinds = [(_encoding(ROOT / d["source"]), Path(d["source"]).suffix) for d in WITH_SOURCE]
    assert kinds.count(("gbk", ".csv")) >= 2
    assert kinds.count(("utf-8-sig", ".csv")) >= 1
    assert kinds.count(("utf-8", ".csv")) >= 1
    assert sum(1 for _, suffix in kinds if suffix == ".xlsx") >= 2
    assert sum(1 for _, suffix in kinds if suffix == ".json") >= 1
    total = sum((ROOT / d["source"]).stat().st_size for d in WITH_SOURCE)
    assert total < 3 * 1024 * 1024


# -- source files against their schemas ----------------------------------------------------

def _resource(ds, descriptor) -> TableResource:
    schema = Schema.from_descriptor(descriptor)
    path = ROOT / ds["source"]
    if path.suffix == ".json":
        # inline rows, as frictionless' own JSON parser would give them (without its ijson extra)
        return TableResource(data=json.loads(path.read_text(encoding="utf-8")), schema=schema)
    options = {"path": ds["source"], "basepath": str(ROOT), "schema": schema}
    if path.suffix == ".xlsx":
        options["control"] = ExcelControl(sheet=ds["sheet"])
    elif path.suffix == ".csv":
        options["encoding"] = _encoding(path)
    return TableResource(**options)


def _relaxed(descriptor: dict) -> dict:
    """The schema with x-normalize fields untyped: raw cells like ¥1,234 or 2023年6月18日 are
    only valid after normalization, which _normalized() checks separately ("any", not "string",
    because XLSX numeric cells arrive as numbers)."""
    out = json.loads(json.dumps(descriptor))
    for f in out["fields"]:
        if f.get("x-normalize"):
            f["type"] = "any"
            f["constraints"] = {k: v for k, v in f.get("constraints", {}).items() if k == "required"}
    return out


@pytest.mark.parametrize("ds", WITH_SOURCE, ids=_ids(WITH_SOURCE))
def test_source_validates_against_its_schema_with_frictionless(ds):
    descriptor = json.loads((ROOT / "schemas" / ds["schema"]).read_text(encoding="utf-8"))
    report = _resource(ds, _relaxed(descriptor)).validate()
    errors = report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert report.valid, errors[:10]
    assert report.tasks[0].stats.get("rows", 0) >= 10, report.tasks[0].stats


_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


def _normalized(value: str, field: dict) -> str:
    """The same normalizations opendata applies (docs in opendata/core/normalize.py)."""
    value = value.translate(_FULLWIDTH).strip(" \u3000")
    if field["type"] in ("number", "integer"):
        value = re.sub(r"^[¥￥]|元$", "", value).strip()
        if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d*)?", value):
            value = value.replace(",", "")
    if field["type"] == "date":
        m = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", value)
        if m:
            value = f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"
    return value


NORMALIZED = [d for d in WITH_SOURCE if any(
    f.normalize for f in load_table_schema(ROOT / "schemas" / d["schema"]).fields)]


@pytest.mark.parametrize("ds", NORMALIZED, ids=_ids(NORMALIZED))
def test_messy_cells_are_valid_after_normalization_and_some_need_it(ds):
    descriptor = json.loads((ROOT / "schemas" / ds["schema"]).read_text(encoding="utf-8"))
    fields = [f for f in descriptor["fields"] if f.get("x-normalize")]
    changed = 0
    with _resource(ds, _relaxed(descriptor)) as resource:
        for row in resource.row_stream:
            for f in fields:
                raw = row[f["name"]]
                if raw is None:
                    continue
                value = _normalized(str(raw), f)
                changed += value != str(raw)
                if f["type"] == "date":
                    date.fromisoformat(value)
                else:
                    try:
                        number = Decimal(value)
                    except InvalidOperation:
                        pytest.fail(f"row {row.row_number} {f['name']}: {raw!r} -> {value!r}")
                    assert number >= f.get("constraints", {}).get("minimum", number)
    assert changed >= 5  # the file demonstrates normalization


def _raw_rows(ds) -> list[dict]:
    """Rows of a source file as dicts, read with the standard library (and openpyxl)."""
    path = ROOT / ds["source"]
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True)
        rows = list(wb[ds["sheet"]].iter_rows(values_only=True))
        wb.close()
        return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    return list(csv.DictReader(io.StringIO(path.read_text(encoding=_encoding(path)))))


@pytest.mark.parametrize("ds", WITH_SOURCE, ids=_ids(WITH_SOURCE))
def test_division_and_credit_codes_in_the_data_are_real(ds):
    schema = load_table_schema(ROOT / "schemas" / ds["schema"])
    division = [f.name for f in schema.fields if "区划代码" in (f.title or "") or f.name.endswith("区划代码")]
    credit = [f.name for f in schema.fields if f.name.endswith("统一社会信用代码")]
    for row in _raw_rows(ds):
        for name in division:
            assert is_known_division(str(row[name])), (name, row[name])
        for name in credit:
            assert not row[name] or is_valid_uscc(row[name]), (name, row[name])


# -- personal data is realistic enough for the PII scan ------------------------------------

def _csv_rows(name: str, encoding: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO((ROOT / "datasets" / name).read_text(encoding=encoding))))


def test_penalty_ids_and_phones_are_valid_but_only_for_natural_persons():
    rows = _csv_rows("qc-penalties-2024.csv", "gbk")
    persons = [r for r in rows if r["当事人类型"] == "自然人"]
    assert len(persons) >= 20
    for r in rows:
        if r["当事人类型"] == "自然人":
            assert is_valid_id_number(r["证件号码"]) and is_mobile_number(r["联系电话"])
            assert not r["统一社会信用代码"]
        else:
            assert not r["证件号码"] and not r["联系电话"]
            assert is_valid_uscc(r["统一社会信用代码"])
        assert is_valid_uscc(r["处罚机关统一社会信用代码"])
    authorities = {o["credit_code"] for o in ORGS.values()}
    assert any(r["处罚机关统一社会信用代码"] in authorities for r in rows)


def test_social_assistance_ids_and_hotline_phones_are_valid():
    for r in _csv_rows("qc-social-assistance.csv", "utf-8"):
        assert is_valid_id_number(r["身份证号"])
        assert is_known_division(r["区划代码"])
    tickets = json.loads((ROOT / "datasets" / "qc-hotline-tickets-202406.json").read_text(encoding="utf-8"))
    assert all(is_mobile_number(t["来电号码"]) for t in tickets)


def test_farm_subsidy_cards_pass_luhn():
    from openpyxl import load_workbook

    wb = load_workbook(ROOT / "datasets" / "qc-farm-subsidies-2024.xlsx", read_only=True)
    rows = list(wb.active.iter_rows(min_row=2, values_only=True))
    wb.close()
    assert len(rows) > 500
    assert all(is_luhn_valid(r[4]) for r in rows)


# -- the generator scripts -------------------------------------------------------------------

def _script(name: str):
    sys.path.insert(0, str(SCRIPTS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(SCRIPTS))


def test_make_samples_reproduces_the_committed_files(tmp_path, monkeypatch):
    make_samples = _script("make_samples")
    for module in (make_samples, _script("samplecity"), _script("sample_sensitive"),
                   _script("sample_statistics")):
        monkeypatch.setattr(module, "DATASETS", tmp_path)
    make_samples.main()
    for ds in WITH_SOURCE:
        name = Path(ds["source"]).name
        assert (tmp_path / name).read_bytes() == (ROOT / ds["source"]).read_bytes(), name


def test_large_generator_is_deterministic_and_valid(tmp_path):
    generate_large = _script("generate_large")
    out = tmp_path / "boardings.csv"
    generate_large.main(["--rows", "3000", "--out", str(out)])
    first = out.read_bytes()
    generate_large.main(["--rows", "3000", "--out", str(out)])
    assert out.read_bytes() == first
    assert first.count(b"\n") == 3001
    descriptor = json.loads((ROOT / "schemas" / "qc-bus-boardings.json").read_text(encoding="utf-8"))
    report = TableResource(path=out.name, basepath=str(tmp_path), schema=Schema.from_descriptor(descriptor)).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "note"])[:5]
    stops = {r["站点编号"] for r in json.loads((ROOT / "datasets" / "qc-bus-stops.json").read_text(encoding="utf-8"))}
    assert {line.split(b",")[3].decode() for line in first.splitlines()[1:]} <= stops
