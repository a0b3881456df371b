"""``chatserver-desk``: the staff desktop client.

    chatserver-desk [--server URL] [--user NAME] [--lang sv|en]

Qt owns the main thread; asyncio runs on Qt's event loop through qasync, so
the SDK's coroutines and the widgets share one thread and need no locks.
``DeskApp`` is the session: the login dialog, then the main window. Tests
drive the same class against a real server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from clients.desktop.connection import Connection, describe
from clients.desktop.dialogs import LoginDialog
from clients.desktop.i18n import LANGUAGES, tr
from clients.desktop.main_window import MainWindow

DEFAULT_SERVER = "http://127.0.0.1:8080"
# Body text no smaller than 10 pt, whatever the platform's default: readable
# at 100 % scaling, and Qt scales points with the desktop's scaling factor.
MIN_POINT_SIZE = 10.0


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="chatserver-desk", description="Staff desktop client for the digital care entrance."
    )
    parser.add_argument("--server", default=DEFAULT_SERVER, help="server base URL (http/https)")
    parser.add_argument("--user", default="", help="user name to fill in")
    parser.add_argument("--lang", choices=LANGUAGES, default="sv", help="language (default sv)")
    return parser.parse_args(argv)


def readable_font(app: QApplication) -> None:
    font: QFont = app.font()
    if font.pointSizeF() < MIN_POINT_SIZE:
        font.setPointSizeF(MIN_POINT_SIZE)
        app.setFont(font)


class DeskApp:
    """One staff session: log in, then work in the main window."""

    def __init__(
        self, server: str, user: str = "", lang: str = "sv", *, max_backoff: float = 5.0
    ) -> None:
        tr.set_language(lang)
        self.server = server
        self.max_backoff = max_backoff
        self.login = LoginDialog(server, user, lang)
        self.login.submitted.connect(self._submit)
        self.conn: Connection | None = None
        self.window: MainWindow | None = None
        self.relogin: LoginDialog | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self) -> None:
        self.login.show()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _submit(self) -> None:
        self.login.busy(True)
        self._spawn(self._log_in())

    async def _log_in(self) -> None:
        server = self.login.server.text().strip()
        user = self.login.user.text().strip()
        password = self.login.password.text()
        try:
            conn = Connection(server, max_backoff=self.max_backoff)
            await conn.login(user, password)
        except Exception as e:  # every failure is shown in the dialog
            self.login.fail(describe(e) if not isinstance(e, ValueError) else str(e))
            return
        self.conn = conn
        conn.relogin_needed.connect(self._relogin)
        window = MainWindow(conn)
        self.window = window
        window.resize(1280, 800)
        window.show()
        self.login.accept()
        conn.spawn(window.start())

    def _relogin(self) -> None:
        """The session ended (expired or revoked): ask for the password; the
        window stays, and so does everything unsent."""
        conn = self.conn
        if conn is None:
            return
        dialog = LoginDialog(conn.base, conn.username, tr.lang, self.window)
        dialog.server.setEnabled(False)
        dialog.user.setEnabled(False)
        dialog.error.setText(tr("login.relogin"))
        self.relogin = dialog

        def submit() -> None:
            dialog.busy(True)

            async def go() -> None:
                try:
                    await conn.provide_password(dialog.password.text())
                except Exception as e:
                    dialog.fail(describe(e))
                    return
                dialog.accept()

            self._spawn(go())

        dialog.submitted.connect(submit)
        # Not modal: staff keep reading and writing (into the outbox) meanwhile.
        dialog.setModal(False)
        dialog.show()

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self.window is not None:
            self.window.hide()
        if self.conn is not None:
            await self.conn.close()
        self.login.hide()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    import qasync  # type: ignore[import-untyped]  # ships no type information

    app = QApplication(sys.argv[:1])
    app.setApplicationName("chatserver-desk")
    app.setApplicationDisplayName(tr("app.title"))
    readable_font(app)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    desk = DeskApp(args.server, args.user, args.lang)
    done = asyncio.Event()
    app.setQuitOnLastWindowClosed(False)
    app.lastWindowClosed.connect(done.set)

    async def run() -> None:
        desk.start()
        await done.wait()
        await desk.close()

    with contextlib.suppress(KeyboardInterrupt), loop:
        loop.run_until_complete(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
