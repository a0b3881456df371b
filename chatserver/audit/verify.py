"""Re-verify the audit log's hash chain from row 1 to the head.

Any changed, deleted, inserted or reordered row breaks the chain: the ids
stop running 1, 2, 3 ..., a ``prev_hash`` no longer matches the row before,
or a row no longer matches its own hash. What a chain cannot show is a tail
rewritten or cut off by someone who recomputed every later hash; an anchor
(id and hash of a row, recorded somewhere the database's writers cannot
reach, such as the output of an earlier ``chatserver audit verify``) closes
that gap.

The whole log is read by one SELECT, so on a live WAL database it is checked
as one consistent snapshot while the server keeps appending.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from chatserver.audit.chain import EMPTY, FIELDS, GENESIS, HASH_SIZE, ChainHead, row_hash

_SELECT = f"SELECT {', '.join(FIELDS)}, prev_hash, hash FROM audit_log ORDER BY id"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """``first_bad`` is the lowest id at which the log differs from what was sealed."""

    ok: bool
    rows: int
    first_bad: int | None
    reason: str
    head: ChainHead = EMPTY
    """Id and hash of the last row checked (an anchor for the next verification)."""


def verify(conn: sqlite3.Connection, *, anchor: ChainHead | None = None) -> VerifyResult:
    """Walk the chain; ``anchor`` is an (id, hash) the log must still contain."""
    expected = 1
    prev = GENESIS
    rows = 0
    anchor_seen = anchor is None
    for row in conn.execute(_SELECT):
        values, stored_prev, stored_hash = row[: len(FIELDS)], row[-2], row[-1]
        row_id = values[0]
        bad = _check(row_id, expected, values, prev, stored_prev, stored_hash)
        if bad is not None:
            first_bad = min(row_id, expected) if isinstance(row_id, int) else expected
            return VerifyResult(False, rows, first_bad, bad, ChainHead(expected - 1, prev))
        if anchor is not None and row_id == anchor.id:
            if stored_hash != anchor.hash:
                reason = f"row {row_id} differs from the anchor: the log was rewritten"
                return VerifyResult(False, rows, row_id, reason, ChainHead(expected - 1, prev))
            anchor_seen = True
        prev = stored_hash
        rows += 1
        expected += 1
    head = ChainHead(rows, prev)
    if not anchor_seen:
        assert anchor is not None
        reason = f"the log ends at row {rows}, before the anchor row {anchor.id}: rows were cut off"
        return VerifyResult(False, rows, rows + 1, reason, head)
    return VerifyResult(True, rows, None, f"{rows} rows, chain intact", head)


def _check(
    row_id: object,
    expected: int,
    values: tuple[object, ...],
    prev: bytes,
    stored_prev: object,
    stored_hash: object,
) -> str | None:
    """Why this row breaks the chain, or None."""
    if row_id != expected:
        if isinstance(row_id, int) and row_id > expected:
            missing = (
                f"row {expected} is missing"
                if row_id == expected + 1
                else f"rows {expected}-{row_id - 1} are missing"
            )
            return f"{missing} (id {row_id} follows {expected - 1})"
        return f"id {row_id!r} where {expected} was expected"
    if not isinstance(stored_prev, bytes) or stored_prev != prev:
        return (
            f"row {expected}: prev_hash does not match row {expected - 1}'s hash "
            "(a row was inserted, removed or moved)"
        )
    if not isinstance(stored_hash, bytes) or len(stored_hash) != HASH_SIZE:
        return f"row {expected}: hash is not a {HASH_SIZE}-byte value"
    try:
        digest = row_hash(prev, values)
    except TypeError as e:
        return f"row {expected}: {e}"
    if digest != stored_hash:
        return f"row {expected}: content does not match its hash (the row was changed)"
    return None
