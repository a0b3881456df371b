"""A stand-in for ``DirectWriter`` in outbox tests: records each write."""

from __future__ import annotations

from collections.abc import Sequence


class FakeDirect:
    """Each write is logged as one string, ``prefix`` then the frames joined
    by "+"; nothing is written (False) while ``writable`` is off, as when
    the transport paused writing."""

    def __init__(self, log: list[str], prefix: str = "") -> None:
        self.log = log
        self.prefix = prefix
        self.writable = True

    def try_send(self, data: bytes) -> bool:
        return self.try_send_all((data,))

    def try_send_all(self, frames: Sequence[bytes]) -> bool:
        if not self.writable:
            return False
        self.log.append(self.prefix + "+".join(f.decode() for f in frames))
        return True
