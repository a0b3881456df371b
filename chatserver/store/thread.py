"""The writer's own thread: one call at a time, handed over by a plain queue.

``Writer`` runs each transaction off the event loop so an fsync never stalls
it. ``loop.run_in_executor`` with a one-worker ``ThreadPoolExecutor`` did
that, but each hop through it (a concurrent future chained to an asyncio
one, the executor's bookkeeping) cost about as much as the commit itself on
a fast disk. This thread takes a call from a ``queue.SimpleQueue`` and
answers with one ``call_soon_threadsafe``. Timed alone, the hop to the
thread fell from 57-71 to 16-17 µs at the median and the hop back from
39-43 to 24-26 µs; through ``Writer``, a one-row commit with the database in
memory was answered at a median of 233-249 µs instead of 305-343 µs
(docs/decisions/0008-writer-thread.md).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any

_Call = tuple[Callable[[Any], None], Any, "asyncio.Future[None]"]


def _settle(fut: asyncio.Future[None], error: BaseException | None) -> None:
    if fut.done():  # cancelled meanwhile (the writer's task at shutdown)
        return
    if error is None:
        fut.set_result(None)
    else:
        fut.set_exception(error)


class WriterThread:
    """Runs ``fn(arg)`` calls one after another on a thread of its own; each
    call's future resolves on ``loop`` once it returned (or raised)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, name: str = "sqlite-writer") -> None:
        self._loop = loop
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        # A daemon: a server that ends without closing its writer must not
        # hang at exit; a transaction cut short there was never acknowledged,
        # and SQLite rolls it back when the file is next opened.
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def run(self, fn: Callable[[Any], None], arg: Any) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = self._loop.create_future()
        self._calls.put((fn, arg, fut))
        return fut

    def shutdown(self) -> None:
        """Stop after the calls already handed in; wait for the thread."""
        self._calls.put(None)
        self._thread.join()

    def _main(self) -> None:
        calls = self._calls
        while (call := calls.get()) is not None:
            fn, arg, fut = call
            error: BaseException | None = None
            try:
                fn(arg)
            except BaseException as e:  # handed to the loop, which decides
                error = e
            try:
                self._loop.call_soon_threadsafe(_settle, fut, error)
            except RuntimeError:  # the loop is closed: nobody waits any more
                return
            del call, fn, arg, fut, error
