"""An async client that survives disconnects without losing or duplicating.

- Connects, sends ``hello``, waits for ``welcome``.
- Keeps, per followed room, the last message number seen; on reconnect it
  re-subscribes with ``after`` = that number and gets exactly what it missed.
- Every ``send`` gets a client-made id (cid). Until acknowledged, a message
  stays in the outbox and is resent with the SAME cid after a reconnect, so
  the server stores it once and answers with its original number.
- Reconnects with exponential backoff and jitter; a closed session
  (4001/4006) calls ``relogin`` for a new token if one was given.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from protocol import codec
from protocol.frames import (
    Ack,
    Error,
    Frame,
    Hello,
    Message,
    Ping,
    Send,
    Subscribe,
    Subscribed,
    Unsubscribe,
    Welcome,
)
from protocol.version import PROTOCOL_VERSION

log = logging.getLogger("chatclient")

RETRYABLE = frozenset({"unavailable", "busy", "rate_limited", "shutting_down"})


class _Waiter(Protocol):
    def done(self) -> bool: ...
    def set_result(self, frame: Frame, /) -> None: ...
    def set_exception(self, error: BaseException, /) -> None: ...


class ServerError(Exception):
    def __init__(self, frame: Error) -> None:
        super().__init__(f"{frame.code}: {frame.message}")
        self.code = frame.code
        self.frame = frame


class ConnectionLost(Exception):
    """The request was in flight when the connection dropped; its effect is unknown."""


@dataclass(slots=True)
class RoomView:
    """What this client has seen of a room."""

    room: str
    last: int = 0
    messages: dict[int, Message] = field(default_factory=dict)
    gaps: list[tuple[int, int]] = field(default_factory=list)  # (expected, got): must stay empty
    keep: bool = True  # keep message bodies (tests); False for bench


@dataclass(slots=True)
class _Outgoing:
    room: str
    cid: str
    text: str
    att: str | None
    future: asyncio.Future[Ack]


class Client:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        kind: str = "sdk",
        relogin: Callable[[], Awaitable[str]] | None = None,
        on_frame: Callable[[Frame], None] | None = None,
        keep_messages: bool = True,
        max_backoff: float = 5.0,
    ) -> None:
        self.url = url
        self.token = token
        self.kind = kind
        self.relogin = relogin
        self.on_frame = on_frame
        self.keep_messages = keep_messages
        self.max_backoff = max_backoff
        self.rooms: dict[str, RoomView] = {}
        self.events: asyncio.Queue[Frame] = asyncio.Queue(maxsize=100_000)
        self.welcome: Welcome | None = None
        self.connected = asyncio.Event()
        self.reconnects = 0
        self._ids = itertools.count(1)
        self._requests: dict[int, _Waiter] = {}
        self._outbox: dict[str, _Outgoing] = {}  # cid -> unacknowledged message, in order
        self._ws: ClientConnection | None = None
        self._runner: asyncio.Task[None] | None = None
        self._closing = False
        self._fatal: BaseException | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._tokens = 0.0
        self._tokens_at = 0.0

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------ life cycle

    async def start(self) -> Welcome:
        """Connect (retrying) and keep the connection up until ``close``."""
        self._runner = asyncio.get_running_loop().create_task(self._run(), name="sdk-client")
        waiter = asyncio.ensure_future(self.connected.wait())
        await asyncio.wait([waiter, self._runner], return_when=asyncio.FIRST_COMPLETED)
        if not waiter.done():
            waiter.cancel()
            await self._runner  # raises the fatal error
        assert self.welcome is not None
        return self.welcome

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    async def drop(self) -> None:
        """Drop the connection as a network failure would (tests)."""
        if self._ws is not None:
            self._ws.transport.abort()

    # ------------------------------------------------------------ commands

    async def request(self, frame: Frame, wait_s: float = 30.0) -> Frame:
        """Send a request (its ``id`` is filled in) and wait for the answer."""
        await self.connected.wait()
        rid = next(self._ids)
        fut: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._requests[rid] = fut
        try:
            await self._send_frame(_with_id(frame, rid))
            return await asyncio.wait_for(fut, wait_s)
        finally:
            self._requests.pop(rid, None)

    async def subscribe(self, room: str) -> Subscribed:
        view = self.rooms.setdefault(room, RoomView(room, keep=self.keep_messages))
        reply = await self.request(Subscribe(id=0, room=room, after=view.last))
        assert isinstance(reply, Subscribed)
        return reply

    async def unsubscribe(self, room: str) -> None:
        """Stop following a room, here and after reconnects (the server allows
        `welcome.limits.max_subs` at once: a long shift must let rooms go)."""
        if self.rooms.pop(room, None) is not None and self.connected.is_set():
            with contextlib.suppress(ServerError, ConnectionLost):
                await self.request(Unsubscribe(id=0, room=room))
        self.rooms.pop(room, None)  # a msg in flight before the unsub may have added it again

    def send(self, room: str, text: str, att: str | None = None) -> asyncio.Future[Ack]:
        """Queue a message; the future resolves with the server's ack (even
        across reconnects). The message is sent now if connected."""
        cid = uuid.uuid4().hex
        fut: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        out = _Outgoing(room, cid, text, att, fut)
        self._outbox[cid] = out
        if self.connected.is_set():
            self._spawn(self._transmit(out))
        return fut

    @property
    def unacked(self) -> int:
        return len(self._outbox)

    # ------------------------------------------------------------ internals

    async def _transmit(self, out: _Outgoing) -> None:
        rid = next(self._ids)
        self._requests[rid] = _SendWaiter(self, out)
        frame = Send(id=rid, room=out.room, cid=out.cid, text=out.text, att=out.att)
        with contextlib.suppress(ConnectionClosed, ConnectionLost):
            await self._send_frame(frame)

    def _retry(self, out: _Outgoing) -> None:
        if out.cid in self._outbox and self.connected.is_set():
            self._spawn(self._transmit(out))

    async def _send_frame(self, frame: Frame) -> None:
        if not isinstance(frame, Ping):
            await self._pace()
        ws = self._ws
        if ws is None:
            raise ConnectionLost("not connected")
        await ws.send(codec.encode(frame))

    async def _pace(self) -> None:
        """Stay inside the server's announced command rate (welcome.limits),
        so a well-behaved client never meets rate_limited."""
        limits = self.welcome.limits if self.welcome is not None else None
        if limits is None or limits.rate <= 0:
            return
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            self._tokens = min(
                float(limits.burst), self._tokens + (now - self._tokens_at) * limits.rate
            )
            self._tokens_at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return
            await asyncio.sleep((1.0 - self._tokens) / limits.rate)

    async def _run(self) -> None:
        backoff = 0.05
        while not self._closing:
            try:
                await self._connect_once()
                backoff = 0.05
            except _Fatal as e:
                self._fatal = e.error
                raise e.error from None
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError) as e:
                log.debug("connection lost: %r", e)
            self.connected.clear()
            self._fail_requests()
            if self._closing:
                return
            self.reconnects += 1
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(self.max_backoff, backoff * 2)

    async def _connect_once(self) -> None:
        async with connect(self.url, max_size=None, compression=None, open_timeout=10) as ws:
            self._ws = ws
            try:
                await ws.send(
                    codec.encode(Hello(v=PROTOCOL_VERSION, token=self.token, client=self.kind))
                )
                first = codec.decode_server(_as_bytes(await asyncio.wait_for(ws.recv(), 10)))
                if isinstance(first, Error):
                    await self._refused(first, ws)
                    return
                assert isinstance(first, Welcome), first
                self.welcome = first
                self._tokens = float(first.limits.burst) / 2  # be modest right after connecting
                self._tokens_at = asyncio.get_running_loop().time()
                loop = asyncio.get_running_loop()
                heartbeat = loop.create_task(self._heartbeat(first))
                # Resume beside the reader: acks and missed messages must be read
                # while a long outbox is still being resent.
                resume = loop.create_task(self._resume(ws))
                try:
                    async for data in ws:
                        self._on_data(_as_bytes(data))
                finally:
                    heartbeat.cancel()
                    resume.cancel()
                    with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                        await resume
            finally:
                self._ws = None

    async def _refused(self, err: Error, ws: ClientConnection) -> None:
        if err.code == "auth_failed" and self.relogin is not None:
            self.token = await self.relogin()
            return
        raise _Fatal(ServerError(err))

    async def _resume(self, ws: ClientConnection) -> None:
        """Re-follow rooms from the last number seen, then resend unacked messages."""
        for view in list(self.rooms.values()):
            rid = next(self._ids)
            await self._pace()
            await ws.send(codec.encode(Subscribe(id=rid, room=view.room, after=view.last)))
        # From here on new sends transmit themselves; older ones are resent below.
        self.connected.set()
        for out in list(self._outbox.values()):
            rid = next(self._ids)
            self._requests[rid] = _SendWaiter(self, out)
            await self._pace()
            await ws.send(
                codec.encode(Send(id=rid, room=out.room, cid=out.cid, text=out.text, att=out.att))
            )

    async def _heartbeat(self, welcome: Welcome) -> None:
        while True:
            await asyncio.sleep(welcome.heartbeat)
            with contextlib.suppress(ConnectionClosed, ConnectionLost):
                await self._send_frame(Ping(id=next(self._ids)))

    def _on_data(self, data: bytes) -> None:
        frame = codec.decode_server(data)
        re = getattr(frame, "re", None)
        if re is not None:
            waiter = self._requests.pop(re, None)
            if waiter is not None:
                if isinstance(frame, Error):
                    waiter.set_exception(ServerError(frame))
                else:
                    waiter.set_result(frame)
        if isinstance(frame, Message) and not self._on_message(frame):
            return
        if self.on_frame is not None:
            self.on_frame(frame)
        if re is None and not self.events.full():
            self.events.put_nowait(frame)

    def _on_message(self, m: Message) -> bool:
        view = self.rooms.get(m.room)
        if view is None:
            view = self.rooms[m.room] = RoomView(m.room, keep=self.keep_messages)
        if m.seq <= view.last:
            return False  # already seen (resume overlap)
        if m.seq != view.last + 1:
            view.gaps.append((view.last + 1, m.seq))
        view.last = m.seq
        if view.keep:
            view.messages[m.seq] = m
        return True

    def _fail_requests(self) -> None:
        for fut in list(self._requests.values()):
            if isinstance(fut, _SendWaiter):
                continue  # unacked sends stay in the outbox and are resent
            if not fut.done():
                fut.set_exception(ConnectionLost("connection lost"))
        self._requests.clear()


class _Fatal(Exception):
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _SendWaiter:
    """Stands in the request table for a send: resolves the message's future."""

    def __init__(self, client: Client, out: _Outgoing) -> None:
        self.client = client
        self.out = out

    def done(self) -> bool:
        return self.out.future.done()

    def set_result(self, frame: Frame) -> None:
        if isinstance(frame, Ack):
            self.client._outbox.pop(self.out.cid, None)
            if not self.out.future.done():
                self.out.future.set_result(frame)

    def set_exception(self, error: BaseException) -> None:
        if isinstance(error, ServerError) and error.code in RETRYABLE:
            # Stays in the outbox: retried shortly, or resent after a reconnect.
            loop = asyncio.get_running_loop()
            loop.call_later(0.5, self.client._retry, self.out)
            return
        self.client._outbox.pop(self.out.cid, None)
        if not self.out.future.done():
            self.out.future.set_exception(error)


def _with_id(frame: Frame, rid: int) -> Frame:
    import dataclasses

    return dataclasses.replace(frame, id=rid)  # type: ignore[type-var]


def _as_bytes(data: Any) -> bytes:
    if isinstance(data, str):
        raise ConnectionLost("server sent a text frame")
    return bytes(data)
