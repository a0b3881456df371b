"""Waiting for a condition that other tasks or processes make true."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(cond: Callable[[], bool], interval: float = 0.02) -> None:
    """Poll ``cond``; callers bound the wait with asyncio.wait_for."""
    while not cond():  # noqa: ASYNC110 - the condition is state of other tasks, not an event
        await asyncio.sleep(interval)
