"""A graceful stop (SIGTERM) of the real server process: clients are told
"going away" (1001) so they reconnect to the next one, and the database file
alone holds everything afterwards (the WAL is checkpointed and removed)."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

import websockets
from websockets.exceptions import ConnectionClosed

from clients.sdk import login_patient
from protocol.codec import decode_server, encode
from protocol.errors import CloseCode
from protocol.frames import CaseUpdate, Hello, OpenCase, Welcome
from protocol.version import PROTOCOL_VERSION
from tests.support.server import PATIENT, ServerProcess, free_port, prepare_db


async def _next(ws: websockets.ClientConnection) -> object:
    data = await asyncio.wait_for(ws.recv(), 10)
    assert isinstance(data, bytes)
    return decode_server(data)


async def test_sigterm_says_going_away_and_leaves_one_file(tmp_path: Path) -> None:
    db = tmp_path / "region.sqlite3"
    prepare_db(str(db))
    server = ServerProcess(db, free_port())
    await asyncio.to_thread(server.start)
    try:
        token = await login_patient(server.base, PATIENT)
        ws = await websockets.connect(server.ws, compression=None)
        await ws.send(encode(Hello(v=PROTOCOL_VERSION, token=token, client="sdk")))
        assert isinstance(await _next(ws), Welcome)
        await ws.send(encode(OpenCase(id=1, entrance="vc_nurse", text="Ont i örat")))
        opened = await _next(ws)
        while not (isinstance(opened, CaseUpdate) and opened.re == 1):
            opened = await _next(ws)
        await asyncio.to_thread(server.stop)
        code = None
        try:
            for _ in range(100):  # pushes may still come before the close
                await asyncio.wait_for(ws.recv(), 10)
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd is not None else None
        assert code == CloseCode.going_away
    finally:
        await asyncio.to_thread(server.stop)
    assert _complaint_in_main_file_alone(db, tmp_path / "copy") == "Ont i örat"


def _complaint_in_main_file_alone(db: Path, folder: Path) -> str:
    wal = Path(f"{db}-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    folder.mkdir()
    shutil.copy(db, folder / db.name)  # the main file only, as a careless cold copy would
    conn = sqlite3.connect(folder / db.name)
    try:
        (text,) = conn.execute("SELECT complaint FROM cases").fetchone()
    finally:
        conn.close()
    return str(text)
