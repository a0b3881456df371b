-- Booking: units' rules, published appointment slots, bookings and their history.
-- Times are integer milliseconds since the Unix epoch, UTC.

-- What a unit lets its patients do (staff are not bound). A unit without a
-- row has the defaults of chatserver/domain/booking.py (24 h, 2 moves).
CREATE TABLE booking_units (
    unit              TEXT PRIMARY KEY,
    cancel_before_ms  INTEGER NOT NULL CHECK (cancel_before_ms >= 0),
    max_rebooks       INTEGER NOT NULL CHECK (max_rebooks >= 0),
    updated           INTEGER NOT NULL
) WITHOUT ROWID;

-- One appointment time for one patient (capacity 1).
CREATE TABLE slots (
    id            TEXT PRIMARY KEY,
    unit          TEXT NOT NULL,
    kind          TEXT NOT NULL,        -- profession or kind of visit
    starts        INTEGER NOT NULL,
    ends          INTEGER NOT NULL CHECK (ends > starts),
    published_by  TEXT NOT NULL,
    created       INTEGER NOT NULL
);
-- Recovery loads the slots that have not ended.
CREATE INDEX slots_ends ON slots(ends);

-- A booking keeps its id when moved: slot is where it is now.
CREATE TABLE bookings (
    id          TEXT PRIMARY KEY,
    slot        TEXT NOT NULL,
    case_id     TEXT NOT NULL,
    patient_id  TEXT NOT NULL,          -- whom the appointment is for
    booked_by   TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('active', 'cancelled')),
    rebooks     INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL,
    updated     INTEGER NOT NULL
);
-- The database refuses a double booking too: one active booking per slot.
-- Memory decides first (one writer, no locks); if the two ever disagree the
-- commit fails and the server stops taking writes (DESIGN rule 1).
CREATE UNIQUE INDEX bookings_slot_active ON bookings(slot) WHERE state = 'active';
CREATE INDEX bookings_slot ON bookings(slot);
CREATE INDEX bookings_patient ON bookings(patient_id);
CREATE INDEX bookings_case ON bookings(case_id);

-- Every change of every booking, in order: who booked, moved or cancelled what.
CREATE TABLE booking_events (
    id          INTEGER PRIMARY KEY,
    booking     TEXT NOT NULL,
    at          INTEGER NOT NULL,
    action      TEXT NOT NULL,          -- book, rebook, cancel
    actor       TEXT NOT NULL,
    slot        TEXT NOT NULL,          -- the slot after the change
    from_slot   TEXT                    -- rebook: the slot it left
);
CREATE INDEX booking_events_booking ON booking_events(booking, id);
