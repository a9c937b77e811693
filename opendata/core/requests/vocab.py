"""The vocabularies of disclosure requests (依申请公开): outcomes, applicants, delivery, identity documents.

Outcomes are exactly the rows of table 三 of the 2021 annual-report template (国办公开办函〔2021〕30号),
and applicant types its columns (申请人情况), so every closed request falls in one cell of the report.
One internal key each; the Chinese label is the template's own wording.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One row of 三、本年度办理结果: its group (（一）…（六）), number within the group and labels."""

    key: str
    group: str
    number: int | None
    zh: str
    en: str

    @property
    def row(self) -> str:
        """The row as the template prints it, e.g. '（三）不予公开 4.保护第三方合法权益'."""
        head = OUTCOME_GROUPS[self.group][0]
        return head if self.number is None else f"{head} {self.number}.{self.zh}"

    @property
    def withholds(self) -> bool:
        """True when something is withheld, so the decision must state its legal basis."""
        return self.group in ("partial", "withheld")


# group key -> (template heading, English)
OUTCOME_GROUPS: dict[str, tuple[str, str]] = {
    "disclosed": ("（一）予以公开", "Disclosed"),
    "partial": ("（二）部分公开", "Partly disclosed"),
    "withheld": ("（三）不予公开", "Not disclosed"),
    "unavailable": ("（四）无法提供", "Cannot be provided"),
    "not-processed": ("（五）不予处理", "Not processed"),
    "other": ("（六）其他处理", "Otherwise handled"),
}

OUTCOMES: tuple[Outcome, ...] = (
    Outcome("disclosed", "disclosed", None, "予以公开", "Disclosed"),
    Outcome("partial", "partial", None, "部分公开", "Partly disclosed (only this row counts when parts are separated)"),
    Outcome("withheld-state-secret", "withheld", 1, "属于国家秘密", "State secret"),
    Outcome("withheld-prohibited-by-law", "withheld", 2, "其他法律行政法规禁止公开",
            "Other laws or administrative regulations forbid disclosure"),
    Outcome("withheld-security-stability", "withheld", 3, "危及\u201c三安全一稳定\u201d",
            "Endangers national, public or economic security or social stability"),
    Outcome("withheld-third-party", "withheld", 4, "保护第三方合法权益", "Protects a third party's lawful rights"),
    Outcome("withheld-internal-affairs", "withheld", 5, "属于三类内部事务信息", "Internal-affairs information"),
    Outcome("withheld-process-information", "withheld", 6, "属于四类过程性信息", "Process information"),
    Outcome("withheld-enforcement-file", "withheld", 7, "属于行政执法案卷", "Administrative enforcement file"),
    Outcome("withheld-administrative-query", "withheld", 8, "属于行政查询事项", "Administrative query matter"),
    Outcome("unavailable-not-held", "unavailable", 1, "本机关不掌握相关政府信息",
            "This body does not hold the information"),
    Outcome("unavailable-needs-creation", "unavailable", 2, "没有现成信息需要另行制作",
            "No existing information; it would have to be created"),
    Outcome("unavailable-still-unclear", "unavailable", 3, "补正后申请内容仍不明确",
            "Still unclear after correction"),
    Outcome("not-processed-petition", "not-processed", 1, "信访举报投诉类申请",
            "A petition, report or complaint"),
    Outcome("not-processed-repeat", "not-processed", 2, "重复申请", "A repeated request"),
    Outcome("not-processed-publication", "not-processed", 3, "要求提供公开出版物", "Asks for a public publication"),
    Outcome("not-processed-excessive", "not-processed", 4, "无正当理由大量反复申请",
            "Large numbers of repeated requests without good reason"),
    Outcome("not-processed-confirmation", "not-processed", 5, "要求行政机关确认或重新出具已获取信息",
            "Asks the body to confirm or re-issue information already obtained"),
    Outcome("other-no-correction", "other", 1, "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
            "No correction in time without good reason; the request is no longer processed"),
    Outcome("other-fee-unpaid", "other", 2, "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
            "The fee was not paid in time; the request is no longer processed"),
    Outcome("other", "other", 3, "其他", "Other"),
)
OUTCOME_BY_KEY = {o.key: o for o in OUTCOMES}
# Set by the clock, never chosen by staff: they follow from a missed correction or an unpaid fee.
AUTOMATIC_OUTCOMES = frozenset({"other-no-correction", "other-fee-unpaid"})
# A data-access application decided with one of these creates an access grant.
GRANTING_OUTCOMES = frozenset({"disclosed", "partial"})


@dataclass(frozen=True)
class Label:
    """A stored key with its Chinese and English names."""

    key: str
    zh: str
    en: str


# 申请人情况: the report's columns. 自然人, then 法人或其他组织 with its five sub-types.
APPLICANT_TYPES: tuple[Label, ...] = (
    Label("natural-person", "自然人", "Natural person"),
    Label("commercial-enterprise", "商业企业", "Commercial enterprise"),
    Label("research-institution", "科研机构", "Research institution"),
    Label("public-interest-organization", "社会公益组织", "Public-interest organisation"),
    Label("legal-services", "法律服务机构", "Legal services institution"),
    Label("other-organization", "其他", "Other legal person or organisation"),
)
ORGANIZATION_APPLICANTS = frozenset(t.key for t in APPLICANT_TYPES[1:])  # 法人或其他组织

DELIVERY_MEDIA: tuple[Label, ...] = (
    Label("electronic", "电子", "Electronic"),
    Label("paper", "纸质", "Paper"),
)
DELIVERY_CHANNELS: tuple[Label, ...] = (
    Label("online", "网上获取", "Online"),
    Label("post", "邮寄", "By post"),
    Label("in-person", "当面领取", "In person"),
)
ID_TYPES: tuple[Label, ...] = (
    Label("resident-id", "居民身份证", "Resident identity card"),
    Label("passport", "护照", "Passport"),
    Label("hk-macao-permit", "港澳居民来往内地通行证", "Mainland travel permit for Hong Kong and Macao residents"),
    Label("taiwan-permit", "台湾居民来往大陆通行证", "Mainland travel permit for Taiwan residents"),
    Label("foreign-permanent-residence", "外国人永久居留身份证", "Foreign permanent resident ID card"),
    Label("credit-code", "统一社会信用代码", "Unified social credit code"),
    Label("other", "其他证件", "Other document"),
)
PERSON_ID_TYPES = frozenset({"resident-id", "passport", "hk-macao-permit", "taiwan-permit",
                             "foreign-permanent-residence", "other"})
ORGANIZATION_ID_TYPES = frozenset({"credit-code", "other"})
KINDS: tuple[Label, ...] = (
    Label("disclosure", "政府信息公开申请", "Request for disclosure"),
    Label("data-access", "数据开放申请", "Data-access application"),
)
PAUSE_KINDS: tuple[Label, ...] = (
    Label("third-party", "征求第三方意见", "Consulting a third party"),
    Label("agency", "征求其他机关意见", "Consulting another agency"),
)


def keys(labels: tuple[Label, ...] | tuple[Outcome, ...]) -> tuple[str, ...]:
    """The stored keys of a vocabulary, in order."""
    return tuple(t.key for t in labels)


def label(labels: tuple[Label, ...], key: str) -> Label | None:
    """The term of ``labels`` with ``key``, if any."""
    return next((t for t in labels if t.key == key), None)
