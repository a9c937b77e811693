"""A year's report put together for an organisation and every organisation under it.

Table 三 is counted from the stored requests of the whole tree; tables 二 and 四 are the sums of
what staff entered for each organisation of the tree; the texts are the organisation's own; the
platform's figures for section 一 (datasets, updates, use) are summed over the tree's datasets.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from opendata.core import lifecycle
from opendata.core.org_tree import OrgNode, OrgTree
from opendata.core.reports import figures
from opendata.core.reports import template as t
from opendata.core.reports.deadlines import KIND_NAMES
from opendata.core.reports.document import ReportParts
from opendata.core.requests.vocab import KINDS
from opendata.services.reports.counting import count_table_three
from opendata.services.reports.entries import entry_tables
from opendata.services.reports.policy import ReportPolicy
from opendata.services.reports.usage_figures import usage_in_year
from opendata.store.models import Dataset, Version
from opendata.store.reports import ReportEntry


def organization_facts(tree: OrgTree, node: OrgNode) -> dict[str, Any]:
    """The organisation as a report names it."""
    kind = tree.kind(node)
    parent = tree.nodes.get(node.parent_id) if node.parent_id is not None else None
    return {"slug": node.slug, "name": node.name, "name_en": node.name_en, "level": node.level,
            "kind": kind, "kind_name": KIND_NAMES[kind][0], "division_code": node.division_code,
            "credit_code": node.credit_code, "parent": parent.slug if parent else None}


def report_parts(session: Session, policy: ReportPolicy, tree: OrgTree, node: OrgNode, year: int) -> ReportParts:
    """Everything the organisation's report of ``year`` is made of, as of now."""
    ids = tree.subtree_ids(node.id)
    three, counted = count_table_three(session, policy, ids, year)
    entries = {e.organization_id: e for e in session.scalars(
        select(ReportEntry).where(ReportEntry.organization_id.in_(ids), ReportEntry.year == year))}
    pairs = [entry_tables(e) for e in entries.values()]
    two = figures.add_tables((p[0] for p in pairs), figures.empty_two())
    four = figures.add_tables((p[1] for p in pairs), figures.empty_four())
    own = entries.get(node.id)
    sections = {k: (own.sections or {}).get(k, "") if own else "" for k in t.TEXT_SECTIONS}
    notes = [_requests_note(policy, counted)]
    if len(ids) > 1:
        notes.append(f"本报告汇总本机关及其下属 {len(ids) - 1} 个机构的数据；表二、表四为各机构填报数之和。")
    return ReportParts(organization=organization_facts(tree, node), year=year,
                       covers=tuple(tree.nodes[i].slug for i in ids), sections=sections, two=two, three=three,
                       four=four, platform=platform_figures(session, policy, ids, year), notes=tuple(notes))


def platform_figures(session: Session, policy: ReportPolicy, organization_ids: list[int], year: int) -> dict:
    """The open-data platform's part of section 一: datasets, updates and use during the year."""
    start, end = policy.year_bounds(year)
    in_scope = Dataset.organization_id.in_(organization_ids)
    active = session.scalar(select(func.count()).select_from(Dataset).where(
        in_scope, Dataset.state == lifecycle.DATASET_ACTIVE)) or 0
    first_published = (select(Version.dataset_id, func.min(Version.published_at).label("first"))
                       .where(Version.published_at.is_not(None)).group_by(Version.dataset_id).subquery())
    opened = session.scalar(select(func.count()).select_from(first_published).join(
        Dataset, Dataset.id == first_published.c.dataset_id).where(
        in_scope, first_published.c.first >= start, first_published.c.first < end)) or 0
    updates = session.scalar(select(func.count()).select_from(Version).join(Dataset).where(
        in_scope, Version.published_at >= start, Version.published_at < end)) or 0
    use = usage_in_year(session, organization_ids, date(year, 1, 1), date(year, 12, 31))
    figures_ = {"datasets": active, "datasets_opened": opened, "versions_published": updates, **use}
    figures_["summary"] = (
        f"本年度通过公共数据开放平台新开放数据集 {opened} 个，发布数据更新 {updates} 次；截至年底共有数据集 {active} 个。"
        f"全年数据下载 {use['downloads']:,} 次，接口调用 {use['api_calls']:,} 次。")
    return figures_


def _requests_note(policy: ReportPolicy, counted: int) -> str:
    kinds = "、".join(k.zh for k in KINDS if k.key in policy.request_kinds)
    if counted == 0:
        return f"表三由平台记录的申请（{kinds}）统计生成；本年度平台没有记录到相关申请，各项为 0。"
    return f"表三由平台记录的申请（{kinds}）统计生成，共计 {counted} 件。"
