"""Frames handled as they arrive (chatserver/transport/inbox.py): at once
when nothing waits, in order behind a command that waits, reading paused
while too many wait; and on the real server, answers in the order asked."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect

from chatserver.transport import ws as ws_endpoint
from chatserver.transport.inbox import PAUSE_AT, Command, Inbox
from clients.sdk import Client, login_patient, login_staff
from protocol import codec
from protocol.frames import Hello, OpenCase, Ping, Pong, Subscribe, Subscribed, Welcome
from tests.support.server import PATIENT, running_server, uvicorn_connection
from tests.support.waiting import until

_who: contextvars.ContextVar[str] = contextvars.ContextVar("who", default="nobody")


class Transport:
    """What the Inbox uses of uvicorn's transport: pausing and resuming reads."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause_reading(self) -> None:
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self.calls.append("resume")


class Proto:
    def __init__(self) -> None:
        self.transport = Transport()


class Commands:
    """Frames are names; a name starting with "wait" waits for ``gate``."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.gate2: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.gone: list[int] = []
        self.texts = 0
        self.after_last: Callable[[], None] | None = None

    def command(self, data: bytes) -> Command | None:
        name = data.decode()
        if name == "refused":
            self.log.append("refused")
            return None
        return self._run(name)

    async def _run(self, name: str) -> None:
        self.log.append(f"start {name} as {_who.get()}")
        if name.startswith("wait"):
            _who.set(name)
            await self.gate
        if name == "hold":
            await self.gate2
        self.log.append(f"end {name}")
        if name == "wait-poke" and self.after_last is not None:
            # Runs once this step is over, before the task's done-callbacks.
            asyncio.get_running_loop().call_soon(self.after_last)

    def inbox(self) -> Inbox:
        return Inbox(Proto(), self.command, self.text, self.gone.append)

    def text(self) -> None:
        self.texts += 1


def frame(name: str) -> dict[str, Any]:
    return {"type": "websocket.receive", "bytes": name.encode()}


async def settle(cond: Callable[[], bool]) -> None:
    """Until ``cond`` holds, one loop turn at a time (the inbox needs no I/O)."""
    await asyncio.wait_for(until(cond, interval=0), 10)


async def test_a_command_that_need_not_wait_runs_inside_put() -> None:
    c = Commands()
    inbox = c.inbox()
    inbox.put_nowait(frame("a"))
    assert c.log == ["start a as nobody", "end a"]  # before put_nowait returned
    inbox.put_nowait(frame("refused"))
    inbox.put_nowait({"type": "websocket.receive", "text": "hej"})
    assert c.log[-1] == "refused" and c.texts == 1
    assert not inbox.done.done()
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1001})
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1006})  # told once
    assert c.gone == [1001] and inbox.done.done()


async def test_frames_behind_a_waiting_command_keep_their_order() -> None:
    c = Commands()
    inbox = c.inbox()
    inbox.put_nowait(frame("wait1"))
    for name in ("b", "wait2", "c"):
        inbox.put_nowait(frame(name))
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
    assert c.log == ["start wait1 as nobody"]
    assert c.gone == [] and not inbox.done.done()  # seen in its turn, as any frame
    c.gate.set_result(None)
    await asyncio.wait_for(inbox.done, 10)
    assert c.gone == [1000]
    assert c.log == [
        "start wait1 as nobody",
        "end wait1",
        "start b as wait1",  # one context per connection, as in a task of its own
        "end b",
        "start wait2 as wait1",
        "end wait2",
        "start c as wait2",
        "end c",
    ]


async def test_a_frame_arriving_as_the_waiting_command_ends_is_not_stranded() -> None:
    c = Commands()
    inbox = c.inbox()
    c.after_last = lambda: inbox.put_nowait(frame("x"))
    inbox.put_nowait(frame("wait-poke"))
    c.gate.set_result(None)
    await settle(lambda: c.log[-1] == "end x")
    assert not inbox._busy and inbox.empty()


async def test_a_command_waiting_after_one_that_ended_keeps_the_next_frames_behind() -> None:
    c = Commands()
    inbox = c.inbox()
    c.after_last = lambda: inbox.put_nowait(frame("hold"))  # before wait-poke's task is reaped
    inbox.put_nowait(frame("wait-poke"))
    c.gate.set_result(None)
    await settle(lambda: c.log[-1] == "start hold as wait-poke")
    for _ in range(5):
        await asyncio.sleep(0)  # the first task's done-callback has run by now
    inbox.put_nowait(frame("y"))
    assert c.log[-1] == "start hold as wait-poke"  # y waits behind hold
    c.gate2.set_result(None)
    await settle(lambda: c.log[-1] == "end y")
    assert c.log[-3:] == ["end hold", "start y as wait-poke", "end y"]


async def test_reading_pauses_while_too_many_frames_wait() -> None:
    c = Commands()
    inbox = c.inbox()
    calls = inbox._proto.transport.calls
    inbox.put_nowait(frame("wait"))
    for n in range(PAUSE_AT + 10):
        inbox.put_nowait(frame(f"f{n}"))
    assert calls == ["pause"]  # once, at PAUSE_AT
    assert not inbox.empty()
    c.gate.set_result(None)
    await settle(lambda: inbox.empty() and not inbox._busy)
    assert calls == ["pause", "resume"]
    assert c.log[-1] == f"end f{PAUSE_AT + 9}"
    inbox.put_nowait(frame("z"))  # straight through again
    assert c.log[-1] == "end z"


async def test_a_cancelled_command_is_told_and_the_inbox_recovers() -> None:
    c = Commands()
    inbox = c.inbox()
    inbox.put_nowait(frame("wait"))
    inbox.put_nowait(frame("dropped"))
    inbox.put_nowait({"type": "websocket.disconnect", "code": 1012})
    [task] = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    task.cancel()  # before it ran at all
    await asyncio.gather(task, return_exceptions=True)
    assert c.log == ["start wait as nobody"] and not inbox._busy
    assert c.gone == [1012] and inbox.done.done()


async def test_a_command_cancelled_while_it_waits_is_told() -> None:
    c = Commands()
    inbox = c.inbox()
    inbox.put_nowait(frame("wait"))
    [task] = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    await asyncio.sleep(0)  # the task now waits on the gate for the command
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert c.gate.cancelled()  # the cancellation reached the command's await
    inbox.put_nowait(frame("after"))
    assert c.log[-1] == "end after"


async def test_the_real_server_answers_in_the_order_asked(tmp_path: Path) -> None:
    # A staff member's sub waits for its audit row's commit; the pings sent
    # right behind it, before any answer came, must be answered after it.
    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await patient.start()
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="ont i halsen"))
        room = opened.case.room  # type: ignore[attr-defined]
        token = await login_staff(srv.base, "anna", "demo")
        async with connect(srv.ws, origin=None) as ws:
            await ws.send(codec.encode(Hello(v=1, token=token, client="sdk")))
            assert isinstance(codec.decode_server(await ws.recv()), Welcome)  # type: ignore[arg-type]
            [session] = [s for s in srv.service.hub.sessions() if s.principal.is_staff]
            proto = uvicorn_connection(session)
            assert isinstance(proto.queue, Inbox)  # uvicorn's queue was taken over
            await ws.send(codec.encode(Subscribe(id=1, room=room, after=0)))
            for n in range(2, 6):
                await ws.send(codec.encode(Ping(id=n)))
            answers: list[tuple[str, int | None]] = []
            while len(answers) < 5:
                f = codec.decode_server(await asyncio.wait_for(ws.recv(), 10))  # type: ignore[arg-type]
                if isinstance(f, Subscribed | Pong):
                    answers.append((type(f).__name__, f.re))
        assert answers == [("Subscribed", 1), ("Pong", 2), ("Pong", 3), ("Pong", 4), ("Pong", 5)]
        await patient.close()


async def test_without_the_inbox_frames_go_through_receive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another uvicorn version or server: take_over finds nothing to take over.
    monkeypatch.setattr(ws_endpoint, "take_over", lambda *args: None)
    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await patient.start()
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="feber"))
        room = opened.case.room  # type: ignore[attr-defined]
        await patient.subscribe(room)
        ack = await patient.send(room, "sedan i går")
        assert ack.seq == 1
        [session] = srv.service.hub.sessions()
        proto = uvicorn_connection(session)
        assert not isinstance(proto.queue, Inbox)
        await patient.close()
