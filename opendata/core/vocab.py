"""Controlled vocabularies: disclosure classes, themes, update frequencies, administrative levels.

One internal value each; the Chinese (and English) names are for display. Where a standard
vocabulary exists (EU publications office authority tables for DCAT-AP), its code is kept here.
"""

from __future__ import annotations

from dataclasses import dataclass

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"


@dataclass(frozen=True)
class Term:
    """One term of a controlled vocabulary."""

    key: str
    zh: str
    en: str
    eu: str | None = None  # code in the matching EU authority table, if any
    aliases: tuple[str, ...] = ()


def _index(terms: tuple[Term, ...]) -> dict[str, Term]:
    out: dict[str, Term] = {}
    for t in terms:
        for name in (t.key, t.zh, *t.aliases):
            out[name] = t
    return out


# 开放属性: stored as the key; 无条件开放/有条件开放/不予开放 on open-data platforms,
# 主动公开/依申请公开/不予公开 in the disclosure regulations.
DISCLOSURE_CLASSES = (
    Term("unconditional", "无条件开放", "Open without conditions", "PUBLIC", ("主动公开",)),
    Term("conditional", "有条件开放", "Open on conditions", "RESTRICTED",
         ("依申请公开", "受限开放", "依申请开放")),
    Term("closed", "不予开放", "Not open", "NON_PUBLIC", ("不予公开", "非开放", "禁止开放")),
)
DISCLOSURE_LAW_NAMES = {"unconditional": "主动公开", "conditional": "依申请公开", "closed": "不予公开"}

# Themes: the priority domains named by the open-government work plans; eu = EU data-theme.
THEMES = (
    Term("urban-governance", "城市治理", "Urban governance", "GOVE"),
    Term("livelihood", "民生保障", "Livelihood security", "SOCI"),
    Term("public-services", "公共服务", "Public services", "GOVE"),
    Term("market-regulation", "市场监管", "Market regulation", "ECON"),
    Term("fiscal", "财政预决算", "Budgets and final accounts", "GOVE", ("三公经费",)),
    Term("government-debt", "政府债务", "Government debt", "ECON"),
    Term("public-resource-trading", "公共资源交易", "Public resource trading", "ECON", ("政府采购",)),
    Term("land-acquisition", "征地", "Land acquisition", "REGI"),
    Term("education-enrolment", "义务教育招生", "Compulsory education enrolment", "EDUC"),
    Term("health", "医疗卫生", "Health", "HEAL"),
    Term("environment", "生态环境", "Ecology and environment", "ENVI"),
    Term("employment", "就业", "Employment", "SOCI"),
    Term("social-assistance", "社会救助", "Social assistance", "SOCI"),
    Term("agricultural-subsidies", "涉农补贴", "Agricultural subsidies", "AGRI"),
    Term("administrative-licensing", "行政许可", "Administrative licensing", "JUST"),
    Term("administrative-penalties", "行政处罚", "Administrative penalties", "JUST", ("双随机一公开",)),
    Term("hotline-12345", "12345热线", "12345 hotline", "GOVE", ("12345 热线",)),
    Term("transport", "交通出行", "Transport", "TRAN"),
)

# 更新周期; max_age_days says when a dataset is overdue (栏目不逾期). eu = EU frequency code.
@dataclass(frozen=True)
class Frequency(Term):
    max_age_days: int | None = None


FREQUENCIES = (
    Frequency("realtime", "实时", "Real time", "UPDATE_CONT", max_age_days=1),
    Frequency("daily", "每日", "Daily", "DAILY", max_age_days=2),
    Frequency("weekly", "每周", "Weekly", "WEEKLY", max_age_days=8),
    Frequency("monthly", "每月", "Monthly", "MONTHLY", max_age_days=32),
    Frequency("quarterly", "每季度", "Quarterly", "QUARTERLY", max_age_days=93),
    Frequency("semiannual", "每半年", "Semi-annual", "ANNUAL_2", max_age_days=184),
    Frequency("annual", "每年", "Annual", "ANNUAL", max_age_days=366),
    Frequency("irregular", "不定期", "Irregular", "IRREG", max_age_days=None),
)

ADMIN_LEVELS = (
    Term("province", "省", "Province"),
    Term("city", "市", "City"),
    Term("county", "县", "County"),
    Term("township", "乡", "Township"),
)

LICENSES = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "ODC-BY-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "PDDL-1.0": "https://opendatacommons.org/licenses/pddl/1-0/",
}

_DISCLOSURE = _index(DISCLOSURE_CLASSES)
_THEMES = _index(THEMES)
_FREQUENCIES = _index(FREQUENCIES)
_LEVELS = _index(ADMIN_LEVELS)


_TABLES = {"disclosure": _DISCLOSURE, "theme": _THEMES, "frequency": _FREQUENCIES, "level": _LEVELS}


def lookup(vocabulary: str, name: str) -> Term | None:
    """Find a term by key, Chinese name or alias in 'disclosure', 'theme', 'frequency' or 'level'."""
    if name is None:
        return None
    table = _TABLES[vocabulary]
    return table.get(name) or table.get(str(name).strip())


def keys(vocabulary: str) -> list[str]:
    """The internal keys of a vocabulary, in display order."""
    terms = {"disclosure": DISCLOSURE_CLASSES, "theme": THEMES, "frequency": FREQUENCIES,
             "level": ADMIN_LEVELS}[vocabulary]
    return [t.key for t in terms]


@dataclass(frozen=True)
class ArtifactKind:
    """One kind of file a version has: what it is, how it is served and named."""

    key: str
    media_type: str
    format: str | None = None  # format name in catalogues (DCAT, CKAN); None: not a catalogued distribution
    eu_format: str | None = None  # EU file-type authority code of a catalogued distribution
    download_suffix: str | None = None  # /download.<suffix>; None: not downloadable on its own
    public: bool = False  # listed among a version's files for viewers who may receive its data
    from_source: bool = False  # derived from the stored source: re-made when a reviewer masks or drops a column


# The one table of artifact kinds; the order is the order files are listed in.
ARTIFACT_KINDS = (
    ArtifactKind("csv", "text/csv", "CSV", "CSV", "csv", public=True, from_source=True),
    ArtifactKind("csv-excel", "text/csv", download_suffix="excel.csv", public=True, from_source=True),
    ArtifactKind("parquet", "application/vnd.apache.parquet", "Parquet", "PARQUET", "parquet", public=True,
                 from_source=True),
    ArtifactKind("datapackage", "application/json", public=True, from_source=True),
    ArtifactKind("duckdb", "application/x-duckdb"),
    ArtifactKind("profile", "application/json"),  # column profiles and chart series, made at publication
    ArtifactKind("source", "application/octet-stream"),
)
ARTIFACTS = {k.key: k for k in ARTIFACT_KINDS}
DISTRIBUTION_KINDS = tuple(k.key for k in ARTIFACT_KINDS if k.format)  # catalogued data files: csv, parquet
PUBLIC_ARTIFACTS = tuple(k.key for k in ARTIFACT_KINDS if k.public)
SOURCE_DERIVED = tuple(k.key for k in ARTIFACT_KINDS if k.from_source)


def media_type(kind: str) -> str:
    """The media type of an artifact kind (octet-stream for a kind not in the table)."""
    found = ARTIFACTS.get(kind)
    return found.media_type if found is not None else "application/octet-stream"
