"""State: every command of the in-memory world, with a fake clock.

Also the access rules the state applies (access.room_role, access.basis) and
the staffed-time deadlines (deadlines.StaffedDeadlines) it can be given.
No sockets, no sleeps: time moves by FakeClock.advance.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatserver.domain import access
from chatserver.domain.cases import Case, CaseState
from chatserver.domain.clock import FakeClock, to_datetime, to_ms
from chatserver.domain.deadlines import StaffedDeadlines
from chatserver.domain.errors import DomainError
from chatserver.domain.events import (
    CaseChanged,
    ChatMessage,
    Event,
    MessagePosted,
    ParticipantAdded,
    ReadMoved,
)
from chatserver.domain.hours import TZ, OpeningHours
from chatserver.domain.principals import Principal
from chatserver.domain.state import REOPEN_WINDOW_MS, FixedTargets, State
from chatserver.domain.urgency import Urgency

MINUTE = 60_000
HOUR = 60 * MINUTE

PATIENT = Principal("pat", "patient", "Pia Patient", pnr="191212121212")
OTHER = Principal("other", "patient", "Olle Annan")
PARENT = Principal("parent", "patient", "Gun Förälder", wards=frozenset({"child"}))
OTHER_PARENT = Principal("parent2", "patient", "Per Förälder", wards=frozenset({"child"}))
NURSE = Principal(
    "nurse", "staff", "Nina Nurse", frozenset({"nurse"}), frozenset({"nurse_1177", "vc_nurse"})
)
NURSE2 = Principal("nurse2", "staff", "Nils Nurse", frozenset({"nurse"}), frozenset({"vc_nurse"}))
SECRETARY = Principal(
    "sec", "staff", "Sara Sekreterare", frozenset({"secretary"}), frozenset({"secretary"})
)
PHYSICIAN = Principal(
    "doc", "staff", "Lars Läkare", frozenset({"physician"}), frozenset({"physician"})
)
AUDITOR = Principal("aud", "staff", "Ada Auditor", frozenset({"auditor"}))


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Stockholm wall-clock time as a UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # Monday 12 January 2026, 10:00 in Stockholm


@pytest.fixture
def state(clock: FakeClock) -> State:
    ids = itertools.count(1)
    return State(clock, lambda: f"c{next(ids)}")


def open_direct(
    state: State,
    pool: str = "vc_nurse",
    urgency: Urgency = Urgency.U3,
    who: Principal = PATIENT,
) -> Case:
    case, _ = state.open_case(
        who, subject_id=who.user_id, entrance="direct", pool=pool, urgency=urgency, complaint="x"
    )
    return case


def open_triage(state: State, who: Principal = PATIENT) -> Case:
    case, _ = state.open_case(
        who,
        subject_id=who.user_id,
        entrance="seek_care",
        pool="nurse_1177",
        urgency=Urgency.U5,
        complaint="ont i magen",
        triage=True,
    )
    return case


def error_code(excinfo: pytest.ExceptionInfo[DomainError]) -> str:
    return excinfo.value.code


def actions(events: list[Event]) -> list[str]:
    return [e.action for e in events if isinstance(e, CaseChanged)]


def commit(state: State, events: list[Event]) -> None:
    """What the service does after the store committed: mark messages durable."""
    for e in events:
        if isinstance(e, MessagePosted):
            state.rooms[e.message.room].mark_committed(e.message)


# -- open_case ---------------------------------------------------------------


def test_direct_entrance_goes_straight_to_the_queue(state: State, clock: FakeClock) -> None:
    now = clock.now_ms()
    case, events = state.open_case(
        PATIENT,
        subject_id="pat",
        entrance="direct",
        pool="vc_nurse",
        urgency=Urgency.U2,
        complaint="feber",
    )
    assert case.state is CaseState.queued
    assert (case.enqueued, case.deadline) == (now, now + 60 * MINUTE)
    assert (case.patient_id, case.actor_id, case.room) == ("pat", "pat", case.id)
    assert actions(events) == ["create", "enqueue"]
    assert ParticipantAdded(case.room, "pat", "patient", now) in events
    assert state.queue("vc_nurse").entries()[0].case_id == case.id
    assert state.rooms[case.room].participants == {"pat": "patient"}
    assert state.cases_of(PATIENT) == [case]
    assert state.cases[case.id] == case


def test_triage_entrance_stays_in_triage(state: State) -> None:
    case = open_triage(state)
    assert case.state is CaseState.triage
    assert case.enqueued is None
    assert len(state.queue("nurse_1177")) == 0
    assert case.is_open


def test_guardian_opens_a_case_for_a_child(state: State, clock: FakeClock) -> None:
    case, events = state.open_case(
        PARENT,
        subject_id="child",
        entrance="seek_care",
        pool="bvc",
        urgency=Urgency.U4,
        complaint="utslag",
        triage=True,
    )
    now = clock.now_ms()
    assert (case.patient_id, case.actor_id) == ("child", "parent")
    assert state.rooms[case.room].participants == {"child": "patient", "parent": "guardian"}
    assert ParticipantAdded(case.room, "parent", "guardian", now) in events
    assert state.cases_of(PARENT) == [case]
    # The other guardian reaches the child's case through the wards list.
    assert state.cases_of(OTHER_PARENT) == [case]
    assert state.visible_case(OTHER_PARENT, case.id) == case
    assert state.cases_of(OTHER) == []


# -- triage_done -------------------------------------------------------------


def test_triage_to_queue(state: State, clock: FakeClock) -> None:
    case = open_triage(state)
    clock.advance(minutes=5)
    case, events = state.triage_done(PATIENT, case.id, "queue", Urgency.U2, "vc_nurse")
    now = clock.now_ms()
    assert case.state is CaseState.queued
    assert (case.urgency, case.pool) == (Urgency.U2, "vc_nurse")
    assert (case.enqueued, case.deadline) == (now, now + HOUR)
    assert actions(events) == ["enqueue"]
    assert case.id in state.queue("vc_nurse")
    assert case.id not in state.queue("nurse_1177")


def test_triage_to_112(state: State) -> None:
    case = open_triage(state)
    case, events = state.triage_done(PATIENT, case.id, "call_112", Urgency.U0, "nurse_1177")
    assert case.state is CaseState.referred_112
    assert case.urgency is Urgency.U0
    assert not case.is_open
    assert [(e.action, e.note) for e in events if isinstance(e, CaseChanged)] == [
        ("refer_112", "call_112")
    ]
    assert len(state.queue("nurse_1177")) == 0


def test_triage_redirect_closes_for_good(state: State, clock: FakeClock) -> None:
    case = open_triage(state)
    case, events = state.triage_done(PATIENT, case.id, "redirect", Urgency.U2, "nurse_1177")
    assert case.state is CaseState.closed
    assert (case.closed, case.outcome) == (clock.now_ms(), "redirected")
    assert actions(events) == ["redirect"]
    with pytest.raises(DomainError) as err:
        state.reopen(PATIENT, case.id, REOPEN_WINDOW_MS)
    assert error_code(err) == "invalid_state"


@pytest.mark.parametrize("disposition", ["self_care", "booking"])
def test_triage_to_self_care(state: State, disposition: str) -> None:
    case = open_triage(state)
    case, events = state.triage_done(PATIENT, case.id, disposition, Urgency.U6, "nurse_1177")
    assert case.state is CaseState.self_care
    assert [(e.action, e.note) for e in events if isinstance(e, CaseChanged)] == [
        ("self_care", disposition)
    ]
    assert len(state.queue("nurse_1177")) == 0


def test_triage_done_only_in_triage_and_only_for_the_patient(state: State) -> None:
    case = open_triage(state)
    with pytest.raises(DomainError) as err:
        state.triage_done(OTHER, case.id, "queue", Urgency.U3, "vc_nurse")
    assert error_code(err) == "not_found"
    state.triage_done(PATIENT, case.id, "queue", Urgency.U3, "vc_nurse")
    with pytest.raises(DomainError) as err:
        state.triage_done(PATIENT, case.id, "queue", Urgency.U3, "vc_nurse")
    assert error_code(err) == "invalid_state"


# -- ask_person --------------------------------------------------------------


def test_ask_person_after_self_care(state: State, clock: FakeClock) -> None:
    case = open_triage(state)
    state.triage_done(PATIENT, case.id, "self_care", Urgency.U6, "nurse_1177")
    clock.advance(hours=1)
    case, events = state.ask_person(PATIENT, case.id, REOPEN_WINDOW_MS)
    assert case.state is CaseState.queued
    assert case.urgency is Urgency.U6
    assert case.enqueued == clock.now_ms()
    assert actions(events) == ["ask_person"]
    assert state.queue("nurse_1177").entries()[0].urgency is Urgency.U6


def test_ask_person_only_after_self_care(state: State) -> None:
    case = open_triage(state)
    with pytest.raises(DomainError) as err:
        state.ask_person(PATIENT, case.id, REOPEN_WINDOW_MS)
    assert error_code(err) == "invalid_state"
    with pytest.raises(DomainError) as err:
        state.ask_person(OTHER, case.id, REOPEN_WINDOW_MS)
    assert error_code(err) == "not_found"


def test_ask_person_within_the_window(state: State, clock: FakeClock) -> None:
    case = open_triage(state)
    state.triage_done(PATIENT, case.id, "self_care", Urgency.U6, "nurse_1177")
    clock.advance(hours=4 * 24)
    assert state.ask_person(PATIENT, case.id, REOPEN_WINDOW_MS)[0].state is CaseState.queued
    late = open_triage(state)
    state.triage_done(PATIENT, late.id, "self_care", Urgency.U6, "nurse_1177")
    clock.advance(hours=4 * 24, minutes=1)
    with pytest.raises(DomainError) as err:
        state.ask_person(PATIENT, late.id, REOPEN_WINDOW_MS)
    assert error_code(err) == "invalid_state"


# -- claim -------------------------------------------------------------------


def test_claim_a_given_case(state: State, clock: FakeClock) -> None:
    case = open_direct(state)
    clock.advance(minutes=3)
    claimed, events = state.claim(NURSE, case.id, None)
    now = clock.now_ms()
    assert claimed.state is CaseState.assigned
    assert claimed.assignee == "nurse"
    assert case.id not in state.queue("vc_nurse")
    assert actions(events) == ["assign"]
    assert ParticipantAdded(case.room, "nurse", "staff", now) in events
    assert state.rooms[case.room].participants["nurse"] == "staff"
    assert claimed in state.cases_of(NURSE)


def test_claim_next_takes_the_earliest_deadline_across_pools(
    state: State, clock: FakeClock
) -> None:
    routine = open_direct(state, "vc_nurse", Urgency.U3)  # deadline +240 min
    clock.advance(minutes=30)
    urgent = open_direct(state, "nurse_1177", Urgency.U2, OTHER)  # deadline +90 min
    first, _ = state.claim(NURSE, None, None)
    assert first.id == urgent.id
    second, _ = state.claim(NURSE, None, None)
    assert second.id == routine.id
    with pytest.raises(DomainError) as err:
        state.claim(NURSE, None, None)
    assert error_code(err) == "not_found"


def test_claim_next_takes_u1_first(state: State, clock: FakeClock) -> None:
    u2 = open_direct(state, "vc_nurse", Urgency.U2)  # deadline 10:00 + 60 min
    clock.advance(minutes=50)
    u1 = open_direct(state, "nurse_1177", Urgency.U1, OTHER)  # deadline 10:50 + 15 min
    assert u1.deadline is not None and u2.deadline is not None
    assert u1.deadline > u2.deadline
    first, _ = state.claim(NURSE, None, None)
    assert first.id == u1.id


def test_claim_next_in_one_pool(state: State, clock: FakeClock) -> None:
    open_direct(state, "nurse_1177", Urgency.U1)
    later = open_direct(state, "vc_nurse", Urgency.U5, OTHER)
    got, _ = state.claim(NURSE, None, "vc_nurse")
    assert got.id == later.id
    with pytest.raises(DomainError) as err:
        state.claim(NURSE, None, "secretary")
    assert error_code(err) == "forbidden"


def test_claim_conflict_when_taken(state: State) -> None:
    case = open_direct(state)
    state.claim(NURSE, case.id, None)
    with pytest.raises(DomainError) as err:
        state.claim(NURSE2, case.id, None)
    assert error_code(err) == "conflict"
    assert state.cases[case.id].assignee == "nurse"


def test_claim_outside_own_pools_is_not_found(state: State) -> None:
    case = open_direct(state, "vc_nurse")
    for staff in (SECRETARY, AUDITOR):
        with pytest.raises(DomainError) as err:
            state.claim(staff, case.id, None)
        assert error_code(err) == "not_found"
    with pytest.raises(DomainError) as err:
        state.claim(NURSE, "no-such-case", None)
    assert error_code(err) == "not_found"
    assert case.id in state.queue("vc_nurse")


def test_claim_is_for_staff(state: State) -> None:
    case = open_direct(state)
    with pytest.raises(DomainError) as err:
        state.claim(PATIENT, case.id, None)
    assert error_code(err) == "forbidden"


def test_claim_a_case_still_in_triage_conflicts(state: State) -> None:
    case = open_triage(state)
    with pytest.raises(DomainError) as err:
        state.claim(NURSE, case.id, None)
    assert error_code(err) == "conflict"


def test_claim_limit(clock: FakeClock) -> None:
    ids = itertools.count(1)
    state = State(clock, lambda: f"c{next(ids)}", max_cases_per_staff=2)
    cases = [open_direct(state, who=p) for p in (PATIENT, OTHER, PARENT)]
    state.claim(NURSE, cases[0].id, None)
    state.claim(NURSE, cases[1].id, None)
    with pytest.raises(DomainError) as err:
        state.claim(NURSE, cases[2].id, None)
    assert error_code(err) == "limit_reached"
    assert cases[2].id in state.queue("vc_nurse")
    # Another nurse is not limited by this one's cases; closing frees a place.
    state.close(NURSE, cases[0].id, "advice")
    got, _ = state.claim(NURSE, cases[2].id, None)
    assert got.assignee == "nurse"


def test_claim_limit_counts_only_cases_one_holds(clock: FakeClock) -> None:
    ids = itertools.count(1)
    state = State(clock, lambda: f"c{next(ids)}", max_cases_per_staff=1)
    first = open_direct(state)
    state.claim(NURSE, first.id, None)
    state.close(NURSE, first.id, "advice")
    state.reopen(PATIENT, first.id, REOPEN_WINDOW_MS)  # back in the queue, nobody's
    second = open_direct(state, who=OTHER)
    got, _ = state.claim(NURSE, second.id, None)
    assert got.assignee == "nurse"


# -- close and reopen --------------------------------------------------------


def test_close_a_queued_case(state: State, clock: FakeClock) -> None:
    case = open_direct(state)
    clock.advance(minutes=1)
    closed, events = state.close(NURSE, case.id, "advice")
    assert closed.state is CaseState.closed
    assert (closed.closed, closed.outcome) == (clock.now_ms(), "advice")
    assert actions(events) == ["close"]
    assert case.id not in state.queue("vc_nurse")
    assert not closed.is_open


def test_close_an_assigned_case(state: State) -> None:
    case = open_direct(state)
    state.claim(NURSE, case.id, None)
    closed, _ = state.close(NURSE, case.id, "booked")
    assert closed.state is CaseState.closed
    assert closed.assignee == "nurse"


def test_close_is_for_staff_who_reach_the_case(state: State) -> None:
    case = open_direct(state)
    with pytest.raises(DomainError) as err:
        state.close(PATIENT, case.id, "advice")
    assert error_code(err) == "forbidden"
    with pytest.raises(DomainError) as err:
        state.close(SECRETARY, case.id, "advice")
    assert error_code(err) == "not_found"
    assert state.cases[case.id].state is CaseState.queued
    assert case.id in state.queue("vc_nurse")


def test_close_twice_or_in_triage_is_invalid(state: State) -> None:
    case = open_direct(state)
    state.close(NURSE, case.id, "advice")
    with pytest.raises(DomainError) as err:
        state.close(NURSE, case.id, "advice")
    assert error_code(err) == "invalid_state"
    in_triage = open_triage(state, OTHER)
    with pytest.raises(DomainError) as err:
        state.close(NURSE, in_triage.id, "advice")
    assert error_code(err) == "invalid_state"


def test_reopen_inside_the_window(state: State, clock: FakeClock) -> None:
    case = open_direct(state)
    state.claim(NURSE, case.id, None)
    state.close(NURSE, case.id, "advice")
    clock.advance(days=4)  # the last instant of the window still counts
    again, events = state.reopen(PATIENT, case.id, REOPEN_WINDOW_MS)
    now = clock.now_ms()
    assert again.state is CaseState.queued
    assert (again.closed, again.outcome, again.assignee) == (None, None, None)
    assert (again.enqueued, again.deadline) == (now, now + 240 * MINUTE)
    assert actions(events) == ["reopen", "enqueue"]
    assert case.id in state.queue("vc_nurse")


def test_reopen_outside_the_window(state: State, clock: FakeClock) -> None:
    case = open_direct(state)
    state.close(NURSE, case.id, "advice")
    clock.advance(days=4, milliseconds=1)
    with pytest.raises(DomainError) as err:
        state.reopen(PATIENT, case.id, REOPEN_WINDOW_MS)
    assert error_code(err) == "invalid_state"
    assert state.cases[case.id].state is CaseState.closed


def test_reopen_refusals(state: State) -> None:
    case = open_direct(state)
    with pytest.raises(DomainError) as err:
        state.reopen(PATIENT, case.id, REOPEN_WINDOW_MS)
    assert error_code(err) == "invalid_state"  # still open
    state.close(NURSE, case.id, "conduct")
    with pytest.raises(DomainError) as err:
        state.reopen(PATIENT, case.id, REOPEN_WINDOW_MS)
    assert error_code(err) == "invalid_state"  # closed for conduct
    with pytest.raises(DomainError) as err:
        state.reopen(OTHER, case.id, REOPEN_WINDOW_MS)
    assert error_code(err) == "not_found"


# -- post and read -----------------------------------------------------------


def test_patient_post_does_not_move_the_case(state: State, clock: FakeClock) -> None:
    case = open_direct(state)
    posted = state.post(PATIENT, case.room, "m1", "hej", None)
    assert posted.new
    assert (posted.seq, posted.ts) == (1, clock.now_ms())
    [event] = posted.events
    assert isinstance(event, MessagePosted)
    assert event.message == ChatMessage(
        case.room, 1, "m1", "pat", "Pia Patient", "patient", "hej", clock.now_ms(), None
    )
    assert state.cases[case.id].state is CaseState.queued


def test_staff_reply_makes_an_assigned_case_active(state: State, clock: FakeClock) -> None:
    case = open_direct(state)
    state.claim(NURSE, case.id, None)
    assert state.post(PATIENT, case.room, "p1", "är ni där?", None).events[1:] == []
    assert state.cases[case.id].state is CaseState.assigned
    clock.advance(seconds=10)
    posted = state.post(NURSE, case.room, "s1", "Hej!", "att-1")
    assert posted.seq == 2
    assert actions(posted.events) == ["staff_reply"]
    assert state.cases[case.id].state is CaseState.active
    message = posted.events[0]
    assert isinstance(message, MessagePosted)
    assert (message.message.role, message.message.att) == ("staff", "att-1")
    # Later replies change nothing more.
    assert actions(state.post(NURSE, case.room, "s2", "Hur mår du?", None).events) == []


def test_waiting_case_becomes_active_on_patient_reply(state: State) -> None:
    case = open_direct(state)
    state.claim(NURSE, case.id, None)
    state.post(NURSE, case.room, "s1", "Skicka en bild", None)
    # No State command moves a case to waiting yet; set it as one would.
    state.cases[case.id] = state.cases[case.id].apply("wait_patient")
    posted = state.post(PATIENT, case.room, "p1", "här", "att-2")
    assert actions(posted.events) == ["patient_reply"]
    assert state.cases[case.id].state is CaseState.active


def test_resend_returns_the_first_answer(state: State, clock: FakeClock) -> None:
    case = open_direct(state)
    first = state.post(PATIENT, case.room, "m1", "hej", None)
    clock.advance(seconds=30)
    again = state.post(PATIENT, case.room, "m1", "hej", None)
    assert not again.new
    assert (again.seq, again.ts) == (first.seq, first.ts)
    assert again.events == []
    assert state.rooms[case.room].head == 1


def test_closed_case_refuses_posts(state: State) -> None:
    case = open_direct(state)
    state.close(NURSE, case.id, "advice")
    with pytest.raises(DomainError) as err:
        state.post(PATIENT, case.room, "m1", "hallå?", None)
    assert error_code(err) == "invalid_state"


def test_post_needs_access(state: State) -> None:
    case = open_direct(state)
    for outsider in (OTHER, SECRETARY, AUDITOR):
        with pytest.raises(DomainError) as err:
            state.post(outsider, case.room, "m1", "x", None)
        assert error_code(err) == "not_found"
    with pytest.raises(DomainError) as err:
        state.post(PATIENT, "no-such-room", "m1", "x", None)
    assert error_code(err) == "not_found"


def test_a_consultant_answers_in_the_staff_thread_and_nothing_more(state: State) -> None:
    """Issue 4: consulted staff see the case and chat in a staff-only thread;
    the case stays with its pool, and a closed case is no longer theirs."""
    case = open_direct(state)
    state.claim(NURSE, case.id, None)
    state.consultants[case.id] = frozenset({"doc"})
    posted = state.post(PHYSICIAN, f"{case.room}~staff", "d1", "Jag tittar på bilden", None)
    message = posted.events[0]
    assert isinstance(message, MessagePosted)
    assert message.message.role == "consultant"
    acts: dict[str, Callable[[], object]] = {
        "write to the patient": lambda: state.post(PHYSICIAN, case.room, "d2", "Hej", None),
        "retriage": lambda: state.retriage(PHYSICIAN, case.id, Urgency.U2, "x"),
        "transfer": lambda: state.transfer(PHYSICIAN, case.id, "physician", ""),
        "invite more": lambda: state.consult(PHYSICIAN, case.id, "sec", "?"),
        "close": lambda: state.close(PHYSICIAN, case.id, "conduct", "x"),
    }
    for what, act in acts.items():
        with pytest.raises(DomainError) as err:
            act()
        assert error_code(err) == "forbidden", what
    state.close(NURSE, case.id, "advice")
    with pytest.raises(DomainError) as err:
        state.visible_case(PHYSICIAN, case.id)
    assert error_code(err) == "not_found"


def test_read_marks_follow_commits(state: State) -> None:
    case = open_direct(state)
    first = state.post(PATIENT, case.room, "m1", "ett", None)
    second = state.post(PATIENT, case.room, "m2", "två", None)
    assert state.read(NURSE, case.room, 2) == []  # nothing committed yet
    commit(state, first.events)
    assert state.read(NURSE, case.room, 2) == [ReadMoved(case.room, "nurse", 1)]
    commit(state, second.events)
    assert state.read(NURSE, case.room, 2) == [ReadMoved(case.room, "nurse", 2)]
    assert state.read(NURSE, case.room, 1) == []  # never back
    assert state.read(NURSE, case.room, 2) == []
    assert state.read(PATIENT, case.room, 9) == [ReadMoved(case.room, "pat", 2)]
    with pytest.raises(DomainError) as err:
        state.read(OTHER, case.room, 1)
    assert error_code(err) == "not_found"


# -- access ------------------------------------------------------------------


def a_case(**changes: object) -> Case:
    base = Case(
        id="c1",
        room="c1",
        patient_id="pat",
        actor_id="pat",
        entrance="direct",
        pool="vc_nurse",
        state=CaseState.active,
        urgency=Urgency.U3,
        complaint="x",
        created=0,
        assignee="nurse2",
    )
    return base.apply("staff_reply", **changes)


def test_room_role_of_every_kind_of_person() -> None:
    case = a_case()
    child_case = a_case(patient_id="child", actor_id="parent")
    assigned_elsewhere = a_case(pool="physician", assignee="nurse2")
    consulted = frozenset({"doc"})
    assert access.room_role(PATIENT, case) == "patient"
    assert access.room_role(OTHER, case) is None
    assert access.room_role(PARENT, child_case) == "guardian"  # actor and ward
    assert access.room_role(OTHER_PARENT, child_case) == "guardian"  # ward only
    assert access.room_role(PARENT, case) is None
    assert access.room_role(NURSE, case) == "staff"  # pool member
    assert access.room_role(NURSE2, assigned_elsewhere) == "staff"  # assignee
    assert access.room_role(NURSE, assigned_elsewhere) is None
    assert access.room_role(PHYSICIAN, case) is None
    assert access.room_role(PHYSICIAN, case, consulted) == "consultant"
    assert access.room_role(SECRETARY, case, consulted) is None
    assert access.room_role(AUDITOR, case) is None
    # A patient id in the consultant set gives a patient nothing.
    assert access.room_role(OTHER, case, frozenset({"other"})) is None


def test_access_basis_for_the_audit_log() -> None:
    case = a_case()
    child_case = a_case(patient_id="child", actor_id="parent")
    assert access.basis(PATIENT, case) == "own_case"
    assert access.basis(OTHER_PARENT, child_case) == "guardian"
    assert access.basis(NURSE2, case) == "assigned"
    assert access.basis(NURSE, case) == "pool_member"
    assert access.basis(PHYSICIAN, case, frozenset({"doc"})) == "consulted"
    assert access.basis(SECRETARY, case) == "none"


def test_visible_case_hides_existence(state: State) -> None:
    case = open_direct(state)
    for outsider in (OTHER, SECRETARY):
        with pytest.raises(DomainError) as err:
            state.visible_case(outsider, case.id)
        assert error_code(err) == "not_found"
    assert state.visible_case(NURSE, case.id) == case
    assert state.role_in(NURSE, case) == "staff"


# -- deadlines ---------------------------------------------------------------

WEEKDAYS = OpeningHours.parse({"mon-fri": "08:00-16:00"})


def staffed_deadline(urgency: Urgency, at: datetime, pool: str = "vc_nurse") -> datetime:
    policy = StaffedDeadlines({"vc_nurse": WEEKDAYS})
    return to_datetime(policy.deadline(pool, urgency, to_ms(at)))


def test_u2_late_on_friday_is_due_monday_morning() -> None:
    friday = local(2026, 1, 16, 15, 30)
    assert staffed_deadline(Urgency.U2, friday) == local(2026, 1, 19, 8, 30)


def test_u2_before_easter_skips_the_holidays() -> None:
    # Långfredagen 3 April and annandag påsk 6 April 2026 are closed.
    thursday = local(2026, 4, 2, 15, 30)
    assert staffed_deadline(Urgency.U2, thursday) == local(2026, 4, 7, 8, 30)


def test_u1_at_night_is_due_just_after_opening() -> None:
    assert staffed_deadline(Urgency.U1, local(2026, 1, 13, 23, 0)) == local(2026, 1, 14, 8, 15)


@pytest.mark.parametrize(
    ("at", "due"),
    [
        (local(2026, 1, 13, 22, 0), local(2026, 1, 14, 16, 0)),  # Tuesday night
        (local(2026, 1, 14, 3, 0), local(2026, 1, 14, 16, 0)),  # early Wednesday
        (local(2026, 1, 14, 10, 0), local(2026, 1, 14, 16, 0)),  # during the day
        (local(2026, 1, 16, 17, 0), local(2026, 1, 19, 16, 0)),  # Friday evening
    ],
)
@pytest.mark.parametrize("urgency", [Urgency.U4, Urgency.U5, Urgency.U6])
def test_end_of_day_urgencies_get_the_next_closing(
    urgency: Urgency, at: datetime, due: datetime
) -> None:
    assert staffed_deadline(urgency, at) == due


@pytest.mark.parametrize(
    ("urgency", "minutes"),
    [(Urgency.U1, 15), (Urgency.U2, 60), (Urgency.U3, 240), (Urgency.U4, 480), (Urgency.U6, 480)],
)
def test_pools_without_hours_use_plain_targets(urgency: Urgency, minutes: int) -> None:
    friday_evening = local(2026, 1, 16, 23, 0)
    due = friday_evening + timedelta(minutes=minutes)
    assert staffed_deadline(urgency, friday_evening, pool="nurse_1177") == due
    at = to_ms(friday_evening)
    assert FixedTargets().deadline("any", urgency, at) == at + minutes * MINUTE


def test_staffed_deadlines_open_and_next_opening() -> None:
    policy = StaffedDeadlines({"vc_nurse": WEEKDAYS})
    saturday = to_ms(local(2026, 1, 17, 12, 0))
    assert not policy.is_open("vc_nurse", saturday)
    assert policy.next_opening("vc_nurse", saturday) == to_ms(local(2026, 1, 19, 8, 0))
    assert policy.is_open("nurse_1177", saturday)
    assert policy.next_opening("nurse_1177", saturday) == saturday


def test_state_uses_its_deadline_policy(clock: FakeClock) -> None:
    clock.set(local(2026, 1, 16, 15, 30))
    ids = itertools.count(1)
    state = State(clock, lambda: f"c{next(ids)}", StaffedDeadlines({"vc_nurse": WEEKDAYS}))
    case = open_direct(state, "vc_nurse", Urgency.U2)
    assert case.deadline == to_ms(local(2026, 1, 19, 8, 30))
    assert state.queue("vc_nurse").entry(case.id).deadline == case.deadline
    elsewhere = open_direct(state, "nurse_1177", Urgency.U2, OTHER)
    assert elsewhere.deadline == clock.now_ms() + HOUR


# -- recovery ----------------------------------------------------------------


def test_restore_case_requeues_queued_cases(clock: FakeClock) -> None:
    ids = itertools.count(1)
    source = State(clock, lambda: f"c{next(ids)}")
    queued = open_direct(source)
    assigned = open_direct(source, who=OTHER)
    source.claim(NURSE, assigned.id, None)
    restored = State(clock, lambda: "unused")
    for case in source.cases.values():
        restored.restore_case(case)
    assert restored.queue("vc_nurse").entries() == source.queue("vc_nurse").entries()
    assert [w.case_id for w in restored.queue("vc_nurse").entries()] == [queued.id]
    assert set(restored.rooms) == {queued.room, assigned.room}
    assert [c.id for c in restored.cases_of(NURSE)] == [assigned.id]


_STAFF = (NURSE, NURSE2)
_STEP = st.tuples(
    st.sampled_from(["open", "claim", "close", "release", "transfer", "reopen"]),
    st.integers(0, 5),
    st.integers(0, 1),
)


@given(st.lists(_STEP, max_size=60))
def test_held_cases_match_a_full_count(steps: list[tuple[str, int, int]]) -> None:
    """The claim cap reads ``State.held``, kept as cases change; it must always
    equal counting every open case by its assignee."""
    ids = itertools.count(1)
    state = State(FakeClock(), lambda: f"c{next(ids)}", max_cases_per_staff=3)
    opened: list[str] = []
    for action, k, j in steps:
        staff = _STAFF[j]
        case_id = opened[k % len(opened)] if opened else None
        with contextlib.suppress(DomainError):
            if action == "open":
                opened.append(open_direct(state, who=(PATIENT, OTHER)[j]).id)
            elif action == "claim":
                state.claim(staff, case_id, None if case_id else "vc_nurse")
            elif case_id is None:
                continue
            elif action == "close":
                state.close(staff, case_id, "advice")
            elif action == "release":
                state.release(staff, case_id)
            elif action == "transfer":
                state.transfer(staff, case_id, "nurse_1177", "")
            else:
                state.reopen((PATIENT, OTHER)[j], case_id, REOPEN_WINDOW_MS)
        counted: dict[str, set[str]] = {}
        for c in state.cases.values():
            if c.assignee is not None and c.is_open:
                counted.setdefault(c.assignee, set()).add(c.id)
        assert state.held == counted


def test_a_patient_cannot_crowd_the_queue(clock: FakeClock) -> None:
    ids = itertools.count(1)
    state = State(clock, lambda: f"c{next(ids)}", max_open_per_patient=2)
    first, _ = (open_direct(state), open_direct(state))
    with pytest.raises(DomainError) as err:
        open_direct(state)
    assert error_code(err) == "limit_reached"
    assert len(state.queue("vc_nurse").entries()) == 2
    open_direct(state, who=OTHER)  # someone else is not limited by her cases
    state.close(NURSE, first.id, "advice")
    open_direct(state)  # a closed case frees a place
