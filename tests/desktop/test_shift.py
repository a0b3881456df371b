"""A nurse's shift in the real desktop application against the real server
(issue 6): log in, see the queues live with a U1 alert, take the next case
with Ctrl+N, read its triage, chat with a /key phrase, ask for and view a
photo, write a note, consult, re-triage, hand over with a note; then open a
chosen case from the queue, book a time and close it with an outcome code.

Patients are SDK clients in the same loop; the server runs in-process on a
real socket and a real SQLite file.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import time
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTableWidget

from chatserver.config import Config, default
from clients.desktop.app import DeskApp
from clients.desktop.case_view import CaseView
from clients.desktop.dialogs import (
    BookingDialog,
    CloseDialog,
    ConsultDialog,
    PhotoDialog,
    PhrasesDialog,
    RetriageDialog,
    TransferDialog,
)
from clients.desktop.main_window import MainWindow
from clients.sdk import Client, login_patient, login_staff
from clients.sdk.http import upload
from protocol.frames import (
    BookingS,
    CaseUpdate,
    Frame,
    NewSlot,
    OpenCase,
    Read,
    SlotPublish,
    TypingC,
)
from tests.desktop.conftest import QtLoop
from tests.desktop.driving import screenshot, shortcut, type_text, wait_for
from tests.e2e.test_journey import CALM, triage
from tests.support.server import PATIENT, Running, running_server

OTHER = "200306062381"  # Alva Provsson, a Skatteverket test number
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
F = TypeVar("F", bound=Frame)


def fast_config() -> Config:
    cfg = default()
    return cfg.replace(queue=dataclasses.replace(cfg.queue, position_interval=0.2))


async def log_in(desk: DeskApp, password: str = "demo") -> MainWindow:
    desk.start()
    type_text(desk.login.password, password)
    QTest.keyClick(desk.login.password, Qt.Key.Key_Return)
    await wait_for(lambda: desk.window is not None, "the main window")
    window = desk.window
    assert window is not None
    window.activateWindow()
    return window


async def patient(base: str, ws: str, pnr: str) -> Client:
    c = Client(ws, await login_patient(base, pnr))
    await c.start()
    return c


def png(folder: Path) -> bytes:
    """A small photo as a phone would send it."""
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("#c0392b"))
    path = folder / "photo.png"
    assert image.save(str(path))
    return path.read_bytes()


def slots(srv: Running) -> tuple[NewSlot, ...]:
    """Two nurse's times and a physician's, tomorrow."""
    start = int(time.time() * 1000) + DAY
    return tuple(
        NewSlot(start=start + i * HOUR, end=start + i * HOUR + 20 * MINUTE, kind=kind)
        for i, kind in enumerate(("nurse", "physician", "nurse"))
    )


async def _next(client: Client, kind: type[F]) -> F:
    while True:
        frame = await asyncio.wait_for(client.events.get(), 10)
        if isinstance(frame, kind):
            return frame


def cell(table: QTableWidget, row: int, col: int) -> str:
    item = table.item(row, col)
    assert item is not None, f"no cell {row},{col}"
    return item.text()


def texts(view: CaseView, room: str) -> list[str]:
    seen = view.conn.room(room)
    assert seen is not None
    return [seen.messages[s].text for s in sorted(seen.messages)]


def test_a_shift(qloop: QtLoop, tmp_path: Path, shots: Path) -> None:
    qloop.run(_shift(tmp_path, shots), timeout=90)


async def _shift(tmp_path: Path, shots: Path) -> None:  # noqa: PLR0915 - one story, told in order
    async with running_server(tmp_path / "db.sqlite3", fast_config()) as srv:
        alva = await patient(srv.base, srv.ws, OTHER)
        routine = await alva.request(
            OpenCase(id=0, entrance="vc_nurse", text="Förnya recept på blodtrycksmedicin")
        )
        assert isinstance(routine, CaseUpdate)
        sara = Client(srv.ws, await login_staff(srv.base, "sara", "demo"))
        await sara.start()

        # Log in: the dialog, Swedish by default, the user given on the command line.
        desk = DeskApp(srv.base, "anna", "sv", max_backoff=0.5)
        desk.login.show()
        await screenshot(desk.login, shots, "desktop-login.png")
        assert desk.login.user.text() == "anna"
        w = await log_in(desk)
        assert "Ansluten" in w.status_label.text()
        vc = w.queue.queues["vc_nurse"]
        await wait_for(lambda: vc.table.rowCount() == 1, "the routine case in the queue")
        assert cell(vc.table, 0, 0) == "U4\nInom ett dygn"
        assert cell(vc.table, 0, 3) == ("Alva Provsson, 23 år\nFörnya recept på blodtrycksmedicin")
        assert cell(vc.table, 0, 2).startswith("om ")

        # An immediate case arrives: a red band says so in words, and it heads its queue.
        tess = await patient(srv.base, srv.ws, PATIENT)
        urgent, out = await triage(
            tess, "seek_care", "fever_adult", {**CALM["fever_adult"], "fa_breathing": True}
        )
        assert out.urgency == 1
        await wait_for(w.u1_banner.isVisible, "the U1 alert")
        assert "OMGÅENDE (U1): Tess Testsson, 41 år" in w.u1_banner.label.text()
        nurse = w.queue.queues["nurse_1177"]
        assert cell(nurse.table, 0, 0) == "U1\nOmgående"
        item = nurse.table.item(0, 0)
        assert item is not None and item.background().color().name() == "#b71c1c"
        await screenshot(w, shots, "desktop-queue.png")

        # A personal phrase, made in the phrase book (Ctrl+Shift+F).
        await shortcut(w, "Ctrl+Shift+F")
        await wait_for(lambda: w.phrases_dialog is not None, "the phrase book")
        book = w.phrases_dialog
        assert isinstance(book, PhrasesDialog)
        type_text(book.key, "hej")
        type_text(book.text, "Hej {patient}! Jag heter {staff} och är sjuksköterska på {unit}.")
        book.save.click()
        await wait_for(lambda: book.table.rowCount() == 1, "the saved phrase")
        assert cell(book.table, 0, 0) == "/hej"
        book.accept()

        # Ctrl+N takes the next case: the U1 one. Its tab shows the triage.
        await shortcut(w, "Ctrl+N")
        await wait_for(lambda: w.tabs.count() == 1, "the case tab")
        view = w.current_case()
        assert view is not None and view.case_id == urgent
        await wait_for(lambda: view.detail is not None, "the case detail")
        await wait_for(lambda: not w.u1_banner.isVisible(), "the U1 alert to go")
        assert view.badge.text() == "U1 Omgående"
        assert "Tess Testsson, 41 år" in view.header.text()
        assert "Har du svårt att andas" in view.answers.text()
        provenance = "\n".join(
            lbl.text() for lbl in view.triage.findChildren(type(view.header)) if lbl.text()
        )
        assert "questionnaire_version: 1.0.0" in provenance
        assert "rules_fired: fa-breathing" in provenance

        # Chat with a phrase: "/hej" and a space expands it; Ctrl+Enter sends.
        await tess.subscribe(urgent)
        type_text(view.compose, "/hej ")
        assert view.compose.toPlainText() == (
            "Hej Tess! Jag heter Anna Andersson och är sjuksköterska på 1177 sjuksköterskor. "
        )
        type_text(view.compose, "Hur mår du nu? Får du luft?")
        await shortcut(view.compose, "Ctrl+Return")
        await wait_for(lambda: tess.rooms[urgent].last >= 1, "the patient to get the phrase")
        first = tess.rooms[urgent].messages[1]
        assert first.text.startswith("Hej Tess! Jag heter Anna Andersson")
        assert first.text.endswith("Får du luft?")
        assert view.compose.toPlainText() == ""
        await tess.send(urgent, "Det känns lite bättre nu, tack.")
        await wait_for(lambda: view.chat.shown == [1, 2], "the patient's reply")
        assert "Det känns lite bättre" in view.chat.toPlainText()
        # She reads and types: the nurse sees both (the SDK has no public call
        # for these answerless frames; the app uses the same one).
        await tess._send_frame(Read(room=urgent, seq=1))
        await wait_for(lambda: "✓ läst" in view.chat.toPlainText(), "the read mark")
        await tess._send_frame(TypingC(room=urgent))
        await wait_for(lambda: view.typing_label.text() == "Tess Testsson skriver…", "typing")

        # Ask for a photo (Ctrl+Shift+P); the patient sends one; it shows and opens.
        await shortcut(w, "Ctrl+Shift+P")
        await wait_for(lambda: tess.rooms[urgent].last >= 3, "the photo request")
        assert tess.rooms[urgent].messages[3].kind == "photo_request"
        att = await upload(srv.base, tess.token, urgent, png(tmp_path), "image/png")
        await tess.send(urgent, "", att=att)
        await wait_for(lambda: att in view.chat.images, "the photo to load")
        assert view.chat.images[att].width() == 64
        view.chat.anchorClicked.emit(QUrl(f"att:{att}"))
        assert isinstance(view.dialog, PhotoDialog)
        assert view.dialog.label.pixmap().width() == 64
        view.dialog.accept()

        # An internal note (Ctrl+Shift+M, then Ctrl+Enter) lands in the staff thread only.
        await shortcut(w, "Ctrl+Shift+M")
        assert view.note_edit.hasFocus()
        type_text(view.note_edit, "Andfådd i vila enligt patienten.")
        await shortcut(view.note_edit, "Ctrl+Return")
        staff_room = view.staff_room
        assert staff_room is not None
        await wait_for(lambda: view.staff_chat.shown == [1], "the note")
        assert texts(view, staff_room) == ["Andfådd i vila enligt patienten."]
        await screenshot(w, shots, "desktop-case.png")

        # Consult the physicians' pool (Ctrl+Shift+K): the question joins the thread.
        await shortcut(w, "Ctrl+Shift+K")
        consult = view.dialog
        assert isinstance(consult, ConsultDialog)
        consult.pool.setCurrentIndex(consult.pool.findData("physician"))
        type_text(consult.question, "Behöver hon komma in i dag?")
        consult.buttons.button(consult.buttons.StandardButton.Ok).click()
        await wait_for(lambda: view.staff_chat.shown == [1, 2], "the consult question")
        assert texts(view, staff_room)[1] == "Behöver hon komma in i dag?"

        # Re-triage (Ctrl+Shift+U) with a reason: U1 → U2.
        await shortcut(w, "Ctrl+Shift+U")
        re = view.dialog
        assert isinstance(re, RetriageDialog)
        ok = re.buttons.button(re.buttons.StandardButton.Ok)
        assert not ok.isEnabled()  # a reason is required
        re.urgency.setCurrentIndex(1)
        type_text(re.reason, "Stabil, saturation normal enligt patienten")
        ok.click()
        await wait_for(lambda: view.badge.text() == "U2 Skyndsamt", "the new urgency")
        assert srv.service.state.cases[urgent].urgency == 2

        # Hand over (Ctrl+Shift+H) to the secretaries with a note: the tab closes,
        # the case waits in their queue, the patient is told.
        await shortcut(w, "Ctrl+Shift+H")
        handover = view.dialog
        assert isinstance(handover, TransferDialog)
        handover.pool.setCurrentIndex(handover.pool.findData("secretary"))
        type_text(handover.note, "Boka läkarbesök i dag, se konsultation.")
        await screenshot(handover, shots, "desktop-handoff.png")
        handover.buttons.button(handover.buttons.StandardButton.Ok).click()
        await wait_for(lambda: w.tabs.count() == 0, "the tab to close after the handover")
        case = srv.service.state.cases[urgent]
        assert case.pool == "secretary" and case.state.value == "queued"
        await wait_for(
            lambda: any(m.kind == "system" for m in tess.rooms[urgent].messages.values()),
            "the patient to see the transfer",
        )
        assert "överlämnades" in w.statusBar().currentMessage() or "lämnades över" in (
            w.statusBar().currentMessage()
        )

        # A chosen case: Enter on its row in the queue takes it.
        vc.table.setFocus()
        vc.table.setCurrentCell(0, 0)
        QTest.keyClick(vc.table, Qt.Key.Key_Return)
        await wait_for(lambda: w.tabs.count() == 1, "the chosen case's tab")
        chosen = w.current_case()
        assert chosen is not None and chosen.case_id == routine.case.case
        await wait_for(lambda: chosen.detail is not None, "its detail")
        assert "direktingång" in chosen.triage.findChildren(type(chosen.header))[-1].text()

        # Book a nurse's time for her (Ctrl+Shift+B): the unit's free slots of the
        # nurse's own kind are offered; the patient is told at once.
        await sara.request(SlotPublish(id=0, unit="vc_centrum", slots=slots(srv)))
        await shortcut(w, "Ctrl+Shift+B")
        booking = chosen.dialog
        assert isinstance(booking, BookingDialog)
        assert booking.kind.currentData() == "nurse"
        await wait_for(lambda: booking.list.count() == 2, "the nurse's free slots")
        offered = booking.list.item(0)
        assert offered is not None and "Sjuksköterska · vc_centrum" in offered.text()
        await screenshot(booking, shots, "desktop-booking.png")
        booking.buttons.button(booking.buttons.StandardButton.Ok).click()
        pushed = await _next(alva, BookingS)
        assert pushed.booking.booked_by == "Anna Andersson"
        await wait_for(lambda: len(chosen.bookings) == 1, "the booking in the case")
        listed = chosen.bookings_list.item(0)
        assert listed is not None and listed.text().endswith("bokad")

        # Ctrl+W closes the tab, not the case: it stays under "My cases", where
        # Enter opens it again.
        await shortcut(w, "Ctrl+W")
        assert w.tabs.count() == 0 and w.mine_list.count() == 1
        w.mine_list.setFocus()
        w.mine_list.setCurrentRow(0)
        QTest.keyClick(w.mine_list, Qt.Key.Key_Return)
        assert w.current_case() is chosen

        # Close it (Ctrl+Shift+E): "booked" is proposed; conduct would need a note.
        await shortcut(w, "Ctrl+Shift+E")
        closing = chosen.dialog
        assert isinstance(closing, CloseDialog)
        assert closing.outcome.currentData() == "booked"
        ok = closing.buttons.button(closing.buttons.StandardButton.Ok)
        closing.outcome.setCurrentIndex(closing.outcome.findData("conduct"))
        assert not ok.isEnabled()
        closing.outcome.setCurrentIndex(closing.outcome.findData("booked"))
        assert ok.isEnabled()
        ok.click()
        await wait_for(lambda: w.tabs.count() == 0, "the tab to close after closing")
        assert srv.service.state.cases[routine.case.case].state.value == "closed"
        assert w.mine_list.count() == 0

        await desk.close()
        for c in (tess, alva, sara):
            await c.close()
        await srv.service.writer.write([])
        db = sqlite3.connect(srv.db_path)
        actions = db.execute(
            "SELECT a.action FROM audit_log a JOIN users u ON u.id = a.user_id"
            " WHERE u.username = 'anna' ORDER BY a.id"
        ).fetchall()
        db.close()
        assert [a for (a,) in actions] == [
            "list",  # her two pools' queues
            "list",
            "update",  # claim (Ctrl+N)
            "read",  # case_view
            "read",  # following the chat
            "read",  # and the staff thread
            "list",  # the case's bookings
            "read",  # the patient's photo
            "note",
            "consult",
            "retriage",
            "hand_over",
            "update",  # claim (Enter on the row)
            "read",  # case_view, chat, staff thread
            "read",
            "read",
            "list",  # its bookings
            "book",
            "close",
        ]
