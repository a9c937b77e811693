"""The fixture catalogue of the disclosure matrix: one dataset per state, each with a marker in its data.

Every row of a version carries its marker (in two text columns), so a leak is found by searching
every response body (and every member of every archive, and Parquet decoded to text) for markers
the viewer may not receive. Built once per test module through the real services.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import select

from opendata.app import close_app, create_app
from opendata.services.disclosure import list_disclosure_changes, take_disclosure_step
from opendata.services.grants import grant_create
from opendata.services.publication import publish_version
from opendata.services.review import review_reject, version_withdraw
from opendata.store.db import transaction
from opendata.store.migrate import upgrade_to_head
from opendata.store.models import Version
from tests.accounts_fixtures import bearer, make_token
from tests.builders import ROWS_SCHEMA, generate_rows, ingest_rows, make_catalog
from tests.review_fixtures import OPERATOR, add_users, viewer_of

LEGAL = "LAWREASON《中华人民共和国政府信息公开条例》第十四条"
MARKERS = {
    "m-open": "XOPEN9", "m-open/2": "XNEWDRAFT9", "m-cond": "XCOND9", "m-closed": "XCLOSED9",
    "m-draft": "XDRAFT9", "m-rejected": "XREJECT9", "m-withdrawn": "XWITHDRAWN9", "m-gone": "XGONE9",
    "m-pending": "XPENDING9", "m-approved": "XAPPROVED9", "m-tightened": "XTIGHT9",
}
DATASETS = [
    {"id": "m-open", "title": "开放数据集", "disclosure": "unconditional"},
    {"id": "m-cond", "title": "有条件开放数据集", "disclosure": "conditional"},
    {"id": "m-closed", "title": "不予开放数据集", "disclosure": "closed", "legal_basis": LEGAL},
    {"id": "m-draft", "title": "待审核数据集"},
    {"id": "m-rejected", "title": "已驳回数据集"},
    {"id": "m-withdrawn", "title": "已撤回数据集"},
    {"id": "m-empty", "title": "尚无版本数据集"},  # exists, has nothing: what a hidden thing must look like
    # The disclosure-change path: catalog.yaml loosens m-pending and m-approved (closed → unconditional);
    # m-pending waits at its last review step, m-approved passed it; m-tightened was open, served (caches
    # warm), then closed by catalog.yaml.
    {"id": "m-pending", "title": "待审开放数据集", "disclosure": "closed", "legal_basis": LEGAL},
    {"id": "m-approved", "title": "审定开放数据集", "disclosure": "closed", "legal_basis": LEGAL},
    {"id": "m-tightened", "title": "收紧数据集"},
]
# catalog.yaml after the changes (the second sync).
CHANGED = {"m-pending": {"disclosure": "unconditional", "legal_basis": None},
           "m-approved": {"disclosure": "unconditional", "legal_basis": None},
           "m-tightened": {"disclosure": "closed", "legal_basis": LEGAL}}
# Published, then removed from catalog.yaml: the dataset is withdrawn from the catalogue (administrators only).
GONE = {"id": "m-gone", "title": "已撤销目录数据集"}
IDENTIFIERS = [d["id"] for d in DATASETS if d["id"] != "m-empty"] + [GONE["id"]]
USERS = {
    "admin": ("city", ["administrator"]),
    "citypub": ("city", ["publisher"]),
    "finpub": ("finance", ["publisher"]),
    "finrev": ("finance", ["reviewer"]),
    "finmember": ("finance", []),
    "finrequester": ("finance", ["requester"]),
    "envpub": ("env", ["publisher"]),
    "envrev": ("env", ["reviewer"]),
    "alice": (None, ["requester"]),
    "bob": (None, ["requester"]),
}
# matrix viewer -> (username, token scopes); None is anonymous. The grid: no role, each role of the
# datasets' organization (finance), of its parent (city) and of another organization (env), grants.
VIEWERS = {
    "anonymous": None,
    "administrator": ("admin", ["admin"]),
    "parent-publisher": ("citypub", ["publish"]),
    "own-publisher": ("finpub", ["publish"]),
    "reviewer": ("finrev", ["review"]),
    "member": ("finmember", ["read"]),
    "member-requester": ("finrequester", ["read"]),
    "other-publisher": ("envpub", ["publish"]),
    "other-reviewer": ("envrev", ["review"]),
    "granted": ("alice", ["read"]),
    "expired-grant": ("bob", ["read"]),
}
# The organization's staff: they see unpublished versions, review views and conditional data.
STAFF = {"administrator", "parent-publisher", "own-publisher", "reviewer"}
CONDITIONAL_DATA = STAFF | {"granted"}


def rows_with(marker: str, n: int, seed: int) -> list[dict]:
    return [{**r, "district": marker, "category": f"{marker}-{i}"} for i, r in enumerate(generate_rows(n, seed=seed))]


@dataclass
class Matrix:
    app: object
    runtime: object
    client: object
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    bulk_names: list[str] = field(default_factory=list)
    tus_upload: str = ""  # path of an unfinished resumable upload the own publisher opened
    checksums: dict[str, set[str]] = field(default_factory=dict)  # "dataset/number" -> sha256 of its files
    responses: dict[tuple[str, str], tuple[int, bytes]] = field(default_factory=dict)

    def get(self, viewer: str, path: str) -> tuple[int, bytes]:
        """(status, body) of a GET by a matrix viewer; each (viewer, path) is fetched once per module."""
        key = (viewer, path)
        if key not in self.responses:
            r = self.client.get(path, headers=self.headers[viewer])
            self.responses[key] = (r.status_code, r.get_data())
        return self.responses[key]


def build_matrix(tmp: Path) -> Matrix:
    """The app over a fresh OPENDATA_HOME with DATASETS in their states, USERS, tokens and grants."""
    app = create_app(HOME=str(tmp / "home"), BASE_URL="http://testserver", RATE_LIMIT_ENABLED=False)
    app.config["TESTING"] = True
    rt = app.extensions["opendata"]
    rt.config.home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(rt.config.database_url)
    make_catalog(rt, tmp, datasets=[*DATASETS, GONE], schemas={"rows.json": ROWS_SCHEMA})
    add_users(rt, USERS)
    admin = viewer_of(rt, "admin")
    for identifier, seed, publish in (("m-open", 1, True), ("m-open/2", 2, False), ("m-cond", 3, True),
                                      ("m-closed", 4, True), ("m-draft", 5, False), ("m-rejected", 6, False),
                                      ("m-withdrawn", 7, True), ("m-gone", 8, True), ("m-pending", 9, True),
                                      ("m-approved", 10, True), ("m-tightened", 11, True)):
        outcome = ingest_rows(rt, identifier.split("/")[0], rows_with(MARKERS[identifier], 10 + seed, seed))
        if publish:  # the hooks (search index, bulk archives) run once below, not per version
            with transaction(rt.sessions) as session:
                publish_version(session=session, version_id=outcome.version_id, actor="tests")
    with transaction(rt.sessions) as session:
        review_reject(session=session, viewer=admin, identifier="m-rejected", number=1, reason="口径错误")
    version_withdraw(runtime=rt, viewer=admin, identifier="m-withdrawn", number=1, reason="数据有误")  # rebuilds bulk
    client = app.test_client()
    warm = [f"/api/v1/datasets/m-tightened/{p}" for p in ("download.csv", "versions/1/download.csv",
                                                            "download.parquet", "rows", "versions/1/rows")]
    warm += ["/api/3/action/datastore_search?resource_id=m-tightened-csv", "/datasets/m-tightened/datapackage.json"]
    warm += [f"/bulk/{a['name']}" for a in client.get("/bulk.json").json["archives"]]
    for path in warm:  # served while open: every cache on these paths now holds an answer
        r = client.get(path)
        assert r.status_code == 200, path
        assert path.endswith("datapackage.json") or MARKERS["m-tightened"].encode() in searchable(r.get_data()), path
    # withdraws m-gone, tightens m-tightened at once, holds the loosening of m-pending and m-approved
    make_catalog(rt, tmp, datasets=[{**d, **CHANGED.get(d["id"], {})} for d in DATASETS],
                 schemas={"rows.json": ROWS_SCHEMA})
    changes = {c["dataset"]: c for c in list_disclosure_changes(runtime=rt, viewer=admin)}
    assert sorted(changes) == ["m-approved", "m-pending"]
    for identifier, people in (("m-pending", ("finpub", "finrev")), ("m-approved", ("finpub", "finrev", "admin"))):
        for step, user in zip(("submit", "review", "approve"), people, strict=False):
            take_disclosure_step(runtime=rt, viewer=viewer_of(rt, user), change_id=changes[identifier]["id"], step=step)
    past = datetime.now(UTC) - timedelta(days=30)
    with transaction(rt.sessions) as session:
        grant_create(session=session, actor=OPERATOR, dataset="m-cond", purpose="科研", username="alice",
                     expires_at=datetime.now(UTC) + timedelta(days=30))
        grant_create(session=session, actor=OPERATOR, dataset="m-cond", purpose="科研", username="bob",
                     expires_at=past + timedelta(days=1), now=past)
    matrix = Matrix(app, rt, client)
    for name, spec in VIEWERS.items():
        matrix.headers[name] = {} if spec is None else bearer(make_token(rt, spec[0], scopes=spec[1]))
    matrix.bulk_names = [a["name"] for a in matrix.client.get("/bulk.json").json["archives"]]
    created = matrix.client.post("/api/v1/datasets/m-open/uploads/tus/", headers={
        **matrix.headers["own-publisher"], "Tus-Resumable": "1.0.0", "Upload-Length": "100"})
    assert created.status_code == 201, created.get_data(as_text=True)
    matrix.tus_upload = "/" + created.headers["Location"].split("://", 1)[-1].split("/", 1)[-1]
    with rt.sessions() as session:
        for version in session.scalars(select(Version)):
            key = f"{version.dataset.identifier}/{version.number}"
            matrix.checksums[key] = {a.sha256 for a in version.artifacts} | {version.source_sha256}
    return matrix


def close_matrix(matrix: Matrix) -> None:
    close_app(matrix.app)


def searchable(body: bytes) -> bytes:
    """The bytes to search for markers: archives expanded, Parquet decoded to CSV text."""
    if body[:4] == b"PAR1":
        out = io.BytesIO()
        pacsv.write_csv(pq.read_table(io.BytesIO(body)), out)
        return body + out.getvalue()
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return b"\n".join(name.encode() + b"\n" + searchable(archive.read(name)) for name in archive.namelist())
    return body


def served_versions(viewer: str) -> set[str]:
    """Versions ("dataset/number") whose data the viewer may receive."""
    served = {"m-open/1", "m-approved/1"} | ({"m-cond/1"} if viewer in CONDITIONAL_DATA else set())
    if viewer == "administrator":  # administrators see datasets withdrawn from the catalogue too
        served.add("m-gone/1")
    return served


def entitled(viewer: str, identifier: str) -> bool:
    """True when the viewer may receive the dataset's (latest published) data."""
    return f"{identifier}/1" in served_versions(viewer)


def allowed_markers(viewer: str) -> set[str]:
    """Markers of data the viewer may receive."""
    return {MARKERS[key.split("/")[0]] for key in served_versions(viewer)}


def listed_versions(viewer: str, identifier: str) -> list[int]:
    """Version numbers the viewer sees listed, newest first."""
    published = {"m-open": [1], "m-cond": [1], "m-closed": [1], "m-pending": [1], "m-approved": [1],
                 "m-tightened": [1]}.get(identifier, [])
    if viewer not in STAFF:
        return published
    return {"m-open": [2, 1], "m-draft": [1], "m-rejected": [1], "m-withdrawn": [1],
            "m-gone": [1] if viewer == "administrator" else []}.get(identifier, published)
