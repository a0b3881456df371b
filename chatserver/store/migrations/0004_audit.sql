-- Audit log of access to patient data (Patientdatalagen 2008:355 4 kap. 3 §,
-- HSLF-FS 2016:40 4 kap. 9 §): who, role, unit, when, which patient, what,
-- on which basis, allowed or not, from where.
-- Append-only and tamper-evident: ids run 1, 2, 3 ... without gaps and each
-- row carries the SHA-256 of the one before (chatserver/audit/chain.py has
-- the exact hash input). The triggers below refuse UPDATE and DELETE; the
-- hash chain detects whoever goes around them. A third trigger lets a row in
-- only as the next id, linked to the hash of the row before: that also shuts
-- INSERT OR REPLACE (whose implicit delete fires no trigger), and a server
-- whose in-memory head drifted from the disk fails its commit instead of
-- writing a broken chain.

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,   -- 1, 2, 3 ... set by the chain, never by SQLite
    at           INTEGER NOT NULL,      -- ms since the Unix epoch, UTC
    user_id      TEXT NOT NULL,         -- who acted
    role         TEXT NOT NULL,         -- their role when acting (nurse, physician, admin ...)
    unit         TEXT NOT NULL,         -- care unit or pool the access belongs to
    patient_id   TEXT,                  -- the subject; NULL for actions on no patient (admin)
    on_behalf_of TEXT,                  -- the guardian involved, if any
    action       TEXT NOT NULL,         -- read, list, search, create, update, hand_over ...
    object       TEXT NOT NULL,         -- what was touched: case:<id>, room:<id>, user:<id> ...
    basis        TEXT NOT NULL,         -- own_case, guardian, assigned, pool_member, consulted, admin, none
    allowed      INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    client_addr  TEXT,
    prev_hash    BLOB NOT NULL,         -- 32 bytes: the previous row's hash (zeros for row 1)
    hash         BLOB NOT NULL          -- 32 bytes: SHA-256(prev_hash || canonical row)
);
CREATE INDEX audit_log_patient ON audit_log(patient_id, at) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_log_user ON audit_log(user_id, at);

CREATE TRIGGER audit_log_append_in_order BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit_log)
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_log WHERE id = NEW.id - 1), zeroblob(32))
BEGIN
    SELECT RAISE(ABORT, 'audit_log: a row must be the next id, linked to the last hash');
END;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
