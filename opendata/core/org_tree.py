"""The organisation tree as plain data: who is under whom, in catalogue order.

Reports, the timeliness board, quality averages and usage statistics all sum over "an
organisation and every organisation under it"; this is the one place that walks the tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from opendata.core.reports.deadlines import organization_kind


@dataclass(frozen=True)
class OrgNode:
    """One organisation, as the tree needs it."""

    id: int
    slug: str
    name: str
    level: str
    parent_id: int | None = None
    name_en: str | None = None
    division_code: str | None = None
    credit_code: str | None = None


class OrgTree:
    """Organisations with their parents and children; walks in catalogue order (by slug among siblings)."""

    def __init__(self, nodes: Iterable[OrgNode]):
        self.nodes = {n.id: n for n in nodes}
        self._by_slug = {n.slug: n for n in self.nodes.values()}
        self._children: dict[int | None, list[int]] = {}
        for n in sorted(self.nodes.values(), key=lambda n: n.slug):
            parent = n.parent_id if n.parent_id in self.nodes else None
            self._children.setdefault(parent, []).append(n.id)

    def __len__(self) -> int:
        return len(self.nodes)

    def by_slug(self, slug: str) -> OrgNode | None:
        return self._by_slug.get(slug)

    def children(self, org_id: int | None) -> list[OrgNode]:
        """The organisations directly under ``org_id`` (None: the roots)."""
        return [self.nodes[i] for i in self._children.get(org_id, [])]

    def walk(self, root: int | None = None) -> Iterator[tuple[OrgNode, int]]:
        """(organisation, depth) from ``root`` (itself first) or from every root, parents before children."""
        stack = [(root, 0)] if root is not None else [(r.id, 0) for r in reversed(self.children(None))]
        while stack:
            org_id, depth = stack.pop()
            yield self.nodes[org_id], depth
            stack += [(c.id, depth + 1) for c in reversed(self.children(org_id))]

    def subtree_ids(self, org_id: int) -> list[int]:
        """The organisation and every organisation under it, parents first."""
        return [n.id for n, _depth in self.walk(org_id)]

    def kind(self, node: OrgNode) -> str:
        """``government`` or ``department`` (see opendata.core.reports.deadlines)."""
        parent = self.nodes.get(node.parent_id) if node.parent_id is not None else None
        return organization_kind(node.level, parent.level if parent else None, parent is not None)

    def ancestors(self, org_id: int) -> list[OrgNode]:
        """The organisations above ``org_id``, nearest first."""
        out, seen = [], {org_id}
        parent = self.nodes[org_id].parent_id
        while parent is not None and parent in self.nodes and parent not in seen:
            seen.add(parent)
            out.append(self.nodes[parent])
            parent = self.nodes[parent].parent_id
        return out
