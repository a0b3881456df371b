"""The connection model: one SDK ``Client`` seen through Qt signals.

The SDK already does the hard part (DESIGN rule 3): it follows rooms from the
last number seen, keeps unacknowledged messages in its outbox and resends them
with the same cid after a reconnect. This module keeps it that way and adds
what a staff shift needs on top:

- a connection status the window can always show (online / offline);
- after every reconnect, the queues are followed again (``queue_sub`` belongs
  to a connection, unlike room subscriptions the SDK restores itself) and the
  staff member's cases are listed again, for changes missed while away;
- every push turned into a signal; every request an awaitable returning the
  frame the protocol promises, failures as ``ServerError``;
- every task it starts owned, and cancelled on close.

Widgets never touch the SDK client directly except to read its ``RoomView``s,
the single record of what has been seen in each room.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from websockets.exceptions import ConnectionClosed

from clients.desktop.i18n import tr
from clients.sdk import Client, ConnectionLost, HttpError, RoomView, ServerError, login_staff
from clients.sdk.http import fetch, post_json
from protocol.frames import (
    Ack,
    Book,
    BookingCancel,
    BookingInfo,
    BookingList,
    BookingS,
    BookingsC,
    CaseDetail,
    CaseInfo,
    CaseList,
    CaseUpdate,
    CaseView,
    Claim,
    CloseCase,
    Consult,
    ConsultInvite,
    Frame,
    ListCases,
    Me,
    Message,
    Note,
    Phrase,
    PhraseDelete,
    PhraseList,
    Phrases,
    PhraseSet,
    QueueS,
    QueueSub,
    Read,
    Receipt,
    Release,
    Retriage,
    Send,
    SlotInfo,
    SlotList,
    SlotsC,
    Subscribed,
    Transfer,
    TypingC,
    TypingS,
)

log = logging.getLogger("chatserver.desk")

F = TypeVar("F", bound=Frame)

ONLINE = "online"
OFFLINE = "offline"

# How often the status is sampled. The SDK has no connect/disconnect callback;
# a 0.1 s poll costs nothing and shows a drop before anyone could act on it.
STATUS_POLL_S = 0.1


class UnexpectedAnswer(Exception):
    """The server answered a request with a frame the protocol does not promise."""


def ws_url(base: str) -> str:
    """``http://host:port`` → ``ws://host:port/ws`` (and https → wss)."""
    base = base.rstrip("/")
    if base.startswith("https://"):
        return "wss://" + base[len("https://") :] + "/ws"
    if base.startswith("http://"):
        return "ws://" + base[len("http://") :] + "/ws"
    raise ValueError(f"server URL must start with http:// or https://: {base}")


def describe(error: BaseException) -> str:
    """A failure as one sentence for staff, in the UI language."""
    if isinstance(error, ServerError):
        return tr(f"error.{error.code}") if tr.has(f"error.{error.code}") else error.code
    if isinstance(error, HttpError):
        return tr(f"error.{error.code}") if tr.has(f"error.{error.code}") else str(error)
    if isinstance(error, ConnectionLost):
        return tr("error.connection_lost")
    if isinstance(error, OSError):
        return tr("error.unreachable")
    if isinstance(error, TimeoutError):
        return tr("error.timeout")
    return tr("error.internal")


