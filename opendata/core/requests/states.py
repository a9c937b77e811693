"""The states of a disclosure request and the actions that move it (one table, checked in one place).

``open``: the clock runs. ``awaiting-correction``: a correction (补正) was asked for; the clock
restarts when it arrives. ``paused``: a third party or another agency is consulted; the clock
stands. ``awaiting-payment``: a fee notice went out; the clock stands until payment. ``closed``:
decided with one outcome of the annual-report template, for good. A request is never deleted.
"""

from __future__ import annotations

from opendata.core.errors import ConflictError, Problem

OPEN = "open"
AWAITING_CORRECTION = "awaiting-correction"
PAUSED = "paused"
AWAITING_PAYMENT = "awaiting-payment"
CLOSED = "closed"
STATES = (OPEN, AWAITING_CORRECTION, PAUSED, AWAITING_PAYMENT, CLOSED)
ACTIVE_STATES = (OPEN, AWAITING_CORRECTION, PAUSED, AWAITING_PAYMENT)
STATE_NAMES = {
    OPEN: ("办理中", "In progress"),
    AWAITING_CORRECTION: ("待补正", "Awaiting correction"),
    PAUSED: ("征求意见中（暂停计时）", "Consulting (clock paused)"),
    AWAITING_PAYMENT: ("待缴费（暂停计时）", "Awaiting payment (clock paused)"),
    CLOSED: ("已办结", "Closed"),
}
# States in which the reply clock runs (the others hold it, or it has stopped for good).
CLOCK_RUNS = frozenset({OPEN})

_ANY_ACTIVE = frozenset(ACTIVE_STATES)
# action -> (states it may start from, state it leads to; None keeps the state)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "assign": (_ANY_ACTIVE, None),
    "note": (frozenset(STATES), None),
    "request-correction": (frozenset({OPEN}), AWAITING_CORRECTION),
    "receive-correction": (frozenset({AWAITING_CORRECTION}), OPEN),
    "expire-correction": (frozenset({AWAITING_CORRECTION}), CLOSED),
    "extend": (frozenset({OPEN, PAUSED}), None),
    "pause": (frozenset({OPEN}), PAUSED),
    "resume": (frozenset({PAUSED}), OPEN),
    "notify-fee": (frozenset({OPEN}), AWAITING_PAYMENT),
    "record-payment": (frozenset({AWAITING_PAYMENT}), OPEN),
    "expire-payment": (frozenset({AWAITING_PAYMENT}), CLOSED),
    "decide": (frozenset({OPEN, PAUSED}), CLOSED),
}
ACTION_NAMES = {
    "assign": "assign a handler", "note": "add a note", "request-correction": "ask for a correction",
    "receive-correction": "record the corrected request", "expire-correction": "close for want of correction",
    "extend": "extend the reply period", "pause": "pause the clock", "resume": "resume the clock",
    "notify-fee": "send a fee notice", "record-payment": "record the payment",
    "expire-payment": "close for want of payment", "decide": "decide",
}


def next_state(state: str, action: str) -> str:
    """The state ``action`` leads to from ``state``; ConflictError naming both when it may not."""
    if action not in TRANSITIONS:
        raise ValueError(f"unknown request action {action!r}")
    allowed, target = TRANSITIONS[action]
    if state not in allowed:
        starts = ", ".join(s for s in STATES if s in allowed)
        message = (f"cannot {ACTION_NAMES[action]}: the request is {state}"
                   + ("" if state != CLOSED else " (a closed request stays closed)")
                   + f"; this is possible only when it is {starts}")
        raise ConflictError(message, problems=[Problem("request-state", message, path="state")])
    return state if target is None else target
