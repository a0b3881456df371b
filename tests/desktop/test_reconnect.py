"""Connection trouble in the middle of a chat (issue 6): the network drops,
then the server is killed (SIGKILL) and started again. The window says it
is offline; what the nurse sends meanwhile waits in the SDK's outbox and is
shown as waiting; afterwards every message is there exactly once, in order,
in the window, at the patient's and in the database, and the queues are
followed again.

The server runs as a child process on a fixed port so that the restarted
one is found where the old one was.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from clients.desktop.app import DeskApp
from clients.sdk import Client, login_patient
from protocol.frames import CaseUpdate, OpenCase
from tests.desktop.conftest import QtLoop
from tests.desktop.driving import screenshot, shortcut, type_text, wait_for
from tests.desktop.test_shift import OTHER, log_in
from tests.support.server import PATIENT, ServerProcess, free_port, prepare_db


async def _patient(server: ServerProcess, pnr: str) -> Client:
    c = Client(server.ws, await login_patient(server.base, pnr), max_backoff=0.5)
    await c.start()
    return c


def test_resume_after_drop_and_restart(qloop: QtLoop, tmp_path: Path, shots: Path) -> None:
    db_path = tmp_path / "db.sqlite3"
    prepare_db(str(db_path))
    server = ServerProcess(db_path, free_port())
    server.start()
    try:
        qloop.run(_story(server, shots), timeout=90)
    finally:
        server.stop()
    _check_database(db_path)


async def _story(server: ServerProcess, shots: Path) -> None:  # noqa: PLR0915 - one story
    tess = await _patient(server, PATIENT)
    opened = await tess.request(OpenCase(id=0, entrance="vc_nurse", text="Ont i halsen"))
    assert isinstance(opened, CaseUpdate)
    room = opened.case.room
    await tess.subscribe(room)

    desk = DeskApp(server.base, "anna", "sv", max_backoff=0.5)
    w = await log_in(desk)
    conn = desk.conn
    assert conn is not None
    vc = w.queue.queues["vc_nurse"]
    await wait_for(lambda: vc.table.rowCount() == 1, "the case in the queue")
    await shortcut(w, "Ctrl+N")
    await wait_for(lambda: w.current_case() is not None, "the case tab")
    view = w.current_case()
    assert view is not None
    await wait_for(lambda: view.detail is not None, "the case detail")
    assert vc.table.rowCount() == 0  # taken: out of the queue at once

    type_text(view.compose, "Hej! Hur länge har du haft ont?")
    await shortcut(view.compose, "Ctrl+Return")
    # Stored first (the order asserted at the end), not merely sent first.
    await wait_for(lambda: view.chat.shown == [1], "the nurse's question stored")
    await tess.send(room, "Sedan i fredags.")
    await wait_for(lambda: view.chat.shown == [1, 2], "the first two messages")

    # 1. The network drops; both sides write while the SDK reconnects.
    await conn.sdk.drop()
    type_text(view.compose, "Har du feber?")
    await shortcut(view.compose, "Ctrl+Return")
    await tess.send(room, "Nej, ingen feber.")
    await wait_for(lambda: view.chat.shown == [1, 2, 3, 4], "both messages after the drop")
    await wait_for(lambda: view.chat.shown_unsent == [], "the outbox to empty")
    await wait_for(lambda: conn.sdk.reconnects >= 1 and conn.sdk.connected.is_set(), "reconnected")

    # 2. The server is killed: the window says so, and a message waits.
    server.kill()
    await wait_for(lambda: "Ingen anslutning" in w.status_label.text(), "the offline status")
    type_text(view.compose, "Är du kvar? Svara när du ser det här.")
    await shortcut(view.compose, "Ctrl+Return")
    await wait_for(lambda: len(view.chat.shown_unsent) == 1, "the waiting message")
    assert "väntar på anslutning" in view.chat.toPlainText()
    assert "senast kända läge" in vc.title() and not vc.table.isEnabled()
    type_text(view.compose, "Ett utkast som inte skickats")  # stays in the editor
    await screenshot(w, shots, "desktop-offline.png")

    server.start()
    await wait_for(lambda: "Ansluten" in w.status_label.text(), "online again", 20)
    assert "senast kända" not in vc.title()
    await wait_for(lambda: view.chat.shown == [1, 2, 3, 4, 5], "the waiting message sent", 20)
    assert view.chat.shown_unsent == []
    assert view.compose.toPlainText() == "Ett utkast som inte skickats"
    await wait_for(lambda: tess.rooms[room].last == 5, "the patient to get it", 20)
    await tess.send(room, "Ja, jag är kvar.")
    await wait_for(lambda: view.chat.shown == [1, 2, 3, 4, 5, 6], "the patient's answer")

    # The queues are followed again on the new connection.
    alva = await _patient(server, OTHER)
    await alva.request(OpenCase(id=0, entrance="vc_nurse", text="Förnya recept"))
    await wait_for(lambda: vc.table.rowCount() == 1, "a new case in the queue after the restart")

    seen = conn.room(room)
    assert seen is not None and seen.gaps == [] and tess.rooms[room].gaps == []
    mine = [seen.messages[s].text for s in sorted(seen.messages)]
    theirs = [tess.rooms[room].messages[s].text for s in sorted(tess.rooms[room].messages)]
    assert (
        mine
        == theirs
        == [
            "Hej! Hur länge har du haft ont?",
            "Sedan i fredags.",
            *mine[2:4],  # written at the same time: either order, each once
            "Är du kvar? Svara när du ser det här.",
            "Ja, jag är kvar.",
        ]
    )
    assert sorted(mine[2:4]) == ["Har du feber?", "Nej, ingen feber."]
    await desk.close()
    for c in (tess, alva):
        await c.close()


def _check_database(db_path: Path) -> None:
    db = sqlite3.connect(db_path)
    rows = db.execute(
        "SELECT m.seq, m.cid, m.text FROM messages m JOIN cases c ON c.room = m.room"
        " WHERE c.complaint = 'Ont i halsen' ORDER BY m.seq"
    ).fetchall()
    db.close()
    assert [seq for seq, _, _ in rows] == [1, 2, 3, 4, 5, 6]
    assert len({cid for _, cid, _ in rows}) == 6  # nothing stored twice
    assert len({text for _, _, text in rows}) == 6
