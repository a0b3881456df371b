"""Bookings: publishing slots, booking for a case's patient, cancelling and
rebooking within the unit's rules, with a fake clock.

The state machine at the end lets several patients, a guardian and staff
book, cancel and rebook a few slots in random order while time passes, and
after every step checks that no slot holds two active bookings and that the
bookings match a plain model (none lost, none invented).
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chatserver.domain.booking import (
    DEFAULT_CANCEL_BEFORE_MS,
    MAX_ACTIVE_PER_PATIENT,
    Booking,
    BookingChanged,
    Bookings,
    BookingState,
    Rules,
    Slot,
    SlotSpec,
    SlotsPublished,
)
from chatserver.domain.cases import Case, CaseState
from chatserver.domain.clock import FakeClock
from chatserver.domain.errors import DomainError
from chatserver.domain.principals import Principal
from chatserver.domain.urgency import Urgency

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR

PATIENT = Principal("pat", "patient", "Pia Patient")
OTHER = Principal("other", "patient", "Olle Annan")
PARENT = Principal("parent", "patient", "Gun Förälder", wards=frozenset({"child"}))
NURSE = Principal("nurse", "staff", "Nina Nurse", frozenset({"nurse"}), frozenset({"vc_nurse"}))
SECRETARY = Principal(
    "sec", "staff", "Sara Sekreterare", frozenset({"secretary"}), frozenset({"secretary"})
)
AUDITOR = Principal("aud", "staff", "Ada Auditor", frozenset({"auditor"}))


def case(case_id: str = "c1", patient: str = "pat", actor: str | None = None) -> Case:
    return Case(
        id=case_id,
        room=case_id,
        patient_id=patient,
        actor_id=actor or patient,
        entrance="vc_nurse",
        pool="vc_nurse",
        state=CaseState.active,
        urgency=Urgency.U4,
        complaint="ont i halsen",
        created=0,
        assignee="nurse",
    )


class Ids:
    def __init__(self) -> None:
        self.n = itertools.count(1)

    def __call__(self, prefix: str) -> str:
        return f"{prefix}{next(self.n)}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # Monday 12 January 2026, 09:00 UTC


@pytest.fixture
def bk(clock: FakeClock) -> Bookings:
    return Bookings(clock, Ids())


def publish(
    bk: Bookings, *hours_ahead: float, kind: str = "nurse", unit: str = "vc_centrum"
) -> list[Slot]:
    now = bk.clock.now_ms()
    specs = [
        SlotSpec(now + int(h * HOUR), now + int(h * HOUR) + 20 * MINUTE, kind) for h in hours_ahead
    ]
    slots, _ = bk.publish(NURSE, unit, specs)
    return slots


def code(e: pytest.ExceptionInfo[DomainError]) -> str:
    return e.value.code


# ---------------------------------------------------------------- publishing


def test_publish_makes_free_slots_and_an_event(bk: Bookings) -> None:
    now = bk.clock.now_ms()
    slots, events = bk.publish(
        SECRETARY, "vc_centrum", [SlotSpec(now + DAY, now + DAY + 20 * MINUTE, "nurse")]
    )
    assert [s.unit for s in slots] == ["vc_centrum"] and slots[0].published_by == "sec"
    assert events == [SlotsPublished("vc_centrum", tuple(slots), None, "sec", now)]
    assert bk.free_slots(now, now + 2 * DAY) == slots


def test_only_working_staff_publish(bk: Bookings) -> None:
    now = bk.clock.now_ms()
    spec = [SlotSpec(now + DAY, now + DAY + HOUR, "nurse")]
    for who in (PATIENT, AUDITOR):
        with pytest.raises(DomainError) as e:
            bk.publish(who, "vc_centrum", spec)
        assert code(e) == "forbidden"
    assert not bk.slots


@pytest.mark.parametrize(
    ("start", "end", "why"),
    [
        (DAY, DAY, "end after"),
        (DAY, DAY + 13 * HOUR, "12 hours"),
        (-HOUR, HOUR, "future"),
        (401 * DAY, 401 * DAY + HOUR, "400 days"),
    ],
)
def test_publish_refuses_impossible_slots(bk: Bookings, start: int, end: int, why: str) -> None:
    now = bk.clock.now_ms()
    ok = SlotSpec(now + DAY, now + DAY + HOUR, "nurse")
    with pytest.raises(DomainError) as e:
        bk.publish(NURSE, "vc_centrum", [ok, SlotSpec(now + start, now + end, "nurse")])
    assert code(e) == "bad_request" and why in e.value.message
    assert not bk.slots, "nothing of a refused publish is kept"


def test_publish_sets_the_units_rules(bk: Bookings) -> None:
    assert bk.rules_of("vc_centrum") == Rules(DEFAULT_CANCEL_BEFORE_MS, 2)
    rules = Rules(48 * HOUR, 0)
    _, events = bk.publish(NURSE, "vc_centrum", [], rules)
    assert bk.rules_of("vc_centrum") == rules and bk.rules_of("bvc") == Rules()
    assert isinstance(events[0], SlotsPublished) and events[0].rules == rules


def test_free_slots_filter_and_order(bk: Bookings, clock: FakeClock) -> None:
    late, early = publish(bk, 50, 26)
    doc = publish(bk, 30, kind="physician")[0]
    other = publish(bk, 27, unit="bvc")[0]
    now = clock.now_ms()
    assert bk.free_slots(now, now + 3 * DAY) == [early, other, doc, late]
    assert bk.free_slots(now, now + 3 * DAY, unit="vc_centrum") == [early, doc, late]
    assert bk.free_slots(now, now + 3 * DAY, kind="nurse") == [early, other, late]
    assert bk.free_slots(now + 28 * HOUR, now + 3 * DAY, unit="vc_centrum") == [doc, late]
    assert bk.free_slots(now, now + 3 * DAY, limit=1) == [early]
    bk.book(NURSE, case(), early.id, "staff")
    clock.advance(hours=29)
    assert bk.free_slots(now, now + 3 * DAY, unit="vc_centrum") == [doc, late]
    clock.advance(hours=1)  # doc starts now: no longer free
    assert bk.free_slots(now, now + 3 * DAY, unit="vc_centrum") == [late]


def test_free_slots_bounds_the_range(bk: Bookings) -> None:
    now = bk.clock.now_ms()
    for since, until in ((now, now), (now, now + 63 * DAY)):
        with pytest.raises(DomainError) as e:
            bk.free_slots(since, until)
        assert code(e) == "bad_request"


# ---------------------------------------------------------------- booking


def test_staff_book_for_the_cases_patient(bk: Bookings, clock: FakeClock) -> None:
    slot = publish(bk, 26)[0]
    b, events = bk.book(NURSE, case(patient="child", actor="parent"), slot.id, "staff")
    assert (b.patient_id, b.case_id, b.booked_by, b.state) == ("child", "c1", "nurse", "active")
    assert events == [BookingChanged(b, slot, "book", "nurse", clock.now_ms())]
    assert bk.holder(slot.id) == b.id
    assert bk.of_patients(["child"]) == [b] and bk.of_case("c1") == [b]
    assert bk.change_until(b) == slot.start - DAY and bk.rebooks_left(b) == 2


@pytest.mark.parametrize(
    ("who", "role", "expected"),
    [
        (PATIENT, "patient", "forbidden"),
        (NURSE, "consultant", "not_found"),
        (NURSE, None, "not_found"),
    ],
)
def test_who_may_book(bk: Bookings, who: Principal, role: str | None, expected: str) -> None:
    slot = publish(bk, 26)[0]
    with pytest.raises(DomainError) as e:
        bk.book(who, case(), slot.id, role)
    assert code(e) == expected and bk.holder(slot.id) is None


def test_book_refusals(bk: Bookings, clock: FakeClock) -> None:
    soon, later = publish(bk, 1, 26)
    closed = dataclasses.replace(case(), state=CaseState.closed, closed=0)
    with pytest.raises(DomainError) as e:
        bk.book(NURSE, closed, later.id, "staff")
    assert code(e) == "invalid_state"
    with pytest.raises(DomainError) as e:
        bk.book(NURSE, case(), "s-none", "staff")
    assert code(e) == "not_found"
    clock.advance(hours=1)
    with pytest.raises(DomainError) as e:
        bk.book(NURSE, case(), soon.id, "staff")
    assert code(e) == "invalid_state"


def test_a_taken_slot_is_a_conflict(bk: Bookings) -> None:
    slot = publish(bk, 26)[0]
    first, _ = bk.book(NURSE, case("c1", "pat"), slot.id, "staff")
    with pytest.raises(DomainError) as e:
        bk.book(SECRETARY, case("c2", "other"), slot.id, "staff")
    assert code(e) == "conflict"
    assert bk.holder(slot.id) == first.id and bk.of_patients(["other"]) == []


def test_a_patient_has_a_bounded_number_of_appointments(bk: Bookings) -> None:
    slots = publish(bk, *range(30, 30 + MAX_ACTIVE_PER_PATIENT + 1))
    for s in slots[:-1]:
        bk.book(NURSE, case(), s.id, "staff")
    with pytest.raises(DomainError) as e:
        bk.book(NURSE, case(), slots[-1].id, "staff")
    assert code(e) == "limit_reached"


# ---------------------------------------------------------------- cancel and rebook


def test_patient_cancels_before_the_limit(bk: Bookings, clock: FakeClock) -> None:
    slot = publish(bk, 50)[0]
    b, _ = bk.book(NURSE, case(), slot.id, "staff")
    clock.advance(hours=26)  # exactly 24 h before: still allowed
    cancelled, events = bk.cancel(PATIENT, b.id)
    assert cancelled.state is BookingState.cancelled and cancelled.updated == clock.now_ms()
    assert events == [BookingChanged(cancelled, slot, "cancel", "pat", clock.now_ms(), b)]
    assert bk.holder(slot.id) is None
    assert bk.free_slots(clock.now_ms(), clock.now_ms() + 2 * DAY) == [slot]
    assert bk.of_patients(["pat"]) == [cancelled], "the patient still sees it, cancelled"
    with pytest.raises(DomainError) as e:
        bk.cancel(PATIENT, b.id)
    assert code(e) == "invalid_state"


def test_patient_cannot_cancel_late_but_staff_can(bk: Bookings, clock: FakeClock) -> None:
    slot = publish(bk, 50)[0]
    b, _ = bk.book(NURSE, case(), slot.id, "staff")
    clock.advance(hours=26, seconds=1)
    with pytest.raises(DomainError) as e:
        bk.cancel(PATIENT, b.id)
    assert code(e) == "invalid_state" and "24 hours" in e.value.message
    with pytest.raises(DomainError) as e:
        bk.rebook(PATIENT, b.id, publish(bk, 30)[0].id)
    assert code(e) == "invalid_state"
    cancelled, _ = bk.cancel(NURSE, b.id, "staff")
    assert not cancelled.active


def test_nobody_changes_an_appointment_that_has_started(bk: Bookings, clock: FakeClock) -> None:
    slot = publish(bk, 2)[0]
    b, _ = bk.book(NURSE, case(), slot.id, "staff")
    clock.advance(hours=2)
    with pytest.raises(DomainError) as e:
        bk.cancel(NURSE, b.id, "staff")
    assert code(e) == "invalid_state"


def test_who_reaches_a_booking(bk: Bookings) -> None:
    slot = publish(bk, 50)[0]
    b, _ = bk.book(NURSE, case(patient="child", actor="parent"), slot.id, "staff")
    for who, role in ((OTHER, None), (PATIENT, None), (NURSE, "consultant"), (NURSE, None)):
        with pytest.raises(DomainError) as e:
            bk.cancel(who, b.id, role)
        assert code(e) == "not_found"
    assert bk.visible(PARENT, b.id, None) == b
    assert bk.cancel(PARENT, b.id)[0].state is BookingState.cancelled


def test_rebook_moves_the_booking(bk: Bookings, clock: FakeClock) -> None:
    first, second = publish(bk, 50, 74)
    b, _ = bk.book(NURSE, case(), first.id, "staff")
    moved, events = bk.rebook(PATIENT, b.id, second.id)
    assert (moved.id, moved.slot_id, moved.rebooks) == (b.id, second.id, 1)
    assert events == [BookingChanged(moved, second, "rebook", "pat", clock.now_ms(), b)]
    assert bk.holder(first.id) is None and bk.holder(second.id) == b.id
    assert bk.of_patients(["pat"]) == [moved] and bk.rebooks_left(moved) == 1


def test_rebook_refusals(bk: Bookings) -> None:
    first, taken, free = publish(bk, 50, 74, 98)
    doc = publish(bk, 60, kind="physician")[0]
    elsewhere = publish(bk, 60, unit="bvc")[0]
    b, _ = bk.book(NURSE, case(), first.id, "staff")
    bk.book(NURSE, case("c2", "other"), taken.id, "staff")
    for target, expected in (
        (taken.id, "conflict"),
        (first.id, "bad_request"),
        (doc.id, "bad_request"),
        (elsewhere.id, "bad_request"),
        ("s-none", "not_found"),
    ):
        with pytest.raises(DomainError) as e:
            bk.rebook(PATIENT, b.id, target)
        assert code(e) == expected, target
    assert bk.bookings[b.id] == b and bk.holder(free.id) is None


def test_patients_move_a_booking_at_most_the_units_number_of_times(bk: Bookings) -> None:
    bk.publish(NURSE, "vc_centrum", [], Rules(DAY, 1))
    a, b, c = publish(bk, 50, 74, 98)
    booking, _ = bk.book(NURSE, case(), a.id, "staff")
    bk.rebook(PATIENT, booking.id, b.id)
    with pytest.raises(DomainError) as e:
        bk.rebook(PATIENT, booking.id, c.id)
    assert code(e) == "limit_reached"
    assert bk.rebook(NURSE, booking.id, c.id, "staff")[0].rebooks == 2, "staff are not bound"


# ---------------------------------------------------------------- memory, undo, recovery


def test_ended_slots_are_forgotten_on_the_next_publish(bk: Bookings, clock: FakeClock) -> None:
    old = publish(bk, 1)[0]
    b, _ = bk.book(NURSE, case(), old.id, "staff")
    clock.advance(hours=2)
    assert bk.of_patients(["pat"]) == [], "ended: not listed"
    publish(bk, 30)
    assert old.id not in bk.slots and b.id not in bk.bookings
    assert bk.of_case("c1") == []


def test_undo_takes_back_each_kind_of_change(bk: Bookings) -> None:
    bk.publish(NURSE, "vc_centrum", [], Rules(HOUR, 5))
    a, b = publish(bk, 50, 74)
    slots, events = bk.publish(
        NURSE, "vc_centrum", [SlotSpec(a.start + HOUR, a.end + HOUR, "x")], Rules(DAY, 0)
    )
    bk.undo(events)
    assert slots[0].id not in bk.slots and bk.rules_of("vc_centrum") == Rules(HOUR, 5)

    booking, events = bk.book(NURSE, case(), a.id, "staff")
    bk.undo(events)
    assert bk.bookings == {} and bk.holder(a.id) is None and bk.of_case("c1") == []

    booking, _ = bk.book(NURSE, case(), a.id, "staff")
    _, events = bk.rebook(PATIENT, booking.id, b.id)
    bk.undo(events)
    assert bk.bookings[booking.id] == booking
    assert bk.holder(a.id) == booking.id and bk.holder(b.id) is None

    _, events = bk.cancel(PATIENT, booking.id)
    bk.undo(events)
    assert bk.bookings[booking.id] == booking and bk.holder(a.id) == booking.id


def test_restore_refuses_a_double_booking(bk: Bookings) -> None:
    slot = Slot("s1", "vc_centrum", "nurse", 10**13, 10**13 + HOUR)
    bk.restore_slot(slot)
    bk.restore_booking(Booking("b1", "s1", "c1", "pat", "nurse", 0))
    bk.restore_booking(Booking("b2", "s1", "c2", "other", "nurse", 0, BookingState.cancelled))
    with pytest.raises(ValueError, match="booked twice"):
        bk.restore_booking(Booking("b3", "s1", "c3", "third", "nurse", 0))
    with pytest.raises(ValueError, match="unknown slot"):
        bk.restore_booking(Booking("b4", "s9", "c4", "pat", "nurse", 0))
    assert bk.holder("s1") == "b1"


# ---------------------------------------------------------------- random interleavings

# Several patients (one of them a child whose guardian acts) and staff on a
# few slots. Slots are a few hours to a few days ahead, so time passing makes
# the 24-hour limit and started slots happen often.
PATIENTS = {
    "pat": PATIENT,
    "other": OTHER,
    "child": PARENT,  # the guardian acts for the child
}
SLOT_HOURS = (3, 20, 26, 30, 50)
SLOT_KINDS = ("nurse", "nurse", "nurse", "physician", "nurse")
MAX_REBOOKS = 2


class BookingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.bk = Bookings(self.clock, Ids())
        now = self.clock.now_ms()
        specs = [
            SlotSpec(now + h * HOUR, now + h * HOUR + 30 * MINUTE, k)
            for h, k in zip(SLOT_HOURS, SLOT_KINDS, strict=True)
        ]
        slots, _ = self.bk.publish(NURSE, "vc_centrum", specs, Rules(DAY, MAX_REBOOKS))
        self.slots = {s.id: s for s in slots}
        self.cases = {p: case(f"case-{p}", p, "parent" if p == "child" else p) for p in PATIENTS}
        # The model: booking -> (patient, slot, rebooks, active)
        self.model: dict[str, tuple[str, str, int, bool]] = {}

    # -- the model's view ------------------------------------------------

    def holder(self, slot_id: str) -> str | None:
        held = [b for b, (_, s, _, active) in self.model.items() if active and s == slot_id]
        return held[0] if held else None

    def expect_change(self, b: str, staff: bool) -> str | None:
        """What the domain must refuse a cancel or rebook with, if anything."""
        _, slot_id, _, active = self.model[b]
        start = self.slots[slot_id].start
        now = self.clock.now_ms()
        if not active or start <= now:
            return "invalid_state"
        if not staff and now > start - DAY:
            return "invalid_state"
        return None

    def attempt(self, expected: str | None, command: object) -> Booking | None:
        assert callable(command)
        if expected is None:
            booking, _ = command()
            assert isinstance(booking, Booking)
            return booking
        with pytest.raises(DomainError) as e:
            command()
        assert e.value.code == expected
        return None

    # -- rules -----------------------------------------------------------

    @rule(patient=st.sampled_from(sorted(PATIENTS)), slot=st.integers(0, len(SLOT_HOURS) - 1))
    def book(self, patient: str, slot: int) -> None:
        slot_id = list(self.slots)[slot]
        if self.slots[slot_id].start <= self.clock.now_ms():
            expected: str | None = "invalid_state"
        elif self.holder(slot_id) is not None:
            expected = "conflict"
        else:
            expected = None
        c = self.cases[patient]
        b = self.attempt(expected, lambda: self.bk.book(NURSE, c, slot_id, "staff"))
        if b is not None:
            self.model[b.id] = (patient, slot_id, 0, True)

    @precondition(lambda self: self.model)
    @rule(data=st.data(), by=st.sampled_from(["owner", "staff", "stranger"]))
    def cancel(self, data: st.DataObject, by: str) -> None:
        b = data.draw(st.sampled_from(sorted(self.model)))
        patient, slot_id, rebooks, _ = self.model[b]
        actor, role, expected = self.actor(b, patient, by)
        if expected is None:
            expected = self.expect_change(b, by == "staff")
        if self.attempt(expected, lambda: self.bk.cancel(actor, b, role)) is not None:
            self.model[b] = (patient, slot_id, rebooks, False)

    @precondition(lambda self: self.model)
    @rule(
        data=st.data(),
        by=st.sampled_from(["owner", "staff", "stranger"]),
        slot=st.integers(0, len(SLOT_HOURS) - 1),
    )
    def rebook(self, data: st.DataObject, by: str, slot: int) -> None:
        b = data.draw(st.sampled_from(sorted(self.model)))
        patient, old, rebooks, active = self.model[b]
        target = list(self.slots)[slot]
        actor, role, expected = self.actor(b, patient, by)
        if expected is None:
            expected = self.expect_change(b, by == "staff")
        if expected is None and by != "staff" and rebooks >= MAX_REBOOKS:
            expected = "limit_reached"
        if expected is None:
            if target == old:
                expected = "bad_request"
            elif self.slots[target].start <= self.clock.now_ms():
                expected = "invalid_state"
            elif self.holder(target) is not None:
                expected = "conflict"
            elif self.slots[target].kind != self.slots[old].kind:
                expected = "bad_request"
        if self.attempt(expected, lambda: self.bk.rebook(actor, b, target, role)) is not None:
            self.model[b] = (patient, target, rebooks + 1, active)

    @rule(minutes=st.sampled_from([30, 60, 6 * 60, 19 * 60]))
    def time_passes(self, minutes: int) -> None:
        self.clock.advance(minutes=minutes)

    def actor(self, b: str, patient: str, by: str) -> tuple[Principal, str | None, str | None]:
        if by == "staff":
            return NURSE, "staff", None
        if by == "owner":
            return PATIENTS[patient], None, None
        return (PATIENT if patient == "other" else OTHER), None, "not_found"

    # -- invariants ------------------------------------------------------

    @invariant()
    def no_slot_is_booked_twice(self) -> None:
        active = [b.slot_id for b in self.bk.bookings.values() if b.active]
        assert len(active) == len(set(active))
        for slot_id in self.slots:
            assert self.bk.holder(slot_id) == self.holder(slot_id)

    @invariant()
    def no_booking_is_lost_or_invented(self) -> None:
        seen = {
            b.id: (b.patient_id, b.slot_id, b.rebooks, b.active) for b in self.bk.bookings.values()
        }
        assert seen == self.model


BookingMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestBookingInterleavings = BookingMachine.TestCase
