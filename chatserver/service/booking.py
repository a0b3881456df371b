"""Booking commands: publish slots, find free ones, book for a case's patient,
list, cancel and rebook (issue 4). The rules live in chatserver/domain/booking.py.

Every change is answered, and pushed to the patient, a guardian who opened the
case and the case's assignee, only after its rows committed (DESIGN rule 1).
The bookings of a ``Service`` are held beside it, not in it (core.py stays
untouched): ``load(svc)`` reads them at start-up, and any booking command
loads them lazily on first use if start-up did not. The SQL this module
writes and reads is below; it runs on the tables of migration 0005.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from chatserver.audit import AuditEntry
from chatserver.domain.booking import (
    HOUR_MS,
    Booking,
    BookingChanged,
    BookingEvent,
    Bookings,
    BookingState,
    Rules,
    Slot,
    SlotSpec,
    SlotsPublished,
)
from chatserver.domain.cases import Case
from chatserver.domain.errors import DomainError
from chatserver.service.auth import new_id
from chatserver.service.session import ClientSession
from chatserver.store.records import Op
from chatserver.store.writer import StoreBusy, StoreFailed
from protocol.codec import encode
from protocol.frames import (
    Book,
    BookingCancel,
    BookingInfo,
    BookingList,
    BookingS,
    BookingsC,
    Rebook,
    SlotInfo,
    SlotList,
    SlotPublish,
    SlotsC,
)

if TYPE_CHECKING:
    from chatserver.service.core import Handler, Service

MAX_LISTED = 200  # bookings in one booking_list (the frame's limit)

# ---------------------------------------------------------------- state beside the service


class _Held:
    __slots__ = ("bookings", "loading")

    def __init__(self) -> None:
        self.bookings: Bookings | None = None
        self.loading: asyncio.Future[Bookings] | None = None


_HELD: weakref.WeakKeyDictionary[Service, _Held] = weakref.WeakKeyDictionary()


async def load(svc: Service) -> Bookings:
    """Read the units' rules, the slots that have not ended and the bookings
    on them (through ``svc.reader``), once. Call it at start-up after the
    reader is open; commands call it too, so forgetting it only delays the
    read to the first booking command."""
    held = _HELD.setdefault(svc, _Held())
    if held.bookings is not None:
        return held.bookings
    if held.loading is not None:
        return await asyncio.shield(held.loading)
    held.loading = asyncio.get_running_loop().create_future()
    try:
        bk = await _read(svc)
    except BaseException as e:
        held.loading.set_exception(e)
        held.loading.exception()  # retrieved: waiters re-raise their own copy
        held.loading = None
        raise
    held.bookings = bk
    held.loading.set_result(bk)
    return bk


async def _read(svc: Service) -> Bookings:
    bk = Bookings(svc.clock, new_id)
    now = svc.clock.now_ms()
    for unit, before_ms, max_rebooks in await svc.reader.query(UNITS_SELECT):
        bk.restore_rules(unit, Rules(before_ms, max_rebooks))
    for row in await svc.reader.query(SLOTS_SELECT, (now,)):
        bk.restore_slot(Slot(*row))
    for row in await svc.reader.query(BOOKINGS_SELECT, (now,)):
        bid, slot_id, case_id, patient_id, booked_by, created, state, rebooks, updated = row
        bk.restore_booking(
            Booking(
                bid,
                slot_id,
                case_id,
                patient_id,
                booked_by,
                created,
                BookingState(state),
                rebooks,
                updated,
            )
        )
    return bk


# ---------------------------------------------------------------- handlers


async def on_slots(svc: Service, s: ClientSession, f: SlotsC) -> None:
    bk = await load(svc)
    free = bk.free_slots(f.since, f.until, f.unit, f.kind)
    s.send(SlotList(re=f.id, slots=tuple(_slot_info(x) for x in free)))


async def on_publish(svc: Service, s: ClientSession, f: SlotPublish) -> None:
    bk = await load(svc)
    rules = None if f.rules is None else Rules(f.rules.cancel_hours * HOUR_MS, f.rules.max_rebooks)
    specs = [SlotSpec(x.start, x.end, x.kind) for x in f.slots]
    slots, events = bk.publish(s.principal, f.unit, specs, rules)
    answer = SlotList(re=f.id, slots=tuple(_slot_info(x) for x in slots))
    _commit(svc, bk, events, lambda: s.send(answer))


async def on_book(svc: Service, s: ClientSession, f: Book) -> None:
    bk = await load(svc)
    case = svc.state.visible_case(s.principal, f.case)
    booking, events = bk.book(s.principal, case, f.slot, svc.state.role_in(s.principal, case))
    audit = _audit(svc, s, case, "book", f"booking:{booking.id}")
    _commit(svc, bk, events, _answer_and_push(svc, s, f.id, bk, booking), audit)


async def on_bookings(svc: Service, s: ClientSession, f: BookingsC) -> None:
    bk = await load(svc)
    p = s.principal
    audit: list[AuditEntry] = []
    if p.is_staff:
        if f.case is None:
            raise DomainError("bad_request", "staff list the bookings of one case: give case")
        case = svc.state.visible_case(p, f.case)
        found = bk.of_case(case.id)
        audit = _audit(svc, s, case, "list", f"case:{case.id}")
    else:
        found = bk.of_patients([p.user_id, *p.wards])
        if f.case is not None:
            found = [b for b in found if b.case_id == f.case]
    answer = BookingList(re=f.id, bookings=tuple(_info(svc, bk, b) for b in found[:MAX_LISTED]))
    if audit:
        svc.commit([], lambda: s.send(answer), audit=audit)
    else:
        s.send(answer)


async def on_cancel(svc: Service, s: ClientSession, f: BookingCancel) -> None:
    bk = await load(svc)
    case, role = _case_of(svc, s, bk, f.booking)
    booking, events = bk.cancel(s.principal, f.booking, role)
    audit = _audit(svc, s, case, "update", f"booking:{booking.id}")
    _commit(svc, bk, events, _answer_and_push(svc, s, f.id, bk, booking), audit)


async def on_rebook(svc: Service, s: ClientSession, f: Rebook) -> None:
    bk = await load(svc)
    case, role = _case_of(svc, s, bk, f.booking)
    booking, events = bk.rebook(s.principal, f.booking, f.slot, role)
    audit = _audit(svc, s, case, "update", f"booking:{booking.id}")
    _commit(svc, bk, events, _answer_and_push(svc, s, f.id, bk, booking), audit)


HANDLERS: dict[type, Handler] = {
    SlotsC: on_slots,
    SlotPublish: on_publish,
    Book: on_book,
    BookingsC: on_bookings,
    BookingCancel: on_cancel,
    Rebook: on_rebook,
}


# ---------------------------------------------------------------- helpers


def _case_of(
    svc: Service, s: ClientSession, bk: Bookings, booking_id: str
) -> tuple[Case | None, str | None]:
    """The booking's case if it is in memory, and the caller's role in it."""
    b = bk.bookings.get(booking_id)
    case = svc.state.cases.get(b.case_id) if b is not None else None
    return case, svc.state.role_in(s.principal, case) if case is not None else None


def _audit(
    svc: Service, s: ClientSession, case: Case | None, action: str, obj: str
) -> list[AuditEntry]:
    """AUDIT HOOK (DESIGN rule 9, HSLF-FS 2016:40 4 kap. 9 §): every staff
    read or change of a case's bookings is access to the patient's data; the
    row commits with the change (or before the answer to a read), or not at
    all. Patients acting on their own (or their children's) bookings are not
    logged, as elsewhere. Denied attempts are logged by Service.dispatch."""
    if not s.principal.is_staff or case is None:
        return []
    return [svc.audit(s, case, action, obj)]


def _commit(
    svc: Service,
    bk: Bookings,
    events: Sequence[BookingEvent],
    after: Callable[[], None],
    audit: Iterable[AuditEntry] = (),
) -> None:
    """Persist a command's events; if the store refuses them outright, take
    the change back so memory never holds what disk will not."""
    try:
        svc.commit([], after, extra=ops_for(events), audit=audit)
    except (StoreBusy, StoreFailed):
        bk.undo(events)
        raise


def _answer_and_push(
    svc: Service, s: ClientSession, re: int, bk: Bookings, b: Booking
) -> Callable[[], None]:
    """After commit: answer the request, and push the booking to the patient,
    a guardian who opened the case and the case's assignee (their other
    connections too, but not the one that asked)."""

    info = _info(svc, bk, b)  # now: by commit time its slot may have ended and gone

    def done() -> None:
        s.send(BookingS(booking=info, re=re))
        data = encode(BookingS(booking=info))
        for uid in _recipients(svc, b):
            for other in list(svc.hub.users.get(uid, {}).values()):
                if other is not s:
                    other.peer.push(data)

    return done


def _recipients(svc: Service, b: Booking) -> set[str]:
    users = {b.patient_id}
    case = svc.state.cases.get(b.case_id)
    if case is not None:
        users.add(case.actor_id)
        if case.assignee is not None:
            users.add(case.assignee)
    return users


def _slot_info(x: Slot) -> SlotInfo:
    return SlotInfo(slot=x.id, unit=x.unit, kind=x.kind, start=x.start, end=x.end)


def _info(svc: Service, bk: Bookings, b: Booking) -> BookingInfo:
    names = svc.state.names
    return BookingInfo(
        booking=b.id,
        case=b.case_id,
        patient=b.patient_id,
        subject=names.get(b.patient_id, ""),
        slot=_slot_info(bk.slots[b.slot_id]),
        state=b.state.value,
        change_until=max(0, bk.change_until(b)),
        rebooks=b.rebooks,
        rebooks_left=min(20, bk.rebooks_left(b)),
        booked_by=names.get(b.booked_by, ""),
    )


# ---------------------------------------------------------------- store
# Module constants, so the writer batches equal statements (store/records.py).

UNITS_UPSERT = """
INSERT INTO booking_units (unit, cancel_before_ms, max_rebooks, updated) VALUES (?, ?, ?, ?)
ON CONFLICT (unit) DO UPDATE SET
    cancel_before_ms = excluded.cancel_before_ms, max_rebooks = excluded.max_rebooks,
    updated = excluded.updated
