"""Frames handled as they arrive: uvicorn's receive queue, taken over after hello.

Through ASGI, every frame a client sends is put in uvicorn's queue for the
connection (and reading paused), and a task switch later the endpoint takes
it out again through uvicorn's and starlette's ``receive`` (and reading
resumed). Once a connection is authenticated, ``Inbox`` takes that queue's
place: ``FrameReader`` (``frame_reader.py``) hands it each binary frame's
payload as it is read, and uvicorn any other message (a text frame, a
disconnect); a frame is decoded and its command started at once, on the
reader's stack. Most commands (a chat message, a typing notice, a read mark)
finish there without waiting for anything; one that must wait (a read from
disk, an audited commit) is finished by a task, and frames arriving
meanwhile wait behind it in order, with reading paused once ``PAUSE_AT`` of
them wait. That saves ~7% of the event loop's time per chat message
(docs/decisions/0006-messages-append-only.md).

Found only for uvicorn's ``websockets-sansio`` connection with the
attributes used here (``uvicorn_protocol``); anywhere else (starlette's
TestClient) the endpoint reads through ``receive`` as before.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from typing import Any

from chatserver.transport.frame_reader import read_frames
from chatserver.transport.peer import uvicorn_protocol

Command = Coroutine[Any, Any, None]
# Frames waiting behind a command that waits: beyond this, reading pauses.
PAUSE_AT = 64

_PROTO_ATTRS = ("queue", "read_paused", "transport")


class _Resume:
    """Awaiting this continues ``coro``, already started outside any task and
    suspended on ``yielded``, exactly as the task that started it would have
    (Python 3.12's eager tasks do the same)."""

    __slots__ = ("coro", "yielded")

    def __init__(self, coro: Command, yielded: Any) -> None:
        self.coro = coro
        self.yielded = yielded

    def __await__(self) -> Generator[Any, None, None]:
        coro, yielded = self.coro, self.yielded
        while True:
            try:
                yield yielded
            except BaseException as e:  # thrown into the task: pass it on
                try:
                    yielded = coro.throw(e)
                except StopIteration:
                    return
                continue
            try:
                yielded = coro.send(None)
            except StopIteration:
                return


class Inbox:
    """Stands in for uvicorn's ``asyncio.Queue`` of one connection: uvicorn
    calls ``put_nowait`` (and ``empty``); nothing calls ``get`` any more."""

    def __init__(
        self,
        proto: Any,
        command: Callable[[bytes], Command | None],
        on_text: Callable[[], None],
        on_gone: Callable[[int], None],
    ) -> None:
        self._proto = proto
        self._command = command
        self._on_text = on_text
        self._on_gone = on_gone
        self._waiting: deque[bytes | dict[str, Any]] = deque()
        self._busy = False
        self._task: asyncio.Task[None] | None = None  # finishing a command that waited
        self._gone = False
        self._paused = False
        self._context = contextvars.copy_context()
        self._loop = asyncio.get_running_loop()
        self.done: asyncio.Future[None] = self._loop.create_future()

    # -- what uvicorn calls --------------------------------------------------

    def put_nowait(self, message: dict[str, Any]) -> None:
        self.put(message)

    def empty(self) -> bool:
        return not self._waiting

    async def get(self) -> dict[str, Any]:  # pragma: no cover - taken over
        raise RuntimeError("the connection's frames go to its Inbox")

    # -- ours ------------------------------------------------------------------

    def put(self, item: bytes | dict[str, Any]) -> None:
        """Take a binary frame's payload (from ``FrameReader``) or a message
        of uvicorn's: start its command now, or queue it behind one that waits."""
        if self._busy:
            self._waiting.append(item)
            if len(self._waiting) >= PAUSE_AT and not self._paused:
                self._paused = True
                self._proto.transport.pause_reading()
            return
        # In the connection's context, as a task of its own would be: a
        # command that needs nothing awaited runs to its end right here.
        context = self._context
        command = context.run(self._take, item)
        if command is None:
            return
        try:
            yielded = context.run(command.send, None)
        except StopIteration:
            return
        self._busy = True
        task = self._loop.create_task(self._finish(command, yielded), context=self._context)
        task.add_done_callback(lambda t: self._finished(t, command))
        self._task = task

    def _take(self, item: bytes | dict[str, Any]) -> Command | None:
        """The command a frame starts, or None (a disconnect, a text frame,
        a frame refused before any command, a command already done)."""
        if isinstance(item, bytes):
            return self._command(item)
        kind = item.get("type")  # a message of uvicorn's
        if kind == "websocket.receive":
            data = item.get("bytes")
            if data is None:
                self._on_text()
                return None
            return self._command(data)
        if kind == "websocket.disconnect" and not self._gone:
            self._gone = True
            self._on_gone(int(item.get("code") or 1005))
            if not self._busy and not self.done.done():
                self.done.set_result(None)
        return None

    async def _finish(self, command: Command, yielded: Any) -> None:
        """Run the command that had to wait to its end, then whatever queued
        behind it, in order; then hand the connection back to ``put_nowait``
        (in the same step that found nothing more waiting: a frame arriving
        later must not wait for a callback)."""
        await _Resume(command, yielded)
        while self._waiting:
            if self._paused and len(self._waiting) < PAUSE_AT // 2:
                self._paused = False
                self._proto.transport.resume_reading()
            later = self._take(self._waiting.popleft())
            if later is not None:
                await later
        self._idle()

    def _finished(self, task: asyncio.Task[None], command: Command) -> None:
        """A task that did not run to its end (cancelled at shutdown, perhaps
        before it began): its command is closed, and what waited behind it is
        dropped but for a disconnect."""
        if task is not self._task:
            return  # it ran to its end (and a later one may own the connection now)
        command.close()
        for item in self._waiting:
            if isinstance(item, dict) and item.get("type") == "websocket.disconnect":
                self._take(item)
        self._waiting.clear()
        self._idle()

    def release(self) -> None:
        """The connection has ended: give uvicorn's protocol a queue of its
        own again. Through this Inbox the protocol held the connection's
        commands, session and peer, which hold the protocol: a reference
        cycle, so every closed connection waited for the cyclic collector,
        and under a day's churn its collections stopped the loop for up to
        ~100 ms (docs/decisions/0009-what-did-not-pay.md). Anything uvicorn
        still puts there (a late disconnect) is dropped with the queue."""
        self._proto.queue = asyncio.Queue()

    def _idle(self) -> None:
        self._busy = False
        self._task = None
        if self._paused:
            self._paused = False
            self._proto.transport.resume_reading()
        if self._gone and not self.done.done():
            self.done.set_result(None)


def take_over(
    send: Any,
    command: Callable[[bytes], Command | None],
    on_text: Callable[[], None],
    on_gone: Callable[[int], None],
) -> Inbox | None:
    """Put an Inbox in place of the receive queue of the uvicorn connection
    behind ``send``; what already waits in that queue goes through it first,
    in order. None (nothing changed) for any other server."""
    proto = uvicorn_protocol(send)
    if proto is None or not all(hasattr(proto, name) for name in _PROTO_ATTRS):
        return None
    old: asyncio.Queue[dict[str, Any]] = proto.queue
    inbox = Inbox(proto, command, on_text, on_gone)
    proto.queue = inbox
    # uvicorn pauses reading after each frame it queues unless it believes
    # reading is paused already; the Inbox pauses and resumes it itself.
    was_paused = proto.read_paused
    proto.read_paused = True
    if was_paused:
        proto.transport.resume_reading()
    while not old.empty():
        inbox.put_nowait(old.get_nowait())
    read_frames(proto, inbox.put)
    return inbox
