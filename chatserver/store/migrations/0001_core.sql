-- Core schema: users, sessions, cases, rooms, messages, receipts, attachments.
-- Times are integer milliseconds since the Unix epoch, UTC.

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('patient', 'staff')),
    username    TEXT UNIQUE,            -- staff login name
    pnr         TEXT UNIQUE,            -- patients: 12-digit personnummer
    name        TEXT NOT NULL,
    roles       TEXT NOT NULL DEFAULT '',   -- comma-separated
    pools       TEXT NOT NULL DEFAULT '',   -- comma-separated
    pw_hash     TEXT,                   -- argon2id
    disabled    INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash  BLOB PRIMARY KEY,       -- sha256 of the token; the token itself is never stored
    user_id     TEXT NOT NULL REFERENCES users(id),
    created     INTEGER NOT NULL,
    expires     INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0,
    client_addr TEXT
) WITHOUT ROWID;

CREATE TABLE cases (
    id          TEXT PRIMARY KEY,
    room        TEXT NOT NULL,
    patient_id  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    entrance    TEXT NOT NULL,
    pool        TEXT NOT NULL,
    state       TEXT NOT NULL,
    urgency     INTEGER NOT NULL,
    complaint   TEXT NOT NULL,
    created     INTEGER NOT NULL,
    enqueued    INTEGER,
    deadline    INTEGER,
    assignee    TEXT,
    closed      INTEGER,
    outcome     TEXT
);
CREATE INDEX cases_open ON cases(state) WHERE state NOT IN ('closed', 'self_care', 'referred_112');
CREATE INDEX cases_closed ON cases(closed) WHERE closed IS NOT NULL;

-- Every transition of every case, in order: the KPI and audit source.
CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY,
    case_id     TEXT NOT NULL,
    at          INTEGER NOT NULL,
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    state       TEXT NOT NULL,
    pool        TEXT NOT NULL,
    urgency     INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events(case_id, id);

CREATE TABLE participants (
    room        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    role        TEXT NOT NULL,
    added       INTEGER NOT NULL,
    PRIMARY KEY (room, user_id)
) WITHOUT ROWID;

CREATE TABLE messages (
    room        TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    cid         TEXT NOT NULL,
    sender      TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    text        TEXT NOT NULL,
    att         TEXT,
    ts          INTEGER NOT NULL,
    PRIMARY KEY (room, seq)
) WITHOUT ROWID;
-- The database enforces idempotency too: one (room, sender, cid), ever.
CREATE UNIQUE INDEX messages_cid ON messages(room, sender, cid);

CREATE TABLE receipts (
    room        TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    PRIMARY KEY (room, user_id)
) WITHOUT ROWID;

CREATE TABLE attachments (
    id          TEXT PRIMARY KEY,
    room        TEXT NOT NULL,
    uploader    TEXT NOT NULL,
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    created     INTEGER NOT NULL,
    data        BLOB NOT NULL
);
