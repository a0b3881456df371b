"""Crash test (issue 2): under load from several clients, SIGKILL the server,
restart it, and check that every message any client saw acknowledged is
present exactly once, in order, and that every client resumes with no gap.
Repeated several times in one run."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

from clients.sdk import Client, login_patient, login_staff
from protocol.frames import Ack, CaseUpdate, Claim, OpenCase
from tests.support.server import ServerProcess, free_port, prepare_db
from tests.support.waiting import until

PATIENTS = ("198501012382", "200306062381", "190704019801", "189506299818")
ROUNDS = 3
LOAD_SECONDS = 1.0


async def _load(client: Client, room: str, tag: str, acked: list[Ack], stop: asyncio.Event) -> int:
    """Send continuously (bounded by ``stop``); collect acks as they come."""
    sent = 0
    pending: set[asyncio.Future[Ack]] = set()
    while not stop.is_set() and sent < 5000:
        fut = client.send(room, f"{tag} {sent}")
        fut.add_done_callback(lambda f: acked.append(f.result()) if not f.exception() else None)
        pending.add(fut)
        sent += 1
        await asyncio.sleep(0.01)
    return sent


async def _check_room(
    db: sqlite3.Connection, room: str, acked: list[Ack], clients: list[Client]
) -> None:
    rows = db.execute(
        "SELECT seq, cid, sender FROM messages WHERE room = ? ORDER BY seq", (room,)
    ).fetchall()
    seqs = [r[0] for r in rows]
    assert seqs == list(range(1, len(rows) + 1)), f"gap or hole in {room}"
    assert len({(r[2], r[1]) for r in rows}) == len(rows), "duplicate cid stored"
    stored = {r[1]: r[0] for r in rows}
    for a in acked:
        if a.room == room:
            assert stored[a.cid] == a.seq, "acknowledged message lost or renumbered"
    # Every client following the room resumes to the head, without gaps, and
    # sees exactly what is stored.
    head = len(rows)
    followers = [c for c in clients if room in c.rooms]
    await asyncio.wait_for(until(lambda: all(c.rooms[room].last == head for c in followers)), 30)
    for c in followers:
        view = c.rooms[room]
        assert view.gaps == []
        assert {s: m.cid for s, m in view.messages.items()} == {s: cid for cid, s in stored.items()}


async def _open_cases(server: ServerProcess, nurse: Client) -> tuple[list[Client], list[str]]:
    rooms: list[str] = []
    patients: list[Client] = []
    for pnr in PATIENTS:
        p = Client(server.ws, await login_patient(server.base, pnr), max_backoff=0.5)
        await p.start()
        opened = await p.request(OpenCase(id=0, entrance="vc_nurse", text="Krocktest"))
        assert isinstance(opened, CaseUpdate)
        claimed = await nurse.request(Claim(id=0, case=opened.case.case))
        assert isinstance(claimed, CaseUpdate)
        rooms.append(opened.case.room)
        await p.subscribe(opened.case.room)
        await nurse.subscribe(opened.case.room)
        patients.append(p)
    return patients, rooms


async def test_sigkill_loses_nothing_acknowledged(tmp_path: Path) -> None:
    db_path = tmp_path / "crash.sqlite3"
    prepare_db(str(db_path))
    server = ServerProcess(db_path, free_port())
    server.start()
    clients: list[Client] = []
    try:
        nurse = Client(server.ws, await login_staff(server.base, "anna", "demo"))
        await nurse.start()
        clients.append(nurse)
        patients, rooms = await _open_cases(server, nurse)
        clients.extend(patients)
        nurse.max_backoff = 0.5

        acked: list[Ack] = []
        sent = 0
        for rnd in range(ROUNDS):
            stop = asyncio.Event()
            loads = [
                asyncio.ensure_future(_load(p, room, f"p{i}r{rnd}", acked, stop))
                for i, (p, room) in enumerate(zip(patients, rooms, strict=True))
            ]
            loads.append(
                asyncio.ensure_future(_load(nurse, rooms[rnd % len(rooms)], f"n{rnd}", acked, stop))
            )
            await asyncio.sleep(LOAD_SECONDS)
            server.kill()  # mid-load: acks in flight are lost, commits are not
            await asyncio.sleep(0.2)
            await asyncio.to_thread(server.start)  # clients keep retrying meanwhile
            await asyncio.sleep(LOAD_SECONDS)
            stop.set()
            sent += sum(await asyncio.gather(*loads))

        # Everything sent is eventually acknowledged (resent with the same cid).
        await asyncio.wait_for(until(lambda: all(c.unacked == 0 for c in clients)), 60)
        assert len(acked) == sent

        db = sqlite3.connect(db_path)
        for room in rooms:
            await _check_room(db, room, acked, clients)
        db.close()
        assert sum(c.reconnects for c in clients) >= ROUNDS * len(clients)
    finally:
        for c in clients:
            with contextlib.suppress(Exception):
                await c.close()
        server.stop()
