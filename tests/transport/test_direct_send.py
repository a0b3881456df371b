"""The outbox writes a frame straight to the socket while nothing waits
before it, and through its writer task otherwise, without reordering."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest
from starlette.websockets import WebSocket
from websockets.frames import Frame, Opcode

from chatserver.transport.peer import DirectWriter, WsPeer, binary_frame_header
from clients.sdk import Client, login_patient
from protocol.frames import OpenCase
from tests.support.server import PATIENT, running_server
from tests.transport.fake_direct import FakeDirect


class FakeSocket:
    """What WsPeer uses of starlette's WebSocket; a send can be held (a paused transport)."""

    def __init__(self, log: list[str]) -> None:
        self.scope: dict[str, Any] = {}
        self.log = log
        self.held = asyncio.Event()
        self.held.set()
        self.holding = asyncio.Event()
        self.sent = asyncio.Event()

    async def send_bytes(self, data: bytes) -> None:
        if not self.held.is_set():
            self.holding.set()
        await self.held.wait()
        self.log.append(f"task:{data.decode()}")
        self.sent.set()

    async def close(self, code: int, reason: str) -> None:
        self.log.append(f"close:{code}")


async def test_direct_and_queued_frames_keep_their_order() -> None:
    log: list[str] = []
    sock = FakeSocket(log)
    peer = WsPeer(cast(WebSocket, sock), 100, 1 << 20, 0.0)
    assert peer._direct is None  # no uvicorn behind a fake socket
    direct = FakeDirect(log, prefix="direct:")
    peer._direct = cast(DirectWriter, direct)
    task = asyncio.ensure_future(peer.run())
    peer.push(b"a")  # straight out
    direct.writable = False  # the transport paused writing
    sock.held.clear()
    peer.push(b"b")
    await sock.holding.wait()  # the task holds b, waiting for the transport
    direct.writable = True
    peer.push(b"c")  # must not overtake b
    assert log == ["direct:a"]
    sock.held.set()
    while peer.backlog or peer._sending:
        sock.sent.clear()
        await sock.sent.wait()
    peer.push(b"d")  # nothing waits any more: straight out again
    peer.close(1000, "")
    await task
    assert log == ["direct:a", "task:b", "task:c", "direct:d", "close:1000"]


async def test_the_real_server_writes_directly(tmp_path: Path) -> None:
    # If a uvicorn upgrade renames what DirectWriter relies on, frames still
    # flow (through the task) but this test says the fast path is gone.
    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await patient.start()
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="x"))
        assert opened.case.room  # type: ignore[attr-defined]
        [session] = srv.service.hub.sessions()
        peer = session.peer
        assert isinstance(peer, WsPeer)
        assert isinstance(peer._direct, DirectWriter)
        await patient.close()


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65_535, 65_536, 70_000])
def test_own_frame_header_gives_the_bytes_websockets_would(length: int) -> None:
    data = bytes(range(256)) * (length // 256) + bytes(length % 256)
    expected = Frame(Opcode.BINARY, data).serialize(mask=False, extensions=[])
    assert binary_frame_header(length) + data == expected
