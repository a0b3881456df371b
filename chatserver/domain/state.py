"""The in-memory world: cases, rooms and pool queues, changed only here.

Every command is a synchronous method: it checks, mutates memory and returns
the events describing the change. The service hands those events to the
store and shows them to anyone only after they are committed (DESIGN rule 1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from chatserver.domain import access
from chatserver.domain.cases import STAFF_ROOM_SUFFIX, Case, CaseState, TransitionError
from chatserver.domain.clock import Clock
from chatserver.domain.errors import DomainError
from chatserver.domain.events import (
    CaseChanged,
    ChatMessage,
    ConsultAdded,
    Event,
    MessagePosted,
    ParticipantAdded,
    ReadMoved,
)
from chatserver.domain.principals import Principal
from chatserver.domain.queue import PoolQueue, Waiting
from chatserver.domain.rooms import Room
from chatserver.domain.urgency import DEFAULT_TARGET_MINUTES, Urgency

REOPEN_WINDOW_MS = 4 * 24 * 3600 * 1000  # shared/DOMAIN.md: continue within 4 days


class DeadlinePolicy(Protocol):
    def deadline(self, pool: str, urgency: Urgency, enqueued: int) -> int:
        """The latest first-response time for a case entering ``pool``'s queue."""


class FixedTargets:
    """Deadline = enqueue time + target; "end of day" targets count as 8 h.

    Used where no opening hours are configured (tests, bench)."""

    def deadline(self, pool: str, urgency: Urgency, enqueued: int) -> int:
        minutes = DEFAULT_TARGET_MINUTES.get(urgency) or 8 * 60
        return enqueued + minutes * 60_000


@dataclass(slots=True)
class Posted:
    seq: int
    ts: int
    new: bool
    events: list[Event] = field(default_factory=list)


