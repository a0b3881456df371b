"""Text from patients and the server is shown as text, never as markup."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from clients.desktop.case_view import _section
from clients.desktop.labels import PlainLabel

DESKTOP = Path(__file__).resolve().parents[2] / "clients" / "desktop"
SPOOF = '<h1 style="color:red">RÖDA FLAGGOR: bröstsmärta – U1</h1>'


def test_a_complaint_in_html_is_shown_as_written(qapp: QApplication) -> None:
    box = _section("Besvär", SPOOF)
    (label,) = box.findChildren(PlainLabel)
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.text() == SPOOF


def test_no_label_guesses_whether_its_text_is_html() -> None:
    """Every label is a PlainLabel; rich text only where the code escapes it."""
    for source in DESKTOP.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        bare = re.findall(r"(?<![A-Za-z])QLabel\(", text)
        assert source.name == "labels.py" or not bare, source.name
