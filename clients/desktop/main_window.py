"""The shift's window: the queues on the left, open cases as tabs on the
right, the connection status always visible at the bottom, and a red alert
band when an immediate (U1) case is waiting.

Every common action has a menu entry showing its shortcut (Ctrl+N takes the
next case, Ctrl+Enter sends, Ctrl+W closes the tab, ...), so the whole shift
can be worked from the keyboard.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clients.desktop import timefmt
from clients.desktop.case_view import OPEN_STATES, CaseView
from clients.desktop.connection import ONLINE, Connection
from clients.desktop.dialogs import PhrasesDialog
from clients.desktop.i18n import pool_name, tr
from clients.desktop.labels import PlainLabel
from clients.desktop.phrases import PhraseBook
from clients.desktop.queue_view import QueueView, shorten, what
from clients.sdk import ServerError
from protocol.frames import CaseInfo, ConsultInvite, Phrase, QueueEntry, QueueS, TypingS


class Banner(QFrame):
    """A band across the window for what must not be missed: text, not only
    colour, and a button to act on it from the keyboard."""

    acted = Signal()

    def __init__(self, background: str, foreground: str, action: str) -> None:
        super().__init__()
        self.setStyleSheet(
            f"QFrame {{ background-color: {background}; }} "
            f"QLabel {{ color: {foreground}; font-weight: bold; }}"
        )
        self.label = PlainLabel()
        self.label.setWordWrap(True)
        font = self.label.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.label.setFont(font)
        self.button = QPushButton(action)
        self.button.clicked.connect(self.acted.emit)
        self.dismiss = QPushButton(tr("alert.dismiss"))
        self.dismiss.clicked.connect(self.hide)
        row = QHBoxLayout(self)
        row.addWidget(self.label, 1)
        row.addWidget(self.button)
        row.addWidget(self.dismiss)
        self.hide()


class MainWindow(QMainWindow):
    def __init__(self, conn: Connection) -> None:
        super().__init__()
        assert conn.me is not None
        self.conn = conn
        self.me = conn.me
        self.setWindowTitle(tr("app.title_user", name=self.me.name))
        self.book = PhraseBook()
        self.cases: dict[str, CaseView] = {}
        self.my_cases: dict[str, CaseInfo] = {}
        self.alerted: set[str] = set()  # U1 cases already announced
        self.u1: dict[str, QueueEntry] = {}  # U1 cases waiting now
        self.invite: ConsultInvite | None = None
        self.phrases_dialog: PhrasesDialog | None = None

        central = self._build_central()
        self.setCentralWidget(central)

        # Always visible: connection status (text and colour) and who works which pools.
        self.status_label = PlainLabel()
        self.status_label.setAccessibleName("status")
        self.user_label = PlainLabel()
        self.statusBar().addPermanentWidget(self.status_label)
        self.statusBar().addPermanentWidget(self.user_label)
        self._show_status(conn.status)
        self._show_user()

        self._menus()
        conn.status_changed.connect(self._show_status)
        conn.queue_changed.connect(self._queue_changed)
        conn.case_changed.connect(self._case_changed)
        conn.typing_seen.connect(self._typing)
        conn.consult_invited.connect(self._invited)
        conn.failed.connect(self.say)

    # ------------------------------------------------------------ set-up

    def _build_central(self) -> QWidget:
        """Alert bands over queues (left) and case tabs (right)."""
        self.queue = QueueView(self.conn, tuple(self.me.pools))
        self.queue.claim_requested.connect(self.claim)
        self.queue.pools_chosen.connect(self._pools_chosen)
        self.mine_list = QListWidget()
        self.mine_list.setAccessibleName(tr("queue.mine"))
        self.mine_list.itemActivated.connect(self._mine_activated)
        mine_label = PlainLabel(tr("queue.mine"))
        mine_label.setBuddy(self.mine_list)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.queue, 4)
        left_layout.addWidget(mine_label)
        left_layout.addWidget(self.mine_list, 1)
        self.mine_list.setMaximumHeight(self.mine_list.fontMetrics().lineSpacing() * 8)

        self.tabs = QTabWidget()
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.empty = PlainLabel(tr("tabs.empty"))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.tabs)
        self.tabs.currentChanged.connect(self._tabs_changed)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.stack)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        split.setSizes([480, 800])

        self.u1_banner = Banner("#b71c1c", "#ffffff", tr("alert.take"))
        self.u1_banner.acted.connect(self._take_u1)
        self.u1_banner.setAccessibleName("U1")
        self.consult_banner = Banner("#0d47a1", "#ffffff", tr("alert.open"))
        self.consult_banner.acted.connect(self._open_invite)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.u1_banner)
        layout.addWidget(self.consult_banner)
        layout.addWidget(split, 1)
        return central

    def _menus(self) -> None:
        bar = self.menuBar()
        shift = bar.addMenu(tr("menu.shift"))
        case = bar.addMenu(tr("menu.case"))
        helpm = bar.addMenu(tr("menu.help"))
        self.menu_actions: dict[str, QAction] = {}

        def add(menu: object, key: str, keys: list[QKeySequence], slot: Callable[[], None]) -> None:
            action = QAction(tr(f"action.{key}"), self)
            action.setShortcuts(keys)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(slot)
            menu.addAction(action)  # type: ignore[attr-defined]
            self.menu_actions[key] = action

        k = QKeySequence
        add(shift, "claim_next", [k("Ctrl+N")], self.claim_next)
        add(shift, "focus_queue", [k("Ctrl+L")], self.queue.focus_first)
        add(shift, "phrases", [k("Ctrl+Shift+F")], self.open_phrases)
        add(shift, "logout", [], self.logout)
        add(shift, "quit", [k("Ctrl+Q")], self._quit)
        add(
            case, "send", [k("Ctrl+Return"), k("Ctrl+Enter")], lambda: self._on_case("send_current")
        )
        add(case, "photo", [k("Ctrl+Shift+P")], lambda: self._on_case("request_photo"))
        add(case, "note", [k("Ctrl+Shift+M")], lambda: self._on_case("focus_note"))
        add(case, "transfer", [k("Ctrl+Shift+H")], lambda: self._on_case("open_transfer"))
        add(case, "consult", [k("Ctrl+Shift+K")], lambda: self._on_case("open_consult"))
        add(case, "retriage", [k("Ctrl+Shift+U")], lambda: self._on_case("open_retriage"))
        add(case, "book", [k("Ctrl+Shift+B")], lambda: self._on_case("open_booking"))
        add(case, "release", [k("Ctrl+Shift+R")], lambda: self._on_case("release"))
        add(case, "close_case", [k("Ctrl+Shift+E")], lambda: self._on_case("open_close"))
        add(case, "close_tab", [k("Ctrl+W")], lambda: self.close_tab(self.tabs.currentIndex()))
        add(case, "next_tab", [k("Ctrl+Tab"), k("Ctrl+PgDown")], lambda: self._step_tab(1))
        add(case, "prev_tab", [k("Ctrl+Shift+Tab"), k("Ctrl+PgUp")], lambda: self._step_tab(-1))
        add(helpm, "shortcuts", [k("F1")], self._shortcuts)

    async def start(self) -> None:
        """Follow the queues of all one's pools, reopen the cases one holds
        (after a restart of the app), and load the phrase book."""
        await self.conn.follow_queues(self.queue.chosen())
        for info in await self.conn.my_cases():
            self._case_changed(info)
            if info.assignee == self.me.user and info.state in OPEN_STATES:
                self.open_case(info, focus=False)
        await self.reload_phrases()

    async def reload_phrases(self) -> None:
        self.book = PhraseBook(await self.conn.phrases())
        for view in self.cases.values():
            view.set_phrases(self.book)
        if self.phrases_dialog is not None:
            self.phrases_dialog.show_phrases(self.book.all)

    # ------------------------------------------------------------ status

    def say(self, text: str) -> None:
        self.statusBar().showMessage(text, 15_000)

    def _show_status(self, status: str) -> None:
        online = status == ONLINE
        self.queue.set_stale(not online)
        text = tr("status.online") if online else tr("status.offline")
        colours = ("#1b5e20", "#ffffff") if online else ("#b71c1c", "#ffffff")
        self.status_label.setText(f"● {text}")
        self.status_label.setStyleSheet(
            f"background-color: {colours[0]}; color: {colours[1]}; padding: 2px 8px;"
            " font-weight: bold;"
        )

    def _show_user(self) -> None:
        pools = ", ".join(pool_name(p) for p in self.queue.chosen()) or "–"
        self.user_label.setText(tr("status.user", name=self.me.name, pools=pools))

    def _pools_chosen(self, pools: tuple[str, ...]) -> None:
        self._show_user()
        self.conn.spawn(self.conn.follow_queues(pools))
        self._update_u1()

    # ------------------------------------------------------------ queues and the U1 alert

    def _queue_changed(self, q: QueueS) -> None:
        self._update_u1()

    def _update_u1(self) -> None:
        self.u1 = {e.case: e for _, e in self.queue.entries() if e.urgency == 1}
        fresh = [e for case, e in self.u1.items() if case not in self.alerted]
        if fresh:
            self.alerted.update(e.case for e in fresh)
            self.u1_banner.show()
            QApplication.alert(self)  # the taskbar flashes even when minimised
            QApplication.beep()
        if not self.u1:
            self.u1_banner.hide()
            return
        first = min(self.u1.values(), key=lambda e: e.enqueued)
        text = tr(
            "alert.u1",
            name=first.subject,
            age=first.age,
            what=shorten(what(first), 140) or "–",
            waited=timefmt.waited(first.enqueued, self.conn.now_ms()),
        )
        if len(self.u1) > 1:
            text += " " + tr("alert.u1_many", n=len(self.u1) - 1)
        self.u1_banner.label.setText(text)

    def _take_u1(self) -> None:
        if self.u1:
            first = min(self.u1.values(), key=lambda e: e.enqueued)
            self.claim(first.case, None)

    # ------------------------------------------------------------ taking cases

    def claim_next(self) -> None:
        chosen = self.queue.chosen()
        if set(chosen) == set(self.me.pools):
            self.claim(None, None)  # the server picks across all one's pools
            return
        pool = self.queue.next_pool()
        if pool is None:
            self.say(tr("case.queue_empty"))
            return
        self.claim(None, pool)

    def claim(self, case: str | None, pool: str | None) -> None:
        async def go() -> None:
            try:
                info = await self.conn.claim(case=case, pool=pool)
            except ServerError as e:
                if case is None and e.code == "not_found":
                    self.say(tr("case.queue_empty"))
                    return
                raise
            self.say(tr("case.claimed", name=info.subject))
            self.queue.without(info.case)
            self._update_u1()
            self.open_case(info)

        self.conn.spawn(go())

    def open_case(self, info: CaseInfo, focus: bool = True) -> CaseView:
        view = self.cases.get(info.case)
        if view is None:
            view = CaseView(self.conn, info)
            view.set_phrases(self.book)
            view.finished.connect(self._case_finished)
            view.status.connect(self.say)
            self.cases[info.case] = view
            self.tabs.addTab(view, view.title())
            self.conn.spawn(view.load())
        if self.tabs.indexOf(view) < 0:
            self.tabs.addTab(view, view.title())
        if focus:
            self.tabs.setCurrentWidget(view)
            view.compose.setFocus()
        return view

    def _tabs_changed(self, _index: int) -> None:
        """No tabs: say what to do instead of showing an empty pane."""
        self.stack.setCurrentWidget(self.tabs if self.tabs.count() else self.empty)

    def current_case(self) -> CaseView | None:
        widget = self.tabs.currentWidget()
        return widget if isinstance(widget, CaseView) else None

    def _on_case(self, method: str) -> None:
        view = self.current_case()
        if view is not None:
            getattr(view, method)()

    def close_tab(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if not isinstance(widget, CaseView):
            return
        self.tabs.removeTab(index)
        if not widget.mine:  # finished with: stop following its rooms
            self.cases.pop(widget.case_id, None)
            self.conn.spawn(self.conn.unfollow(widget.info.room))
            if widget.staff_room:
                self.conn.spawn(self.conn.unfollow(widget.staff_room))
            widget.detach()
            widget.deleteLater()

    def _step_tab(self, step: int) -> None:
        n = self.tabs.count()
        if n:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % n)

    def _case_finished(self, case: str, message: str) -> None:
        self.say(message)
        view = self.cases.get(case)
        if view is not None:
            self.close_tab(self.tabs.indexOf(view))

    def _case_changed(self, info: CaseInfo) -> None:
        view = self.cases.get(info.case)
        if view is not None:
            view.show_info(info)
            index = self.tabs.indexOf(view)
            if index >= 0:
                self.tabs.setTabText(index, view.title())
        if info.assignee == self.me.user and info.state in OPEN_STATES:
            self.my_cases[info.case] = info
        else:
            self.my_cases.pop(info.case, None)
        self._show_mine()

    def _show_mine(self) -> None:
        self.mine_list.clear()
        for info in sorted(self.my_cases.values(), key=lambda c: (c.urgency, c.created)):
            item = QListWidgetItem(
                f"U{info.urgency} {info.subject} · {tr(f'state.{info.state}')}"
                f" · {pool_name(info.pool)}"
            )
            item.setData(Qt.ItemDataRole.UserRole, info.case)
            self.mine_list.addItem(item)

    def _mine_activated(self, item: QListWidgetItem) -> None:
        info = self.my_cases.get(str(item.data(Qt.ItemDataRole.UserRole)))
        if info is not None:
            self.open_case(info)

    # ------------------------------------------------------------ pushes

    def _typing(self, t: TypingS) -> None:
        for view in self.cases.values():
            view.show_typing(t)

    def _invited(self, invite: ConsultInvite) -> None:
        self.invite = invite
        self.consult_banner.label.setText(
            tr("alert.consult", by=invite.by, question=invite.question)
        )
        self.consult_banner.show()
        QApplication.alert(self)

    def _open_invite(self) -> None:
        invite = self.invite
        if invite is None:
            return
        self.consult_banner.hide()

        async def go() -> None:
            detail = await self.conn.view(invite.case)
            self.open_case(detail.case)

        self.conn.spawn(go())

    # ------------------------------------------------------------ phrases

    def open_phrases(self) -> None:
        dialog = PhrasesDialog(tuple(self.me.pools), self)
        dialog.show_phrases(self.book.all)
        dialog.save_requested.connect(self._save_phrase)
        dialog.delete_requested.connect(self._delete_phrase)
        dialog.finished.connect(lambda _: setattr(self, "phrases_dialog", None))
        self.phrases_dialog = dialog
        dialog.open()

    def _save_phrase(self, phrase: Phrase) -> None:
        async def go() -> None:
            await self.conn.set_phrase(phrase)
            await self.reload_phrases()

        self.conn.spawn(go())

    def _delete_phrase(self, key: str, scope: str) -> None:
        async def go() -> None:
            await self.conn.delete_phrase(key, scope)
            await self.reload_phrases()

        self.conn.spawn(go())

    # ------------------------------------------------------------ help and closing

    def _shortcuts(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle(tr("action.shortcuts").replace("&", ""))
        box.setText(tr("shortcuts.text"))
        box.open()

    def logout(self) -> None:
        """Log out (the token is revoked on the server) and close the window."""

        async def go() -> None:
            await self.conn.logout()
            self.close()

        self.conn.spawn(go())

    def _quit(self) -> None:
        self.close()  # the last window closed ends the session (app.DeskApp.close)
