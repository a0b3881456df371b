"""One case, as a tab: who and how urgent, the triage answers and outcome
with their provenance (EU MDR traceability), the patient's earlier cases of
the last 4 days, its bookings, the chat with the patient and the staff-only
thread.

Opening a case is a ``case_view`` (the server writes an audit row for it,
HSLF-FS 2016:40 4 kap. 9 §) and follows both rooms. The case's actions
(handover, consult, re-triage, booking, release, close) live here too; the window's
menu and shortcuts call them on the current tab.
"""

from __future__ import annotations

import html
import json
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clients.desktop import timefmt, urgency
from clients.desktop.chat_view import ChatView
from clients.desktop.compose import Compose
from clients.desktop.connection import ONLINE, Connection
from clients.desktop.dialogs import (
    BookingDialog,
    CloseDialog,
    ConsultDialog,
    PhotoDialog,
    RetriageDialog,
    TransferDialog,
)
from clients.desktop.i18n import TEXTS, kind_name, pool_name, tr
from clients.desktop.labels import PlainLabel
from clients.desktop.phrases import Context, PhraseBook, first_name
from protocol.frames import BookingInfo, CaseDetail, CaseInfo, TriageInfo, TypingS

OPEN_STATES = frozenset({"assigned", "active", "waiting", "reopened"})
TYPING_SHOWN_MS = 5_000  # PROTOCOL.md §4: show a typing indicator for ~5 s


def known_pools(mine: tuple[str, ...]) -> list[str]:
    """Pools to offer for handover and consult: the ones this client has names
    for and the user's own. The protocol has no list of a region's pools."""
    known = [k.removeprefix("pool.") for k in TEXTS if k.startswith("pool.")]
    return known + [p for p in mine if p not in known]


