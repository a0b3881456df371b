"""The message editor: ``/key`` followed by a space or Tab becomes the canned
phrase; keys still standing alone when the message is sent are expanded too.
While the user types, ``typing`` is signalled at most every 2 s (the
protocol's limit, PROTOCOL.md §4).

Tab moves focus on (keyboard users must be able to leave the editor) unless
it completes a phrase key.
"""

from __future__ import annotations

import re
import time

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from clients.desktop.phrases import KEY_AT_END, Context, PhraseBook

TYPING_EVERY_S = 2.0
TYPING_KEY = re.compile(r"(?:^|\s)/[\w.\-]{0,32}$")


class Compose(QPlainTextEdit):
    typing = Signal()
    prefix_changed = Signal(str)  # the "/ke" being typed (with its slash), or ""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.setPlaceholderText(accessible_name)
        self.setTabChangesFocus(True)
        self.book = PhraseBook()
        self.context = Context("", "", "")
        self._typed_at = 0.0
        self.textChanged.connect(self._changed)

    def set_phrases(self, book: PhraseBook, ctx: Context) -> None:
        self.book = book
        self.context = ctx

    def message(self) -> str:
        """The text to send: every standing ``/key`` expanded, trimmed."""
        return self.book.expand_all(self.toPlainText(), self.context).strip()

    def expand_at_cursor(self) -> bool:
        cursor = self.textCursor()
        before = self.toPlainText()[: cursor.position()]
        expanded = self.book.expand_last(before, self.context)
        if expanded is None:
            return False
        m = KEY_AT_END.search(before)
        assert m is not None
        cursor.movePosition(
            QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(m.group(0))
        )
        cursor.insertText(expanded[m.start() :])
        self.setTextCursor(cursor)
        return True

    def event(self, e: QEvent) -> bool:
        if (
            e.type() == QEvent.Type.KeyPress
            and isinstance(e, QKeyEvent)
            and e.key() == Qt.Key.Key_Tab
            and e.modifiers() == Qt.KeyboardModifier.NoModifier
            and self.expand_at_cursor()
        ):
            return True
        return super().event(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        if e.key() == Qt.Key.Key_Space and e.modifiers() == Qt.KeyboardModifier.NoModifier:
            self.expand_at_cursor()
        super().keyPressEvent(e)

    def _changed(self) -> None:
        before = self.toPlainText()[: self.textCursor().position()]
        m = TYPING_KEY.search(before)
        self.prefix_changed.emit(m.group(0).strip() if m else "")
        now = time.monotonic()
        if self.toPlainText() and now - self._typed_at >= TYPING_EVERY_S:
            self._typed_at = now
            self.typing.emit()
