"""Driving the real widgets as a user would: key events, clicks, waiting for
what the window shows.

Never call ``QApplication.processEvents()`` or ``QTest.qWait`` from a test
coroutine: they re-enter the qasync loop from inside a running task. Await
instead; the loop processes Qt's events between steps.

Text goes in as QKeyEvents made here: pytest-qt's ``keyClicks`` crashes the
process on å, ä and ö (shared/TOOLING.md), and this way every character,
Swedish or not, takes the path a keyboard's would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from tests.support.waiting import until

KEYS = {" ": Qt.Key.Key_Space, "\n": Qt.Key.Key_Return, "\t": Qt.Key.Key_Tab}


def type_text(widget: QWidget, text: str) -> None:
    """Type ``text`` into ``widget``, one key press and release per character."""
    widget.setFocus()
    for ch in text:
        if ch in KEYS:
            key = KEYS[ch]
        elif ch.isascii() and ch.isalnum():
            key = Qt.Key(ord(ch.upper()))
        else:
            key = Qt.Key.Key_unknown
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch)
            QApplication.sendEvent(widget, event)


async def shortcut(widget: QWidget, keys: str) -> None:
    """Press a key combination (``"Ctrl+N"``) on ``widget`` as the user would.

    Window shortcuts need the active window; activation is awaited, never
    forced with ``processEvents()``, which would run the asyncio loop's
    callbacks inside the running task and wedge qasync."""
    window = widget.window()
    if not window.isActiveWindow():
        window.activateWindow()
        await wait_for(window.isActiveWindow, f"{window} to become active")
    combo = QKeySequence(keys)[0]  # type: ignore[index]  # the stubs lack __getitem__
    QTest.keyClick(widget, combo.key(), combo.keyboardModifiers())


async def wait_for(cond: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    """Wait until ``cond()`` holds, failing with ``what`` after ``seconds``."""
    try:
        await asyncio.wait_for(until(cond, 0.02), seconds)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def screenshot(widget: QWidget, folder: Path, name: str) -> Path:
    await asyncio.sleep(0.05)  # let pending layouts and paints happen first
    path = folder / name
    assert widget.grab().save(str(path)), f"could not save {path}"
    return path
