"""The organizations of catalog.yaml: their entries, codes and place in the tree.

Checks an organization's id, level, division code (GB/T 2260) and credit code (GB 32100), and
its placement (:mod:`opendata.core.cataloguerules`): level matching the division code, a parent
that exists, encloses it and is not its own descendant. Every problem carries its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from opendata.core import cataloguerules, codes, divisions, vocab
from opendata.core.yamlmarks import LineDict

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
ORG_KEYS = {"id", "name", "name_en", "credit_code", "level", "division_code", "parent", "contact"}
ORG_REQUIRED = {"id", "name", "level", "division_code"}


@dataclass(frozen=True)
class OrganizationSpec:
    slug: str
    name: str
    level: str
    division_code: str
    name_en: str | None = None
    credit_code: str | None = None
    parent: str | None = None
    contact: dict[str, str] = field(default_factory=dict)
    line: int = 0
    parent_line: int = 0
    path: str = ""  # where it is in the file, e.g. organizations/3

    @property
    def publisher_codes(self) -> tuple[str, ...]:
        """The codes its datasets' catalogue codes may start with."""
        return cataloguerules.publisher_codes(credit_code=self.credit_code, division_code=self.division_code)


class OrganizationChecks:
    """The organization part of the catalogue checker (a mixin of ``catalog._Checker``, whose
    ``error``, ``warn``, ``_text``, ``_items``, ``_contact`` and ``_unknown_keys`` it uses)."""

    def _organizations(self, value: Any, line: int) -> list[OrganizationSpec]:
        out: list[OrganizationSpec] = []
        seen: dict[str, int] = {}
        credit_seen: dict[str, int] = {}
        for i, node in self._items(value, line, "organizations"):
            at = f"organizations/{i}"
            self._unknown_keys(node, ORG_KEYS, at)
            vals = {k: self._text(node, k, at, required=k in ORG_REQUIRED)
                    for k in ("id", "name", "name_en", "credit_code", "level", "division_code", "parent")}
            slug = vals["id"]
            if slug is not None:
                if not SLUG.fullmatch(slug):
                    self.error(f"organization id '{slug}' must be lowercase letters, digits and hyphens",
                               node.line_of("id"), f"{at}/id")
                if slug in seen:
                    self.error(f"duplicate organization id '{slug}' (first on line {seen[slug]})",
                               node.line_of("id"), f"{at}/id")
                seen.setdefault(slug, node.line_of("id"))
            level = None
            if vals["level"] is not None:
                term = vocab.lookup("level", vals["level"])
                if term is None:
                    self.error(f"unknown level '{vals['level']}' (one of {', '.join(vocab.keys('level'))})",
                               node.line_of("level"), f"{at}/level")
                else:
                    level = term.key
            dcode = vals["division_code"]
            problem = divisions.division_problem(dcode) if dcode is not None else None
            if problem is not None:
                self.error(f"division code '{dcode}' {problem}", node.line_of("division_code"), f"{at}/division_code")
            elif level is not None and (problem := cataloguerules.level_problem(level, dcode)):
                self.error(problem, node.line_of("level"), f"{at}/level")
            credit = self._credit_code(vals["credit_code"], node, at, credit_seen)
            contact = self._contact(node, at)  # checked even when the entry has other problems
            if None in (slug, vals["name"], level, dcode):
                continue
            out.append(OrganizationSpec(slug=slug, name=vals["name"], level=level, division_code=dcode,
                                        name_en=vals["name_en"], credit_code=credit, parent=vals["parent"],
                                        contact=contact, line=node.line,
                                        parent_line=node.line_of("parent"), path=at))
        self._placement(out)
        return out

    def _credit_code(self, value: str | None, node: LineDict, at: str, seen: dict[str, int]) -> str | None:
        if value is None:
            return None
        credit = value.upper()
        if (problem := codes.uscc_problem(credit)) is not None:
            self.error(f"credit code '{credit}' {problem}", node.line_of("credit_code"), f"{at}/credit_code")
        elif not codes.is_valid_uscc(credit):
            self.warn(f"credit code '{credit}' fails the GB 32100 check character "
                      f"(expected {codes.uscc_check_char(credit[:17])}); kept for review",
                      node.line_of("credit_code"), f"{at}/credit_code", code="credit-code-check")
        if credit in seen:
            self.error(f"duplicate credit code '{credit}' (first on line {seen[credit]})",
                       node.line_of("credit_code"), f"{at}/credit_code")
        seen.setdefault(credit, node.line_of("credit_code"))
        return credit

    def _placement(self, orgs: list[OrganizationSpec]) -> None:
        """Parents exist, form no cycle, and enclose their children (level and division)."""
        by_slug = {o.slug: o for o in orgs}
        for o in orgs:
            parent = by_slug.get(o.parent) if o.parent is not None else None
            if o.parent is not None and parent is None:
                self.error(f"parent '{o.parent}' is not an organization id", o.parent_line, f"{o.path}/parent")
            elif parent is not None and (problem := cataloguerules.parent_problem(
                    level=o.level, division_code=o.division_code, parent=parent.slug,
                    parent_level=parent.level, parent_division=parent.division_code)):
                self.error(problem, o.parent_line, f"{o.path}/parent")
        for o in orgs:  # cycles
            seen_chain, cur = set(), o
            while cur is not None and cur.parent is not None:
                if cur.slug in seen_chain:
                    self.error(f"organization '{o.slug}' is its own ancestor", o.parent_line, f"{o.path}/parent")
                    break
                seen_chain.add(cur.slug)
                cur = by_slug.get(cur.parent)
