"""A case's life as one table of states and allowed transitions.

Read TRANSITIONS top to bottom to see every path a case can take::

    triage ── self_care ──(ask_person)──► queued
    triage ── refer_112                   (end: the patient was told to call 112)
    triage ── redirect ──► closed         (U1/U2 out of hours: call 1177 / emergency dept)
    triage ──(enqueue)──► queued ──(assign)──► assigned ──(staff_reply)──► active
    active ──(wait_patient)──► waiting ──(patient_reply)──► active
    assigned ──(release)──► queued         (no staff reply in time: back to the queue)
    queued | assigned | active | waiting ──(transfer)──► queued   (another pool)
    queued | assigned | active | waiting ──(retriage)──► same state (new urgency and deadline)
    queued | assigned | active | waiting ──(close)──► closed
    closed ──(reopen)──► reopened ──(enqueue | assign)──► queued | assigned
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from chatserver.domain.urgency import Urgency


class CaseState(enum.StrEnum):
    triage = "triage"
    self_care = "self_care"
    referred_112 = "referred_112"
    queued = "queued"
    assigned = "assigned"
    active = "active"
    waiting = "waiting"
    closed = "closed"
    reopened = "reopened"


S = CaseState
_WORKED = (S.assigned, S.active, S.waiting)

TRANSITIONS: dict[tuple[CaseState, str], CaseState] = {
    (S.triage, "self_care"): S.self_care,
    (S.triage, "refer_112"): S.referred_112,
    (S.triage, "enqueue"): S.queued,
    (S.triage, "redirect"): S.closed,  # out of hours U1/U2: call 1177 / emergency dept
    (S.self_care, "ask_person"): S.queued,
    (S.queued, "assign"): S.assigned,
    (S.queued, "close"): S.closed,
    (S.assigned, "staff_reply"): S.active,
    (S.assigned, "release"): S.queued,
    (S.active, "wait_patient"): S.waiting,
    (S.waiting, "patient_reply"): S.active,
    (S.waiting, "staff_reply"): S.waiting,
    (S.active, "staff_reply"): S.active,
    (S.active, "patient_reply"): S.active,
    (S.assigned, "patient_reply"): S.assigned,
    **{(s, "transfer"): S.queued for s in (S.queued, *_WORKED)},
    **{(s, "close"): S.closed for s in _WORKED},
    **{(s, "retriage"): s for s in (S.queued, *_WORKED)},  # urgency changes, state stays
    (S.closed, "reopen"): S.reopened,
    (S.reopened, "enqueue"): S.queued,
    (S.reopened, "assign"): S.assigned,
}

STAFF_ROOM_SUFFIX = "~staff"

OPEN_STATES = frozenset({S.triage, S.queued, S.assigned, S.active, S.waiting, S.reopened})


class TransitionError(Exception):
    """The case's state does not allow the action (a client error: invalid_state)."""

    def __init__(self, state: CaseState, action: str) -> None:
        super().__init__(f"a case in state {state} cannot {action}")
        self.state = state
        self.action = action


def next_state(state: CaseState, action: str) -> CaseState:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise TransitionError(state, action) from None


@dataclass(frozen=True, slots=True)
class Case:
    """Immutable snapshot of a case; the state holder replaces it on change."""

    id: str
    room: str
    patient_id: str  # the subject: whom the case is about
    actor_id: str  # who opened it (the patient, or a guardian for a child)
    entrance: str
    pool: str
    state: CaseState
    urgency: Urgency
    complaint: str
    created: int
    enqueued: int | None = None
    deadline: int | None = None
    assignee: str | None = None
    closed: int | None = None
    outcome: str | None = None
    assigned: int | None = None  # when the current assignee took it
    first_reply: int | None = None  # first staff message, for the wait KPI
    rating: int | None = None  # the patient's 1-5 after close

    @property
    def staff_room(self) -> str:
        """The staff-only thread (notes, consults) beside the patient room."""
        return self.room + STAFF_ROOM_SUFFIX

    def apply(self, action: str, **changes: object) -> Case:
        """The case after ``action``; raises TransitionError if not allowed."""
        return dataclasses.replace(self, state=next_state(self.state, action), **changes)  # type: ignore[arg-type]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES
