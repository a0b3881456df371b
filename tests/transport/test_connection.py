"""The WebSocket endpoint's rules, checked with a raw websockets client
against the real server: handshake, limits, timeouts, close codes."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import msgpack
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chatserver.config import Config, LimitsConfig, default
from chatserver.transport.peer import WsPeer
from clients.sdk import Client, login_patient, login_staff
from protocol import codec
from protocol.errors import CloseCode
from protocol.frames import (
    Claim,
    Error,
    Frame,
    Hello,
    OpenCase,
    Send,
    Subscribe,
    Welcome,
)
from tests.support.server import PATIENT, Running, running_server


def _config(**limits: object) -> Config:
    cfg = default()
    return cfg.replace(limits=dataclasses.replace(LimitsConfig(), **limits))  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def _server(tmp_path: Path, cfg: Config | None = None) -> AsyncIterator[Running]:
    async with running_server(tmp_path / "db.sqlite3", cfg) as srv:
        yield srv


async def _recv(ws: ClientConnection) -> Frame:
    data = await asyncio.wait_for(ws.recv(), 10)
    assert isinstance(data, bytes)
    return codec.decode_server(data)


async def _closed_with(ws: ClientConnection) -> int:
    with contextlib.suppress(ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 15)
    assert ws.close_code is not None
    return ws.close_code


async def _hello(srv: Running, ws: ClientConnection, token: str) -> Welcome:
    await ws.send(codec.encode(Hello(v=1, token=token, client="sdk")))
    welcome = await _recv(ws)
    assert isinstance(welcome, Welcome)
    return welcome


async def test_foreign_origin_is_refused(tmp_path: Path) -> None:
    async with _server(tmp_path) as srv:
        with pytest.raises(InvalidStatus) as err:
            async with connect(srv.ws, origin="https://evil.example"):  # type: ignore[arg-type]
                pass
        assert err.value.response.status_code == 403
        # The server's own origin is fine.
        async with connect(srv.ws, origin=srv.base) as ws:  # type: ignore[arg-type]
            await _hello(srv, ws, await login_patient(srv.base, PATIENT))


@pytest.mark.parametrize(
    ("first", "code", "close"),
    [
        (
            Hello(v=99, token="x", client="sdk"),
            "unsupported_version",
            CloseCode.unsupported_version,
        ),
        (Hello(v=1, token="not-a-token", client="sdk"), "auth_failed", CloseCode.auth_failed),
        (Subscribe(id=1, room="r"), "not_authenticated", CloseCode.auth_failed),
    ],
)
async def test_handshake_errors(tmp_path: Path, first: Frame, code: str, close: int) -> None:
    async with _server(tmp_path) as srv, connect(srv.ws) as ws:
        await ws.send(codec.encode(first))
        err = await _recv(ws)
        assert isinstance(err, Error) and err.code == code
        assert await _closed_with(ws) == close


async def test_text_frames_and_oversized_frames_close(tmp_path: Path) -> None:
    async with _server(tmp_path) as srv:
        token = await login_patient(srv.base, PATIENT)
        async with connect(srv.ws) as ws:
            await _hello(srv, ws, token)
            await ws.send("hello as text")
            assert await _closed_with(ws) == CloseCode.unsupported_data
        async with connect(srv.ws, max_size=None) as ws:
            await _hello(srv, ws, token)
            await ws.send(b"\x00" * (70 * 1024))
            assert await _closed_with(ws) == CloseCode.too_big


async def test_bad_frames_get_errors_and_the_connection_survives(tmp_path: Path) -> None:
    async with _server(tmp_path) as srv, connect(srv.ws) as ws:
        await _hello(srv, ws, await login_patient(srv.base, PATIENT))
        await ws.send(b"\xc1")  # never valid MessagePack
        err = await _recv(ws)
        assert isinstance(err, Error) and err.code == "bad_frame" and err.re is None
        await ws.send(msgpack.packb({"t": "send", "id": 7, "room": "r", "cid": "", "text": "x"}))
        err = await _recv(ws)
        assert isinstance(err, Error) and (err.code, err.re, err.field) == ("bad_field", 7, "cid")
        await ws.send(codec.encode(Subscribe(id=8, room="nope")))
        err = await _recv(ws)
        assert isinstance(err, Error) and (err.code, err.re) == ("not_found", 8)


async def test_rate_limit(tmp_path: Path) -> None:
    async with _server(tmp_path, _config(rate=1, burst=3)) as srv, connect(srv.ws) as ws:
        await _hello(srv, ws, await login_patient(srv.base, PATIENT))
        for i in range(6):
            await ws.send(codec.encode(Subscribe(id=i, room="nope")))
        codes = [getattr(await _recv(ws), "code", None) for _ in range(6)]
        assert codes.count("rate_limited") >= 2
        assert codes[:3] == ["not_found"] * 3


async def test_idle_and_silent_connections_are_closed(tmp_path: Path) -> None:
    cfg = _config(idle_timeout=1, hello_timeout=1)
    async with _server(tmp_path, cfg) as srv:
        async with connect(srv.ws) as ws:  # never says hello
            assert await _closed_with(ws) == CloseCode.auth_failed
        async with connect(srv.ws) as ws:
            await _hello(srv, ws, await login_patient(srv.base, PATIENT))
            assert await _closed_with(ws) == CloseCode.idle_timeout


async def test_slow_reader_is_disconnected_and_resumes(tmp_path: Path) -> None:
    # The byte bound trips for the follower that does not read (4,000-character
    # messages); the sender's small acks stay far below both bounds. Frames
    # go straight to the socket while it takes them (WsPeer.push), so the
    # outbox fills only once the kernel's buffers and the transport's are
    # full: keep sending until the server has closed the follower.
    cfg = _config(outbox_frames=5000, outbox_bytes=256 * 1024, rate=100_000, burst=100_000)
    async with _server(tmp_path, cfg) as srv:
        patient = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await patient.start()
        nurse = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
        await nurse.start()
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="x"))
        room = opened.case.room  # type: ignore[attr-defined]
        await nurse.request(Claim(id=0, case=room))
        # A raw follower that never reads.
        async with connect(srv.ws, max_queue=1) as lazy:
            before = {s.id for s in srv.service.hub.sessions()}
            await _hello(srv, lazy, await login_patient(srv.base, PATIENT))
            [follower] = [s for s in srv.service.hub.sessions() if s.id not in before]
            await lazy.send(codec.encode(Subscribe(id=1, room=room)))
            lazy.transport.pause_reading()
            text = "x" * 4000
            sent = 0
            closing = follower.peer
            assert isinstance(closing, WsPeer)
            while closing.close_code is None and sent < 10_000:  # ~40 MB at most
                acks = await asyncio.gather(*(patient.send(room, text) for _ in range(200)))
                sent += 200
                assert acks[-1].seq == sent and patient.reconnects == 0
            assert closing.close_code == CloseCode.slow_consumer
            lazy.transport.resume_reading()
            assert await _closed_with(lazy) == CloseCode.slow_consumer
        await patient.close()
        await nurse.close()


async def test_shutdown_says_going_away(tmp_path: Path) -> None:
    async with _server(tmp_path) as srv, connect(srv.ws) as ws:
        await _hello(srv, ws, await login_patient(srv.base, PATIENT))
        await srv.service.drain()
        assert await _closed_with(ws) == CloseCode.going_away


async def test_store_failure_stops_writes_loudly(tmp_path: Path) -> None:
    async with _server(tmp_path) as srv:
        patient = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await patient.start()
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="x"))
        room = opened.case.room  # type: ignore[attr-defined]
        # Break the disk under the server: the next commit fails.
        await srv.service.writer.write([])
        srv.service.writer._conn.execute("DROP TABLE messages")
        from clients.sdk import ServerError

        with pytest.raises(ServerError) as err:
            await patient.request(Send(id=0, room=room, cid="a", text="hej"))
        assert err.value.code == "unavailable"
        assert srv.service.health().ok is False
        with pytest.raises(ServerError) as err:
            await patient.request(Send(id=0, room=room, cid="b", text="hej igen"))
        assert err.value.code == "unavailable"
        await patient.close()


async def test_cors_for_the_regions_own_site(tmp_path: Path) -> None:
    import urllib.request

    cfg = default()
    cfg = cfg.replace(
        server=dataclasses.replace(cfg.server, allowed_origins=("https://vard.region.example",))
    )
    async with _server(tmp_path, cfg) as srv:

        def preflight(origin: str) -> str | None:
            req = urllib.request.Request(
                srv.base + "/api/login/patient",
                method="OPTIONS",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type",
                },
            )
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    allowed = resp.headers.get("access-control-allow-origin")
                    return None if allowed is None else str(allowed)
            except urllib.error.HTTPError:
                return None

        assert await asyncio.to_thread(preflight, "https://vard.region.example") == (
            "https://vard.region.example"
        )
        assert await asyncio.to_thread(preflight, "https://evil.example") is None