class CaseView(QWidget):
    finished = Signal(str, str)  # case id, what happened (the tab can close)
    status = Signal(str)  # a line for the status bar

    def __init__(self, conn: Connection, info: CaseInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.conn = conn
        self.info = info
        self.detail: CaseDetail | None = None
        self.bookings: dict[str, BookingInfo] = {}
        self.book = PhraseBook(pool=info.pool)
        self.dialog: QDialog | None = None  # the open action dialog (tests reach it here)
        # A handover, release or close is on its way: the case is leaving this
        # nurse, so what arrives meanwhile is not marked read (the server
        # would refuse, and log, a read mark from someone without access).
        self.leaving = False
        self.me = conn.me.user if conn.me is not None else ""
        self._build_header()
        left = self._build_left()
        chat_box = self._build_chat()
        staff_box = self._build_staff()
        right = self.right_split = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(chat_box)
        right.addWidget(staff_box)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([320, 480])
        self._build_actions()

        top = QHBoxLayout()
        top.addWidget(self.badge)
        top.addWidget(self.header, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(split, 1)
        layout.addLayout(self.actions_row)

        conn.room_changed.connect(self._room_changed)
        conn.status_changed.connect(self._status_changed)
        conn.send_failed.connect(self._send_failed)
        conn.booking_changed.connect(self._booking_changed)
        self.show_info(info)

    def _build_header(self) -> None:
        self.header = PlainLabel()
        self.header.setWordWrap(True)
        font = self.header.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.header.setFont(font)
        self.badge = PlainLabel()
        self.banner = PlainLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(
            "background-color: #fff3e0; color: #000000; padding: 6px; border: 1px solid #e65100;"
        )
        self.banner.hide()

    def _build_left(self) -> QTabWidget:
        """Triage and earlier cases."""
        self.triage = QWidget()
        self.triage_layout = QVBoxLayout(self.triage)
        self.triage_layout.addWidget(PlainLabel(tr("case.loading")))
        triage_scroll = QScrollArea()
        triage_scroll.setWidgetResizable(True)
        # Wrap to the column's width instead of scrolling sideways.
        triage_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        triage_scroll.setWidget(self.triage)
        self.earlier = QListWidget()
        self.earlier.setAccessibleName(tr("case.earlier"))
        self.earlier.setWordWrap(True)
        self.bookings_list = QListWidget()
        self.bookings_list.setAccessibleName(tr("booking.list"))
        self.bookings_list.setWordWrap(True)
        self.cancel_booking_button = QPushButton(tr("booking.cancel"))
        self.cancel_booking_button.clicked.connect(self.cancel_booking)
        bookings = QWidget()
        bookings_layout = QVBoxLayout(bookings)
        bookings_layout.addWidget(self.bookings_list, 1)
        bookings_layout.addWidget(self.cancel_booking_button)
        left = QTabWidget()
        left.addTab(triage_scroll, tr("case.triage"))
        left.addTab(self.earlier, tr("case.earlier"))
        left.addTab(bookings, tr("booking.list"))
        self.left_tabs = left
        return left

    def _build_chat(self) -> QGroupBox:
        """The patient chat: messages, typing, the editor, send and photo."""
        self.chat = ChatView(self.me, tr("case.chat"))
        self.chat.photo_needed.connect(self._load_photo)
        self.chat.photo_clicked.connect(self.show_photo)
        self.typing_label = PlainLabel()
        self.typing_label.setStyleSheet("color: #444444; font-style: italic;")
        self.typing_timer = QTimer(self)
        self.typing_timer.setSingleShot(True)
        self.typing_timer.timeout.connect(lambda: self.typing_label.setText(""))
        self.compose = Compose(tr("case.compose"))
        self.compose.setToolTip(tr("case.compose_hint"))
        self.compose.typing.connect(lambda: self.conn.typing(self.info.room))
        self.compose.prefix_changed.connect(self._phrase_hint)
        self.compose.setMaximumHeight(self.compose.fontMetrics().lineSpacing() * 4 + 16)
        self.hint = PlainLabel(tr("case.compose_hint"))
        self.hint.setWordWrap(True)
        self.send_button = QPushButton(tr("action.send"))
        self.send_button.clicked.connect(self.send_chat)
        self.photo_button = QPushButton(tr("action.photo"))
        self.photo_button.clicked.connect(self.request_photo)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.photo_button)
        buttons.addWidget(self.send_button)
        chat_box = QGroupBox(tr("case.chat"))
        chat_layout = QVBoxLayout(chat_box)
        chat_layout.addWidget(self.chat, 1)
        chat_layout.addWidget(self.typing_label)
        chat_layout.addWidget(self.compose)
        chat_layout.addLayout(buttons)
        return chat_box

    def _build_staff(self) -> QGroupBox:
        """The staff-only thread: notes and consult answers."""
        self.staff_chat = ChatView(self.me, tr("case.staff_thread"))
        self.note_edit = QPlainTextEdit()
        self.note_edit.setAccessibleName(tr("case.note_compose"))
        self.note_edit.setPlaceholderText(tr("case.note_compose"))
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setMaximumHeight(self.note_edit.fontMetrics().lineSpacing() * 3 + 16)
        self.note_button = QPushButton(tr("action.note"))
        self.note_button.clicked.connect(self.send_note)
        self.consultants = PlainLabel()
        note_row = QHBoxLayout()
        note_row.addWidget(self.note_edit, 1)
        note_row.addWidget(self.note_button)
        staff_box = QGroupBox(tr("case.staff_thread"))
        staff_layout = QVBoxLayout(staff_box)
        staff_layout.addWidget(self.staff_chat, 1)
        staff_layout.addWidget(self.consultants)
        staff_layout.addLayout(note_row)
        return staff_box

    def _build_actions(self) -> None:
        self.actions_row = QHBoxLayout()
        self.action_buttons: dict[str, QPushButton] = {}
        for key, slot in (
            ("transfer", self.open_transfer),
            ("consult", self.open_consult),
            ("retriage", self.open_retriage),
            ("book", self.open_booking),
            ("release", self.release),
            ("close_case", self.open_close),
        ):
            button = QPushButton(tr(f"action.{key}"))
            button.clicked.connect(slot)
            self.action_buttons[key] = button
            self.actions_row.addWidget(button)
        self.actions_row.addStretch(1)

    # ------------------------------------------------------------ data

    @property
    def case_id(self) -> str:
        return self.info.case

    @property
    def staff_room(self) -> str | None:
        return self.detail.staff_room if self.detail is not None else None

    @property
    def mine(self) -> bool:
        return self.info.assignee == self.me and self.info.state in OPEN_STATES

    async def load(self) -> None:
        """``case_view`` (audited), then follow the patient room and the
        staff thread from the last message seen in each."""
        self.detail = await self.conn.view(self.case_id)
        self.show_info(self.detail.case)
        self._show_triage(self.detail)
        self._show_earlier(self.detail)
        await self.conn.follow(self.info.room)
        if self.detail.staff_room:
            await self.conn.follow(self.detail.staff_room)
        self.refresh_rooms()
        for booking in await self.conn.bookings(self.case_id):
            self._booking_changed(booking)
        self._show_bookings()

    def set_phrases(self, book: PhraseBook) -> None:
        self.book = PhraseBook(book.all, pool=self.info.pool)
        me = self.conn.me
        ctx = Context(
            patient=first_name(self.info.subject),
            staff=me.name if me is not None else "",
            unit=pool_name(self.info.pool),
        )
        self.compose.set_phrases(self.book, ctx)

    def show_info(self, info: CaseInfo) -> None:
        was_mine = self.mine
        self.info = info
        age = self.detail.age if self.detail is not None else 0
        self.header.setText(
            tr(
                "case.header",
                name=info.subject,
                age=age,
                state=tr(f"state.{info.state}"),
                pool=pool_name(info.pool),
            )
        )
        self.badge.setText(urgency.label(info.urgency))
        self.badge.setStyleSheet(urgency.style_sheet(info.urgency))
        self.badge.setAccessibleName(urgency.label(info.urgency))
        mine = self.mine
        if not mine and info.state in OPEN_STATES | {"queued"} and info.assignee != self.me:
            if was_mine:
                self._banner(
                    tr("case.gone", state=tr(f"state.{info.state}"), pool=pool_name(info.pool))
                )
            else:
                self._banner(tr("case.not_yours"))
        elif info.state == "closed":
            self._banner(tr("case.gone", state=tr("state.closed"), pool=pool_name(info.pool)))
        else:
            self.banner.hide()
        for widget in (self.compose, self.send_button, self.photo_button):
            widget.setEnabled(mine)
        self.cancel_booking_button.setEnabled(mine)
        for button in self.action_buttons.values():
            button.setEnabled(mine)
        if not mine:  # a consultant's work is the staff thread: give it room
            self.right_split.setSizes([1, 1])
        # Consultants may write in the staff thread; so may the assignee.
        self.note_edit.setEnabled(info.state != "closed")
        self.note_button.setEnabled(info.state != "closed")

    def _banner(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.show()

    def _show_triage(self, d: CaseDetail) -> None:
        layout = self.triage_layout
        while layout.count():
            item = layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if d.case.complaint:
            layout.addWidget(_section(tr("case.complaint"), d.case.complaint))
        t = d.triage
        if t is None:
            layout.addWidget(
                _section(tr("case.triage"), tr("case.no_triage", entrance=d.case.entrance))
            )
        else:
            self._triage_parts(t)
        if d.consultants:
            self.consultants.setText(
                tr("case.consultants", names=", ".join(c.name for c in d.consultants))
            )
        layout.addStretch(1)

    def _triage_parts(self, t: TriageInfo) -> None:
        layout = self.triage_layout
        disposition = (
            tr(f"disposition.{t.disposition}")
            if tr.has(f"disposition.{t.disposition}")
            else t.disposition
        )
        outcome = PlainLabel(
            tr("case.outcome", urgency=urgency.label(t.urgency), disposition=disposition)
        )
        outcome.setStyleSheet(urgency.style_sheet(t.urgency))
        wrapping(outcome)
        layout.addWidget(outcome)
        if t.summary:
            layout.addWidget(_section(tr("case.summary"), t.summary))
        # Question above answer, wrapped: readable in a narrow column and by
        # screen readers, unlike a two-column table with elided cells.
        rows = "".join(
            f"<p><b>{html.escape(pair[0] if pair else '')}</b><br>"
            f"{html.escape(pair[1] if len(pair) > 1 else '')}</p>"
            for pair in t.answers
        )
        answers = wrapping(PlainLabel(rows))
        answers.setTextFormat(Qt.TextFormat.RichText)
        answers.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        answers.setAccessibleName(tr("case.answers"))
        box = QGroupBox(tr("case.answers"))
        QVBoxLayout(box).addWidget(answers)
        layout.addWidget(box)
        self.answers = answers
        layout.addWidget(_section(tr("case.provenance"), provenance_text(t.provenance), small=True))

    def _show_earlier(self, d: CaseDetail) -> None:
        self.earlier.clear()
        if not d.earlier:
            self.earlier.addItem(tr("case.no_earlier"))
            return
        for c in sorted(d.earlier, key=lambda c: c.created, reverse=True):
            self.earlier.addItem(
                tr(
                    "case.earlier_row",
                    when=timefmt.clock(c.created),
                    urgency=urgency.label(c.urgency),
                    state=tr(f"state.{c.state}"),
                    what=c.complaint or pool_name(c.pool),
                )
            )

    # ------------------------------------------------------------ rooms

    def detach(self) -> None:
        """Stop listening to the connection (before the tab is deleted)."""
        self.conn.room_changed.disconnect(self._room_changed)
        self.conn.status_changed.disconnect(self._status_changed)
        self.conn.send_failed.disconnect(self._send_failed)
        self.conn.booking_changed.disconnect(self._booking_changed)

    def _status_changed(self, _status: str) -> None:
        self.refresh_rooms()

    def _room_changed(self, room: str) -> None:
        if room in (self.info.room, self.staff_room):
            self.refresh_rooms()

    def refresh_rooms(self) -> None:
        online = self.conn.status == ONLINE
        for room, view in ((self.info.room, self.chat), (self.staff_room, self.staff_chat)):
            if room is None:
                continue
            seen = self.conn.room(room)
            messages = [seen.messages[s] for s in sorted(seen.messages)] if seen else []
            others = max(
                (seq for who, seq in self.conn.reads.get(room, {}).items() if who != self.me),
                default=0,
            )
            view.show_room(messages, self.conn.unsent(room), others, online)
            if seen is not None and seen.last and self.isVisible() and not self.leaving:
                self.conn.read(room, seen.last)

    def show_typing(self, t: TypingS) -> None:
        if t.room == self.info.room and t.who != self.me:
            self.typing_label.setText(tr("chat.typing", name=t.name))
            self.typing_timer.start(TYPING_SHOWN_MS)

    def _load_photo(self, att: str) -> None:
        async def load() -> None:
            data = await self.conn.attachment(att)
            image = QImage.fromData(data)
            for view in (self.chat, self.staff_chat):
                view.add_image(att, image)
            self.refresh_rooms()

        self.conn.spawn(load())

    def show_photo(self, att: str) -> None:
        image = self.chat.images.get(att) or self.staff_chat.images.get(att)
        if image is None:
            return
        self.dialog = PhotoDialog(image, self)
        self.dialog.open()

    def _phrase_hint(self, prefix: str) -> None:
        if not prefix:
            self.hint.setText(tr("case.compose_hint"))
            return
        found = self.book.starting_with(prefix[1:])
        listed = ", ".join(f"/{p.key}: {p.text[:40]}" for p in found[:5])
        self.hint.setText(tr("phrases.matches", list=listed or "–"))

    # ------------------------------------------------------------ chat actions

    def send_chat(self) -> None:
        text = self.compose.message()
        if not text or not self.mine:
            return
        self.conn.send(self.info.room, text)  # into the SDK's outbox, online or not
        self.compose.clear()
        self.compose.setFocus()

    def _send_failed(self, room: str, text: str) -> None:
        """A message the server refused for good goes back into the editor,
        so nothing typed is lost."""
        if room == self.info.room and not self.compose.toPlainText().strip():
            self.compose.setPlainText(text)

    def request_photo(self) -> None:
        if not self.mine:
            return
        text = self.compose.message() or tr("case.photo_default")

        async def ask() -> None:
            await self.conn.request_photo(self.info.room, text)
            self.status.emit(tr("case.photo_requested"))

        self.compose.clear()
        self.conn.spawn(ask())

    def send_note(self) -> None:
        text = self.note_edit.toPlainText().strip()
        room = self.staff_room
        if not text or room is None:
            return
        self.note_edit.clear()

        async def note() -> None:
            if self.mine:
                await self.conn.note(self.case_id, room, text)
                self.status.emit(tr("case.noted"))
            else:  # a consultant answers in the thread (ends the invitation)
                await self.conn.send(room, text)
                self.status.emit(tr("case.answered"))

        def failed(message: str) -> None:
            if not self.note_edit.toPlainText().strip():
                self.note_edit.setPlainText(text)
            self.status.emit(message)

        self.conn.spawn(note(), on_error=failed)

    def focus_note(self) -> None:
        self.note_edit.setFocus()

    def send_current(self) -> None:
        """Ctrl+Enter: send what is being written, the note if it has focus."""
        if self.note_edit.hasFocus():
            self.send_note()
        else:
            self.send_chat()

    # ------------------------------------------------------------ case actions

    def _open(self, dialog: QDialog, accepted: Any) -> None:
        self.dialog = dialog
        dialog.accepted.connect(accepted)
        dialog.open()

    def open_transfer(self) -> None:
        if not self.mine:
            return
        me = self.conn.me
        dialog = TransferDialog(known_pools(tuple(me.pools) if me else ()), self.info.pool, self)

        def done() -> None:
            pool, note = dialog.values()

            change = self.conn.transfer(self.case_id, pool, note)
            self._leave(change, tr("case.transferred", pool=pool_name(pool)))

        self._open(dialog, done)

    def open_consult(self) -> None:
        if not self.mine:
            return
        me = self.conn.me
        dialog = ConsultDialog(known_pools(tuple(me.pools) if me else ()), self.colleagues(), self)

        def done() -> None:
            staff, pool, question = dialog.values()

            async def go() -> None:
                await self.conn.consult(self.case_id, question, staff=staff, pool=pool)
                self.status.emit(tr("case.consulted"))

            self.conn.spawn(go())

        self._open(dialog, done)

    def colleagues(self) -> list[tuple[str, str]]:
        """Staff seen in this case's rooms and consultants: candidates to ask.
        (The protocol has no staff directory.)"""
        seen: dict[str, str] = {}
        if self.detail is not None:
            for c in self.detail.consultants:
                seen[c.user] = c.name
        for room in (self.info.room, self.staff_room):
            view = self.conn.room(room) if room else None
            for m in view.messages.values() if view else ():
                if m.role in ("staff", "consultant") and m.sender != self.me:
                    seen[m.sender] = m.name
        return sorted(seen.items(), key=lambda kv: kv[1])

    def open_retriage(self) -> None:
        if not self.mine:
            return
        dialog = RetriageDialog(self.info.urgency, self)

        def done() -> None:
            level, reason = dialog.values()

            async def go() -> None:
                info = await self.conn.retriage(self.case_id, level, reason)
                self.show_info(info)
                self.status.emit(tr("case.retriaged", urgency=urgency.label(info.urgency)))

            self.conn.spawn(go())

        self._open(dialog, done)

    def release(self) -> None:
        if not self.mine:
            return

        self._leave(self.conn.release(self.case_id), tr("case.released"))

    def _leave(self, change: Coroutine[Any, Any, CaseInfo], done: str) -> None:
        """Run a change that ends this nurse's work on the case, then close
        the tab saying ``done``; no read marks while it is on its way."""

        async def go() -> None:
            self.leaving = True
            try:
                info = await change
            finally:
                self.leaving = False
            self.show_info(info)
            self.finished.emit(self.case_id, done)

        self.conn.spawn(go())

    def open_close(self) -> None:
        if not self.mine:
            return
        booked = any(b.state == "active" for b in self.bookings.values())
        dialog = CloseDialog("booked" if booked else "advice", self)

        def done() -> None:
            outcome, note = dialog.values()

            change = self.conn.close_case(self.case_id, outcome, note)
            self._leave(change, tr("case.closed_done", outcome=tr(f"outcome.{outcome}")))

        self._open(dialog, done)

    # ------------------------------------------------------------ booking

    def _booking_changed(self, booking: BookingInfo) -> None:
        if booking.case == self.case_id:
            self.bookings[booking.booking] = booking
            self._show_bookings()

    def _show_bookings(self) -> None:
        self.bookings_list.clear()
        for b in sorted(self.bookings.values(), key=lambda b: b.slot.start):
            item = QListWidgetItem(
                tr(
                    "booking.row",
                    when=timefmt.span(b.slot.start, b.slot.end),
                    kind=kind_name(b.slot.kind),
                    unit=b.slot.unit,
                    state=tr(f"booking.{b.state}"),
                )
            )
            item.setData(Qt.ItemDataRole.UserRole, b.booking)
            self.bookings_list.addItem(item)
        if not self.bookings:
            self.bookings_list.addItem(tr("booking.empty"))

    def open_booking(self) -> None:
        if not self.mine:
            return
        me = self.conn.me
        roles = tuple(me.roles) if me is not None else ()
        kinds = [k.removeprefix("kind.") for k in TEXTS if k.startswith("kind.")]
        default = next((r for r in roles if r in kinds), "")
        dialog = BookingDialog(kinds, default, self)

        def search(kind: str) -> None:
            async def go() -> None:
                now = self.conn.now_ms()
                until = now + BookingDialog.DAYS * 86_400_000
                dialog.show_slots(await self.conn.slots(now, until, kind or None))

            self.conn.spawn(go())

        def done() -> None:
            slot = dialog.value()
            if slot is None:
                return

            async def go() -> None:
                b = await self.conn.book(self.case_id, slot)
                self.status.emit(tr("booking.booked", when=timefmt.span(b.slot.start, b.slot.end)))

            self.conn.spawn(go())

        dialog.search_requested.connect(search)
        self._open(dialog, done)
        dialog.search()

    def cancel_booking(self) -> None:
        item = self.bookings_list.currentItem()
        booking = self.bookings.get(str(item.data(Qt.ItemDataRole.UserRole))) if item else None
        if booking is None or booking.state != "active" or not self.mine:
            return

        async def go() -> None:
            b = await self.conn.cancel_booking(booking.booking)
            when = timefmt.span(b.slot.start, b.slot.end)
            self.status.emit(tr("booking.cancelled_done", when=when))

        self.conn.spawn(go())

    def title(self) -> str:
        return f"U{self.info.urgency} {self.info.subject}"


def wrapping(label: QLabel) -> QLabel:
    """A label that wraps to whatever width its column has. Without the
    explicit minimum, Qt's word-wrap heuristic makes labels in a scroll area
    wider than the area, and the text is cut at the right edge."""
    label.setWordWrap(True)
    label.setMinimumWidth(40)
    return label


def _section(title: str, text: str, small: bool = False) -> QGroupBox:
    box = QGroupBox(title)
    label = wrapping(PlainLabel(text))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if small:
        label.setStyleSheet("color: #333333;")
    QVBoxLayout(box).addWidget(label)
    return box


def provenance_text(raw: str) -> str:
    """The triage provenance (JSON from the server) as readable lines:
    plugin, questionnaire and rule versions, rules fired."""
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    if not isinstance(data, dict):
        return raw
    lines = []
    for key, value in data.items():
        if isinstance(value, list):
            shown = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            shown = ", ".join(f"{k}={v}" for k, v in value.items())
        else:
            shown = str(value)
        lines.append(f"{key}: {shown}")
    return "\n".join(lines)
