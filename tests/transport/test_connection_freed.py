"""A closed connection is freed by reference counting, not left to the cyclic
collector: under a day's churn of connections the collector's pauses were
the event loop's longest stalls (docs/decisions/0009-what-did-not-pay.md)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from httptools import HttpRequestParser
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from chatserver.service.session import ClientSession
from chatserver.transport.inbox import Inbox
from chatserver.transport.peer import WsPeer
from clients.sdk import Client, login_patient
from tests.support.server import running_server

# Ours, and uvicorn's WebSocket protocol, which our raw send in its scope and
# our Inbox as its queue had put in cycles.
OURS = (WsPeer, Inbox, ClientSession, WebSocketsSansIOProtocol)
# The HTTP protocol a WebSocket connection was upgraded from, with its parser
# (chatserver/transport/http_protocol.py).
UPGRADED_FROM = (HttpToolsProtocol, HttpRequestParser)


def _alive(kinds: tuple[type, ...]) -> list[object]:
    # issubclass of type(o): isinstance on a dead weak proxy raises.
    return [o for o in gc.get_objects() if issubclass(type(o), kinds)]


async def test_a_connection_needs_no_cyclic_collection(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        token = await login_patient(srv.base, "200306062381")
        gc.collect()
        gc.disable()
        try:
            patient = Client(srv.ws, token)
            await patient.start()
            assert _alive(OURS)  # the live connection's
            upgraded_from = _alive(UPGRADED_FROM)
            await patient.close()
            del patient
            for _ in range(500):  # the server's side ends on its own tasks
                if not _alive(OURS):
                    break
                await asyncio.sleep(0.01)
            left = _alive(OURS)
        finally:
            gc.enable()
        assert upgraded_from == [], f"kept after the upgrade: {upgraded_from}"
        assert left == [], f"not freed without the collector: {left}"
