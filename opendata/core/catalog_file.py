"""Read and check catalog.yaml: organizations and datasets, every problem with its line.

Pure domain code: produces a :class:`CatalogSpec` or raises :class:`CatalogError` listing all
problems; the services layer writes the spec to the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from opendata.core import cataloguerules, textcheck, vocab
from opendata.core.catalog_organizations import SLUG, OrganizationChecks, OrganizationSpec
from opendata.core.disclosure import legal_basis_problems
from opendata.core.errors import CatalogError, Problem, SchemaError
from opendata.core.tableschema import TableSchema, load_table_schema
from opendata.core.yamlmarks import LineDict, load_yaml_with_lines

_CATALOG_KEYS = {"title", "title_en", "description", "description_en", "publisher", "homepage", "language"}
_DATASET_KEYS = {"id", "code", "title", "title_en", "description", "description_en", "publisher", "theme", "keywords",
                 "license", "disclosure", "legal_basis", "frequency", "temporal", "spatial",
                 "contact", "schema", "source", "sheet"}
_DATASET_REQUIRED = {"id", "code", "title", "publisher", "theme", "license", "disclosure",
                     "frequency", "schema"}
_CONTACT_KEYS = {"name", "phone", "email", "address", "url"}
_MULTILINE_KEYS = {"description", "description_en", "legal_basis"}  # every other text is one line


@dataclass(frozen=True)
class DatasetSpec:
    identifier: str
    code: str
    title: str
    publisher: str
    theme: str
    license: str
    disclosure: str
    frequency: str
    schema_name: str
    title_en: str | None = None
    description: str = ""
    description_en: str | None = None  # shown to readers who chose English; the Chinese one otherwise
    keywords: tuple[str, ...] = ()
    legal_basis: str | None = None
    temporal_start: date | None = None
    temporal_end: date | None = None
    spatial: str | None = None
    contact: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    sheet: str | None = None
    line: int = 0


@dataclass
class CatalogSpec:
    """A checked catalogue: what `opendata sync` writes."""

    info: dict[str, Any]
    organizations: list[OrganizationSpec]
    datasets: list[DatasetSpec]
    schemas: dict[str, TableSchema]  # schema file name -> loaded schema
    schema_texts: dict[str, bytes]
    warnings: list[Problem]
    base_dir: Path
    sha256: str = ""  # of the file's bytes: the source recorded with every change a sync makes
    file_name: str = "catalog.yaml"

    @property
    def source(self) -> str:
        """What the audit log names as the origin of a sync's changes: ``<file>@sha256:<hex>``."""
        return f"{self.file_name}@sha256:{self.sha256}"


