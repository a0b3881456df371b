"""A chat room: ordered, idempotent, resumable messages (DESIGN rule 3).

Messages are numbered 1, 2, 3 ... per room. Every message carries a
client-made id (cid); posting the same (sender, cid) again returns the
original message and stores nothing. ``head`` is the last number handed out;
``committed`` the last number the store has made durable: only messages up to
``committed`` are ever shown to anyone.
"""

from __future__ import annotations

from collections import OrderedDict, deque

from chatserver.domain.events import ChatMessage

# A resend only ever concerns a client's unacknowledged messages, which are
# its most recent ones; 1,024 per room covers any outbox a client keeps.
DEDUPE_WINDOW = 1024
# Recent committed messages kept in memory so that a short reconnect resumes
# without reading the database.
RECENT = 64


class Room:
    __slots__ = ("_cids", "committed", "head", "id", "participants", "reads", "recent")

    def __init__(self, room_id: str, head: int = 0) -> None:
        self.id = room_id
        self.head = head
        self.committed = head
        self.participants: dict[str, str] = {}  # user id -> role
        self.reads: dict[str, int] = {}
        self.recent: deque[ChatMessage] = deque(maxlen=RECENT)
        self._cids: OrderedDict[tuple[str, str], ChatMessage] = OrderedDict()

    def find(self, sender: str, cid: str) -> ChatMessage | None:
        return self._cids.get((sender, cid))

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
    ) -> tuple[ChatMessage, bool]:
        """The message for (sender, cid) and whether it is new."""
        known = self._cids.get((sender, cid))
        if known is not None:
            return known, False
        self.head += 1
        msg = ChatMessage(self.id, self.head, cid, sender, name, role, text, now, att)
        self.remember(msg)
        return msg, True

    def remember(self, msg: ChatMessage) -> None:
        """Record a message's cid (on post, and when recovering from the store)."""
        self._cids[(msg.sender, msg.cid)] = msg
        if len(self._cids) > DEDUPE_WINDOW:
            self._cids.popitem(last=False)

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
