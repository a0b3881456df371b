"""Appointment booking: units publish slots, staff book one for the patient of
a case, and the patient cancels or rebooks within the rules the unit sets.

Pure and synchronous like ``State``: every command checks, mutates memory and
returns the events describing the change; the service persists them and
answers only after commit (DESIGN rule 1). Because all commands run on the
event loop's one thread, a command is atomic, and ``_taken`` (slot id → the
one active booking on it) is the single place that says a slot is taken: a
second booking of a taken slot is refused with ``conflict`` before anything
changes. The database backs this with a unique index on active bookings per
slot (migration 0005), so a bug here would stop the server rather than
double-book (fail-stop, DESIGN rule 1).

A booking keeps its id when rebooked: it moves to another slot of the same
unit and kind, and counts the move. Memory holds slots that have not ended
and the bookings on them (active or cancelled); older ones live only on disk.

Who may do what::

    publish slots      staff (not auditors)
    book               staff who reach the case as its staff (pool or assignee)
    cancel / rebook    the patient (or a guardian of a child) within the unit's
                       rules; the case's staff at any time before the start
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sortedcontainers import SortedList

from chatserver.domain.cases import Case
from chatserver.domain.clock import Clock
from chatserver.domain.errors import DomainError
from chatserver.domain.principals import Principal

HOUR_MS = 3_600_000
# "Cancel at least 24 hours before, or pay the fee for a missed visit" is the
# usual rule of Swedish regions' patient fee schedules; units may set their own.
DEFAULT_CANCEL_BEFORE_MS = 24 * HOUR_MS
DEFAULT_MAX_REBOOKS = 2
# Limits (DESIGN rule 4), each generous for a unit's real calendar:
MAX_SLOT_MS = 12 * HOUR_MS  # one appointment is at most a long working day
MAX_AHEAD_MS = 400 * 24 * HOUR_MS  # published at most about a year ahead
MAX_QUERY_MS = 62 * 24 * HOUR_MS  # a slot search spans at most two months
MAX_SLOTS_PER_UNIT = 20_000  # future slots per unit (~80 a working day for a year)
MAX_ACTIVE_PER_PATIENT = 20  # upcoming appointments per patient

# Staff roles that may publish slots: everyone who works, not the auditors
# who only read the logs.
PUBLISHER_ROLES = frozenset(
    {"nurse", "secretary", "physician", "psychologist", "bvc_nurse", "admin"}
)


@dataclass(frozen=True, slots=True)
class Rules:
    """What a unit allows its patients; staff are not bound by them."""

    cancel_before_ms: int = DEFAULT_CANCEL_BEFORE_MS
    max_rebooks: int = DEFAULT_MAX_REBOOKS


@dataclass(frozen=True, slots=True)
class Slot:
    """One appointment time at a unit, for one patient (capacity 1)."""

    id: str
    unit: str
    kind: str  # profession or kind of visit: nurse, physician, vaccination, ...
    start: int
    end: int
    published_by: str = ""
    created: int = 0


class BookingState(enum.StrEnum):
    active = "active"
    cancelled = "cancelled"


@dataclass(frozen=True, slots=True)
class Booking:
    """Immutable snapshot of a booking; the holder replaces it on change."""

    id: str
    slot_id: str
    case_id: str
    patient_id: str  # whom the appointment is for (the case's subject)
    booked_by: str  # the staff member who booked it
    created: int
    state: BookingState = BookingState.active
    rebooks: int = 0
    updated: int = 0

    @property
    def active(self) -> bool:
        return self.state is BookingState.active


@dataclass(frozen=True, slots=True)
class SlotsPublished:
    unit: str
    slots: tuple[Slot, ...]
    rules: Rules | None  # new rules for the unit, if they were set
    actor: str
    at: int
    replaced: Rules | None = None  # the unit's rules before, if it had its own


@dataclass(frozen=True, slots=True)
class BookingChanged:
    """A booking was made, moved or cancelled. ``booking`` is the snapshot
    after the change and ``slot`` its slot now; ``before`` the snapshot
    before (None for a new booking), so a rebook says which slot it left."""

    booking: Booking
    slot: Slot
    action: str  # book, rebook, cancel
    actor: str
    at: int
    before: Booking | None = None


BookingEvent = SlotsPublished | BookingChanged


@dataclass(frozen=True, slots=True)
class SlotSpec:
    """A slot to publish: start and end (ms) and the kind of visit."""

    start: int
    end: int
    kind: str


class Bookings:
    """Slots and bookings of all units, in memory."""

    def __init__(self, clock: Clock, new_id: Callable[[str], str]) -> None:
        self.clock = clock
        self.new_id = new_id
        self.rules: dict[str, Rules] = {}
        self.slots: dict[str, Slot] = {}
        self.bookings: dict[str, Booking] = {}
        self._taken: dict[str, str] = {}  # slot id -> the active booking on it
        self._by_unit: dict[str, SortedList] = {}  # unit -> (start, slot id), sorted
        self._on_slot: dict[str, set[str]] = {}  # slot id -> bookings (any state) there
        self._by_patient: dict[str, set[str]] = {}
        self._by_case: dict[str, set[str]] = {}

    # ------------------------------------------------------------ lookups

    def rules_of(self, unit: str) -> Rules:
        return self.rules.get(unit) or Rules()

    def slot(self, slot_id: str) -> Slot:
        s = self.slots.get(slot_id)
        if s is None:
            raise DomainError("not_found", f"no slot {slot_id}")
        return s

    def holder(self, slot_id: str) -> str | None:
        """The active booking on a slot, if it is taken."""
        return self._taken.get(slot_id)

    def change_until(self, b: Booking) -> int:
        """The last moment the patient may cancel or rebook ``b``."""
        s = self.slots[b.slot_id]
        return s.start - self.rules_of(s.unit).cancel_before_ms

    def rebooks_left(self, b: Booking) -> int:
        s = self.slots[b.slot_id]
        return max(0, self.rules_of(s.unit).max_rebooks - b.rebooks)

    def free_slots(
        self,
        since: int,
        until: int,
        unit: str | None = None,
        kind: str | None = None,
        limit: int = 500,
    ) -> list[Slot]:
        """Free slots starting in [since, until) and not yet started, by start time."""
        if until <= since:
            raise DomainError("bad_request", "the end of the range must be after its start")
        if until - since > MAX_QUERY_MS:
            raise DomainError("bad_request", "search at most 62 days at a time")
        since = max(since, self.clock.now_ms() + 1)
        units = [unit] if unit is not None else sorted(self._by_unit)
        found: list[Slot] = []
        for u in units:
            index = self._by_unit.get(u)
            if index is None:
                continue
            for _, slot_id in index.irange((since, ""), (until, ""), inclusive=(True, False)):
                s = self.slots[slot_id]
                if slot_id not in self._taken and (kind is None or s.kind == kind):
                    found.append(s)
                    if unit is not None and len(found) >= limit:
                        break
        found.sort(key=lambda s: (s.start, s.unit, s.id))
        return found[:limit]

    def of_patients(self, patient_ids: Iterable[str]) -> list[Booking]:
        """Bookings (active and cancelled) of these patients whose slot has not ended."""
        ids: set[str] = set()
        for p in patient_ids:
            ids |= self._by_patient.get(p, set())
        return self._upcoming(ids)

    def of_case(self, case_id: str) -> list[Booking]:
        return self._upcoming(self._by_case.get(case_id, set()))

    def visible(self, p: Principal, booking_id: str, case_role: str | None) -> Booking:
        """The booking if ``p`` may see and change it; otherwise not_found.

        Patients reach their own and their wards' bookings; staff reach those
        of cases they work on (``case_role`` is their role in the booking's
        case, from access.room_role, or None)."""
        b = self.bookings.get(booking_id)
        if b is None or not _reaches(p, b, case_role):
            raise DomainError("not_found", f"no booking {booking_id}")
        return b

    # ------------------------------------------------------------ commands

    def publish(
        self, actor: Principal, unit: str, specs: Sequence[SlotSpec], rules: Rules | None = None
    ) -> tuple[list[Slot], list[BookingEvent]]:
        """New slots for a unit (and, optionally, the unit's new rules)."""
        if not (actor.is_staff and actor.roles & PUBLISHER_ROLES):
            raise DomainError("forbidden", "only staff publish appointment slots")
        now = self.clock.now_ms()
        for spec in specs:
            if spec.end <= spec.start:
                raise DomainError("bad_request", "a slot must end after it starts")
            if spec.end - spec.start > MAX_SLOT_MS:
                raise DomainError("bad_request", "a slot lasts at most 12 hours")
            if spec.start <= now:
                raise DomainError("bad_request", "a slot must start in the future")
            if spec.start - now > MAX_AHEAD_MS:
                raise DomainError("bad_request", "slots are published at most 400 days ahead")
        self.prune()
        held = len(self._by_unit.get(unit, ()))
        if held + len(specs) > MAX_SLOTS_PER_UNIT:
            raise DomainError(
                "limit_reached", f"unit {unit} already has {held} future slots published"
            )
        slots = [
            Slot(self.new_id("s"), unit, spec.kind, spec.start, spec.end, actor.user_id, now)
            for spec in specs
        ]
        for s in slots:
            self.restore_slot(s)
        replaced = self.rules.get(unit)
        if rules is not None:
            self.rules[unit] = rules
        return slots, [SlotsPublished(unit, tuple(slots), rules, actor.user_id, now, replaced)]

    def book(
        self, staff: Principal, case: Case, slot_id: str, case_role: str | None
    ) -> tuple[Booking, list[BookingEvent]]:
        """Book a slot for the patient of ``case``."""
        if not staff.is_staff:
            raise DomainError("forbidden", "staff book appointments for patients")
        if case_role != "staff":
            raise DomainError("not_found", f"no case {case.id}")
        if not case.is_open:
            raise DomainError("invalid_state", "the case is closed")
        now = self.clock.now_ms()
        slot = self._bookable(slot_id, now)
        active = sum(1 for b in self.of_patients([case.patient_id]) if b.active)
        if active >= MAX_ACTIVE_PER_PATIENT:
            raise DomainError("limit_reached", f"the patient already has {active} appointments")
        b = Booking(
            id=self.new_id("b"),
            slot_id=slot.id,
            case_id=case.id,
            patient_id=case.patient_id,
            booked_by=staff.user_id,
            created=now,
            updated=now,
        )
        self._put(b)
        return b, [BookingChanged(b, slot, "book", staff.user_id, now)]

    def cancel(
        self, actor: Principal, booking_id: str, case_role: str | None = None
    ) -> tuple[Booking, list[BookingEvent]]:
        now = self.clock.now_ms()
        b = self.visible(actor, booking_id, case_role)
        slot = self.slots[b.slot_id]
        self._may_change(actor, b, slot, now)
        before = b
        b = dataclasses.replace(b, state=BookingState.cancelled, updated=now)
        self._put(b)
        return b, [BookingChanged(b, slot, "cancel", actor.user_id, now, before)]

    def rebook(
        self, actor: Principal, booking_id: str, slot_id: str, case_role: str | None = None
    ) -> tuple[Booking, list[BookingEvent]]:
        """Move a booking to another free slot of the same unit and kind."""
        now = self.clock.now_ms()
        b = self.visible(actor, booking_id, case_role)
        old = self.slots[b.slot_id]
        self._may_change(actor, b, old, now)
        if not actor.is_staff and b.rebooks >= self.rules_of(old.unit).max_rebooks:
            raise DomainError(
                "limit_reached", f"this appointment has been moved {b.rebooks} times already"
            )
        if slot_id == old.id:
            raise DomainError("bad_request", "the appointment is already at that time")
        new = self._bookable(slot_id, now)
        if (new.unit, new.kind) != (old.unit, old.kind):
            raise DomainError("bad_request", "rebook to a slot of the same unit and kind")
        before = b
        b = dataclasses.replace(b, slot_id=new.id, rebooks=b.rebooks + 1, updated=now)
        self._put(b)
        return b, [BookingChanged(b, new, "rebook", actor.user_id, now, before)]

    def prune(self) -> None:
        """Forget slots that have ended, and the bookings on them (they stay on disk)."""
        now = self.clock.now_ms()
        for index in list(self._by_unit.values()):
            # Only a slot that has started can have ended.
            for _, slot_id in list(index.irange(maximum=(now, ""))):
                if self.slots[slot_id].end <= now:
                    self._forget_slot(slot_id)

    def undo(self, events: Sequence[BookingEvent]) -> None:
        """Take back the change a command just made, when the store refused
        its events (busy): memory must not keep what disk will never have.
        Only valid right after the command, before anything else ran."""
        for ev in reversed(events):
            if isinstance(ev, SlotsPublished):
                for s in ev.slots:
                    self._forget_slot(s.id)
                if ev.rules is not None:
                    if ev.replaced is None:
                        self.rules.pop(ev.unit, None)
                    else:
                        self.rules[ev.unit] = ev.replaced
            elif ev.before is None:
                self._forget_booking(ev.booking.id)
            else:
                self._put(ev.before)

    # ------------------------------------------------------------ recovery

    def restore_rules(self, unit: str, rules: Rules) -> None:
        self.rules[unit] = rules

    def restore_slot(self, s: Slot) -> None:
        self.slots[s.id] = s
        self._by_unit.setdefault(s.unit, SortedList()).add((s.start, s.id))

    def restore_booking(self, b: Booking) -> None:
        """Load a stored booking; its slot must have been restored first."""
        if b.slot_id not in self.slots:
            raise ValueError(f"booking {b.id} is on unknown slot {b.slot_id}")
        other = self._taken.get(b.slot_id)
        if b.active and other is not None and other != b.id:
            raise ValueError(f"slot {b.slot_id} is booked twice ({other}, {b.id})")
        self._put(b)

    # ------------------------------------------------------------ internals

    def _bookable(self, slot_id: str, now: int) -> Slot:
        slot = self.slot(slot_id)
        if slot.start <= now:
            raise DomainError("invalid_state", "that time has already passed")
        if slot_id in self._taken:
            raise DomainError("conflict", "that time was just booked by someone else")
        return slot

    def _may_change(self, actor: Principal, b: Booking, slot: Slot, now: int) -> None:
        if not b.active:
            raise DomainError("invalid_state", "the appointment is cancelled")
        if slot.start <= now:
            raise DomainError("invalid_state", "the appointment has already started")
        if not actor.is_staff and now > self.change_until(b):
            hours = self.rules_of(slot.unit).cancel_before_ms / HOUR_MS
            raise DomainError(
                "invalid_state",
                f"appointments can be changed up to {hours:g} hours before; call the unit",
            )

    def _put(self, b: Booking) -> None:
        """Store a snapshot and keep every index in step with it."""
        old = self.bookings.get(b.id)
        if old is not None:
            _discard(self._on_slot, old.slot_id, b.id)
            if self._taken.get(old.slot_id) == b.id:
                del self._taken[old.slot_id]
        self.bookings[b.id] = b
        self._on_slot.setdefault(b.slot_id, set()).add(b.id)
        if b.active:
            self._taken[b.slot_id] = b.id
        self._by_patient.setdefault(b.patient_id, set()).add(b.id)
        self._by_case.setdefault(b.case_id, set()).add(b.id)

    def _forget_slot(self, slot_id: str) -> None:
        s = self.slots.pop(slot_id)
        index = self._by_unit[s.unit]
        index.remove((s.start, s.id))
        if not index:
            del self._by_unit[s.unit]
        for booking_id in list(self._on_slot.get(slot_id, ())):
            self._forget_booking(booking_id)
        self._on_slot.pop(slot_id, None)

    def _forget_booking(self, booking_id: str) -> None:
        b = self.bookings.pop(booking_id)
        if self._taken.get(b.slot_id) == booking_id:
            del self._taken[b.slot_id]
        _discard(self._on_slot, b.slot_id, booking_id)
        _discard(self._by_patient, b.patient_id, booking_id)
        _discard(self._by_case, b.case_id, booking_id)

    def _upcoming(self, ids: Iterable[str]) -> list[Booking]:
        now = self.clock.now_ms()
        out = [b for i in ids if self.slots[(b := self.bookings[i]).slot_id].end > now]
        out.sort(key=lambda b: (self.slots[b.slot_id].start, b.id))
        return out


def _reaches(p: Principal, b: Booking, case_role: str | None) -> bool:
    if p.is_staff:
        return case_role == "staff"
    return b.patient_id == p.user_id or b.patient_id in p.wards


def _discard(index: dict[str, set[str]], key: str, value: str) -> None:
    values = index.get(key)
    if values is not None:
        values.discard(value)
        if not values:
            del index[key]
