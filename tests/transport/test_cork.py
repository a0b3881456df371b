"""One write per connection per publishing pass (``Cork``): frames pushed
while it is held go out together when it is released, in order, or through
the outbox when the socket cannot take them now; closing and the outbox's
bounds still hold."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from starlette.websockets import WebSocket
from websockets.asyncio.client import ClientConnection, connect

from chatserver.transport.peer import Cork, DirectWriter, WsPeer
from clients.sdk import login_patient
from protocol import codec
from protocol.errors import CloseCode
from protocol.frames import Frame, Hello, Pong, Welcome
from tests.support.server import PATIENT, running_server
from tests.transport.fake_direct import FakeDirect


class FakeSocket:
    def __init__(self, log: list[str]) -> None:
        self.scope: dict[str, Any] = {}
        self.log = log

    async def send_bytes(self, data: bytes) -> None:
        self.log.append(f"task:{data.decode()}")

    async def close(self, code: int, reason: str) -> None:
        self.log.append(f"close:{code}")


def _peer(log: list[str], cork: Cork, max_frames: int = 100) -> tuple[WsPeer, FakeDirect]:
    peer = WsPeer(cast(WebSocket, FakeSocket(log)), max_frames, 1 << 20, 0.0, cork)
    direct = FakeDirect(log)
    peer._direct = cast(DirectWriter, direct)
    return peer, direct


async def _finish(peer: WsPeer) -> None:
    task = asyncio.ensure_future(peer.run())
    peer.close(1000, "")
    await task


async def test_frames_held_by_the_cork_leave_in_one_write_each_peer_in_order() -> None:
    log_a: list[str] = []
    log_b: list[str] = []
    cork = Cork()
    a, _ = _peer(log_a, cork)
    b, _ = _peer(log_b, cork)
    a.push(b"0")  # not held: straight out
    with cork:
        a.push(b"1")
        b.push(b"x")
        a.push(b"2")
        a.push(b"3")
        assert log_a == ["0"] and log_b == []  # nothing left yet
    a.push(b"4")  # released: straight out again
    assert log_a == ["0", "1+2+3", "4"]
    assert log_b == ["x"]
    for peer in (a, b):
        await _finish(peer)


async def test_a_nested_hold_releases_only_at_the_outermost() -> None:
    log: list[str] = []
    cork = Cork()
    peer, _ = _peer(log, cork)
    with cork:
        peer.push(b"1")
        with cork:
            peer.push(b"2")
        assert log == []
        peer.push(b"3")
    assert log == ["1+2+3"]
    await _finish(peer)


async def test_when_the_socket_cannot_take_them_the_outbox_sends_them_in_order() -> None:
    log: list[str] = []
    cork = Cork()
    peer, direct = _peer(log, cork)
    task = asyncio.ensure_future(peer.run())
    with cork:
        peer.push(b"1")
        peer.push(b"2")
        direct.writable = False  # the transport paused writing meanwhile
    assert peer.backlog == 2
    peer.push(b"3")  # behind them, not before
    direct.writable = True
    peer.close(1000, "")
    await task
    assert log == ["task:1", "task:2", "task:3", "close:1000"]


async def test_a_close_in_the_pass_keeps_what_came_before_it_unless_the_peer_is_gone() -> None:
    cork = Cork()
    log_closed: list[str] = []
    closed, _ = _peer(log_closed, cork)
    log_gone: list[str] = []
    gone, _ = _peer(log_gone, cork)
    tasks = [asyncio.ensure_future(p.run()) for p in (closed, gone)]
    with cork:
        closed.push(b"error")
        closed.close(4001, "no")  # an error frame, then the close
        closed.push(b"after")  # never sent
        gone.push(b"lost")
        gone.gone(1006)  # the client vanished: nothing more can be sent
    await asyncio.gather(*tasks)
    assert log_closed == ["error", "close:4001"]
    assert log_gone == ["close:1006"]


async def test_holding_more_than_the_outbox_takes_closes_a_slow_consumer() -> None:
    log: list[str] = []
    cork = Cork()
    peer, _ = _peer(log, cork, max_frames=3)
    task = asyncio.ensure_future(peer.run())
    with cork:
        for i in range(5):
            peer.push(str(i).encode())
    await task
    assert peer.close_code == CloseCode.slow_consumer
    assert log == [f"close:{CloseCode.slow_consumer}"]  # a slow reader is not drained


async def test_a_peer_with_a_backlog_is_not_held() -> None:
    log: list[str] = []
    cork = Cork()
    peer, direct = _peer(log, cork)
    direct.writable = False
    peer.push(b"1")  # waits in the outbox
    direct.writable = True
    with cork:
        peer.push(b"2")  # must stay behind 1: queued, not held
        assert peer._corked is None
    assert peer.backlog == 2
    await _finish(peer)
    assert log == ["task:1", "task:2", "close:1000"]


async def _frame(sock: ClientConnection) -> Frame:
    data = await sock.recv()
    assert isinstance(data, bytes)
    return codec.decode_server(data)


async def test_the_real_server_writes_a_publishing_pass_once_per_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[int] = []
    real = DirectWriter.try_send_all

    def counted(self: DirectWriter, frames: list[bytes]) -> bool:
        writes.append(len(frames))
        return real(self, frames)

    monkeypatch.setattr(DirectWriter, "try_send_all", counted)
    async with running_server(tmp_path / "db.sqlite3") as srv:
        token = await login_patient(srv.base, PATIENT)
        async with connect(srv.ws) as sock:
            await sock.send(codec.encode(Hello(v=1, token=token, client="sdk")))
            assert isinstance(await _frame(sock), Welcome)
            [session] = srv.service.hub.sessions()
            writes.clear()  # welcome went out alone
            with srv.service.publishing:  # what the server holds over a commit's frames
                for t in range(3):
                    session.send(Pong(re=t, server_time=t))
            got = [await _frame(sock) for _ in range(3)]
        assert got == [Pong(re=t, server_time=t) for t in range(3)]
        assert writes == [3]


class BrokenDirect(FakeDirect):
    def try_send_all(self, frames: Sequence[bytes]) -> bool:
        raise OSError("socket gone wrong")


async def test_a_write_that_fails_closes_that_peer_and_the_others_still_get_theirs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cork = Cork()
    log_bad: list[str] = []
    bad, _ = _peer(log_bad, cork)
    bad._direct = cast(DirectWriter, BrokenDirect(log_bad))
    log_good: list[str] = []
    good, _ = _peer(log_good, cork)
    task = asyncio.ensure_future(bad.run())
    with cork:
        bad.push(b"1")
        good.push(b"2")
    await task
    assert log_good == ["2"]
    assert bad.close_code == CloseCode.internal
    assert log_bad == [f"close:{CloseCode.internal}"]
    assert "writing held frames failed" in caplog.text
    good.push(b"3")  # nothing stays held
    assert log_good == ["2", "3"]
    await _finish(good)
