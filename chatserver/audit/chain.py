"""The audit log's hash chain: one row per access, each sealed with the hash of the one before.

Patientdatalagen (2008:355) 4 kap. 3 § requires access to patient data to be
logged so it can be checked; HSLF-FS 2016:40 4 kap. 9 § lists what a log entry
shows (action, care unit, time, user and role, patient). We add on-behalf-of,
the object, the basis for access, allowed or denied, and the client address
(shared/DOMAIN.md).

Canonical form (what an auditor re-computes)
--------------------------------------------
Each row's twelve fields, in this order::

    id, at, user_id, role, unit, patient_id, on_behalf_of,
    action, object, basis, allowed, client_addr

are encoded one after the other, each as

- NULL: the four bytes ``FF FF FF FF``;
- otherwise: the field as text (integers in decimal ASCII, ``allowed`` as
  ``0``/``1``, strings as they are) in UTF-8, preceded by its byte length as
  a 4-byte big-endian unsigned integer.

``hash = SHA-256(prev_hash || encoding)``, where ``prev_hash`` is the hash of
the row with id - 1 and, for row 1, 32 zero bytes. Both are stored as 32-byte
BLOBs. Ids run 1, 2, 3 ... without gaps. Re-verifying needs nothing but
Python's standard library::

    import hashlib, sqlite3

    def enc(v):
        if v is None:
            return b"\\xff\\xff\\xff\\xff"
        b = str(v).encode("utf-8")
        return len(b).to_bytes(4, "big") + b

    prev, expected_id = bytes(32), 1
    for row in sqlite3.connect("chat.sqlite3").execute(
        "SELECT id, at, user_id, role, unit, patient_id, on_behalf_of, action,"
        " object, basis, allowed, client_addr, prev_hash, hash"
        " FROM audit_log ORDER BY id"
    ):
        assert row[0] == expected_id and row[12] == prev, row[0]
        prev = hashlib.sha256(prev + b"".join(enc(v) for v in row[:12])).digest()
        assert row[13] == prev, row[0]
        expected_id += 1

Length prefixes make the encoding unambiguous without escaping rules, so the
recipe is the same few lines in any language. A chain only shows that rows
were not changed after later rows were sealed; to catch a rewrite of the whole
tail (or its truncation), record the head (``audit verify`` prints it)
somewhere the database's writers cannot reach, and pass it back as an anchor.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from chatserver.store.records import Op

GENESIS: Final = bytes(32)
"""``prev_hash`` of row 1."""

HASH_SIZE: Final = 32

ACTIONS: Final = frozenset(
    {
        # HSLF-FS 2016:40 4 kap. 9 §: the actions a log must tell apart.
        "read",
        "list",
        "search",
        "create",
        "update",
        "print",
        "export",
        "hand_over",
        "retriage",
        # Chat and case work that change a case.
        "claim",
        "release",
        "consult",
        "close",
        "note",
        "message",
        "book",
        # Administration (users, roles, pools, hours, entrances, phrases).
        "admin",
    }
)
"""Actions the log records; a closed list so auditors can filter on them."""

BASES: Final = frozenset(
    {"own_case", "guardian", "assigned", "pool_member", "consulted", "admin", "none"}
)
"""Why access was (or would have been) given: chatserver.domain.access.basis and admin."""

FIELDS: Final = (
    "id",
    "at",
    "user_id",
    "role",
    "unit",
    "patient_id",
    "on_behalf_of",
    "action",
    "object",
    "basis",
    "allowed",
    "client_addr",
)
"""The hashed fields, in canonical order."""

AUDIT_INSERT: Final = """
INSERT INTO audit_log (id, at, user_id, role, unit, patient_id, on_behalf_of, action, object,
                       basis, allowed, client_addr, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
"""The one statement that writes the log (a constant: the writer batches by identity)."""

_NULL: Final = b"\xff\xff\xff\xff"


class AuditError(ValueError):
    """An entry the log cannot take (unknown action or basis, bad time): a server bug."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One access, as the service knows it when the command runs.

    ``patient_id`` is the subject (the child, when a guardian is involved);
    ``on_behalf_of`` the guardian involved, if any; ``unit`` the care unit
    or pool the access belongs to; ``object`` what was touched, such as
    ``case:c123`` or ``room:c123~staff``.
    """

    at: int
    user_id: str
    role: str
    unit: str
    patient_id: str | None
    action: str
    object: str
    basis: str
    allowed: bool
    on_behalf_of: str | None = None
    client_addr: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.at, bool) or not isinstance(self.at, int) or self.at < 0:
            raise AuditError(f"at must be ms since the epoch, got {self.at!r}")
        if self.action not in ACTIONS:
            raise AuditError(f"unknown audit action {self.action!r}")
        if self.basis not in BASES:
            raise AuditError(f"unknown basis for access {self.basis!r}")
        if not isinstance(self.allowed, bool):
            raise AuditError(f"allowed must be a bool, got {self.allowed!r}")
        if not self.user_id:
            raise AuditError("an audit entry needs the user")


