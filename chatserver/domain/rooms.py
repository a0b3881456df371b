"""A chat room: ordered, idempotent, resumable messages (DESIGN rule 3).

Messages are numbered 1, 2, 3 ... per room. Every message carries a
client-made id (cid); posting the same (sender, cid) again returns the
original message and stores nothing. ``head`` is the last number handed out;
``committed`` the last number the store has made durable: only messages up to
``committed`` are ever shown to anyone.
"""

from __future__ import annotations

from collections import deque

from chatserver.domain.events import ChatMessage

# Recent committed messages kept in memory so that a short reconnect resumes
# without reading the database.
RECENT = 64


class Room:
    """De-duplication must be exact, not a window: a client may resend a
    message whose ack it never read, however long ago, and storing it twice
    would break the room's numbering. So a room knows every (sender, cid) it
    holds, or knows that it does not (``cids_complete`` False: a room
    recovered from disk), in which case the service loads them before the
    first post (``load_cids``). Closed rooms drop the map."""

    __slots__ = (
        "_cids",
        "cids_complete",
        "committed",
        "head",
        "id",
        "participants",
        "reads",
        "recent",
    )

    def __init__(self, room_id: str, head: int = 0) -> None:
        self.id = room_id
        self.head = head
        self.committed = head
        self.participants: dict[str, str] = {}  # user id -> role
        self.reads: dict[str, int] = {}
        self.recent: deque[ChatMessage] = deque(maxlen=RECENT)
        self._cids: dict[tuple[str, str], tuple[int, int]] = {}  # -> (seq, ts)
        self.cids_complete = head == 0

    def restore_head(self, head: int) -> None:
        """After recovery: messages up to ``head`` exist; their cids are on disk."""
        self.head = self.committed = head
        self.cids_complete = head == 0

    def find(self, sender: str, cid: str) -> tuple[int, int] | None:
        """(seq, ts) of the message (sender, cid) if the room has it."""
        if not self.cids_complete:
            raise RuntimeError(f"room {self.id}: cids not loaded")
        return self._cids.get((sender, cid))

    def load_cids(self, rows: list[tuple[str, str, int, int]]) -> None:
        """All (sender, cid, seq, ts) of the room, read from the store."""
        for sender, cid, seq, ts in rows:
            self._cids[(sender, cid)] = (seq, ts)
        self.cids_complete = True

    def drop_cids(self) -> None:
        self._cids = {}
        self.cids_complete = self.head == 0

    def post(
        self,
        *,
        sender: str,
        name: str,
        role: str,
        cid: str,
        text: str,
        att: str | None,
        now: int,
        kind: str = "text",
    ) -> ChatMessage | tuple[int, int]:
        """The new message, or (seq, ts) of the one already posted with this cid."""
        known = self.find(sender, cid)
        if known is not None:
            return known
        self.head += 1
        msg = ChatMessage(self.id, self.head, cid, sender, name, role, text, now, att, kind)
        self._cids[(sender, cid)] = (msg.seq, now)
        return msg

    def mark_committed(self, msg: ChatMessage) -> None:
        self.committed = max(self.committed, msg.seq)
        self.recent.append(msg)

    def recent_after(self, after: int) -> list[ChatMessage] | None:
        """Committed messages after ``after`` if memory holds all of them, else None."""
        if after >= self.committed:
            return []
        if not self.recent or self.recent[0].seq > after + 1:
            return None
        return [m for m in self.recent if after < m.seq <= self.committed]

    def move_read(self, who: str, seq: int) -> bool:
        """Read marks only move forward, and never past what exists."""
        seq = min(seq, self.committed)
        if seq <= self.reads.get(who, 0):
            return False
        self.reads[who] = seq
        return True