class Connection(QObject):
    """A logged-in staff member's connection, for the life of a shift."""

    status_changed = Signal(str)  # ONLINE / OFFLINE
    queue_changed = Signal(object)  # QueueS
    case_changed = Signal(object)  # CaseInfo (a push, or the answer to a change)
    room_changed = Signal(str)  # room id: messages, receipts or pending sends changed
    typing_seen = Signal(object)  # TypingS
    consult_invited = Signal(object)  # ConsultInvite
    booking_changed = Signal(object)  # BookingInfo (a push, or the answer to a change)
    failed = Signal(str)  # a failed action, described for staff
    send_failed = Signal(str, str)  # room, text: refused for good (not a lost connection)
    relogin_needed = Signal()  # the session ended: ask for the password again

    def __init__(self, base: str, *, max_backoff: float = 5.0) -> None:
        super().__init__()
        self.base = base.rstrip("/")
        self.url = ws_url(self.base)
        self.max_backoff = max_backoff
        self.client: Client | None = None
        self.me: Me | None = None
        self.username = ""
        self.status = OFFLINE
        self.skew_ms = 0  # server clock minus ours, from welcome.server_time
        self.pools: tuple[str, ...] = ()  # the pools being worked (queue_sub)
        self.queues: dict[str, QueueS] = {}
        self.reads: dict[str, dict[str, int]] = {}  # room -> who -> seq
        self.pending: dict[str, list[tuple[str, asyncio.Future[Ack]]]] = {}  # room -> unacked
        self.attachments: dict[str, bytes] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._relogin: asyncio.Future[str] | None = None
        self.closed = False

    # ------------------------------------------------------------ life cycle

    async def login(self, username: str, password: str) -> Me:
        """Log in over HTTP, connect, and start following pushes."""
        token = await login_staff(self.base, username, password)
        self.username = username
        client = Client(
            self.url,
            token,
            kind="desktop",
            relogin=self._ask_relogin,
            max_backoff=self.max_backoff,
        )
        welcome = await asyncio.wait_for(client.start(), 15)
        self.client = client
        self.me = welcome.me
        self.skew_ms = welcome.server_time - int(time.time() * 1000)
        self.spawn(self._dispatch(client))
        self.spawn(self._watch(client))
        self._set_status(ONLINE)
        return welcome.me

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        tasks = [t for t in self._tasks if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.client is not None:
            await self.client.close()
        self._set_status(OFFLINE)

    async def logout(self) -> None:
        """Close, then end the session on the server (the token is revoked).

        In this order the server's 4006 close of the token's connections meets
        a connection that is already closing, not a "session ended" alarm."""
        token = self.client.token if self.client is not None else None
        await self.close()
        if token is not None:
            with contextlib.suppress(HttpError, OSError):
                await post_json(self.base, "/api/logout", {}, token=token)

    def spawn(
        self, coro: Coroutine[Any, Any, Any], on_error: Callable[[str], None] | None = None
    ) -> asyncio.Task[Any]:
        """Run ``coro`` as an owned task; a failure is reported, never lost."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                return
            error = t.exception()
            if error is not None:
                if not isinstance(error, ServerError | HttpError | ConnectionLost | OSError):
                    log.error("task failed", exc_info=error)
                (on_error or self.failed.emit)(describe(error))

        task.add_done_callback(done)
        return task

    def now_ms(self) -> int:
        """The server's clock as best known here (queue times use it)."""
        return int(time.time() * 1000) + self.skew_ms

    @property
    def sdk(self) -> Client:
        if self.client is None:
            raise ConnectionLost("not logged in")
        return self.client

    # ------------------------------------------------------------ status

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self.status_changed.emit(status)

    async def _watch(self, client: Client) -> None:
        seen = client.reconnects
        while True:
            online = client.connected.is_set()
            if online and client.reconnects != seen:
                seen = client.reconnects
                self._set_status(ONLINE)
                self.spawn(self._after_reconnect())
            self._set_status(ONLINE if online else OFFLINE)
            await asyncio.sleep(STATUS_POLL_S)

    async def _after_reconnect(self) -> None:
        """What the SDK does not restore: queue pushes, and case changes we
        missed while away (a case moved or closed by someone else)."""
        await self.follow_queues(self.pools)
        for case in await self.my_cases():
            self.case_changed.emit(case)
        for room in list(self.pending):
            self.room_changed.emit(room)

    async def _ask_relogin(self) -> str:
        """The SDK's relogin hook: the session expired or was revoked; the
        window asks for the password, ``provide_password`` answers here. The
        outbox is kept meanwhile."""
        if self._relogin is None or self._relogin.done():
            self._relogin = asyncio.get_running_loop().create_future()
            self._set_status(OFFLINE)
            self.relogin_needed.emit()
        return await self._relogin

    async def provide_password(self, password: str) -> None:
        token = await login_staff(self.base, self.username, password)
        if self._relogin is not None and not self._relogin.done():
            self._relogin.set_result(token)

    # ------------------------------------------------------------ pushes

    async def _dispatch(self, client: Client) -> None:
        """Pushes (frames without ``re``) as signals. Answers go to the
        request that waits for them; the SDK has already dropped messages it
        had seen, so each ``msg`` arrives here once."""
        while True:
            frame = await client.events.get()
            try:
                self._on_push(frame)
            except Exception:  # a widget's bug must not stop the shift's pushes
                log.exception("handling %s failed", type(frame).__name__)

    def _on_push(self, frame: Frame) -> None:
        if isinstance(frame, QueueS):
            self.queues[frame.pool] = frame
            self.queue_changed.emit(frame)
        elif isinstance(frame, Message):
            self.room_changed.emit(frame.room)
        elif isinstance(frame, CaseUpdate):
            self.case_changed.emit(frame.case)
        elif isinstance(frame, Receipt):
            marks = self.reads.setdefault(frame.room, {})
            marks[frame.who] = max(marks.get(frame.who, 0), frame.seq)
            self.room_changed.emit(frame.room)
        elif isinstance(frame, TypingS):
            self.typing_seen.emit(frame)
        elif isinstance(frame, ConsultInvite):
            self.consult_invited.emit(frame)
        elif isinstance(frame, BookingS):
            self.booking_changed.emit(frame.booking)

    # ------------------------------------------------------------ requests

    async def call(self, frame: Frame, answer: type[F]) -> F:
        """Send a request and return its answer, which must be ``answer``."""
        reply = await self.sdk.request(frame)
        if not isinstance(reply, answer):  # a server bug; say so rather than guess
            raise UnexpectedAnswer(f"{type(frame).__name__} answered by {type(reply).__name__}")
        return reply

    async def follow_queues(self, pools: tuple[str, ...]) -> None:
        """Work these pools: their queues are pushed from now on."""
        self.pools = pools
        for pool in list(self.queues):
            if pool not in pools:
                del self.queues[pool]
        if pools:
            await self.sdk.request(QueueSub(id=0, pools=pools))

    async def claim(self, case: str | None = None, pool: str | None = None) -> CaseInfo:
        return await self._change(Claim(id=0, case=case, pool=pool))

    async def view(self, case: str) -> CaseDetail:
        return await self.call(CaseView(id=0, case=case), CaseDetail)

    async def my_cases(self) -> list[CaseInfo]:
        return list((await self.call(ListCases(id=0, closed=False), CaseList)).cases)

    async def retriage(self, case: str, urgency: int, reason: str) -> CaseInfo:
        return await self._change(Retriage(id=0, case=case, urgency=urgency, reason=reason))

    async def transfer(self, case: str, pool: str, note: str) -> CaseInfo:
        return await self._change(Transfer(id=0, case=case, pool=pool, note=note))

    async def release(self, case: str) -> CaseInfo:
        return await self._change(Release(id=0, case=case))

    async def close_case(self, case: str, outcome: str, note: str) -> CaseInfo:
        return await self._change(CloseCase(id=0, case=case, outcome=outcome, note=note))

    async def _change(self, frame: Frame) -> CaseInfo:
        """A request answered with the changed case, which everyone showing
        it hears about (the answer is not also pushed to the one who asked)."""
        info = (await self.call(frame, CaseUpdate)).case
        self.case_changed.emit(info)
        return info

    async def consult(
        self, case: str, question: str, *, staff: str | None = None, pool: str | None = None
    ) -> None:
        await self.sdk.request(Consult(id=0, case=case, question=question, staff=staff, pool=pool))

    async def note(self, case: str, staff_room: str, text: str) -> None:
        """An internal note. ``note`` has no client id, so a note whose answer
        was lost with the connection is looked for in the staff thread (where
        the server writes it) before it is sent again: never twice, never lost."""
        me = self.me.user if self.me else ""
        since = self.now_ms() - 60_000
        while True:
            try:
                await self.sdk.request(Note(id=0, case=case, text=text))
                return
            except ConnectionLost:
                await self.sdk.connected.wait()
                await asyncio.sleep(0.3)  # the resumed staff thread arrives first
                view = self.sdk.rooms.get(staff_room)
                if view is not None and any(
                    m.sender == me and m.text == text and m.ts >= since
                    for m in view.messages.values()
                ):
                    return

    async def slots(self, since: int, until: int, kind: str | None = None) -> list[SlotInfo]:
        """Free appointment slots starting in [since, until), earliest first."""
        frame = SlotsC(id=0, since=since, until=until, kind=kind or None)
        return list((await self.call(frame, SlotList)).slots)

    async def book(self, case: str, slot: str) -> BookingInfo:
        info = (await self.call(Book(id=0, case=case, slot=slot), BookingS)).booking
        self.booking_changed.emit(info)
        return info

    async def bookings(self, case: str) -> list[BookingInfo]:
        return list((await self.call(BookingsC(id=0, case=case), BookingList)).bookings)

    async def cancel_booking(self, booking: str) -> BookingInfo:
        info = (await self.call(BookingCancel(id=0, booking=booking), BookingS)).booking
        self.booking_changed.emit(info)
        return info

    async def phrases(self) -> list[Phrase]:
        return list((await self.call(Phrases(id=0), PhraseList)).phrases)

    async def set_phrase(self, phrase: Phrase) -> None:
        await self.sdk.request(PhraseSet(id=0, phrase=phrase))

    async def delete_phrase(self, key: str, scope: str) -> None:
        await self.sdk.request(PhraseDelete(id=0, key=key, scope=scope))

    # ------------------------------------------------------------ rooms

    async def follow(self, room: str) -> None:
        """Follow a room from the last message seen in it (0 the first time);
        the SDK follows it again after every reconnect."""
        reply = await self.sdk.subscribe(room)
        if isinstance(reply, Subscribed):
            marks = self.reads.setdefault(room, {})
            for mark in reply.reads:
                marks[mark.who] = max(marks.get(mark.who, 0), mark.seq)
        self.room_changed.emit(room)

    async def unfollow(self, room: str) -> None:
        await self.sdk.unsubscribe(room)

    def room(self, room: str) -> RoomView | None:
        return self.client.rooms.get(room) if self.client is not None else None

    def send(self, room: str, text: str) -> asyncio.Future[Ack]:
        """Queue a message in the SDK's outbox: it goes now if online, else on
        reconnect, with the same cid until acknowledged."""
        fut = self.sdk.send(room, text)
        self.pending.setdefault(room, []).append((text, fut))

        def settled(f: asyncio.Future[Ack]) -> None:
            error = None if f.cancelled() else f.exception()
            if error is not None:
                queue = self.pending.get(room, [])
                queue[:] = [(t, p) for t, p in queue if p is not f]
                self.failed.emit(describe(error))
                self.send_failed.emit(room, text)
            self.room_changed.emit(room)

        fut.add_done_callback(settled)
        self.room_changed.emit(room)
        return fut

    def unsent(self, room: str) -> list[str]:
        """Texts sent in ``room`` that are not in its view yet: unacknowledged,
        or acknowledged just before their ``msg`` arrives (no flicker)."""
        queue = self.pending.get(room, [])
        view = self.room(room)
        seen = view.last if view is not None else 0
        keep = [
            (text, fut)
            for text, fut in queue
            if not fut.done() or (_acked(fut) and fut.result().seq > seen)
        ]
        queue[:] = keep
        return [text for text, _ in keep]

    async def request_photo(self, room: str, text: str) -> None:
        """Ask the patient for a photo. The SDK's outbox carries only text
        messages, so this one is resent here with the same cid until
        acknowledged: the server stores it once whatever happens."""
        cid = uuid.uuid4().hex
        while True:
            try:
                await self.sdk.request(
                    Send(id=0, room=room, cid=cid, text=text, kind="photo_request")
                )
                return
            except ConnectionLost:
                continue

    def typing(self, room: str) -> None:
        self._notify(TypingC(room=room))

    def read(self, room: str, seq: int) -> None:
        me = self.me.user if self.me else ""
        marks = self.reads.setdefault(room, {})
        if seq > marks.get(me, 0):
            marks[me] = seq
            self._notify(Read(room=room, seq=seq))

    def _notify(self, frame: Frame) -> None:
        """Frames without an answer (typing, read). The SDK has no public call
        for them; they are best effort by nature: one lost is sent again
        with the next keystroke or message."""
        client = self.client
        if client is None or not client.connected.is_set():
            return

        async def go() -> None:
            with contextlib.suppress(ConnectionLost, ConnectionClosed):
                await client._send_frame(frame)

        self.spawn(go())

    async def attachment(self, att: str) -> bytes:
        """A photo's bytes (cached: attachments never change)."""
        data = self.attachments.get(att)
        if data is None:
            data = await fetch(self.base, self.sdk.token, f"/api/attachments/{att}")
            self.attachments[att] = data
        return data


def _acked(fut: asyncio.Future[Ack]) -> bool:
    return not fut.cancelled() and fut.exception() is None
