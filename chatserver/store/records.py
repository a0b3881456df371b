"""The SQL operations the writer applies, one builder per kind of row.

Builders take plain values and return ``(sql, params)``; the SQL strings are
module constants so the writer can batch equal statements (it compares them
by identity).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Op = tuple[str, Sequence[Any]]

CASE_UPSERT = """
INSERT INTO cases (id, room, patient_id, actor_id, entrance, pool, state, urgency, complaint,
                   created, enqueued, deadline, assignee, closed, outcome, assigned, first_reply,
                   rating)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    pool = excluded.pool, state = excluded.state, urgency = excluded.urgency,
    enqueued = excluded.enqueued, deadline = excluded.deadline, assignee = excluded.assignee,
    closed = excluded.closed, outcome = excluded.outcome, assigned = excluded.assigned,
    first_reply = excluded.first_reply, rating = excluded.rating
"""
CASE_EVENT = """
INSERT INTO case_events (case_id, at, action, actor, state, pool, urgency, note)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""
MESSAGE = """
INSERT INTO messages (room, seq, cid, sender, name, role, text, att, ts, kind)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
RECEIPT = """
INSERT INTO receipts (room, user_id, seq) VALUES (?, ?, ?)
ON CONFLICT (room, user_id) DO UPDATE SET seq = max(seq, excluded.seq)
"""
PARTICIPANT = """
INSERT INTO participants (room, user_id, role, added) VALUES (?, ?, ?, ?)
ON CONFLICT (room, user_id) DO UPDATE SET role = excluded.role
"""
USER_INSERT = """
INSERT INTO users (id, kind, username, pnr, name, roles, pools, pw_hash, created)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
USER_UPDATE = """
UPDATE users SET name = ?, roles = ?, pools = ?, disabled = ? WHERE id = ?
"""
USER_PASSWORD = "UPDATE users SET pw_hash = ? WHERE id = ?"
SESSION = """
INSERT INTO sessions (token_hash, user_id, created, expires, client_addr) VALUES (?, ?, ?, ?, ?)
"""
SESSION_REVOKE = "UPDATE sessions SET revoked = 1 WHERE token_hash = ?"
SESSIONS_REVOKE_USER = "UPDATE sessions SET revoked = 1 WHERE user_id = ? AND revoked = 0"
ADMIN_SETTING = """
INSERT INTO admin_settings (kind, key, value, updated, updated_by) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (kind, key) DO UPDATE SET
    value = excluded.value, updated = excluded.updated, updated_by = excluded.updated_by
"""
ATTACHMENT = """
INSERT INTO attachments (id, room, uploader, mime, size, sha256, created, data)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""


def case_row(
    *,
    id: str,
    room: str,
    patient_id: str,
    actor_id: str,
    entrance: str,
    pool: str,
    state: str,
    urgency: int,
    complaint: str,
    created: int,
    enqueued: int | None,
    deadline: int | None,
    assignee: str | None,
    closed: int | None,
    outcome: str | None,
    assigned: int | None = None,
    first_reply: int | None = None,
    rating: int | None = None,
) -> Op:
    return (
        CASE_UPSERT,
        (
            id,
            room,
            patient_id,
            actor_id,
            entrance,
            pool,
            state,
            urgency,
            complaint,
            created,
            enqueued,
            deadline,
            assignee,
            closed,
            outcome,
            assigned,
            first_reply,
            rating,
        ),
    )


def case_event(
    case_id: str, at: int, action: str, actor: str, state: str, pool: str, urgency: int, note: str
) -> Op:
    return (CASE_EVENT, (case_id, at, action, actor, state, pool, urgency, note))


def message(
    room: str,
    seq: int,
    cid: str,
    sender: str,
    name: str,
    role: str,
    text: str,
    att: str | None,
    ts: int,
    kind: str = "text",
) -> Op:
    return (MESSAGE, (room, seq, cid, sender, name, role, text, att, ts, kind))


def receipt(room: str, user_id: str, seq: int) -> Op:
    return (RECEIPT, (room, user_id, seq))


def participant(room: str, user_id: str, role: str, added: int) -> Op:
    return (PARTICIPANT, (room, user_id, role, added))


def user_insert(
    *,
    id: str,
    kind: str,
    name: str,
    created: int,
    username: str | None = None,
    pnr: str | None = None,
    roles: Sequence[str] = (),
    pools: Sequence[str] = (),
    pw_hash: str | None = None,
) -> Op:
    return (
        USER_INSERT,
        (id, kind, username, pnr, name, ",".join(roles), ",".join(pools), pw_hash, created),
    )


def session(token_hash: bytes, user_id: str, created: int, expires: int, addr: str | None) -> Op:
    return (SESSION, (token_hash, user_id, created, expires, addr))


def session_revoke(token_hash: bytes) -> Op:
    return (SESSION_REVOKE, (token_hash,))


def sessions_revoke_user(user_id: str) -> Op:
    return (SESSIONS_REVOKE_USER, (user_id,))


def user_update(
    user_id: str, *, name: str, roles: Sequence[str], pools: Sequence[str], disabled: bool
) -> Op:
    return (USER_UPDATE, (name, ",".join(roles), ",".join(pools), int(disabled), user_id))


def user_password(user_id: str, pw_hash: str) -> Op:
    return (USER_PASSWORD, (pw_hash, user_id))


def admin_setting(kind: str, key: str, value_json: str, at: int, by: str) -> Op:
    return (ADMIN_SETTING, (kind, key, value_json, at, by))


def attachment(
    id: str, room: str, uploader: str, mime: str, sha256: str, created: int, data: bytes
) -> Op:
    return (ATTACHMENT, (id, room, uploader, mime, len(data), sha256, created, data))


TRIAGE_UPSERT = """
INSERT INTO triage (case_id, complaint, snapshot, urgency, disposition, pool, advice, summary,
                    provenance, response, updated)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (case_id) DO UPDATE SET
    snapshot = excluded.snapshot, urgency = excluded.urgency,
    disposition = excluded.disposition, pool = excluded.pool, advice = excluded.advice,
    summary = excluded.summary, provenance = excluded.provenance, response = excluded.response,
    updated = excluded.updated
