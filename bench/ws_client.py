"""A lean WebSocket client for load generation, on websockets' sans-I/O core.

Why not ``websockets.asyncio.client``: on a two-core machine the load
generator gets one core and the server the other, so the generator's CPU per
message bounds what "saturated" can show. Measured here (send plus receive of
one ~170 B probe): the asyncio client ~19 µs, this client ~15 µs, the bare
relay itself ~14-15 µs. The saving is its per-frame machinery (assembler,
locks, a reader task per connection); the rest is the kernel's loopback path
and msgpack, which every client pays. This client keeps the library's
protocol implementation (``websockets.client.ClientProtocol``: handshake,
masking, framing, close, automatic pongs) and moves bytes with a plain
``asyncio.Protocol``: received messages go to a deque, sends are written at
once.

Binary messages only (text messages are skipped); no compression.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import cast

from websockets.client import ClientProtocol
from websockets.exceptions import InvalidState
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import OPEN
from websockets.uri import parse_uri

# Received messages queued before the socket stops being read, and the level
# at which reading resumes: a bound on memory if the caller falls behind.
RECV_HIGH_WATER = 1024
RECV_LOW_WATER = 256
# Seconds to wait for the server to close TCP after our close frame.
CLOSE_TIMEOUT = 5.0


class LeanClient(asyncio.Protocol):
    """One client connection. Open it with ``LeanClient.open``."""

    def __init__(self, uri: str, max_size: int) -> None:
        self._ws = ClientProtocol(parse_uri(uri), max_size=max_size)
        loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._opened: asyncio.Future[None] = loop.create_future()
        self._lost: asyncio.Future[None] = loop.create_future()
        self._messages: deque[bytes] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None
        self._fragments: list[bytes] | None = None
        self._reading = True

    @classmethod
    async def open(
        cls, uri: str, *, max_size: int = 2**16, local_addr: tuple[str, int] | None = None
    ) -> LeanClient:
        """Connect and complete the opening handshake (bound it with asyncio.timeout).

        ``local_addr`` binds the client's end, e.g. ``("127.0.0.2", 0)``: each
        source address has its own ~28,000 ephemeral ports towards one server.
        """
        parsed = parse_uri(uri)
        loop = asyncio.get_running_loop()
        _, client = await loop.create_connection(
            lambda: cls(uri, max_size), parsed.host, parsed.port, local_addr=local_addr
        )
        await client._opened
        return client

    # -- asyncio.Protocol -------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._ws.send_request(self._ws.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        self._ws.receive_data(data)
        for event in self._ws.events_received():
            if isinstance(event, Frame):
                self._on_frame(event)
            elif isinstance(event, Response) and not self._opened.done():
                if self._ws.handshake_exc is not None:
                    self._opened.set_exception(self._ws.handshake_exc)
                else:
                    self._opened.set_result(None)
        self._flush()

    def eof_received(self) -> bool | None:
        self._ws.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self._opened.done():
            self._opened.set_exception(exc or ConnectionError("closed during handshake"))
        if not self._lost.done():
            self._lost.set_result(None)
        self._wake()
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)

    def pause_writing(self) -> None:
        self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._writable is not None and not self._writable.done():
            self._writable.set_result(None)
        self._writable = None

    # -- the caller's side ------------------------------------------------

    async def send(self, message: bytes) -> None:
        """Send one binary message; waits only while the socket's buffer is full."""
        if self._ws.state is not OPEN:
            raise self._ws.close_exc
        self._ws.send_binary(message)
        self._flush()
        if self._writable is not None:
            await asyncio.shield(self._writable)

    async def recv(self) -> bytes | None:
        """The next binary message, or None once the connection is closed."""
        while not self._messages:
            if self._lost.done():
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        if not self._reading and len(self._messages) <= RECV_LOW_WATER:
            self._reading = True
            if self._transport is not None:
                self._transport.resume_reading()
        return self._messages.popleft()

    async def close(self) -> None:
        """Closing handshake, then TCP close; aborts if the server is silent."""
        transport = self._transport
        if transport is None or self._lost.done():
            return
        with contextlib.suppress(InvalidState):
            self._ws.send_close()
        self._flush()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await asyncio.shield(self._lost)
        except TimeoutError:
            transport.abort()

    # -- internals --------------------------------------------------------

    def _on_frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.BINARY:
            if frame.fin:
                self._deliver(bytes(frame.data))
            else:
                self._fragments = [bytes(frame.data)]
        elif frame.opcode is Opcode.CONT and self._fragments is not None:
            self._fragments.append(bytes(frame.data))
            if frame.fin:
                self._deliver(b"".join(self._fragments))
                self._fragments = None

    def _deliver(self, message: bytes) -> None:
        self._messages.append(message)
        if self._reading and len(self._messages) >= RECV_HIGH_WATER:
            self._reading = False
            if self._transport is not None:
                self._transport.pause_reading()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        self._waiter = None

    def _flush(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        for data in self._ws.data_to_send():
            if data:
                transport.write(data)
            elif transport.can_write_eof():
                # websockets' SEND_EOF: half-close after the closing handshake.
                transport.write_eof()
