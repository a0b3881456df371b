"""Logging in and out over HTTP, as docs/PROTOCOL.md section 2 describes it,
against the real server: status codes and error codes of a refused patient
login, logout ending the connections of that token only, and a third-party
client kind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import websockets
from websockets.exceptions import ConnectionClosed

from clients.sdk import login_patient, login_staff
from protocol.codec import decode_server, encode
from protocol.frames import Hello, Ping, Pong, Welcome
from protocol.version import PROTOCOL_VERSION
from tests.support.http import call_json, exchange
from tests.support.server import PATIENT, Running, running_server


@pytest_asyncio.fixture
async def srv(tmp_path: Path) -> AsyncIterator[Running]:
    async with running_server(tmp_path / "db.sqlite3") as running:
        yield running


def _post(base: str, path: str, body: dict[str, Any], token: str | None = None) -> tuple[int, Any]:
    return call_json(base + path, body, token)


async def _refused(srv: Running, body: dict[str, Any]) -> tuple[int, str]:
    status, answer = await asyncio.to_thread(_post, srv.base, "/api/login/patient", body)
    return status, answer["error"]["code"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"pnr": "19850101-2383"}, (400, "bad_request")),  # Luhn check digit wrong
        ({"pnr": "1985-01-01"}, (400, "bad_request")),  # not a personnummer at all
        ({}, (400, "bad_request")),  # no pnr
        ({"pnr": "191212121212"}, (401, "auth_failed")),  # valid, not a test identity
    ],
)
async def test_refused_patient_logins(
    srv: Running, body: dict[str, Any], expected: tuple[int, str]
) -> None:
    assert await _refused(srv, body) == expected


async def _connect(srv: Running, token: str, client: str = "sdk") -> websockets.ClientConnection:
    ws = await websockets.connect(srv.ws, compression=None)
    await ws.send(encode(Hello(v=PROTOCOL_VERSION, token=token, client=client)))
    assert isinstance(await _next(ws), Welcome)
    return ws


async def _next(ws: websockets.ClientConnection) -> object:
    data = await asyncio.wait_for(ws.recv(), 10)
    assert isinstance(data, bytes)
    return decode_server(data)


async def test_logout_closes_that_tokens_connections_only(srv: Running) -> None:
    first = await login_patient(srv.base, PATIENT)
    second = await login_patient(srv.base, PATIENT)  # the same person on another device
    ws_first, ws_second = await _connect(srv, first), await _connect(srv, second)
    status, answer = await asyncio.to_thread(_post, srv.base, "/api/logout", {}, first)
    assert (status, answer) == (200, {"ok": True})
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(ws_first.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4006
    await ws_second.send(encode(Ping(id=7)))
    pong = await _next(ws_second)
    assert isinstance(pong, Pong) and pong.re == 7
    await ws_second.close()
    status, answer = await asyncio.to_thread(_post, srv.base, "/api/logout", {}, first)
    assert (status, answer["error"]["code"]) == (401, "auth_failed")


async def test_a_third_party_client_says_other(srv: Running) -> None:
    ws = await _connect(srv, await login_staff(srv.base, "anna", "demo"), client="other")
    await ws.close()


async def test_failed_logins_lock_the_account_until_a_new_password(srv: Running) -> None:
    def staff(password: str) -> tuple[int, Any]:
        body = {"username": "anna", "password": password}
        return _post(srv.base, "/api/login/staff", body)

    for _ in range(5):  # limits.login_failures
        status, answer = await asyncio.to_thread(staff, "fel lösenord")
        assert (status, answer["error"]["code"]) == (401, "auth_failed")
    status, answer = await asyncio.to_thread(staff, "demo")  # the right one, too late
    assert (status, answer["error"]["code"]) == (429, "locked")
    assert "15 more minute(s)" in answer["error"]["message"]
    admin = await login_staff(srv.base, "admin", "demo")
    body = {"password": "ett nytt långt lösenord"}
    reset = await asyncio.to_thread(_post, srv.base, "/api/admin/users/anna/password", body, admin)
    assert reset[0] == 200
    status, answer = await asyncio.to_thread(staff, "ett nytt långt lösenord")
    assert status == 200 and answer["token"]


def _raw_post(base: str, path: str, body: bytes, headers: dict[str, str]) -> int:
    return exchange(base + path, method="POST", data=body, headers=headers)[0]


async def test_a_huge_json_body_is_refused_before_it_is_read(srv: Running) -> None:
    json_type = {"Content-Type": "application/json"}
    big = b'{"pnr": "' + b"1" * 20_000 + b'"}'
    assert await asyncio.to_thread(_raw_post, srv.base, "/api/login/patient", big, json_type) == 413
    # Declared far larger than sent: refused on the declaration, nothing waits for it.
    lying = {**json_type, "Content-Length": str(10**9)}
    status = await asyncio.to_thread(_raw_post, srv.base, "/api/login/staff", b"{}", lying)
    assert status == 413


async def test_a_connection_ends_when_its_session_expires(tmp_path: Path) -> None:
    """Pings keep a connection open, not a session: at its expiry the server
    closes the connection (4006), so access is decided again at the next hello."""
    from chatserver.domain.clock import FakeClock

    clock = FakeClock()
    async with running_server(tmp_path / "db.sqlite3", clock=clock) as srv:
        ws = await _connect(srv, await login_patient(srv.base, PATIENT))
        clock.advance(hours=12, seconds=1)  # session.lifetime: 12 h
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(100):
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4006
