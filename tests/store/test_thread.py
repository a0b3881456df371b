"""The writer's own thread: calls run in order, off the loop, and answer on it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import pytest

from chatserver.store.thread import WriterThread

# Only a safety net so a broken thread fails the test instead of hanging it.
SAFETY_S = 30.0


@pytest.fixture
async def thread() -> AsyncIterator[WriterThread]:
    t = WriterThread(asyncio.get_running_loop(), name="test-writer")
    yield t
    t.shutdown()


async def test_calls_run_in_order_on_one_other_thread(thread: WriterThread) -> None:
    seen: list[tuple[int, str]] = []

    def call(i: int) -> None:
        seen.append((i, threading.current_thread().name))

    futures = [thread.run(call, i) for i in range(50)]
    await asyncio.wait_for(asyncio.gather(*futures), SAFETY_S)
    assert [i for i, _ in seen] == list(range(50))
    assert {name for _, name in seen} == {"test-writer"}
    assert threading.current_thread().name != "test-writer"


async def test_an_error_reaches_the_caller_and_the_thread_goes_on(thread: WriterThread) -> None:
    def fail(_: object) -> None:
        raise ValueError("disk I/O error")

    ran: list[int] = []
    with pytest.raises(ValueError, match="disk I/O error"):
        await asyncio.wait_for(thread.run(fail, None), SAFETY_S)
    await asyncio.wait_for(thread.run(ran.append, 7), SAFETY_S)
    assert ran == [7]


async def test_a_cancelled_wait_does_not_stop_the_call_or_the_thread(
    thread: WriterThread,
) -> None:
    entered, release = threading.Event(), threading.Event()
    done: list[str] = []

    def slow(_: object) -> None:
        entered.set()
        release.wait(SAFETY_S)
        done.append("slow")

    fut = thread.run(slow, None)
    assert await asyncio.to_thread(entered.wait, SAFETY_S)
    fut.cancel()  # e.g. the writer's task cancelled at shutdown
    release.set()
    await asyncio.wait_for(thread.run(done.append, "next"), SAFETY_S)
    assert done == ["slow", "next"]
    assert fut.cancelled()


async def test_shutdown_finishes_what_was_handed_in() -> None:
    t = WriterThread(asyncio.get_running_loop())
    ran: list[int] = []
    for i in range(20):
        t.run(ran.append, i)
    t.shutdown()
    assert ran == list(range(20))
