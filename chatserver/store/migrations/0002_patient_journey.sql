-- Patient journey: SMS consent, triage records, the notification outbox.

ALTER TABLE users ADD COLUMN phone TEXT;
ALTER TABLE users ADD COLUMN sms_consent INTEGER NOT NULL DEFAULT 0;

-- One row per triaged case: the plugin's state while in progress, then the
-- outcome with full provenance (which content version gave which advice).
CREATE TABLE triage (
    case_id     TEXT PRIMARY KEY,
    complaint   TEXT NOT NULL,
    snapshot    TEXT NOT NULL,          -- plugin session snapshot (JSON)
    urgency     INTEGER,
    disposition TEXT,
    pool        TEXT,
    advice      TEXT,
    summary     TEXT,
    provenance  TEXT,                   -- JSON: plugin, content and rule versions, rules fired
    response    TEXT,                   -- FHIR QuestionnaireResponse (JSON)
    updated     INTEGER NOT NULL
);

-- SMS outbox: written in the same transaction as the event that causes it,
-- sent after commit, retried with backoff; nothing is lost across a restart.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    user_id     TEXT NOT NULL,
    case_id     TEXT,
    kind        TEXT NOT NULL,          -- your_turn, staff_replied, case_closed
    phone       TEXT NOT NULL,
    text        TEXT NOT NULL,
    created     INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',  -- pending, sent, delivered, failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try    INTEGER NOT NULL,
    provider_id TEXT,
    detail      TEXT
);
CREATE INDEX notifications_due ON notifications(next_try) WHERE status = 'pending';