"""
USER_CONTACT = "UPDATE users SET phone = ?, sms_consent = ? WHERE id = ?"
NOTIFICATION = """
INSERT INTO notifications (user_id, case_id, kind, phone, text, created, next_try)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
NOTIFICATION_STATUS = """
UPDATE notifications SET status = ?, attempts = ?, next_try = ?, provider_id = ?, detail = ?
WHERE id = ?
"""
NOTIFICATION_DELIVERY = "UPDATE notifications SET status = ?, detail = ? WHERE provider_id = ?"


def triage(
    case_id: str,
    complaint: str,
    snapshot: str,
    updated: int,
    *,
    urgency: int | None = None,
    disposition: str | None = None,
    pool: str | None = None,
    advice: str | None = None,
    summary: str | None = None,
    provenance: str | None = None,
    response: str | None = None,
) -> Op:
    return (
        TRIAGE_UPSERT,
        (
            case_id,
            complaint,
            snapshot,
            urgency,
            disposition,
            pool,
            advice,
            summary,
            provenance,
            response,
            updated,
        ),
    )


def user_contact(user_id: str, phone: str | None, consent: bool) -> Op:
    return (USER_CONTACT, (phone, int(consent), user_id))


def notification(
    user_id: str, case_id: str | None, kind: str, phone: str, text: str, now: int
) -> Op:
    return (NOTIFICATION, (user_id, case_id, kind, phone, text, now, now))


def notification_status(
    row_id: int, status: str, attempts: int, next_try: int, provider_id: str | None, detail: str
) -> Op:
    return (NOTIFICATION_STATUS, (status, attempts, next_try, provider_id, detail, row_id))


def notification_delivery(provider_id: str, status: str, detail: str) -> Op:
    return (NOTIFICATION_DELIVERY, (status, detail, provider_id))


CONSULT = """
INSERT INTO consults (case_id, by_user, invitee, question, created) VALUES (?, ?, ?, ?, ?)
"""
CONSULT_ANSWERED = """
UPDATE consults SET answered = ? WHERE case_id = ? AND answered IS NULL AND invitee IN (?, ?)
"""
PHRASE_SET = """
INSERT INTO phrases (scope, owner, key, text, updated) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (scope, owner, key) DO UPDATE SET text = excluded.text, updated = excluded.updated
"""
PHRASE_DELETE = "DELETE FROM phrases WHERE scope = ? AND owner = ? AND key = ?"


def consult(case_id: str, by: str, invitee: str, question: str, at: int) -> Op:
    return (CONSULT, (case_id, by, invitee, question, at))


def consult_answered(case_id: str, user_id: str, pool_invitee: str, at: int) -> Op:
    return (CONSULT_ANSWERED, (at, case_id, user_id, pool_invitee))


def phrase_set(scope: str, owner: str, key: str, text: str, at: int) -> Op:
    return (PHRASE_SET, (scope, owner, key, text, at))


def phrase_delete(scope: str, owner: str, key: str) -> Op:
    return (PHRASE_DELETE, (scope, owner, key))
