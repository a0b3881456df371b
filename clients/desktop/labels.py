"""Labels that show text as text.

A QLabel guesses (Qt.TextFormat.AutoText) whether its text is HTML, so a
patient who writes ``<h1 style="color:red">U1</h1>`` as a complaint would
style the nurse's screen. Every label here is plain text; the one place that
builds rich text itself (escaped triage answers) says so explicitly.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


class PlainLabel(QLabel):
    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setText(text)