class State:
    def __init__(
        self,
        clock: Clock,
        new_id: Callable[[], str],
        deadlines: DeadlinePolicy | None = None,
        max_cases_per_staff: int = 8,
        max_open_per_patient: int = 5,
    ) -> None:
        self.clock = clock
        self.new_id = new_id
        self.deadlines: DeadlinePolicy = deadlines or FixedTargets()
        self.max_cases_per_staff = max_cases_per_staff
        self.max_open_per_patient = max_open_per_patient
        self.cases: dict[str, Case] = {}
        self.rooms: dict[str, Room] = {}
        self.queues: dict[str, PoolQueue] = {}
        self.names: dict[str, str] = {}  # user id -> display name
        self.by_user: dict[str, set[str]] = {}  # patient or staff id -> case ids
        self.held: dict[str, set[str]] = {}  # staff id -> open cases assigned to them
        self.consultants: dict[str, frozenset[str]] = {}  # case id -> staff ids

    # ------------------------------------------------------------ lookups

    def queue(self, pool: str) -> PoolQueue:
        q = self.queues.get(pool)
        if q is None:
            q = self.queues[pool] = PoolQueue(pool)
        return q

    def case(self, case_id: str) -> Case:
        c = self.cases.get(case_id)
        if c is None:
            raise DomainError("not_found", f"no case {case_id}")
        return c

    def role_in(self, p: Principal, case: Case) -> str | None:
        return access.room_role(p, case, self.consultants.get(case.id, frozenset()))

    def visible_case(self, p: Principal, case_id: str) -> Case:
        """The case if ``p`` may see it; otherwise not_found (never reveal existence)."""
        c = self.cases.get(case_id)
        if c is None or self.role_in(p, c) is None:
            raise DomainError("not_found", f"no case {case_id}")
        return c

    def room_access(self, p: Principal, room_id: str) -> tuple[Room, Case, str]:
        """The room, its case and ``p``'s role there; staff threads are staff-only."""
        staff_thread = room_id.endswith(STAFF_ROOM_SUFFIX)
        case = self.cases.get(room_id[: -len(STAFF_ROOM_SUFFIX)] if staff_thread else room_id)
        role = self.role_in(p, case) if case is not None else None
        if staff_thread and not p.is_staff:
            role = None
        if case is None or role is None:
            raise DomainError("not_found", f"no room {room_id}")
        room = self.rooms.get(room_id)
        if room is None:
            if not staff_thread:
                raise DomainError("not_found", f"no room {room_id}")
            room = self.rooms[room_id] = Room(room_id)
        return room, case, role

    def cases_of(self, p: Principal) -> list[Case]:
        ids = set(self.by_user.get(p.user_id, ()))
        for ward in p.wards:
            ids |= self.by_user.get(ward, set())
        visible = (self.cases[i] for i in ids)
        return sorted((c for c in visible if self.role_in(p, c)), key=lambda c: c.created)

    # ------------------------------------------------------------ commands

    def open_case(
        self,
        actor: Principal,
        *,
        subject_id: str,
        entrance: str,
        pool: str,
        urgency: Urgency,
        complaint: str,
        triage: bool = False,
    ) -> tuple[Case, list[Event]]:
        """A new case: in triage, or (direct entrances) straight into the queue."""
        now = self.clock.now_ms()
        open_now = sum(
            1
            for c in self.by_user.get(subject_id, ())
            if self.cases[c].patient_id == subject_id and self.cases[c].is_open
        )
        if open_now >= self.max_open_per_patient:
            raise DomainError(
                "limit_reached",
                f"{open_now} cases are already open: write in one of them instead",
            )
        case_id = self.new_id()
        case = Case(
            id=case_id,
            room=case_id,
            patient_id=subject_id,
            actor_id=actor.user_id,
            entrance=entrance,
            pool=pool,
            state=CaseState.triage,
            urgency=urgency,
            complaint=complaint,
            created=now,
        )
        events: list[Event] = [CaseChanged(case, "create", actor.user_id, now)]
        self._put(case)
        self.rooms[case.room] = Room(case.room)
        events += self._join(case.room, subject_id, "patient", now)
        if actor.user_id != subject_id:
            events += self._join(case.room, actor.user_id, "guardian", now)
        if triage:
            return case, events
        case, ev = self._enqueue(case, "enqueue", actor.user_id, now)
        return case, events + ev

    def triage_done(
        self, actor: Principal, case_id: str, disposition: str, urgency: Urgency, pool: str
    ) -> tuple[Case, list[Event]]:
        """Apply a triage outcome: 112, redirect, self-care (or booking), or the queue."""
        now = self.clock.now_ms()
        case = self.visible_case(actor, case_id)
        if case.state is not CaseState.triage:
            raise DomainError("invalid_state", "the case is not in triage")
        if disposition == "queue":
            case = self._change_fields(case, urgency=urgency, pool=pool)
            return self._enqueue(case, "enqueue", actor.user_id, now)
        action = {"call_112": "refer_112", "redirect": "redirect"}.get(disposition, "self_care")
        # Every end of triage gets a closed time: it bounds what recovery loads
        # and how long "talk to a person anyway" stays possible.
        extra: dict[str, object] = {"urgency": urgency, "pool": pool, "closed": now}
        if action == "redirect":
            extra.update(outcome="redirected")
        case = self._change(case, action, **extra)
        return case, [CaseChanged(case, action, actor.user_id, now, disposition)]

    def ask_person(
        self, actor: Principal, case_id: str, window_ms: int
    ) -> tuple[Case, list[Event]]:
        """After self-care advice the patient may still talk to a person (as U6),
        within the window a closed case can be continued in (default 4 days)."""
        now = self.clock.now_ms()
        case = self.visible_case(actor, case_id)
        if case.state is not CaseState.self_care:
            raise DomainError("invalid_state", "only after self-care advice")
        if case.closed is not None and now - case.closed > window_ms:
            raise DomainError("invalid_state", "the advice was given too long ago; open a new case")
        case = self._change_fields(case, urgency=Urgency.U6, closed=None)
        return self._enqueue(case, "ask_person", actor.user_id, now)

    def reopen(self, actor: Principal, case_id: str, window_ms: int) -> tuple[Case, list[Event]]:
        """Continue a case closed less than ``window_ms`` ago (default 4 days)."""
        now = self.clock.now_ms()
        case = self.visible_case(actor, case_id)
        if case.state is not CaseState.closed or case.closed is None:
            raise DomainError("invalid_state", "only a closed case can be continued")
        if now - case.closed > window_ms:
            raise DomainError("invalid_state", "closed too long ago; open a new case")
        if case.outcome in ("conduct", "redirected"):
            raise DomainError("invalid_state", "this case cannot be continued")
        case = self._change(case, "reopen", closed=None, outcome=None, assignee=None)
        events: list[Event] = [CaseChanged(case, "reopen", actor.user_id, now)]
        case, ev = self._enqueue(case, "enqueue", actor.user_id, now)
        return case, events + ev

    def claim(
        self, staff: Principal, case_id: str | None, pool: str | None
    ) -> tuple[Case, list[Event]]:
        now = self.clock.now_ms()
        if not staff.is_staff:
            raise DomainError("forbidden", "only staff can claim cases")
        mine = len(self.held.get(staff.user_id, ()))
        if mine >= self.max_cases_per_staff:
            raise DomainError("limit_reached", f"you already have {mine} open cases")
        if case_id is None:
            case_id = self._next_for(staff, pool)
        case = self.case(case_id)
        if case.pool not in staff.pools:
            raise DomainError("not_found", f"no case {case_id} in your pools")
        if case.state is not CaseState.queued:
            raise DomainError("conflict", f"case {case_id} is already taken ({case.state})")
        self.queue(case.pool).remove(case.id)
        case = self._change(case, "assign", assignee=staff.user_id, assigned=now)
        self.by_user.setdefault(staff.user_id, set()).add(case.id)
        events: list[Event] = [CaseChanged(case, "assign", staff.user_id, now)]
        events += self._join(case.room, staff.user_id, "staff", now)
        return case, events

    def close(
        self, staff: Principal, case_id: str, outcome: str, note: str = ""
    ) -> tuple[Case, list[Event]]:
        now = self.clock.now_ms()
        case = self._staff_case(staff, case_id)
        if case.state is CaseState.queued:
            self.queue(case.pool).remove(case.id)
        case = self._change(case, "close", closed=now, outcome=outcome, assigned=None)
        self.rooms[case.room].drop_cids()
        return case, [CaseChanged(case, "close", staff.user_id, now, note)]

    def post(
        self,
        p: Principal,
        room_id: str,
        cid: str,
        text: str,
        att: str | None,
        kind: str = "text",
    ) -> Posted:
        room, case, role = self.room_access(p, room_id)
        if role == "consultant" and room_id == case.room:
            raise DomainError(
                "forbidden", "consultants answer in the staff thread, not to the patient"
            )
        if kind != "text" and not (p.is_staff and room_id == case.room):
            raise DomainError("forbidden", f"{kind} messages are for staff in the patient room")
        if not case.is_open:
            raise DomainError("invalid_state", "the case is closed; continue it to write again")
        now = self.clock.now_ms()
        msg = room.post(
            sender=p.user_id,
            name=p.name,
            role=role,
            cid=cid,
            text=text,
            att=att,
            now=now,
            kind=kind,
        )
        if not isinstance(msg, ChatMessage):
            return Posted(msg[0], msg[1], False)
        events: list[Event] = [MessagePosted(msg)]
        if room_id != case.room:
            return Posted(msg.seq, msg.ts, True, events)  # staff thread: the case stays
        action = "staff_reply" if p.is_staff else "patient_reply"
        if p.is_staff and case.first_reply is None:
            case = self._change_fields(case, first_reply=now)
            if (case.state, action) not in _REPLY_MOVES:
                events.append(CaseChanged(case, "first_reply", p.user_id, now))
        if (case.state, action) in _REPLY_MOVES:
            case = self._change(case, action)
            events.append(CaseChanged(case, action, p.user_id, now))
        return Posted(msg.seq, msg.ts, True, events)

    def system_message(self, room_id: str, text: str, cid: str) -> list[Event]:
        """A message from the service itself (a transfer notice, for example)."""
        msg = self.rooms[room_id].post(
            sender="system",
            name="",
            role="system",
            cid=cid,
            text=text,
            att=None,
            now=self.clock.now_ms(),
            kind="system",
        )
        return [MessagePosted(msg)] if isinstance(msg, ChatMessage) else []

    # ------------------------------------------------------------ staff work

    def _staff_case(self, staff: Principal, case_id: str) -> Case:
        """A case ``staff`` may act on: their pools' or their own, not one they
        were only asked to consult on (that allows reading and the staff thread)."""
        if not staff.is_staff:
            raise DomainError("forbidden", "staff only")
        case = self.visible_case(staff, case_id)
        if self.role_in(staff, case) != "staff":
            raise DomainError(
                "forbidden", "consultants read the case and answer in its staff thread"
            )
        return case

    def retriage(
        self, staff: Principal, case_id: str, urgency: Urgency, reason: str
    ) -> tuple[Case, list[Event]]:
        """New urgency; the deadline counts from the ORIGINAL enqueue time
        (shared/DOMAIN.md), so re-triage never resets anyone's wait."""
        now = self.clock.now_ms()
        case = self._staff_case(staff, case_id)
        waiting = case.state is CaseState.queued
        if waiting:
            self.queue(case.pool).remove(case.id)
        enqueued = case.enqueued if case.enqueued is not None else now
        deadline = self.deadlines.deadline(case.pool, urgency, enqueued)
        case = self._change(case, "retriage", urgency=urgency, deadline=deadline)
        if waiting:
            self._queue_entry(case)
        return case, [CaseChanged(case, "retriage", staff.user_id, now, reason)]

    def transfer(
        self, staff: Principal, case_id: str, pool: str, note: str
    ) -> tuple[Case, list[Event]]:
        """Hand the case (history and room come along) to another pool's queue."""
        now = self.clock.now_ms()
        case = self._staff_case(staff, case_id)
        if case.state is CaseState.queued:
            self.queue(case.pool).remove(case.id)
        enqueued = case.enqueued if case.enqueued is not None else now
        deadline = self.deadlines.deadline(pool, case.urgency, enqueued)
        case = self._change(
            case, "transfer", pool=pool, assignee=None, assigned=None, deadline=deadline
        )
        self._queue_entry(case)
        return case, [CaseChanged(case, "transfer", staff.user_id, now, note)]

    def hand_over_waiting(self, pool: str, to: str) -> list[Event]:
        """Time-based handover: every case waiting in ``pool`` moves to ``to``
        with its enqueue time and deadline unchanged (shared/DOMAIN.md: "a pool
        can hand over to another when it closes")."""
        now = self.clock.now_ms()
        events: list[Event] = []
        for w in self.queue(pool).entries():
            case = self.cases[w.case_id]
            self.queue(pool).remove(case.id)
            case = self._change(case, "transfer", pool=to)
            self._queue_entry(case)
            events.append(CaseChanged(case, "transfer", "system", now, f"{pool} closed"))
        return events

    def release(
        self, actor: Principal | None, case_id: str, reason: str = ""
    ) -> tuple[Case, list[Event]]:
        """Back to its place in the queue (same enqueue time and deadline).
        ``actor`` None: the service itself (no staff reply in time)."""
        now = self.clock.now_ms()
        case = self.case(case_id)
        if actor is not None:
            case = self._staff_case(actor, case_id)
            if case.assignee != actor.user_id:
                raise DomainError("forbidden", "only the staff member holding it can release it")
        case = self._change(case, "release", assignee=None, assigned=None)
        self._queue_entry(case)
        who = actor.user_id if actor is not None else "system"
        return case, [CaseChanged(case, "release", who, now, reason)]

    def consult(
        self, staff: Principal, case_id: str, invitee: str, question: str
    ) -> tuple[Case, list[Event]]:
        """Let a colleague or a pool (``pool:<key>``) into the case without moving it."""
        now = self.clock.now_ms()
        case = self._staff_case(staff, case_id)
        if not case.is_open:
            raise DomainError("invalid_state", "the case is closed")
        self.consultants[case.id] = self.consultants.get(case.id, frozenset()) | {invitee}
        return case, [ConsultAdded(case.id, staff.user_id, invitee, question, now)]

    def rate(self, p: Principal, case_id: str, score: int) -> tuple[Case, list[Event]]:
        now = self.clock.now_ms()
        case = self.visible_case(p, case_id)
        if p.is_staff or case.state is not CaseState.closed:
            raise DomainError("invalid_state", "patients rate closed cases")
        if case.rating is not None:
            raise DomainError("duplicate", "this case is already rated")
        case = self._change_fields(case, rating=score)
        return case, [CaseChanged(case, "rate", p.user_id, now, str(score))]

    def read(self, p: Principal, room_id: str, seq: int) -> list[Event]:
        room, _, _ = self.room_access(p, room_id)
        if room.move_read(p.user_id, seq):
            return [ReadMoved(room_id, p.user_id, room.reads[p.user_id])]
        return []

    # ------------------------------------------------------------ recovery

    def restore_case(self, case: Case) -> None:
        self._put(case)
        self.rooms.setdefault(case.room, Room(case.room))
        if case.state is CaseState.queued:
            self._queue_entry(case)

    # ------------------------------------------------------------ internals

    def _put(self, case: Case) -> None:
        old = self.cases.get(case.id)
        self.cases[case.id] = case
        for uid in (case.patient_id, case.actor_id, case.assignee):
            if uid is not None:
                self.by_user.setdefault(uid, set()).add(case.id)
        # Kept as cases change, so a claim's cap check does not walk a shift.
        if old is not None and old.assignee is not None and old.is_open:
            held = self.held.get(old.assignee)
            if held is not None:
                held.discard(case.id)
                if not held:
                    del self.held[old.assignee]
        if case.assignee is not None and case.is_open:
            self.held.setdefault(case.assignee, set()).add(case.id)

    def _change_fields(self, case: Case, **changes: object) -> Case:
        """Change fields without a state transition (part of a larger command)."""
        new = dataclasses.replace(case, **changes)  # type: ignore[arg-type]
        self._put(new)
        return new

    def _change(self, case: Case, action: str, **changes: object) -> Case:
        try:
            new = case.apply(action, **changes)
        except TransitionError as e:
            raise DomainError("invalid_state", str(e)) from None
        self._put(new)
        return new

    def _enqueue(self, case: Case, action: str, actor: str, now: int) -> tuple[Case, list[Event]]:
        deadline = self.deadlines.deadline(case.pool, case.urgency, now)
        case = self._change(case, action, enqueued=now, deadline=deadline)
        self._queue_entry(case)
        return case, [CaseChanged(case, action, actor, now)]

    def _queue_entry(self, case: Case) -> None:
        assert case.enqueued is not None and case.deadline is not None
        self.queue(case.pool).push(Waiting(case.id, case.urgency, case.enqueued, case.deadline))

    def _next_for(self, staff: Principal, pool: str | None) -> str:
        pools = [pool] if pool is not None else sorted(staff.pools)
        best: Waiting | None = None
        for name in pools:
            if name not in staff.pools:
                raise DomainError("forbidden", f"you do not work in pool {name}")
            head = self.queue(name).head()
            if head is not None and (best is None or _before(head, best)):
                best = head
        if best is None:
            raise DomainError("not_found", "no waiting cases in your pools")
        return best.case_id

    def _join(self, room_id: str, user_id: str, role: str, now: int) -> list[Event]:
        room = self.rooms[room_id]
        if room.participants.get(user_id) == role:
            return []
        room.participants[user_id] = role
        return [ParticipantAdded(room_id, user_id, role, now)]


_REPLY_MOVES = frozenset(
    {
        (CaseState.assigned, "staff_reply"),
        (CaseState.waiting, "patient_reply"),
    }
)


def _before(a: Waiting, b: Waiting) -> bool:
    """Across pools: U1 first (FIFO), then earliest deadline."""
    ka = (0, a.enqueued) if a.urgency is Urgency.U1 else (1, a.deadline)
    kb = (0, b.enqueued) if b.urgency is Urgency.U1 else (1, b.deadline)
    return ka < kb
