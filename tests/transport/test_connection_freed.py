"""A closed connection is freed by reference counting, not left to the cyclic
collector: under a day's churn of connections the collector's pauses were
the event loop's longest stalls (docs/decisions/0009-what-did-not-pay.md).
Only uvicorn's own HTTP protocol and its parser stay in a cycle."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from chatserver.service.session import ClientSession
from chatserver.transport.inbox import Inbox
from chatserver.transport.peer import WsPeer
from clients.sdk import Client, login_patient
from tests.support.server import running_server

# Ours, and uvicorn's WebSocket protocol, which our raw send in its scope
# and our Inbox as its queue had put in cycles.
OURS = (WsPeer, Inbox, ClientSession, WebSocketsSansIOProtocol)


def _ours_alive() -> list[object]:
    return [o for o in gc.get_objects() if type(o) in OURS]


async def test_a_closed_connection_needs_no_cyclic_collection(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient = Client(srv.ws, await login_patient(srv.base, "200306062381"))
        await patient.start()
        assert _ours_alive()  # the live connection's
        gc.collect()
        gc.disable()
        try:
            await patient.close()
            del patient
            for _ in range(500):  # the server's side ends on its own tasks
                if not _ours_alive():
                    break
                await asyncio.sleep(0.01)
            left = _ours_alive()
            if left:  # for the failure message: what holds them
                gc.collect()
        finally:
            gc.enable()
        assert left == [], f"not freed without the collector: {left}"