def load_catalog(path: str | Path, *, schemas_dir: str | Path, check_sources: bool = False) -> CatalogSpec:
    """Load catalog.yaml and its schemas; raise CatalogError listing every problem with its line."""
    path = Path(path)
    fname = str(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise CatalogError(f"{fname}: file not found") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{fname}: not UTF-8 (byte {exc.start})") from None
    try:
        doc = load_yaml_with_lines(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = Problem("yaml-error", str(getattr(exc, "problem", None) or exc), file=fname, line=line)
        raise CatalogError(f"{fname}: invalid YAML", problems=[problem]) from None
    checker = _Checker(fname, Path(schemas_dir), path.parent.resolve(), check_sources)
    spec = checker.check(doc)
    if checker.problems:
        raise CatalogError(f"{fname}: {len(checker.problems)} problem(s); nothing was written",
                           problems=checker.problems)
    spec.sha256, spec.file_name = hashlib.sha256(raw).hexdigest(), path.name
    return spec


class _Checker(OrganizationChecks):
    """Checks a parsed catalogue; collects every problem with its line instead of stopping."""

    def __init__(self, fname: str, schemas_dir: Path, base_dir: Path, check_sources: bool):
        self.fname = fname
        self.schemas_dir = schemas_dir
        self.base_dir = base_dir
        self.check_sources = check_sources
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.bad_schemas: set[str] = set()

    def error(self, message: str, line: int | None, path: str | None = None, code: str = "catalog-error") -> None:
        self.problems.append(Problem(code, message, file=self.fname, line=line, path=path))

    def warn(self, message: str, line: int | None, path: str | None = None, code: str = "catalog-warning") -> None:
        self.warnings.append(Problem(code, message, file=self.fname, line=line, path=path))

    def check(self, doc: Any) -> CatalogSpec:
        if not isinstance(doc, LineDict):
            self.error("the catalogue must be a mapping with 'organizations' and 'datasets'", 1)
            return CatalogSpec({}, [], [], {}, {}, self.warnings, self.base_dir)
        self._unknown_keys(doc, {"catalog", "organizations", "datasets"}, "")
        info = doc.get("catalog") or {}
        if not isinstance(info, dict):
            self.error("'catalog' must be a mapping", doc.line_of("catalog"), "catalog")
            info = {}
        elif isinstance(info, LineDict):
            self._unknown_keys(info, _CATALOG_KEYS, "catalog")
            info = self._catalog_info(info)
        orgs = self._organizations(doc.get("organizations"), doc.line_of("organizations"))
        org_slugs = {o.slug: o.publisher_codes for o in orgs}
        if info.get("publisher") and info["publisher"] not in org_slugs:
            self.error(f"catalog publisher '{info['publisher']}' is not an organization id",
                       info.line_of("publisher") if isinstance(info, LineDict) else None, "catalog/publisher")
        schemas: dict[str, TableSchema] = {}
        texts: dict[str, bytes] = {}
        datasets = self._datasets(doc.get("datasets"), doc.line_of("datasets"), org_slugs, schemas, texts)
        self._registry(schemas, texts)
        return CatalogSpec(dict(info), orgs, datasets, schemas, texts, self.warnings, self.base_dir)

    def _catalog_info(self, info: LineDict) -> LineDict:
        """The catalogue's own metadata, each value checked like any other (homepage a URL, language a tag)."""
        out = LineDict()
        out.line, out.key_lines = info.line, info.key_lines
        for key in _CATALOG_KEYS & set(info):
            value = self._text(info, key, "catalog", required=False)
            check = {"homepage": textcheck.url_problem, "language": textcheck.language_problem}.get(key)
            if value is not None and check is not None and (problem := check(value)) is not None:
                self.error(f"{key} '{value}' {problem}", info.line_of(key), f"catalog/{key}")
            elif value is not None:
                out[key] = value
        return out

    # -- helpers ---------------------------------------------------------------------------
    def _unknown_keys(self, node: LineDict, allowed: set[str], at: str) -> None:
        for key in node:
            if key not in allowed:
                self.error(f"unknown key '{textcheck.shown(str(key))}' (allowed: {', '.join(sorted(allowed))})",
                           node.line_of(str(key)), f"{at}/{textcheck.shown(str(key))}".lstrip("/"))

    def _text(self, node: LineDict, key: str, at: str, *, required: bool) -> str | None:
        value = node.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(f"'{key}' is required", node.line_of(key) if key in node else node.line, f"{at}/{key}")
            return None
        if isinstance(value, (bool, list, dict)):
            self.error(f"'{key}' must be text", node.line_of(key), f"{at}/{key}")
            return None
        text = str(value).strip()
        if (problem := textcheck.text_problem(text, multiline=key in _MULTILINE_KEYS)) is not None:
            self.error(f"'{key}' {problem}", node.line_of(key), f"{at}/{key}")
            return None
        return text

    def _contact(self, node: LineDict, at: str) -> dict[str, str]:
        contact = node.get("contact")
        if contact is None:
            return {}
        if not isinstance(contact, LineDict):
            self.error("'contact' must be a mapping", node.line_of("contact"), f"{at}/contact")
            return {}
        self._unknown_keys(contact, _CONTACT_KEYS, f"{at}/contact")
        out = {}
        for key in _CONTACT_KEYS & set(contact):
            value = self._text(contact, key, f"{at}/contact", required=False)
            check = {"email": textcheck.email_problem, "url": textcheck.url_problem}.get(key)
            if value is not None and check is not None and (problem := check(value)) is not None:
                self.error(f"contact {key} '{value}' {problem}", contact.line_of(key), f"{at}/contact/{key}")
            elif value is not None:
                out[key] = value
        return {k: out[k] for k in contact if k in out}  # in the file's order

    def _items(self, value: Any, line: int, name: str) -> list[tuple[int, LineDict]]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(f"'{name}' must be a list", line, name)
            return []
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, LineDict):
                self.error(f"each entry of '{name}' must be a mapping", line, f"{name}/{i}")
                continue
            out.append((i, item))
        return out

    # -- datasets --------------------------------------------------------------------------
    def _datasets(self, value: Any, line: int, org_slugs: Mapping[str, Sequence[str]],
                  schemas: dict[str, TableSchema], texts: dict[str, bytes]) -> list[DatasetSpec]:
        """Check dataset entries; ``org_slugs`` maps each organization id to its publisher codes."""
        out: list[DatasetSpec] = []
        ids: dict[str, int] = {}
        dcodes: dict[str, int] = {}
        for i, node in self._items(value, line, "datasets"):
            at = f"datasets/{i}"
            self._unknown_keys(node, _DATASET_KEYS, at)
            v = {k: self._text(node, k, at, required=k in _DATASET_REQUIRED)
                 for k in ("id", "code", "title", "title_en", "description", "description_en", "publisher", "theme",
                           "license",
                           "disclosure", "legal_basis", "frequency", "spatial", "schema", "source", "sheet")}
            ok = all(v[k] is not None for k in _DATASET_REQUIRED)
            ident = v["id"]
            if ident is not None:
                if not SLUG.fullmatch(ident):
                    self.error(f"dataset id '{ident}' must be lowercase letters, digits and hyphens",
                               node.line_of("id"), f"{at}/id")
                if ident in ids:
                    self.error(f"duplicate dataset id '{ident}' (first on line {ids[ident]})", node.line_of("id"), f"{at}/id")
                    ok = False
                ids.setdefault(ident, node.line_of("id"))
            if v["code"] is not None:
                publisher = v["publisher"] if v["publisher"] in org_slugs else None
                if problem := cataloguerules.catalogue_code_problem(
                        v["code"], publisher=publisher, prefixes=org_slugs.get(publisher, ()) if publisher else ()):
                    self.error(problem, node.line_of("code"), f"{at}/code")
                    ok = False
                if v["code"] in dcodes:
                    self.error(f"duplicate catalogue code '{v['code']}' (first on line {dcodes[v['code']]})",
                               node.line_of("code"), f"{at}/code")
                dcodes.setdefault(v["code"], node.line_of("code"))
            if v["publisher"] is not None and v["publisher"] not in org_slugs:
                self.error(f"publisher '{v['publisher']}' is not an organization id", node.line_of("publisher"), f"{at}/publisher")
                ok = False
            terms = {}
            for key, vocabulary in (("theme", "theme"), ("disclosure", "disclosure"), ("frequency", "frequency")):
                if v[key] is None:
                    continue
                term = vocab.lookup(vocabulary, v[key])
                if term is None:
                    self.error(f"unknown {key} '{v[key]}' (one of {', '.join(vocab.keys(vocabulary))})",
                               node.line_of(key), f"{at}/{key}")
                    ok = False
                else:
                    terms[key] = term.key
            if v["license"] is not None and v["license"] not in vocab.LICENSES:
                self.error(f"unknown license '{v['license']}' (one of {', '.join(vocab.LICENSES)})",
                           node.line_of("license"), f"{at}/license")
                ok = False
            if "disclosure" in terms:  # the rules of opendata.core.disclosure, as for the API
                for p in legal_basis_problems(terms["disclosure"], v["legal_basis"], path=f"{at}/legal_basis"):
                    line = node.line_of("legal_basis") if "legal_basis" in node else node.line_of("disclosure")
                    self.error(p.message, line, p.path)
                    ok = False
            keywords = self._keywords(node, at)
            contact = self._contact(node, at)
            start, end = self._temporal(node, at)
            if v["schema"] is not None and not self._schema(v["schema"], node, at, schemas, texts):
                ok = False
            if self.check_sources and v["source"] is not None and not (self.base_dir / v["source"]).is_file():
                self.error(f"source file '{v['source']}' does not exist", node.line_of("source"), f"{at}/source")
                ok = False
            if not ok:
                continue
            out.append(DatasetSpec(
                identifier=ident, code=v["code"], title=v["title"], publisher=v["publisher"],
                theme=terms["theme"], license=v["license"], disclosure=terms["disclosure"],
                frequency=terms["frequency"], schema_name=v["schema"], title_en=v["title_en"],
                description=v["description"] or "", description_en=v["description_en"], keywords=keywords,
                legal_basis=v["legal_basis"],
                temporal_start=start, temporal_end=end, spatial=v["spatial"],
                contact=contact, source=v["source"], sheet=v["sheet"], line=node.line))
        return out

    def _keywords(self, node: LineDict, at: str) -> tuple[str, ...]:
        kw = node.get("keywords")
        if kw is None:
            return ()
        if not isinstance(kw, list) or not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in kw):
            self.error("'keywords' must be a list of words", node.line_of("keywords"), f"{at}/keywords")
            return ()
        for i, k in enumerate(kw):
            if (problem := textcheck.text_problem(str(k))) is not None:
                self.error(f"keyword {i + 1} {problem}", node.line_of("keywords"), f"{at}/keywords/{i}")
                return ()
        return tuple(dict.fromkeys(str(k).strip() for k in kw if str(k).strip()))

    def _temporal(self, node: LineDict, at: str) -> tuple[date | None, date | None]:
        t = node.get("temporal")
        if t is None:
            return None, None
        if not isinstance(t, LineDict):
            self.error("'temporal' must be a mapping with start and end", node.line_of("temporal"), f"{at}/temporal")
            return None, None
        self._unknown_keys(t, {"start", "end"}, f"{at}/temporal")
        out = []
        for key in ("start", "end"):
            value = t.get(key)
            if value is None or isinstance(value, date):
                out.append(value)
                continue
            try:
                out.append(date.fromisoformat(str(value)))
            except ValueError:
                self.error(f"temporal {key} '{value}' is not a date (YYYY-MM-DD)", t.line_of(key), f"{at}/temporal/{key}")
                out.append(None)
        if out[0] and out[1] and out[0] > out[1]:
            self.error("temporal start is after its end", t.line, f"{at}/temporal")
        return out[0], out[1]

    def _registry(self, schemas: dict[str, TableSchema], texts: dict[str, bytes]) -> None:
        """Every file in schemas/ is a Table Schema, whether or not a dataset names it yet."""
        if not self.schemas_dir.is_dir():
            self.error(f"schemas folder {self.schemas_dir}/ does not exist", None, "schemas")
            return
        for path in sorted(self.schemas_dir.glob("*.json")):
            if path.name in schemas or path.name in self.bad_schemas:
                continue
            try:
                schemas[path.name] = load_table_schema(path, name=f"{self.schemas_dir.name}/{path.name}", incoming=True)
                texts[path.name] = path.read_bytes()
            except SchemaError as exc:
                self.problems.extend(exc.problems or [Problem("schema-error", exc.message, file=str(path))])

    def _schema(self, name: str, node: LineDict, at: str, schemas: dict[str, TableSchema],
                texts: dict[str, bytes]) -> bool:
        if name in schemas:
            return True
        if name in self.bad_schemas:
            self.error(f"schema '{name}' is invalid (see above)", node.line_of("schema"), f"{at}/schema",
                       code="schema-error")
            return False
        path = self.schemas_dir / name
        if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
            self.error(f"schema '{name}' does not exist in {self.schemas_dir}/", node.line_of("schema"), f"{at}/schema")
            return False
        try:
            schemas[name] = load_table_schema(path, name=f"{self.schemas_dir.name}/{name}", incoming=True)
            texts[name] = path.read_bytes()
        except SchemaError as exc:
            self.bad_schemas.add(name)
            for p in exc.problems or [Problem("schema-error", exc.message)]:
                self.error(f"schema '{name}' is invalid: {p}", node.line_of("schema"), f"{at}/schema",
                           code="schema-error")
            return False
        return True
