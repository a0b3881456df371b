"""Booking end to end through the real server with the SDK (issue 4): staff
publish slots and book one for a patient from a case, the patient sees it,
rebooks and cancels within the unit's rules, two staff racing for one slot
get exactly one booking, bookings survive a restart, and the database itself
refuses a double booking."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest

from chatserver.domain.clock import FakeClock
from chatserver.service import booking
from chatserver.store import db, migrate
from clients.sdk import Client, ServerError, login_patient, login_staff
from protocol.frames import (
    Book,
    BookingCancel,
    BookingList,
    BookingS,
    BookingsC,
    CaseUpdate,
    Claim,
    Frame,
    NewSlot,
    OpenCase,
    Rebook,
    SlotList,
    SlotPublish,
    SlotsC,
    UnitRules,
)
from tests.support.server import PATIENT, Running, running_server

OTHER_PATIENT = "200306062381"  # Alva Provsson, listed at vc_centrum too
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
# Monday 2 March 2026, 09:00 in Stockholm.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

F = TypeVar("F", bound=Frame)


@contextlib.asynccontextmanager
async def booking_server(path: Path, clock: FakeClock) -> AsyncIterator[Running]:
    """The real server with booking wired in the way the integrator will:
    HANDLERS registered and the bookings loaded at start-up."""
    async with running_server(path, clock=clock) as srv:
        await booking.load(srv.service)
        yield srv


async def _client(token: str, srv: Running) -> Client:
    c = Client(srv.ws, token)
    await c.start()
    return c


async def _patient(srv: Running, pnr: str = PATIENT) -> Client:
    return await _client(await login_patient(srv.base, pnr), srv)


async def _staff(srv: Running, user: str) -> Client:
    return await _client(await login_staff(srv.base, user, "demo"), srv)


async def _next(client: Client, kind: type[F]) -> F:
    while True:
        frame = await asyncio.wait_for(client.events.get(), 10)
        if isinstance(frame, kind):
            return frame


async def _claimed_case(patient: Client, staff: Client, entrance: str) -> str:
    opened = await patient.request(OpenCase(id=0, entrance=entrance, text="Behöver en tid"))
    assert isinstance(opened, CaseUpdate)
    claimed = await staff.request(Claim(id=0, case=opened.case.case))
    assert isinstance(claimed, CaseUpdate) and claimed.case.state == "assigned"
    return opened.case.case


def _slots(clock: FakeClock, *hours: float, kind: str = "nurse") -> tuple[NewSlot, ...]:
    now = clock.now_ms()
    return tuple(
        NewSlot(start=now + int(h * HOUR), end=now + int(h * HOUR) + 20 * MINUTE, kind=kind)
        for h in hours
    )


async def _expect_error(client: Client, frame: Frame, code: str) -> None:
    with pytest.raises(ServerError) as e:
        await client.request(frame)
    assert e.value.code == code


async def test_publish_book_see_rebook_cancel(tmp_path: Path) -> None:  # noqa: PLR0915 - one story
    clock = FakeClock(START)
    async with booking_server(tmp_path / "db.sqlite3", clock) as srv:
        patient = await _patient(srv)
        anna = await _staff(srv, "anna")
        case = await _claimed_case(patient, anna, "vc_nurse")

        # The unit publishes four nurse slots and one physician slot; patients
        # may change up to 24 h before and move a booking once.
        published = await anna.request(
            SlotPublish(
                id=0,
                unit="vc_centrum",
                slots=_slots(clock, 30, 54, 78) + _slots(clock, 40, kind="physician"),
                rules=UnitRules(cancel_hours=24, max_rebooks=1),
            )
        )
        assert isinstance(published, SlotList) and len(published.slots) == 4
        first, second, third, doctor = published.slots
        found = await anna.request(
            SlotsC(id=0, since=clock.now_ms(), until=clock.now_ms() + 7 * DAY, kind="nurse")
        )
        assert isinstance(found, SlotList)
        assert [s.slot for s in found.slots] == [first.slot, second.slot, third.slot]

        # Patients do not publish; staff book only for a case.
        await _expect_error(
            patient, SlotPublish(id=0, unit="vc_centrum", slots=_slots(clock, 90)), "forbidden"
        )
        await _expect_error(patient, Book(id=0, case=case, slot=first.slot), "forbidden")

        # The nurse books; the patient is told at once.
        booked = await anna.request(Book(id=0, case=case, slot=first.slot))
        assert isinstance(booked, BookingS) and booked.re is not None
        info = booked.booking
        assert (info.case, info.state, info.slot, info.booked_by) == (
            case,
            "active",
            first,
            "Anna Andersson",
        )
        assert info.subject == "Tess Testsson" and info.rebooks_left == 1
        assert info.change_until == first.start - DAY
        pushed = await _next(patient, BookingS)
        assert pushed.re is None and pushed.booking == info

        # The patient sees their booked time; staff see the case's bookings.
        mine = await patient.request(BookingsC(id=0))
        assert isinstance(mine, BookingList) and mine.bookings == (info,)
        theirs = await anna.request(BookingsC(id=0, case=case))
        assert isinstance(theirs, BookingList) and theirs.bookings == (info,)
        await _expect_error(anna, BookingsC(id=0), "bad_request")
        # Another patient sees nothing of it and cannot touch it.
        other = await _patient(srv, OTHER_PATIENT)
        none = await other.request(BookingsC(id=0))
        assert isinstance(none, BookingList) and none.bookings == ()
        await _expect_error(other, BookingCancel(id=0, booking=info.booking), "not_found")

        # The booked slot is no longer offered; the patient rebooks to another
        # nurse time (not to the physician's), and the nurse is told.
        free = await patient.request(
            SlotsC(id=0, since=clock.now_ms(), until=clock.now_ms() + 7 * DAY, unit="vc_centrum")
        )
        assert isinstance(free, SlotList) and first not in free.slots
        await _expect_error(
            patient, Rebook(id=0, booking=info.booking, slot=doctor.slot), "bad_request"
        )
        moved = await patient.request(Rebook(id=0, booking=info.booking, slot=second.slot))
        assert isinstance(moved, BookingS)
        assert moved.booking.slot == second and moved.booking.rebooks == 1
        assert moved.booking.rebooks_left == 0
        assert (await _next(anna, BookingS)).booking == moved.booking
        # Once is what this unit allows.
        await _expect_error(
            patient, Rebook(id=0, booking=info.booking, slot=third.slot), "limit_reached"
        )

        # The patient cancels; the slot is free again.
        cancelled = await patient.request(BookingCancel(id=0, booking=info.booking))
        assert isinstance(cancelled, BookingS) and cancelled.booking.state == "cancelled"
        assert (await _next(anna, BookingS)).booking.state == "cancelled"
        await _expect_error(patient, BookingCancel(id=0, booking=info.booking), "invalid_state")
        again = await anna.request(
            SlotsC(id=0, since=clock.now_ms(), until=clock.now_ms() + 7 * DAY, kind="nurse")
        )
        assert isinstance(again, SlotList) and second in again.slots

        # Every staff access went to the audit log with the change.
        conn = sqlite3.connect(srv.db_path)
        rows = conn.execute(
            "SELECT action, object FROM audit_log WHERE object LIKE 'booking:%'"
        ).fetchall()
        events = conn.execute("SELECT action, actor FROM booking_events ORDER BY id").fetchall()
        conn.close()
        assert rows == [("book", f"booking:{info.booking}")]
        staff_id = anna.welcome.me.user if anna.welcome else ""
        patient_id = patient.welcome.me.user if patient.welcome else ""
        assert events == [("book", staff_id), ("rebook", patient_id), ("cancel", patient_id)]
        for c in (patient, anna, other):
            await c.close()


async def test_too_late_for_the_patient_not_for_staff(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with booking_server(tmp_path / "db.sqlite3", clock) as srv:
        patient = await _patient(srv)
        anna = await _staff(srv, "anna")
        case = await _claimed_case(patient, anna, "vc_nurse")
        published = await anna.request(
            SlotPublish(id=0, unit="vc_centrum", slots=_slots(clock, 30, 54))
        )
        assert isinstance(published, SlotList)
        first, second = published.slots
        booked = await anna.request(Book(id=0, case=case, slot=first.slot))
        assert isinstance(booked, BookingS)
        b = booked.booking.booking
        assert (await _next(patient, BookingS)).booking == booked.booking

        clock.advance(hours=7)  # 23 hours before: inside the default 24-hour limit
        await _expect_error(patient, BookingCancel(id=0, booking=b), "invalid_state")
        await _expect_error(patient, Rebook(id=0, booking=b, slot=second.slot), "invalid_state")
        moved = await anna.request(Rebook(id=0, booking=b, slot=second.slot))
        assert isinstance(moved, BookingS) and moved.booking.slot == second
        assert (await _next(patient, BookingS)).booking == moved.booking
        cancelled = await anna.request(BookingCancel(id=0, booking=b))
        assert isinstance(cancelled, BookingS) and cancelled.booking.state == "cancelled"
        await patient.close()
        await anna.close()


async def test_two_staff_book_one_slot_at_once(tmp_path: Path) -> None:
    clock = FakeClock(START)
    async with booking_server(tmp_path / "db.sqlite3", clock) as srv:
        p1 = await _patient(srv)
        p2 = await _patient(srv, OTHER_PATIENT)
        anna = await _staff(srv, "anna")
        sara = await _staff(srv, "sara")
        nurse_case = await _claimed_case(p1, anna, "vc_nurse")
        secretary_case = await _claimed_case(p2, sara, "vc_secretary")
        published = await sara.request(
            SlotPublish(id=0, unit="vc_centrum", slots=_slots(clock, 30))
        )
        assert isinstance(published, SlotList)
        slot = published.slots[0].slot

        results = await asyncio.gather(
            anna.request(Book(id=0, case=nurse_case, slot=slot)),
            sara.request(Book(id=0, case=secretary_case, slot=slot)),
            return_exceptions=True,
        )
        won = [r for r in results if isinstance(r, BookingS)]
        lost = [r for r in results if isinstance(r, ServerError)]
        assert len(won) == 1 and len(lost) == 1 and lost[0].code == "conflict"
        conn = sqlite3.connect(srv.db_path)
        rows = conn.execute(
            "SELECT id, case_id FROM bookings WHERE slot = ? AND state = 'active'", (slot,)
        ).fetchall()
        conn.close()
        assert rows == [(won[0].booking.booking, won[0].booking.case)]
        for c in (p1, p2, anna, sara):
            await c.close()


async def test_bookings_survive_a_restart(tmp_path: Path) -> None:
    clock = FakeClock(START)
    path = tmp_path / "db.sqlite3"
    async with booking_server(path, clock) as srv:
        patient = await _patient(srv)
        anna = await _staff(srv, "anna")
        case = await _claimed_case(patient, anna, "vc_nurse")
        published = await anna.request(
            SlotPublish(
                id=0,
                unit="vc_centrum",
                slots=_slots(clock, 1, 30, 54),
                rules=UnitRules(cancel_hours=2, max_rebooks=0),
            )
        )
        assert isinstance(published, SlotList)
        soon, booked_slot, free_slot = published.slots
        booked = await anna.request(Book(id=0, case=case, slot=booked_slot.slot))
        assert isinstance(booked, BookingS)
        await anna.request(Book(id=0, case=case, slot=soon.slot))
        before = booked.booking
        await patient.close()
        await anna.close()

    clock.advance(hours=2)  # the first appointment has ended meanwhile
    async with running_server(path, clock=clock) as srv:
        patient = await _patient(srv)
        anna = await _staff(srv, "anna")
        mine = await patient.request(BookingsC(id=0))
        assert isinstance(mine, BookingList)
        assert mine.bookings == (before,), "kept, with the unit's rules; the ended one is gone"
        await _expect_error(anna, Book(id=0, case=case, slot=booked_slot.slot), "conflict")
        free = await anna.request(
            SlotsC(id=0, since=clock.now_ms(), until=clock.now_ms() + 7 * DAY)
        )
        assert isinstance(free, SlotList) and free.slots == (free_slot,)
        await _expect_error(
            patient, Rebook(id=0, booking=before.booking, slot=free_slot.slot), "limit_reached"
        )
        await patient.close()
        await anna.close()


def test_the_database_refuses_a_double_booking(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "db.sqlite3")
    migrate.migrate(conn)
    insert = booking.BOOKING_UPSERT

    def row(bid: str, slot: str, state: str = "active") -> tuple[object, ...]:
        return (bid, slot, "c1", "p1", "n1", state, 0, 0, 0)

    for slot in ("s1", "s2"):
        conn.execute(booking.SLOT_INSERT, (slot, "vc", "nurse", 10, 20, "n1", 0))
    conn.execute(insert, row("b1", "s1"))
    conn.execute(insert, row("b2", "s1", "cancelled"))  # cancelled ones do not count
    conn.execute(insert, row("b3", "s2"))
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(insert, row("b4", "s1"))
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(insert, row("b3", "s1"))  # a rebook onto a taken slot
    conn.execute(insert, row("b1", "s1", "cancelled"))
    conn.execute(insert, row("b3", "s1"))  # once it is free, it may be taken
    assert conn.execute("SELECT id FROM bookings WHERE state = 'active'").fetchall() == [("b3",)]
    conn.close()