"""
SLOT_INSERT = """
INSERT INTO slots (id, unit, kind, starts, ends, published_by, created)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
# An active booking moved onto a slot that another active booking holds
# violates bookings_slot_active: the commit fails and the server stops.
BOOKING_UPSERT = """
INSERT INTO bookings (id, slot, case_id, patient_id, booked_by, state, rebooks, created, updated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    slot = excluded.slot, state = excluded.state, rebooks = excluded.rebooks,
    updated = excluded.updated
"""
BOOKING_EVENT = """
INSERT INTO booking_events (booking, at, action, actor, slot, from_slot) VALUES (?, ?, ?, ?, ?, ?)
"""
UNITS_SELECT = "SELECT unit, cancel_before_ms, max_rebooks FROM booking_units"
SLOTS_SELECT = (
    "SELECT id, unit, kind, starts, ends, published_by, created FROM slots WHERE ends > ?"
)
BOOKINGS_SELECT = (
    "SELECT b.id, b.slot, b.case_id, b.patient_id, b.booked_by, b.created, b.state, "
    "b.rebooks, b.updated FROM bookings b JOIN slots s ON s.id = b.slot WHERE s.ends > ?"
)


def ops_for(events: Iterable[BookingEvent]) -> list[Op]:
    """Booking events as store operations: the one mapping from memory to disk."""
    ops: list[Op] = []
    for ev in events:
        if isinstance(ev, SlotsPublished):
            if ev.rules is not None:
                r = ev.rules
                ops.append((UNITS_UPSERT, (ev.unit, r.cancel_before_ms, r.max_rebooks, ev.at)))
            ops.extend(
                (SLOT_INSERT, (x.id, x.unit, x.kind, x.start, x.end, x.published_by, x.created))
                for x in ev.slots
            )
        elif isinstance(ev, BookingChanged):
            ops.append(_booking_row(ev.booking))
            left = ev.before.slot_id if ev.before and ev.before.slot_id != ev.slot.id else None
            ops.append(
                (BOOKING_EVENT, (ev.booking.id, ev.at, ev.action, ev.actor, ev.slot.id, left))
            )
    return ops


def _booking_row(b: Booking) -> Op:
    params: tuple[Any, ...] = (
        b.id,
        b.slot_id,
        b.case_id,
        b.patient_id,
        b.booked_by,
        b.state.value,
        b.rebooks,
        b.created,
        b.updated,
    )
    return (BOOKING_UPSERT, params)
