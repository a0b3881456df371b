"""Real servers for end-to-end tests: in-process (same loop, real sockets,
real SQLite file) or as a subprocess that can be killed with SIGKILL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from chatserver import config as config_mod
from chatserver.demo import load_demo
from chatserver.domain.clock import Clock
from chatserver.service.core import Service
from chatserver.service.session import ClientSession
from chatserver.store import db, migrate
from chatserver.transport.app import create_app
from chatserver.transport.http_protocol import HttpProtocol
from chatserver.transport.peer import RAW_SEND, WsPeer, uvicorn_protocol, with_raw_send

PATIENT = "198501012382"
CHILD = "201701012393"


@dataclass
class Running:
    service: Service
    port: int
    db_path: str

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"


def prepare_db(path: str) -> None:
    conn = db.connect(path)
    migrate.migrate(conn)
    load_demo(conn, int(time.time() * 1000))
    conn.close()


def uvicorn_connection(session: ClientSession) -> Any:
    """The uvicorn protocol object serving ``session``'s WebSocket."""
    peer = session.peer
    assert isinstance(peer, WsPeer)
    proto = uvicorn_protocol(peer.ws.scope[RAW_SEND])
    assert proto is not None
    return proto


@contextlib.asynccontextmanager
async def running_server(
    db_path: str | Path,
    cfg: config_mod.Config | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[Running]:
    db_path = str(db_path)
    prepare_db(db_path)
    service = Service(cfg or config_mod.default(), db_path, clock)
    app = with_raw_send(create_app(service))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    ucfg = uvicorn.Config(
        app,
        ws="websockets-sansio",
        http=HttpProtocol,
        ws_max_size=service.config.limits.max_frame,
        ws_per_message_deflate=False,
        ws_ping_interval=None,
        lifespan="on",
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(ucfg)
    task = asyncio.ensure_future(server.serve(sockets=[sock]))
    ready = asyncio.ensure_future(service.ready.wait())
    await asyncio.wait([task, ready], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        task.result()
    try:
        yield Running(service, port, db_path)
    finally:
        await service.drain()
        server.should_exit = True
        await task
        sock.close()


class ServerProcess:
    """``chatserver serve`` in a child process, on a fixed port so clients can
    reconnect to its successor."""

    def __init__(self, db_path: str | Path, port: int, config_path: str | None = None) -> None:
        self.db_path = str(db_path)
        self.port = port
        self.config_path = config_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self, timeout: float = 30.0) -> None:
        args = [sys.executable, "-m", "chatserver.cli"]
        if self.config_path:
            args += ["--config", self.config_path]
        args += ["--db", self.db_path, "serve", "--host", "127.0.0.1"]
        args += ["--port", str(self.port), "--ready-line"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, env=env)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"server exited with {self.proc.wait()}")
            with contextlib.suppress(ValueError):
                if json.loads(line).get("ready"):
                    return
        raise TimeoutError("server did not become ready")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush; what is on disk is all there is."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self._release()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self._release()

    def _release(self) -> None:
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