class ChainHead(NamedTuple):
    """Id and hash of the last row (0 and GENESIS for an empty log)."""

    id: int
    hash: bytes


EMPTY: Final = ChainHead(0, GENESIS)


def canonical(values: Iterable[object]) -> bytes:
    """The canonical encoding of a row's fields (see the module docstring)."""
    out = bytearray()
    for v in values:
        if v is None:
            out += _NULL
            continue
        if isinstance(v, bool):
            data = b"1" if v else b"0"
        elif isinstance(v, int):
            data = str(v).encode("ascii")
        elif isinstance(v, str):
            data = v.encode("utf-8")
        else:
            raise TypeError(f"audit fields are text, integers or NULL, not {type(v).__name__}")
        out += len(data).to_bytes(4, "big")
        out += data
    return bytes(out)


def row_hash(prev_hash: bytes, values: Sequence[object]) -> bytes:
    """SHA-256(prev_hash || canonical(values)) for the twelve fields of FIELDS."""
    if len(values) != len(FIELDS):
        raise ValueError(f"a row has {len(FIELDS)} hashed fields, got {len(values)}")
    return hashlib.sha256(prev_hash + canonical(values)).digest()


class AuditChain:
    """The in-memory head of the log; turns entries into INSERT operations.

    Single-writer world (DESIGN rule 1): the service calls ``append`` on the
    event loop and hands the operation to the group-commit writer in the same
    job as the change it logs, so the log commits with the change or not at
    all. The head advances at once; if the writer then refuses the job
    (``StoreBusy``), call ``rewind(head_before)`` or the next row would point
    at a row that never reached the disk. After ``StoreFailed`` the server is
    in fail-stop and reloads the head from disk at restart.
    """

    __slots__ = ("_hash", "_id")

    def __init__(self, head: ChainHead = EMPTY) -> None:
        self._id, self._hash = head

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> AuditChain:
        """The chain continuing after the last committed row."""
        row = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            return cls()
        last_id, last_hash = row
        if not isinstance(last_hash, bytes) or len(last_hash) != HASH_SIZE:
            raise AuditError(f"audit row {last_id} has no valid hash; run `audit verify`")
        return cls(ChainHead(int(last_id), last_hash))

    @property
    def head(self) -> ChainHead:
        return ChainHead(self._id, self._hash)

    def append(self, entry: AuditEntry) -> tuple[str, Sequence[Any]]:
        """The INSERT for ``entry`` as the next row; advances the head."""
        values = (
            self._id + 1,
            entry.at,
            entry.user_id,
            entry.role,
            entry.unit,
            entry.patient_id,
            entry.on_behalf_of,
            entry.action,
            entry.object,
            entry.basis,
            int(entry.allowed),
            entry.client_addr,
        )
        digest = row_hash(self._hash, values)
        op: Op = (AUDIT_INSERT, (*values, self._hash, digest))
        self._id += 1
        self._hash = digest
        return op

    def rewind(self, head: ChainHead) -> None:
        """Go back to ``head`` (taken before appends the writer then refused)."""
        if head.id > self._id:
            raise AuditError(f"cannot rewind forward from row {self._id} to {head.id}")
        self._id, self._hash = head
