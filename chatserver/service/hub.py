"""Who receives what: room subscriptions and per-user connections.

Fan-out encodes a frame once and queues the same bytes to every recipient
(~15 µs per recipient here, shared/TOOLING.md). A subscription that is still
catching up on history buffers live frames so that a client always sees a
room's messages in order, without gaps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from chatserver.service.session import ClientSession
from protocol.errors import CloseCode

# Live frames buffered while a subscription replays history from disk.
MAX_CATCHUP_BUFFER = 2000


@dataclass(eq=False, slots=True)
class Subscription:
    session: ClientSession
    room: str
    catching_up: bool = False
    pending: list[bytes] = field(default_factory=list)

    def deliver(self, data: bytes) -> None:
        if not self.catching_up:
            self.session.peer.push(data)
            return
        self.pending.append(data)
        if len(self.pending) > MAX_CATCHUP_BUFFER:
            self.session.peer.close(CloseCode.slow_consumer, "too far behind while resuming")

    def caught_up(self) -> None:
        pending, self.pending = self.pending, []
        self.catching_up = False
        for data in pending:
            self.session.peer.push(data)


class Hub:
    def __init__(self) -> None:
        self.rooms: dict[str, dict[int, Subscription]] = {}
        self.users: dict[str, dict[int, ClientSession]] = {}
        self.on_empty: Callable[[], None] | None = None  # the last session left (shutdown)

    def attach(self, s: ClientSession) -> None:
        self.users.setdefault(s.principal.user_id, {})[s.id] = s

    def detach(self, s: ClientSession) -> None:
        for room in list(s.subs):
            self.unsubscribe(s, room)
        peers = self.users.get(s.principal.user_id)
        if peers is not None:
            peers.pop(s.id, None)
            if not peers:
                del self.users[s.principal.user_id]
        if not self.users and self.on_empty is not None:
            self.on_empty()

    def subscribe(self, s: ClientSession, room: str) -> Subscription:
        sub = Subscription(s, room)
        self.rooms.setdefault(room, {})[s.id] = sub
        s.subs.add(room)
        return sub

    def unsubscribe(self, s: ClientSession, room: str) -> None:
        subs = self.rooms.get(room)
        if subs is not None:
            subs.pop(s.id, None)
            if not subs:
                del self.rooms[room]
        s.subs.discard(room)

    def to_room(self, room: str, data: bytes, *, skip: int | None = None) -> int:
        subs = self.rooms.get(room)
        if not subs:
            return 0
        for sid, sub in list(subs.items()):
            if sid != skip:
                sub.deliver(data)
        return len(subs)

    def to_user(self, user_id: str, data: bytes) -> None:
        for s in list(self.users.get(user_id, {}).values()):
            s.peer.push(data)

    def close_user(
        self, user_id: str, code: int, reason: str, *, token_hash: bytes | None = None
    ) -> None:
        """Close a user's connections: all of them, or those opened with one
        session token (``token_hash``)."""
        for s in list(self.users.get(user_id, {}).values()):
            if token_hash is None or s.token_hash == token_hash:
                s.peer.close(code, reason)

    def sessions(self) -> list[ClientSession]:
        return [s for peers in self.users.values() for s in peers.values()]
