"""One WebSocket connection's outbox: bounded, drained by one writer task.

``push`` never blocks the caller (fan-out must not wait for a slow phone).
A client that falls ``outbox_frames`` frames or ``outbox_bytes`` bytes behind
is closed with 4003 slow_consumer and resumes later (DESIGN rule 4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from websockets.protocol import State

from protocol.errors import CloseCode

_OPEN = State.OPEN

log = logging.getLogger("chatserver.transport")

# Where ``with_raw_send`` leaves the server's own ASGI ``send`` in a WebSocket scope.
RAW_SEND = "chatserver.raw_send"


def with_raw_send(app: ASGIApp) -> ASGIApp:
    """Wrap the app so each WebSocket scope carries the server's ``send``:
    the outbox then writes frames through it directly, not through
    starlette's ``WebSocket.send`` (state checks) and its exception
    middleware's wrapper of ``send``, two coroutine layers per frame.
    Without the wrapper (starlette's TestClient) frames go through
    ``WebSocket.send_bytes``."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await app(scope, receive, send)
            return
        scope[RAW_SEND] = send
        try:
            await app(scope, receive, send)
        finally:
            # uvicorn's protocol holds the scope, and ``send`` is bound to the
            # protocol: left in place, a reference cycle that only the
            # cyclic collector would free (docs/decisions/0009).
            scope.pop(RAW_SEND, None)

    return wrapped


_LEN16 = struct.Struct("!BBH")
_LEN64 = struct.Struct("!BBQ")


def binary_frame_header(length: int) -> bytes:
    """RFC 6455 header of an unmasked, unfragmented binary frame (a server's
    frame) carrying ``length`` bytes: FIN and opcode 2, then the length."""
    if length < 126:
        return bytes((0x82, length))
    if length < 1 << 16:
        return _LEN16.pack(0x82, 126, length)
    return _LEN64.pack(0x82, 127, length)


class DirectWriter:
    """Writes a binary frame at once, on the caller's stack, when uvicorn's
    ``websockets-sansio`` ``send`` would not have to wait: the same two steps
    its ``send`` takes for ``websocket.send`` (``conn.send_binary``, then one
    ``transport.write``), without a task switch to the outbox's writer.

    ``try_send`` says False, having sent nothing, whenever ``send`` would
    suspend or refuse: the transport paused writing (flow control), the
    connection is not open, or anything unexpected; the frame then takes the
    ordinary path through the outbox. While no extension was negotiated
    (no compression) and the connection holds nothing unsent, it frames the
    bytes itself (``binary_frame_header``): the same bytes websockets'
    ``Frame.serialize`` writes, for a tenth of its cost. Found only when ``send`` is exactly
    uvicorn's ``WebSocketsSansIOProtocol.send`` with the attributes used here
    (uvicorn 0.55), so another implementation or version just goes without
    (tests/transport/test_direct_send.py notices that)."""

    __slots__ = ("_proto",)

    def __init__(self, proto: Any) -> None:
        self._proto = proto

    def try_send(self, data: bytes) -> bool:
        return self.try_send_all((data,))

    def try_send_all(self, frames: Sequence[bytes]) -> bool:
        """``try_send`` for one or more frames in one write (one ``send``
        call): all sent, in order, or (False) none."""
        p = self._proto
        if (
            p.disconnected
            or p.close_sent
            or not p.handshake_complete
            or p.initial_response is not None
            or not p.writable.is_set()
        ):
            return False
        conn = p.conn
        if (
            conn.state is _OPEN
            and not conn.extensions
            and not conn.writes
            and not conn.expect_continuation_frame
        ):
            if len(frames) == 1:
                data = frames[0]
                p.transport.write(binary_frame_header(len(data)) + data)
            else:
                header = binary_frame_header
                p.transport.write(b"".join([header(len(d)) + d for d in frames]))
            return True
        try:
            for data in frames:
                # Raises, before anything is queued, if not open; the state
                # is the same for every frame, so it is the first or none.
                conn.send_binary(data)
        except Exception:
            return False
        p.transport.write(b"".join(conn.data_to_send()))
        return True


_DIRECT_ATTRS = (
    "disconnected",
    "close_sent",
    "handshake_complete",
    "initial_response",
    "writable",
    "conn",
    "transport",
)


# What DirectWriter reads of the websockets connection (websockets 17).
_CONN_ATTRS = ("state", "extensions", "writes", "expect_continuation_frame")


def uvicorn_protocol(send: Any) -> Any | None:
    """The connection behind ``send`` if ``send`` is exactly uvicorn's
    ``WebSocketsSansIOProtocol.send`` (uvicorn 0.55), else None: what the
    fast paths here and in ``inbox.py`` rely on is checked once, there."""
    try:
        from uvicorn.protocols.websockets.websockets_sansio_impl import (
            WebSocketsSansIOProtocol,
        )
    except ImportError:  # pragma: no cover - uvicorn is a dependency
        return None
    proto = getattr(send, "__self__", None)
    if type(proto) is not WebSocketsSansIOProtocol:
        return None
    if getattr(send, "__func__", None) is not WebSocketsSansIOProtocol.send:
        return None
    return proto


def direct_writer(send: Any) -> DirectWriter | None:
    """A DirectWriter for the connection behind uvicorn's ``send``, or None."""
    proto = uvicorn_protocol(send)
    if proto is None or not all(hasattr(proto, name) for name in _DIRECT_ATTRS):
        return None
    if not all(hasattr(proto.conn, name) for name in _CONN_ATTRS):
        return None
    return DirectWriter(proto)


class Cork:
    """Gathers the frames pushed to each peer while held, and writes each
    peer's in one ``send`` when released.

    The service holds it over one publishing pass: the acks and deliveries
    of a whole group commit. Under load a client sent several messages in
    one commit and receives several: it then gets them in one write, not one
    each (a loopback ``send`` of one small frame costs ~5 µs of kernel time,
    docs/decisions/0007-one-write-per-peer.md). Nothing waits for it: the
    frames leave at the end of the same pass.
    """

    __slots__ = ("_depth", "_peers")

    def __init__(self) -> None:
        self._depth = 0
        self._peers: list[WsPeer] = []

    @property
    def held(self) -> bool:
        return self._depth > 0

    def __enter__(self) -> None:
        self._depth += 1

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0:  # released: nothing is held from here on
            peers, self._peers = self._peers, []
            for peer in peers:
                try:
                    peer.uncork()
                except Exception:  # one broken socket must not hold the others' frames
                    log.exception("writing held frames failed")
                    peer.close(CloseCode.internal, "internal error", drain=False)

    def hold(self, peer: WsPeer) -> None:
        self._peers.append(peer)


class WsPeer:
    def __init__(
        self,
        ws: WebSocket,
        max_frames: int,
        max_bytes: int,
        now: float,
        cork: Cork | None = None,
    ) -> None:
        self.ws = ws
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self._out: deque[bytes] = deque()
        self._bytes = 0
        self._ready = asyncio.Event()
        # Frames go straight to the socket while nothing waits in the outbox
        # (``push``); the writer task only drains what piled up behind a paused
        # transport. ``_sending``: the task holds a frame it has not yet sent.
        self._direct = direct_writer(ws.scope.get(RAW_SEND))
        self._sending = False
        # Frames held while ``cork`` is (then never None and never empty).
        self._cork = cork
        self._corked: list[bytes] | None = None
        self.close_code: int | None = None
        self.close_reason = ""
        self._drain = True
        self.last_seen = now
        self.opened = now
        self.authenticated = False
        # When the session it authenticated with expires (ms): it ends then too.
        self.expires_ms: int | None = None
        self.task: asyncio.Task[None] | None = None

    @property
    def backlog(self) -> int:
        return len(self._out)

    def push(self, data: bytes) -> None:
        if self.close_code is not None:
            return
        corked = self._corked
        if corked is not None:
            if self._full(len(corked), len(data)):
                return
            corked.append(data)
            self._bytes += len(data)
            return
        direct = self._direct
        if direct is not None and not self._out and not self._sending:
            cork = self._cork
            if cork is not None and cork.held:
                self._corked = [data]
                self._bytes += len(data)
                cork.hold(self)
                return
            if direct.try_send(data):
                return
        self._queue(data)

    def _full(self, extra_frames: int, size: int) -> bool:
        """The outbox cannot take one more frame of ``size`` bytes: closed."""
        if len(self._out) + extra_frames >= self.max_frames or self._bytes + size > self.max_bytes:
            self.close(CloseCode.slow_consumer, "outbox full: reconnect and resume", drain=False)
            return True
        return False

    def _queue(self, data: bytes) -> None:
        if self._full(0, len(data)):
            return
        self._out.append(data)
        self._bytes += len(data)
        self._ready.set()

    def uncork(self) -> None:
        """Write what was held, in one write if the socket takes it now, else
        through the outbox in the same order."""
        frames, self._corked = self._corked, None
        if frames is None:
            return
        self._bytes -= sum(map(len, frames))
        if self.close_code is not None and not self._drain:
            return  # gone, or too slow: nothing more is sent
        direct = self._direct
        assert direct is not None
        if direct.try_send_all(frames):
            return
        for data in frames:
            self._queue(data)

    def gone(self, code: int) -> None:
        """The client closed or vanished: stop the writer now (nothing can be sent)."""
        if self.close_code is None:
            self.close_code = code
        self._drain = False
        self._ready.set()

    def close(self, code: int, reason: str, *, drain: bool = True) -> None:
        """Close after sending what is queued (so an error frame explaining the
        close arrives first), or at once with ``drain=False`` (a slow reader)."""
        if self.close_code is None:
            self.close_code = code
            self.close_reason = reason
            self._drain = drain
            self._ready.set()

    async def run(self) -> None:
        """Send queued frames until closed; then send the close frame."""
        ws = self.ws
        out = self._out
        raw: Callable[[MutableMapping[str, Any]], Awaitable[None]] | None = ws.scope.get(RAW_SEND)
        try:
            while True:
                await self._ready.wait()
                self._ready.clear()
                if self.close_code is not None and not self._drain:
                    break
                while out:
                    data = out.popleft()
                    self._bytes -= len(data)
                    self._sending = True
                    if raw is not None:
                        await raw({"type": "websocket.send", "bytes": data})
                    else:
                        await ws.send_bytes(data)
                    self._sending = False
                if self.close_code is not None:
                    break
            with contextlib.suppress(Exception):
                await ws.close(self.close_code or CloseCode.normal, self.close_reason[:120])
        except Exception:  # the socket went away under us; the reader sees it too
            self.close_code = self.close_code or CloseCode.internal
