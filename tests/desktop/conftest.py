"""Fixtures for the desktop client's tests: Qt offscreen, and an asyncio loop
on Qt's event loop (qasync) in which the real server, patients' SDK clients
and the real application all run.

The tests are plain synchronous pytest functions that run one coroutine to
completion on that loop; pytest-asyncio (and its uvloop loops, tests/conftest.py)
is not involved, so the rest of the suite is unaffected.
"""

from __future__ import annotations

import os

# Before anything imports Qt: no display here, and none needed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import gc
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync  # type: ignore[import-untyped]
from PySide6.QtWidgets import QApplication

from clients.desktop.app import readable_font
from clients.desktop.i18n import tr

SCREENSHOTS = os.environ.get("DESKTOP_SCREENSHOTS", "")


class QtLoop:
    """Runs a test's coroutine on the qasync loop, with a time limit."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def run(self, coro: Coroutine[Any, Any, None], timeout: float = 90.0) -> None:
        async def guarded() -> None:
            try:
                await asyncio.wait_for(coro, timeout)
            finally:
                # Pass or fail, nothing may outlive the story: pytest-qt
                # processes Qt events between test phases, outside this loop.
                await _shutdown()

        self.loop.run_until_complete(guarded())


async def _shutdown() -> None:
    for widget in QApplication.topLevelWidgets():
        widget.close()
        widget.deleteLater()
    await asyncio.sleep(0)
    current = asyncio.current_task()
    pending = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[QtLoop]:
    readable_font(qapp)
    qapp.setQuitOnLastWindowClosed(False)  # closing windows must not stop the loop
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield QtLoop(loop)
    finally:
        # Windows, then tasks, then the loop; all while the loop runs
        # (qasync's callbacks need a running loop).
        loop.run_until_complete(_shutdown())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)
        tr.set_language("sv")
        # Anything left unclosed (a socket) warns here, in this test, not at a
        # random later moment in someone else's.
        gc.collect()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: DESKTOP_SCREENSHOTS=docs/screenshots to refresh
    the README's pictures, else the test's temporary directory."""
    path = Path(SCREENSHOTS) if SCREENSHOTS else tmp_path / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
