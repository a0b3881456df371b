"""Room membership and the join frame shared by the two benchmark relays.

Both relays must do exactly the same work per frame so that the measured
difference is the transport stack alone; keeping this logic in one place
guarantees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

import msgpack

# A join frame is tiny; anything larger is not one.
MAX_JOIN_BYTES = 1024

T = TypeVar("T")


class BadJoin(ValueError):
    """The first frame of a connection was not ``{"join": room}``."""


def parse_join(frame: bytes | str) -> str:
    """The room named by a first frame ``{"join": room}`` (msgpack)."""
    if not isinstance(frame, bytes) or len(frame) > MAX_JOIN_BYTES:
        raise BadJoin("the first frame must be a small binary msgpack map")
    try:
        value = msgpack.unpackb(frame)
    except (ValueError, msgpack.UnpackException) as exc:
        raise BadJoin("the first frame is not msgpack") from exc
    room = value.get("join") if isinstance(value, dict) else None
    if not isinstance(room, str) or not room:
        raise BadJoin('the first frame must be {"join": room}')
    return room


class Rooms(Generic[T]):
    """Which connections are in which room."""

    def __init__(self) -> None:
        self._members: dict[str, set[T]] = {}

    def join(self, room: str, member: T) -> None:
        self._members.setdefault(room, set()).add(member)

    def leave(self, room: str, member: T) -> None:
        members = self._members.get(room)
        if members is None:
            return
        members.discard(member)
        if not members:
            del self._members[room]

    def others(self, room: str, member: T) -> Iterator[T]:
        """The other members of ``room`` (a snapshot, safe across awaits)."""
        return iter([peer for peer in self._members.get(room, ()) if peer is not member])

    def __len__(self) -> int:
        return sum(len(members) for members in self._members.values())
