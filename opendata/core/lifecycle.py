"""Version states and the transitions between them (pure domain rules)."""

from __future__ import annotations

from opendata.core.errors import ConflictError

RECEIVED = "received"
VALIDATING = "validating"
INVALID = "invalid"
AWAITING_REVIEW = "awaiting-review"
PUBLISHED = "published"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
FAILED = "failed"  # the ingest job itself failed (crash, unreadable input); nothing is served

VERSION_STATES = (RECEIVED, VALIDATING, INVALID, AWAITING_REVIEW, PUBLISHED, REJECTED, WITHDRAWN, FAILED)

STATE_NAMES_ZH = {
    RECEIVED: "已接收", VALIDATING: "校验中", INVALID: "校验未通过", AWAITING_REVIEW: "待审核",
    PUBLISHED: "已发布", REJECTED: "已驳回", WITHDRAWN: "已撤回", FAILED: "处理失败",
}

_TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({VALIDATING, FAILED}),
    VALIDATING: frozenset({INVALID, AWAITING_REVIEW, FAILED}),
    INVALID: frozenset(),
    AWAITING_REVIEW: frozenset({PUBLISHED, REJECTED, WITHDRAWN}),
    PUBLISHED: frozenset({WITHDRAWN}),
    REJECTED: frozenset(),
    WITHDRAWN: frozenset(),
    FAILED: frozenset(),
}

# Dataset lifecycle in the catalogue (independent of its versions).
DATASET_ACTIVE = "active"
DATASET_WITHDRAWN = "withdrawn"
DATASET_STATES = (DATASET_ACTIVE, DATASET_WITHDRAWN)


def can_transition(current: str, target: str) -> bool:
    """True when a version in ``current`` may move to ``target``."""
    return target in _TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str) -> None:
    """Raise ConflictError when a version in ``current`` may not move to ``target``."""
    if not can_transition(current, target):
        raise ConflictError(f"a version that is {current} cannot become {target}")
