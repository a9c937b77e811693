"""Hostile values for the outward-format tests, and a site whose database holds them.

The input checks refuse these values (tests/test_hostile_input.py), so the site is made as legacy
data would be: a catalogue synced and published through the services, then every stored text
rewritten directly in the database, as a database filled before the checks, or by another tool,
could hold it. The catalogue file the server reads for the catalogue's own metadata is written
raw too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from opendata.core.escaping import xml_text
from opendata.store.db import transaction
from opendata.store.models import Dataset, Organization, TableSchemaRecord, utcnow
from tests.builders import ORGANIZATIONS, ROWS_SCHEMA, make_catalog, publish_rows

# Every kind of character that broke, or could break, a format: C0 and C1 controls, NUL, DEL,
# noncharacters, markup, CDATA, Turtle's triple quotes and backslash, a spreadsheet formula,
# bidirectional overrides, line separators, astral characters, CR LF.
HOSTILE = ("预算\x00\x01\x08\x0b\x0c\x1b[31m\x7f\x85\x9f\ufffe\uffff"
           "</title><script>alert(1)</script>&amp;<![CDATA[x]]>\"'\"\"\"\\ "
           "=HYPERLINK(\"http://evil.example\",\"x\")\u202e\u2028\u2029😀𠀀 行\r\n二")
BAD_EMAIL = "a b@c.d"
BAD_URL = "javascript:alert('x y')<>"
FORMULA_FIELD = '=HYPERLINK("http://evil.example","点我")'
HOSTILE_CELLS = ["=1+1", "@SUM(A1)", "+1", "-1", "\tx", "a\x01b\x1bc\x7f", 'say "hi", then\r\nleave', "普通"]
HOSTILE_ID = "odd id <b>\"&'"
HOSTILE_SLUG = "env <x>\"'"
BAD_LANGUAGE = "中文 zh"

SCHEMA = {"fields": [{"name": "id", "type": "integer", "constraints": {"required": True}},
                     {"name": FORMULA_FIELD, "type": "string"}, {"name": "note", "type": "string"}],
          "primaryKey": ["id"]}


def as_xml(text: str) -> str:
    """What an XML parser returns for ``text`` written by our feeds: controls replaced, line ends LF."""
    return xml_text(text).replace("\r\n", "\n").replace("\r", "\n")


@dataclass
class HostileSite:
    root: Path
    runtime: object
    catalog_file: Path


def build_hostile_site(root: Path, runtime) -> HostileSite:
    """Publish two datasets, then write hostile values into every text the database and catalogue file hold."""
    orgs = [dict(o) for o in ORGANIZATIONS]
    orgs[0]["contact"] = {"name": "办公室", "email": "office@example.gov.cn"}
    make_catalog(runtime, root, organizations=orgs, schemas={"rows.json": ROWS_SCHEMA, "hostile.json": SCHEMA},
                 datasets=[{"id": "hostile", "title": "正常标题", "schema": "hostile.json", "publisher": "finance"},
                           {"id": "plain", "title": "另一个", "publisher": "env"}])
    rows = [{"id": i + 1, FORMULA_FIELD: cell, "note": HOSTILE if i == 0 else cell}
            for i, cell in enumerate(HOSTILE_CELLS)]
    publish_rows(runtime, "hostile", rows)
    publish_rows(runtime, "plain", [{"id": 1, "district": "西湖区", "category": "教育", "amount": 1.5,
                                     "day": "2024-01-02"}])
    with transaction(runtime.sessions) as session:
        for org in session.scalars(select(Organization)):
            org.name, org.name_en = HOSTILE, HOSTILE
            org.contact = {"name": HOSTILE, "email": BAD_EMAIL, "phone": HOSTILE, "address": HOSTILE,
                           "url": BAD_URL}
            if org.slug == "env":
                org.slug = HOSTILE_SLUG
        for ds in session.scalars(select(Dataset)):
            ds.title = ds.title_en = ds.description = ds.spatial = HOSTILE
            ds.keywords = [HOSTILE, "=cmd|' /C calc'!A0", "普通"]
            ds.legal_basis = HOSTILE
            ds.license = 'CC BY "<x>" 4.0'
            ds.contact = {"name": HOSTILE, "email": f"<script>{BAD_EMAIL}", "phone": "\x01", "url": BAD_URL}
            ds.modified_at = utcnow()
            if ds.identifier == "hostile":
                ds.code = HOSTILE
            else:
                ds.identifier, ds.code = HOSTILE_ID, "hello world"
        for rec in session.scalars(select(TableSchemaRecord)):
            rec.descriptor = {**rec.descriptor, "fields": [{**f, "title": HOSTILE, "description": HOSTILE}
                                                           for f in rec.descriptor["fields"]]}
    catalog_file = root / "hostile-catalog.yaml"
    # written raw (YAML escapes for the controls), as a hand-edited file the server reads would be
    catalog_file.write_text(
        'catalog:\n  title: "' + HOSTILE.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"\n'
        f'  description: "x\\u0001y"\n  publisher: city\n  homepage: "https://bad host/<x>"\n'
        f'  language: "{BAD_LANGUAGE}"\n', encoding="utf-8")
    return HostileSite(root, runtime, catalog_file)
