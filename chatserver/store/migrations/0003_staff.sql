-- Staff work: message kinds, case timing and rating, phrases, consults.

ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'text';
ALTER TABLE cases ADD COLUMN assigned INTEGER;      -- when the current assignee took it
ALTER TABLE cases ADD COLUMN first_reply INTEGER;   -- first staff message (KPI: wait to reply)
ALTER TABLE cases ADD COLUMN rating INTEGER;        -- the patient's 1-5 rating after close

-- Canned phrases: personal (scope 'personal', owner = user id) or shared in a
-- pool (scope = pool key, owner = '').
CREATE TABLE phrases (
    scope       TEXT NOT NULL,
    owner       TEXT NOT NULL,
    key         TEXT NOT NULL,
    text        TEXT NOT NULL,
    updated     INTEGER NOT NULL,
    PRIMARY KEY (scope, owner, key)
) WITHOUT ROWID;

CREATE TABLE consults (
    id          INTEGER PRIMARY KEY,
    case_id     TEXT NOT NULL,
    by_user     TEXT NOT NULL,
    invitee     TEXT NOT NULL,          -- a staff user id, or 'pool:<key>'
    question    TEXT NOT NULL,
    created     INTEGER NOT NULL,
    answered    INTEGER
);
CREATE INDEX consults_case ON consults(case_id);
