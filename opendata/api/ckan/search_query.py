"""CKAN's package_search ``q``, ``fq`` and ``sort``: Solr syntax parsed with luqum, turned into our search.

What harvesters and CKAN clients send is supported: ``field:value`` and ``field:"a phrase"``,
``field:(a OR b)``, ``a OR b`` on one field, ``-field:value`` / ``NOT field:value`` (exclusion),
``+`` and ``AND`` (implicit between terms, as CKAN's Solr schema sets), groups, and
``metadata_modified:[2024-01-01T00:00:00Z TO *]`` ranges (ckanext-harvest's incremental search).
Anything else (OR across different fields, negated free words, wildcards inside values) is a
Search Query Error that names it, never a silently wrong answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from luqum.exceptions import ParseError
from luqum.parser import parser
from luqum.tree import (
    AndOperation,
    FieldGroup,
    Group,
    Item,
    Not,
    OrOperation,
    Phrase,
    Plus,
    Prohibit,
    Range,
    SearchField,
    UnknownOperation,
    Word,
)

from opendata.api.ckan.protocol import CkanSearchQueryError
from opendata.services.search import IDENTIFIER, Clause

# CKAN field -> our search facet (or the dataset id)
FIELDS = {"organization": "publisher", "owner_org": "publisher", "tags": "keyword", "res_format": "format",
          "groups": "theme", "theme": "theme", "disclosure": "disclosure", "frequency": "frequency",
          "license_id": "license", "name": IDENTIFIER, "id": IDENTIFIER}
TIME_FIELDS = ("metadata_modified", "metadata_created")
# fields every package has with one value: asking for it keeps all, asking for another keeps none
CONSTANT_FIELDS = {"dataset_type": "dataset", "type": "dataset", "state": "active", "capacity": "public"}
FORMATS = {"csv": "CSV", "parquet": "Parquet"}
SORTS = {"score": "relevance", "metadata_modified": "modified", "metadata_created": "modified",
         "title_string": "title", "title": "title", "name": IDENTIFIER, "id": IDENTIFIER,
         "views_recent": "downloads", "views_total": "downloads"}
_SYNTAX = re.compile(r':|^[+-]|\s[+-]|\(|\)|\b(AND|OR|NOT)\b')
_NEVER = Clause(IDENTIFIER, ())  # any of no ids: nothing
_ALWAYS = Clause(IDENTIFIER, (), negated=True)  # none of no ids: everything


@dataclass
class PackageQuery:
    """A package_search as our catalogue search takes it."""

    words: list[str] = field(default_factory=list)
    clauses: list[Clause] = field(default_factory=list)
    modified_from: float | None = None
    modified_to: float | None = None

    @property
    def text(self) -> str | None:
        return " ".join(self.words) or None


def parse_package_query(q: str, fq: str) -> PackageQuery:
    """Both parameters in one query: their terms are ANDed."""
    out = PackageQuery()
    q = q.strip()
    if q and q not in ("*:*", "*"):
        if _SYNTAX.search(q):
            _add(out, _parse(q, "q"))
        else:
            out.words.append(q)  # plain words: searched as they are, whatever punctuation they hold
    if fq.strip():
        _add(out, _parse(fq, "fq"))
    return out


def parse_sort(raw: str) -> tuple[str, bool | None]:
    """The first key of ``field [asc|desc], ...`` as (our sort, descending); later keys only break ties."""
    first = (raw or "score desc").split(",")[0].split()
    name = first[0] if first else "score"
    if name not in SORTS:
        raise CkanSearchQueryError(f"cannot sort by '{name}' (one of {', '.join(SORTS)})")
    direction = first[1].lower() if len(first) > 1 else "asc"
    if direction not in ("asc", "desc") or len(first) > 2:
        raise CkanSearchQueryError(f"sort direction must be asc or desc, not '{' '.join(first[1:])}'")
    return SORTS[name], None if name == "score" else direction == "desc"


def _parse(text: str, where: str) -> Item:
    try:
        return parser.parse(text)
    except (ParseError, ValueError) as exc:
        raise CkanSearchQueryError(f"{where} is not valid Solr syntax ({exc})") from None


def _conjuncts(node: Item):
    """The terms an AND (explicit, implicit or ``+``) joins, through groups."""
    if isinstance(node, AndOperation | UnknownOperation):
        for operand in node.children:
            yield from _conjuncts(operand)
    elif isinstance(node, Group | Plus):
        yield from _conjuncts(node.children[0])
    else:
        yield node


def _add(out: PackageQuery, tree: Item) -> None:
    for node in _conjuncts(tree):
        if isinstance(node, Prohibit | Not):
            out.clauses.extend(_negate(_field_terms(node.children[0], out, negated=True)))
        elif isinstance(node, SearchField | OrOperation):
            out.clauses.extend(_field_terms(node, out))
        elif isinstance(node, Word | Phrase):
            out.words.append(_value(node))
        else:
            raise CkanSearchQueryError(f"'{node}' is not supported here")


def _negate(clauses: list[Clause]) -> list[Clause]:
    if len(clauses) != 1:
        raise CkanSearchQueryError("a negated group must be values of one field joined by OR")
    return [Clause(clauses[0].name, clauses[0].values, negated=not clauses[0].negated)]


def _field_terms(node: Item, out: PackageQuery, *, negated: bool = False) -> list[Clause]:
    """Clauses of ``field:value``, ``field:(a OR b)``, ``field:(a AND b)`` or ``field:a OR field:b``."""
    while isinstance(node, Group):
        node = node.children[0]
    if isinstance(node, OrOperation):
        parts = [_field_terms(child, out, negated=negated) for child in node.children]
        if not all(len(p) == 1 and p[0].values for p in parts) or len({(p[0].name, p[0].negated) for p in parts}) != 1:
            raise CkanSearchQueryError(f"OR is supported between values of one field, not in '{node}'")
        return [Clause(parts[0][0].name, tuple(v for p in parts for v in p[0].values))]
    if not isinstance(node, SearchField):
        raise CkanSearchQueryError(f"'{node}' needs a field here (e.g. tags:{node})")
    name, expr = node.name, node.expr
    if name in TIME_FIELDS:
        if negated:
            raise CkanSearchQueryError(f"a {name} range cannot be negated")
        _bound(out, expr, name)
        return []
    if name == "text":
        if negated:
            raise CkanSearchQueryError("negated words are not supported; exclude a field value instead")
        out.words.extend(_values(expr, name))
        return []
    if name == "*" and isinstance(expr, Word) and expr.value == "*":
        return [_ALWAYS]
    if name in CONSTANT_FIELDS:
        return [_ALWAYS if _values(expr, name) == [CONSTANT_FIELDS[name]] else _NEVER]
    ours = FIELDS.get(name)
    if ours is None:
        raise CkanSearchQueryError(
            f"unsupported field '{name}' (supported: {', '.join([*FIELDS, *TIME_FIELDS, *CONSTANT_FIELDS, 'text'])})")
    inner = expr.children[0] if isinstance(expr, FieldGroup) else expr
    if isinstance(inner, AndOperation | UnknownOperation):
        return [Clause(ours, (v,)) for v in _values(inner, name, ours)]
    return [Clause(ours, tuple(_values(expr, name, ours)))]


def _values(expr: Item, name: str, ours: str | None = None) -> list[str]:
    """The literal values under a field: a word, a phrase, or a group of them."""
    if isinstance(expr, FieldGroup | Group):
        return _values(expr.children[0], name, ours)
    if isinstance(expr, OrOperation | AndOperation | UnknownOperation):
        return [v for child in expr.children for v in _values(child, name, ours)]
    if not isinstance(expr, Word | Phrase):
        raise CkanSearchQueryError(f"'{name}:{expr}' is not supported (give a value or a phrase)")
    value = _value(expr)
    if isinstance(expr, Word) and any(c in value for c in "*?"):
        raise CkanSearchQueryError(f"wildcards are not supported in '{name}:{value}'")
    return [FORMATS.get(value.lower(), value) if ours == "format" else value]


def _value(node: Word | Phrase) -> str:
    if isinstance(node, Phrase):
        return node.value[1:-1].replace('\\"', '"')
    return re.sub(r"\\(.)", r"\1", node.value)


def _bound(out: PackageQuery, expr: Item, name: str) -> None:
    if not isinstance(expr, Range):
        raise CkanSearchQueryError(f"{name} takes a range such as [2024-01-01T00:00:00Z TO *]")
    low, high = _time(expr.low, name), _time(expr.high, name)
    if low is not None:
        low += 0 if expr.include_low else 1e-6
        out.modified_from = low if out.modified_from is None else max(out.modified_from, low)
    if high is not None:
        high -= 0 if expr.include_high else 1e-6
        out.modified_to = high if out.modified_to is None else min(out.modified_to, high)


def _time(node: Item, name: str) -> float | None:
    text = _value(node) if isinstance(node, Word | Phrase) else str(node)
    if text == "*":
        return None
    if text == "NOW":
        return datetime.now(UTC).timestamp()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise CkanSearchQueryError(f"'{text}' in {name} is not a date-time (2024-01-01T00:00:00Z, NOW or *)") \
            from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
