"""A real server in-process on a port chosen by the test, so that a second
server on the same SQLite file can take over the first one's address and the
browser reconnects to it as it would after a restart. Mirrors
tests.support.server.running_server, which always binds a new port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn

from chatserver import config as config_mod
from chatserver.service.core import Service
from chatserver.transport.app import create_app
from chatserver.transport.http_protocol import HttpProtocol
from tests.support.server import Running, prepare_db


@contextlib.asynccontextmanager
async def serving_on(
    db_path: Path, port: int, cfg: config_mod.Config | None = None
) -> AsyncIterator[Running]:
    prepare_db(str(db_path))
    service = Service(cfg or config_mod.default(), str(db_path), None)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(service),
            ws="websockets-sansio",
            http=HttpProtocol,
            ws_max_size=service.config.limits.max_frame,
            ws_per_message_deflate=False,
            ws_ping_interval=None,
            lifespan="on",
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
    )
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    ready = asyncio.ensure_future(service.ready.wait())
    await asyncio.wait([task, ready], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()
    try:
        yield Running(service, port, str(db_path))
    finally:
        await service.drain()
        server.should_exit = True
        await task
        sock.close()
