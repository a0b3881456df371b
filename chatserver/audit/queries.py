"""Reading the audit log: a patient's log extract and a user's listing for controls.

A patient has the right to information about the access to their data
(Patientdatalagen 2008:355 8 kap. 5 §); the extract shows from which care
unit and when, in a form that lets the patient judge whether the access was
justified (HSLF-FS 2016:40 4 kap. 10 §). It therefore holds time, unit,
action and object, not the staff member's identity (a public care provider
may still have to disclose names on request under the freedom of the press
act; that is a manual decision, made with ``user_listing``). Only accesses
that happened are listed: denied attempts and the patient's or guardian's
own actions are left out. Controls by the care provider (regular review of
the logs, HSLF-FS 2016:40 4 kap. 9 §) see everything a user did, allowed or
not.

Each query comes as ``(sql, params)`` plus a row mapper, so the service can
run it on its aiosqlite reader (``Reader.query``) as well as on a plain
connection (the CLI). ``patient_id_of`` and ``user_id_of`` turn what an
operator has at hand (the personnummer on a patient's request, a staff
member's username) into the internal ids the log stores.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from chatserver.audit.chain import FIELDS
from chatserver.domain import personnummer

Query = tuple[str, tuple[Any, ...]]

TZ: Final = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True, slots=True)
class ExtractEntry:
    """One access to a patient's data, as the patient may see it."""

    at: int
    unit: str
    action: str
    object: str

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "time": _local_iso(self.at),
            "unit": self.unit,
            "action": self.action,
            "object": self.object,
        }


@dataclass(frozen=True, slots=True)
class AuditRow:
    """A whole row of the log, for controls."""

    id: int
    at: int
    user_id: str
    role: str
    unit: str
    patient_id: str | None
    on_behalf_of: str | None
    action: str
    object: str
    basis: str
    allowed: bool
    client_addr: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "time": _local_iso(self.at),
            "user_id": self.user_id,
            "role": self.role,
            "unit": self.unit,
            "patient_id": self.patient_id,
            "on_behalf_of": self.on_behalf_of,
            "action": self.action,
            "object": self.object,
            "basis": self.basis,
            "allowed": self.allowed,
            "client_addr": self.client_addr,
        }


def patient_extract_query(
    patient_id: str, since_ms: int | None = None, until_ms: int | None = None
) -> Query:
    """Accesses to ``patient_id``'s data in [since_ms, until_ms), oldest first."""
    where, params = _window("patient_id = ?", [patient_id], since_ms, until_ms)
    sql = (
        "SELECT at, unit, action, object FROM audit_log "
        f"WHERE {where} AND allowed = 1 "
        # The patient's and guardian's own actions are not accesses by care staff.
        "AND basis NOT IN ('own_case', 'guardian') "
        "ORDER BY at, id"
    )
    return sql, tuple(params)


def extract_entries(rows: Iterable[Any]) -> list[ExtractEntry]:
    return [ExtractEntry(int(r[0]), r[1], r[2], r[3]) for r in rows]


def patient_extract(
    conn: sqlite3.Connection,
    patient_id: str,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> list[ExtractEntry]:
    """What the patient may see: which unit accessed their data, when, and how."""
    return extract_entries(conn.execute(*patient_extract_query(patient_id, since_ms, until_ms)))


def user_listing_query(
    user_id: str, since_ms: int | None = None, until_ms: int | None = None
) -> Query:
    """Everything ``user_id`` did in [since_ms, until_ms), allowed or denied, oldest first."""
    where, params = _window("user_id = ?", [user_id], since_ms, until_ms)
    return f"SELECT {', '.join(FIELDS)} FROM audit_log WHERE {where} ORDER BY at, id", tuple(params)


def audit_rows(rows: Iterable[Any]) -> list[AuditRow]:
    return [
        AuditRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], bool(r[10]), r[11])
        for r in rows
    ]


def user_listing(
    conn: sqlite3.Connection,
    user_id: str,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> list[AuditRow]:
    """A user's accesses for a control (logs must be reviewed regularly)."""
    return audit_rows(conn.execute(*user_listing_query(user_id, since_ms, until_ms)))


def patient_id_of(conn: sqlite3.Connection, key: str, *, today: date) -> str | None:
    """The internal id of the patient ``key`` names, or None if there is none.

    A patient asks for their extract with their personnummer, in whatever form
    they wrote it (10 or 12 digits, with or without separator; ``today`` picks
    the century of the short forms). Anything that does not look like one is
    taken as an internal id. A number written like a personnummer that is not
    a valid one (check digit, date) raises PersonnummerError, a ValueError
    whose message never holds the number: a typing error is not an unknown
    patient.
    """
    try:
        pnr = personnummer.parse(key, today=today)
    except personnummer.PersonnummerError as e:
        if e.code != "pnr_format":
            raise personnummer.PersonnummerError(e.code, f"not a valid personnummer: {e}") from None
    else:
        row = conn.execute(
            "SELECT id FROM users WHERE kind = 'patient' AND pnr = ?", (pnr.digits,)
        ).fetchone()
        return None if row is None else str(row[0])
    known = _exists(conn, "SELECT 1 FROM users WHERE kind = 'patient' AND id = ?", key)
    return key if known or _in_log(conn, "patient_id", key) else None


def user_id_of(conn: sqlite3.Connection, key: str) -> str | None:
    """The internal id of the user ``key`` names (an id or a username), or None.

    An id wins over a username equal to it: ids are unique by construction
    and are what the log stores, and the owner of such a username is still
    reached through their own id.
    """
    row = conn.execute(
        "SELECT id FROM users WHERE id = ? OR username = ? ORDER BY id = ? DESC LIMIT 1",
        (key, key, key),
    ).fetchone()
    if row is not None:
        return str(row[0])
    return key if _in_log(conn, "user_id", key) else None


def _exists(conn: sqlite3.Connection, sql: str, key: str) -> bool:
    return conn.execute(sql, (key,)).fetchone() is not None


def _in_log(conn: sqlite3.Connection, column: Literal["patient_id", "user_id"], key: str) -> bool:
    """Whether the log names ``key`` in ``column``. The log, not the users
    table, is the record of who acted on whom: an id it holds is a real
    subject even with no account row behind it (a log restored or copied
    without its users). Both columns are indexed."""
    return _exists(conn, f"SELECT 1 FROM audit_log WHERE {column} = ? LIMIT 1", key)


def _window(
    where: str, params: list[Any], since_ms: int | None, until_ms: int | None
) -> tuple[str, list[Any]]:
    if since_ms is not None:
        where += " AND at >= ?"
        params.append(since_ms)
    if until_ms is not None:
        where += " AND at < ?"
        params.append(until_ms)
    return where, params


def _local_iso(at_ms: int) -> str:
    return datetime.fromtimestamp(at_ms / 1000, UTC).astimezone(TZ).isoformat(timespec="seconds")
