"""The client side of a benchmark, behind one small interface.

The load generator only knows probes: message number ``n`` of a pair, sent at
``ts_ns`` (``time.monotonic_ns()``, CLOCK_MONOTONIC, the same clock in every
process on Linux). A driver turns a probe into whatever its server speaks and
back. ``bench.relay_driver`` speaks the relays' bare msgpack frames; a driver
for the real chat protocol logs in, joins a case's room, wraps each probe in a
chat message and unwraps the delivered event, handling acks itself.

A driver is named on the command line either by a short name in ``DRIVERS`` or
as ``package.module:Factory``; the factory is called as ``Factory(options)``
in each load-generator process, so it must be importable there.

Rules a driver keeps so that the figures mean the same for every driver:

* ``connect_pair`` returns only when a probe sent now would reach the
  receiver (both ends joined, the route proven), so no probe is lost to a
  join race.
* ``Sender.send`` returns once the probe is handed to the transport. A
  protocol with acks should not wait for the ack here (that would make
  sending closed-loop per pair); count acks separately if they matter.
* ``Receiver.recv`` skips frames that are not probes (acks, presence,
  hand-shake leftovers) and returns None once the connection has ended.

Optional, for protocols that confirm what they were sent (``chatserver``
acks each message once it is durable): a sender or receiver may have

* ``counters() -> Mapping[str, int]``: counts of its own (acks, refusals,
  skipped frames); the load generator sums them over all pairs and reports
  them as ``counters`` beside ``sent`` and ``received``;
* ``async settle()`` (senders): wait until the server has answered
  everything sent. The worker calls it in its drain window, after the
  probes have arrived, and stops waiting when the window ends, so the
  counters are complete when read.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class Delivery:
    """A probe as it reached its receiver."""

    n: int
    ts_ns: int


@dataclass(frozen=True, slots=True)
class DriverOptions:
    """What every driver is built from.

    ``params`` holds driver-specific settings given as ``--driver-opt
    key=value`` (credentials, entrance names and the like).
    """

    url: str
    pad_bytes: int = 150
    params: Mapping[str, str] = field(default_factory=dict)


class Sender(Protocol):
    async def send(self, n: int, ts_ns: int) -> None:
        """Send probe ``n`` stamped ``ts_ns``; return once it is handed over."""

    async def close(self) -> None:
        """Close the sending connection (idempotent)."""


class Receiver(Protocol):
    async def recv(self) -> Delivery | None:
        """The next probe delivered, or None once the connection has ended."""

    async def close(self) -> None:
        """Close the receiving connection (idempotent)."""


@runtime_checkable
class Counted(Protocol):
    def counters(self) -> Mapping[str, int]:
        """Driver-specific counts (for example acks), summed over all pairs."""


@runtime_checkable
class Settling(Protocol):
    async def settle(self) -> None:
        """Wait until the server answered all that was sent (the caller bounds the wait)."""


class Idle(Protocol):
    async def close(self) -> None:
        """Close the idle connection (idempotent)."""


class Driver(Protocol):
    async def connect_pair(self, room: str) -> tuple[Sender, Receiver]:
        """Two joined connections in ``room``: one sends probes, one receives them."""

    async def connect_idle(self, room: str) -> Idle:
        """One connection, joined as a real client would be, that then stays quiet."""


class DriverFactory(Protocol):
    def __call__(self, options: DriverOptions) -> Driver:
        """Build a driver in the process that will use it."""


# Short names for drivers shipped with the harness.
DRIVERS: dict[str, str] = {
    "relay": "bench.relay_driver:RelayDriver",
    "chatserver": "bench.chatserver_driver:ChatserverDriver",
}


def load_driver(name: str, options: DriverOptions) -> Driver:
    """Build the driver ``name`` (a key of ``DRIVERS`` or ``module:attribute``)."""
    target = DRIVERS.get(name, name)
    module_name, sep, attribute = target.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"unknown driver {name!r}: use one of {sorted(DRIVERS)} or module:Factory")
    factory: DriverFactory = getattr(importlib.import_module(module_name), attribute)
    return factory(options)
