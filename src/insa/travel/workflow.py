"""The three steps as a state machine, enforced here (the web and CLI only call it).

requested ──approve──▶ approved ──settle──▶ settled ──pay──▶ paid
    │  └──reject──▶ rejected          │          │
    └──cancel──▶ cancelled ◀──cancel──┴──cancel──┘   (a settled trip cancelled before payment)

Editing is allowed while ``requested`` (the request) and while ``approved`` (the settlement:
the traveller corrects it, then confirms it, which fixes the amounts); never after that. A cancelled trip's
tickets become refunds to collect. Every transition names who did it and why.

A trip is settled after it ends (출장 후 정산: the traveller confirms what the trip cost once
back), and paid only when it was settled after it ended — a trip settled in advance (before
this rule) is refused at payment until it is settled again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from insa.clock import KST as _KST

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
    ends_at: dt.datetime | None = None  # when the trip ends (aware)
    settled_at: dt.datetime | None = None  # when it was last settled (aware)


ACTION_LABELS = {
    "approve": "승인", "reject": "반려", "settle": "정산 확정", "pay": "지급", "cancel": "취소",
}  # fmt: skip
PART_SUBJECTS = {
    "traveller": "출장자는",
    "approver": "결재권자는",
    "finance_officer": "재무담당자는",
}


def apply(
    trip: TripState,
    action: str,
    *,
    actor: str,
    part: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> TripState:
    """Do ``action`` as ``actor`` in the part ``part`` (traveller, approver, finance_officer),
    or raise :class:`TransitionError` saying why not (in Korean, for the page). Returns the same
    object, changed."""
    now = now or dt.datetime.now(dt.UTC)
    if action not in TRANSITIONS:
        raise TransitionError(f"알 수 없는 처리입니다: {action}")
    sources, target, parts = TRANSITIONS[action]
    what = ACTION_LABELS[action]
    if trip.state not in sources:
        raise TransitionError(f"{STATE_LABELS[trip.state]} 상태인 출장은 {what}할 수 없습니다.")
    if part not in parts:
        raise TransitionError(f"{PART_SUBJECTS.get(part, part)} 출장을 {what}할 수 없습니다.")
    if action == "reject" and not reason.strip():
        raise TransitionError("반려하려면 사유를 적어 주세요.")
    _check_timing(trip, action, now)
    trip.history.append(Event(action, actor, part, now, reason.strip()))
    trip.state = target
    if action == "settle":
        trip.settled_at = now
    return trip


def _check_timing(trip: TripState, action: str, now: dt.datetime) -> None:
    """Settlement after the trip ends; payment of a trip settled after it ended."""
    if trip.ends_at is None:
        return
    back = f"{trip.ends_at.astimezone(_KST):%Y-%m-%d %H:%M}"
    if action == "settle" and now < trip.ends_at:
        raise TransitionError(f"출장이 끝난 뒤({back} 귀임)에 정산할 수 있습니다.")
    if action == "pay" and (trip.settled_at is None or trip.settled_at < trip.ends_at):
        raise TransitionError(
            f"귀임({back}) 뒤에 확정된 정산이 아니어서 지급할 수 없습니다. "
            "출장자가 귀임 후 정산을 다시 확정해야 합니다."
        )


def ready_to_pay(trip: TripState, now: dt.datetime | None = None) -> bool:
    """A settled trip that payment would accept now."""
    try:
        _check_timing(trip, "pay", now or dt.datetime.now(dt.UTC))
    except TransitionError:
        return False
    return trip.state == "settled"


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
