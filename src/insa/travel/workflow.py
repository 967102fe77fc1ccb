"""The three steps as a state machine, enforced here (the web and CLI only call it).

requested ──approve──▶ approved ──settle──▶ settled ──pay──▶ paid
    │  └──reject──▶ rejected          │          │
    └──cancel──▶ cancelled ◀──cancel──┴──cancel──┘   (a settled trip cancelled before payment)

Editing is allowed while ``requested`` (the request) and while ``approved`` (the settlement:
the traveller corrects it, then confirms it, which fixes the amounts); never after that. A cancelled trip's
tickets become refunds to collect. Every transition names who did it and why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

STATES = ("requested", "approved", "rejected", "settled", "paid", "cancelled")
STATE_LABELS = {
    "requested": "신청", "approved": "승인", "rejected": "반려", "settled": "정산 확정",
    "paid": "지급 완료", "cancelled": "취소",
}  # fmt: skip
# action → (states it may start from, state it leads to, who may do it)
TRANSITIONS: dict[str, tuple[frozenset[str], str, frozenset[str]]] = {
    "approve": (frozenset({"requested"}), "approved", frozenset({"approver"})),
    "reject": (frozenset({"requested"}), "rejected", frozenset({"approver"})),
    "settle": (frozenset({"approved"}), "settled", frozenset({"traveller"})),
    "pay": (frozenset({"settled"}), "paid", frozenset({"finance_officer"})),
    "cancel": (
        frozenset({"requested", "approved", "settled"}),
        "cancelled",
        frozenset({"traveller", "approver"}),
    ),
}
EDITABLE = {"request": frozenset({"requested"}), "settlement": frozenset({"approved"})}


class TransitionError(ValueError):
    """An action the trip's state or the actor's part does not allow (a 409, not a 500)."""


@dataclass
class Event:
    action: str
    actor: str
    part: str
    at: dt.datetime
    reason: str = ""


@dataclass
class TripState:
    state: str = "requested"
    history: list[Event] = field(default_factory=list)


def apply(trip: TripState, action: str, *, actor: str, part: str, reason: str = "") -> TripState:
    """Do ``action`` as ``actor`` in the part ``part`` (traveller, approver, finance_officer),
    or raise :class:`TransitionError` saying why not. Returns the same object, changed."""
    if action not in TRANSITIONS:
        raise TransitionError(f"unknown action {action!r}")
    sources, target, parts = TRANSITIONS[action]
    if trip.state not in sources:
        raise TransitionError(
            f"cannot {action} a trip that is {STATE_LABELS[trip.state]} ({trip.state})"
        )
    if part not in parts:
        raise TransitionError(f"a {part} cannot {action} a trip")
    if action == "reject" and not reason.strip():
        raise TransitionError("a rejection needs a reason")
    trip.history.append(Event(action, actor, part, dt.datetime.now(dt.UTC), reason.strip()))
    trip.state = target
    return trip


def can_edit(trip: TripState, what: str) -> bool:
    """``request`` (purpose, dates, destinations) or ``settlement`` (amounts, receipts)."""
    return trip.state in EDITABLE[what]


REFUND_DUE = frozenset({"issued", "changed"})  # a cancelled trip's tickets not yet refunded


def refunds_to_collect(state: str, ticket_statuses: list[str]) -> int:
    """Tickets of a cancelled trip still issued or changed: refunds the traveller must ask for
    (the finance page lists them with the same rule, ``service.refunds_to_collect``)."""
    if state != "cancelled":
        return 0
    return sum(1 for s in ticket_statuses if s in REFUND_DUE)
