"""The one writer: group commit on a thread of its own (DESIGN rules 1 and 2).

Commands hand in a list of SQL operations plus an opaque payload. The writer
task drains whatever has queued (up to ``max_batch`` operations), applies it
all in ONE transaction on its own thread, then, in submission order, hands
each payload to ``on_commit`` and releases every waiter at once. Throughput
comes from batching, not from weaker durability: nothing is acknowledged
before its transaction committed.

If a commit fails the writer stops for good (fail-stop): every pending and
later submit raises ``StoreFailed``, and ``on_failure`` tells the server so it
refuses writes and reports unhealthy. Memory may then be ahead of disk, so
the only way forward is a restart, which rebuilds memory from disk.

``enqueue`` is ``submit`` without a future, for commands whose only
follow-up is ``on_commit`` (a chat message's ack and fan-out): one Future and
one done-callback fewer per command. If its batch fails, its payload goes to
``on_lost`` (after ``on_failure``) so the request still gets an answer.

Under load the writer paces itself (``min_interval``, ``busy_batch``): once
a commit carried at least ``busy_batch`` operations, the next one starts no
sooner than ``min_interval`` after it started, so that a busy server makes
fewer, larger commits, unless ``full_batch`` operations already wait: a
batch that large gains little from growing, and under the heaviest load
(the writer never idle) a pause only left the event loop idle too: with it,
saturated, the server's core was 80% busy and passed 7% fewer messages at
the same CPU per message (docs/decisions/0008-writer-thread.md).

Pacing pays because a commit has a fixed cost (the fsync, the WAL's headers
and locks, two thread hand-offs, a write to each connection it answers) and
each room's index page is written once per commit however many of its
messages it carries. In one bench run it took the server from 84% to 60% of
a core at 7,500 messages/s and from 93% to 83% at 10,000, for a few ms more
median latency (docs/decisions/0006-messages-append-only.md). A quiet server (a lone
claim) never waits: its last commit was small.

Why a thread of our own rather than aiosqlite for writes: aiosqlite makes one
thread hop per statement; a batch mixes statements of several kinds, so one
hop per batch is what makes group commit pay (docs/decisions/0002-store-writer.md).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chatserver.store.thread import WriterThread

log = logging.getLogger("chatserver.store")

Op = tuple[str, Sequence[Any]]

# A batch is cut at this many operations so one commit stays a few ms
# (~40k rows/s here, so 2,000 rows ≈ 50 ms worst case) while a backlog drains.
DEFAULT_MAX_BATCH = 2000
# Pending operations beyond this make submit() refuse with busy: bounded memory.
DEFAULT_MAX_PENDING = 100_000
# Pacing under load (see above): off unless asked for; the server takes its
# settings from StoreConfig (chatserver/config.py).
DEFAULT_MIN_INTERVAL = 0.0
DEFAULT_BUSY_BATCH = 16
DEFAULT_FULL_BATCH = 64


class StoreFailed(Exception):
    """The store cannot commit; the server is in fail-stop."""


class StoreBusy(Exception):
    """Too much is waiting to be written; shed load."""


@dataclass(slots=True)
class _Job:
    ops: Sequence[Op]
    payload: Any
    future: asyncio.Future[None] | None


@dataclass(slots=True)
class WriterStats:
    commits: int = 0
    ops: int = 0
    last_batch: int = 0
    last_commit_s: float = 0.0
    batch_sizes: deque[int] = field(default_factory=lambda: deque(maxlen=1000))


def _resolve(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class Writer:
    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        on_commit: Callable[[list[Any]], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_batch: Callable[[int, float], None] | None = None,
        on_lost: Callable[[list[Any]], None] | None = None,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_pending: int = DEFAULT_MAX_PENDING,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        busy_batch: int = DEFAULT_BUSY_BATCH,
        full_batch: int = DEFAULT_FULL_BATCH,
    ) -> None:
        self._conn = conn
        self._thread: WriterThread | None = None  # started with the task
        self._queue: deque[_Job] = deque()
        self._pending_ops = 0
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pacing: asyncio.Future[None] | None = None
        self._on_commit = on_commit
        self._on_failure = on_failure
        self._on_batch = on_batch
        self._on_lost = on_lost
        self.max_batch = max_batch
        self.max_pending = max_pending
        self.min_interval = min_interval
        self.busy_batch = busy_batch
        self.full_batch = full_batch
        self.failed: BaseException | None = None
        self.closing = False
        self.stats = WriterStats()

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._thread = WriterThread(loop)
        self._task = loop.create_task(self._run(self._thread), name="store-writer")

    @property
    def backlog(self) -> int:
        return self._pending_ops

    def submit(self, ops: Sequence[Op], payload: Any = None) -> asyncio.Future[None]:
        """Queue ops for the next batch; the future resolves after COMMIT."""
        self._check(ops)
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._add(_Job(ops, payload, fut))
        return fut

    def enqueue(self, ops: Sequence[Op], payload: Any) -> None:
        """Queue ops for the next batch without a future: once committed the
        payload goes to ``on_commit`` like any other; if the batch fails it
        goes to ``on_lost`` (after ``on_failure``)."""
        self._check(ops)
        self._add(_Job(ops, payload, None))

    def _add(self, job: _Job) -> None:
        self._queue.append(job)
        self._pending_ops += len(job.ops)
        self._wakeup.set()
        if self._pacing is not None and self._pending_ops >= self.full_batch:
            self._end_pause()  # the batch is as large as pacing wants

    def _end_pause(self) -> None:
        pacing = self._pacing
        if pacing is not None and not pacing.done():
            pacing.set_result(None)

    def _check(self, ops: Sequence[Op]) -> None:
        if self.failed is not None:
            raise StoreFailed("storage has failed; the server accepts no writes")
        if self.closing:
            raise StoreFailed("the store is shutting down")
        if self._pending_ops + len(ops) > self.max_pending:
            raise StoreBusy(f"{self._pending_ops} operations already wait to be written")

    async def write(self, ops: Sequence[Op], payload: Any = None) -> None:
        await self.submit(ops, payload)

    async def close(self) -> None:
        """Flush everything queued, then stop the writer and its thread."""
        self.closing = True
        self._wakeup.set()
        self._end_pause()  # flush now, do not wait out the pause
        if self._task is not None:
            await self._task
        if self._thread is not None:
            self._thread.shutdown()

    async def _run(self, thread: WriterThread) -> None:
        loop = asyncio.get_running_loop()
        started_at = 0.0
        while True:
            if not self._queue:
                if self.closing or self.failed is not None:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if (
                self.stats.last_batch >= self.busy_batch
                and self._pending_ops < self.full_batch
                and not self.closing
            ):
                pause = started_at + self.min_interval - loop.time()
                if pause > 0:
                    await self._pause(loop, pause)  # let the next batch grow
            started_at = loop.time()
            jobs = self._take_batch()
            ops = [op for job in jobs for op in job.ops]
            started = time.perf_counter()
            try:
                await thread.run(self._apply, ops)
            except BaseException as e:
                self._fail(e, jobs)
                if not isinstance(e, Exception):
                    raise
                return
            elapsed = time.perf_counter() - started
            self._pending_ops -= len(ops)
            self.stats.commits += 1
            self.stats.ops += len(ops)
            self.stats.last_batch = len(ops)
            self.stats.last_commit_s = elapsed
            self.stats.batch_sizes.append(len(ops))
            if self._on_batch is not None:
                self._on_batch(len(ops), elapsed)
            if self._on_commit is not None:
                try:
                    self._on_commit([job.payload for job in jobs if job.payload is not None])
                except Exception:  # publishing must not undo a commit; log and go on
                    log.exception("on_commit callback failed")
            for job in jobs:
                fut = job.future
                if fut is not None and not fut.done():
                    fut.set_result(None)

    async def _pause(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        """Wait ``seconds``, or less if the writer is closed meanwhile."""
        pacing = self._pacing = loop.create_future()
        timer = loop.call_later(seconds, _resolve, pacing)
        try:
            await pacing
        finally:
            timer.cancel()
            self._pacing = None

    def _take_batch(self) -> list[_Job]:
        jobs = [self._queue.popleft()]
        n = len(jobs[0].ops)
        while self._queue and n + len(self._queue[0].ops) <= self.max_batch:
            job = self._queue.popleft()
            n += len(job.ops)
            jobs.append(job)
        return jobs

    def _apply(self, ops: list[Op]) -> None:
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Consecutive operations with the same SQL go through executemany,
            # which reuses one prepared statement.
            i, n = 0, len(ops)
            while i < n:
                sql = ops[i][0]
                j = i + 1
                while j < n and ops[j][0] is sql:
                    j += 1
                if j - i == 1:
                    conn.execute(sql, ops[i][1])
                else:
                    conn.executemany(sql, [op[1] for op in ops[i:j]])
                i = j
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def _fail(self, error: BaseException, jobs: list[_Job]) -> None:
        self.failed = error
        log.critical("STORE COMMIT FAILED, server stops accepting writes: %r", error)
        failure = StoreFailed(f"commit failed: {type(error).__name__}")
        lost = []
        for job in [*jobs, *self._queue]:
            fut = job.future
            if fut is None:
                if job.payload is not None:
                    lost.append(job.payload)
            elif not fut.done():
                fut.set_exception(failure)
        self._queue.clear()
        if self._on_failure is not None:
            self._on_failure(error)
        if lost and self._on_lost is not None:
            self._on_lost(lost)
