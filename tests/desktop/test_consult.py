"""The consultant's side, in English (issue 6): a physician chooses English
at login, gets a wrong password refused, is asked about a nurse's case,
opens it from the alert (read-only: not his case) and answers in the staff
thread. His session is then revoked and the connection drops: the window
asks for the password again and the answer he wrote meanwhile is delivered
once. Finally he logs out."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from clients.desktop.app import DeskApp
from clients.desktop.i18n import tr
from clients.sdk import Client, login_patient, login_staff
from clients.sdk.http import post_json
from protocol.frames import CaseUpdate, Claim, Consult, OpenCase
from tests.desktop.conftest import QtLoop
from tests.desktop.driving import screenshot, shortcut, type_text, wait_for
from tests.desktop.test_shift import fast_config
from tests.support.server import PATIENT, running_server


def test_consultant_in_english(qloop: QtLoop, tmp_path: Path, shots: Path) -> None:
    qloop.run(_story(tmp_path, shots), timeout=60)


async def _story(tmp_path: Path, shots: Path) -> None:  # noqa: PLR0915 - one story
    async with running_server(tmp_path / "db.sqlite3", fast_config()) as srv:
        tess = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await tess.start()
        anna = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
        await anna.start()
        opened = await tess.request(OpenCase(id=0, entrance="vc_nurse", text="Utslag på armen"))
        assert isinstance(opened, CaseUpdate)
        case = opened.case.case
        await anna.request(Claim(id=0, case=case))

        # English, chosen with the keyboard in the login dialog.
        desk = DeskApp(srv.base, "lars", "sv", max_backoff=0.3)
        desk.start()
        assert desk.login.submit.text() == "Logga in"
        desk.login.language.setFocus()
        QTest.keyClick(desk.login.language, Qt.Key.Key_Down)
        assert tr.lang == "en" and desk.login.submit.text() == "Log in"
        type_text(desk.login.password, "wrong")
        QTest.keyClick(desk.login.password, Qt.Key.Key_Return)
        await wait_for(lambda: bool(desk.login.error.text()), "the refusal")
        assert desk.login.error.text() == "Wrong user name or password."
        assert desk.window is None
        desk.login.password.clear()
        type_text(desk.login.password, "demo")
        QTest.keyClick(desk.login.password, Qt.Key.Key_Return)
        await wait_for(lambda: desk.window is not None, "the main window")
        w = desk.window
        assert w is not None and desk.conn is not None
        conn = desk.conn
        assert w.menu_actions["claim_next"].text() == "Take &next case"
        assert "Connected" in w.status_label.text()
        assert list(w.queue.queues) == ["physician"]

        # Anna asks him about her case: a blue band says so; Open shows the case.
        assert conn.me is not None
        await anna.request(
            Consult(id=0, case=case, question="Ser detta ut som bältros?", staff=conn.me.user)
        )
        await wait_for(w.consult_banner.isVisible, "the consult alert")
        assert "Anna Andersson asks about a case: Ser detta ut som bältros?" in (
            w.consult_banner.label.text()
        )
        w.consult_banner.button.click()
        await wait_for(lambda: w.current_case() is not None, "the consulted case's tab")
        view = w.current_case()
        assert view is not None
        await wait_for(lambda: view.staff_chat.shown == [1], "the question in the staff thread")
        assert not view.mine and not view.compose.isEnabled()
        assert "You are not handling this case" in view.banner.text()
        assert not view.action_buttons["transfer"].isEnabled()

        # He answers in the thread (Ctrl+Enter from the note editor).
        type_text(view.note_edit, "Troligen. Boka besök i dag.")
        await shortcut(view.note_edit, "Ctrl+Return")
        await wait_for(lambda: view.staff_chat.shown == [1, 2], "his answer")
        await screenshot(w, shots, "desktop-consult-en.png")

        # The session is revoked and the connection drops: the password is asked
        # for again; what he wrote meanwhile goes out once, after the new login.
        staff_room = view.staff_room
        assert staff_room is not None
        await anna.subscribe(staff_room)
        await post_json(srv.base, "/api/logout", {}, token=conn.sdk.token)
        await conn.sdk.drop()
        await wait_for(lambda: desk.relogin is not None and desk.relogin.isVisible(), "relogin")
        relogin = desk.relogin
        assert relogin is not None and relogin.user.text() == "lars"
        assert "Your session has ended" in relogin.error.text()
        type_text(view.note_edit, "Ring mig om det blir värre.")
        await shortcut(view.note_edit, "Ctrl+Return")
        await wait_for(lambda: len(view.staff_chat.shown_unsent) == 1, "the waiting answer")
        type_text(relogin.password, "demo")
        QTest.keyClick(relogin.password, Qt.Key.Key_Return)
        await wait_for(lambda: view.staff_chat.shown == [1, 2, 3], "the answer after the relogin")
        await wait_for(lambda: anna.rooms[staff_room].last == 3, "anna to see it")
        texts = [m.text for m in anna.rooms[staff_room].messages.values()]
        assert texts == [
            "Ser detta ut som bältros?",
            "Troligen. Boka besök i dag.",
            "Ring mig om det blir värre.",
        ]

        # Logging out revokes the session and closes the window.
        token = conn.sdk.token
        w.menu_actions["logout"].trigger()
        await wait_for(lambda: not w.isVisible(), "the window to close")
        assert conn.closed
        refused = Client(srv.ws, token)
        try:
            await refused.start()
        except Exception as e:  # the revoked token is refused
            assert "auth_failed" in str(e)
        else:
            raise AssertionError("a logged-out token still works")
        for c in (tess, anna):
            await c.close()
