"""The one writer: group commit, order, bounds and fail-stop, on a real file.

A SQL function ``gate()`` holds the writer thread inside a batch until the
test opens it, so "submitted while a batch is in flight" is set up exactly,
without sleeping or timing anything.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chatserver.store import db, records
from chatserver.store.migrate import migrate
from chatserver.store.writer import Op, StoreBusy, StoreFailed, Writer

# Only a safety net so a broken writer fails the test instead of hanging it.
SAFETY_S = 30.0


class Gate:
    """``SELECT gate()`` blocks the writer thread, mid-transaction, until opened."""

    op: Op = ("SELECT gate()", ())

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        conn.create_function("gate", 0, self._wait)

    def _wait(self) -> int:
        self.entered.set()
        self.opened.wait(SAFETY_S)
        return 1

    async def reached(self) -> None:
        assert await asyncio.to_thread(self.entered.wait, SAFETY_S)

    def open(self) -> None:
        self.opened.set()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "chat.sqlite3"


@pytest.fixture
def conn(path: Path) -> Iterator[sqlite3.Connection]:
    c = db.connect(path)
    migrate(c)
    yield c
    c.close()


@pytest.fixture
def gate(conn: sqlite3.Connection) -> Gate:
    return Gate(conn)


WriterFactory = Callable[..., Writer]


@pytest.fixture
async def make_writer(conn: sqlite3.Connection, gate: Gate) -> AsyncIterator[WriterFactory]:
    writers: list[Writer] = []

    def make(**kwargs: Any) -> Writer:
        w = Writer(conn, **kwargs)
        w.start()
        writers.append(w)
        return w

    yield make
    gate.open()
    for w in writers:
        await w.close()


def user(n: int) -> Op:
    return records.user_insert(id=f"u{n}", kind="patient", name=f"Användare {n}", created=n)


def stored_users(path: Path) -> list[str]:
    """What another connection sees: only committed rows."""
    reader = db.connect(path, readonly=True)
    try:
        return [r[0] for r in reader.execute("SELECT id FROM users ORDER BY created")]
    finally:
        reader.close()


def track(futures: list[asyncio.Future[None]]) -> list[int]:
    """Indices of ``futures`` in the order they resolve."""
    order: list[int] = []

    def done(i: int) -> Callable[[asyncio.Future[None]], None]:
        return lambda _: order.append(i)

    for i, f in enumerate(futures):
        f.add_done_callback(done(i))
    return order


# -- group commit ------------------------------------------------------------


async def test_jobs_submitted_together_commit_together(
    make_writer: WriterFactory, path: Path
) -> None:
    batches: list[list[Any]] = []
    w = make_writer(on_commit=batches.append)
    futures = [w.submit([user(i)], payload=f"p{i}") for i in range(200)]
    order = track(futures)
    assert w.backlog == 200
    await asyncio.gather(*futures)
    assert w.stats.commits == 1
    assert list(w.stats.batch_sizes) == [200]
    assert order == list(range(200))
    assert batches == [[f"p{i}" for i in range(200)]]
    assert stored_users(path) == [f"u{i}" for i in range(200)]
    assert w.backlog == 0


async def test_nothing_is_released_before_commit(
    make_writer: WriterFactory, gate: Gate, path: Path
) -> None:
    batches: list[list[Any]] = []
    w = make_writer(on_commit=batches.append)
    first = w.submit([user(0), gate.op], payload="first")
    await gate.reached()
    # The first batch is inside its transaction; these queue behind it.
    rest = [w.submit([user(i)], payload=i) for i in range(1, 11)]
    order = track([first, *rest])
    await asyncio.sleep(0)
    assert not first.done()
    assert not any(f.done() for f in rest)
    assert stored_users(path) == []
    assert batches == []
    gate.open()
    await asyncio.gather(first, *rest)
    assert order == list(range(11))
    assert batches == [["first"], list(range(1, 11))]
    assert list(w.stats.batch_sizes) == [2, 10]
    assert stored_users(path) == [f"u{i}" for i in range(11)]


async def test_empty_job_resolves_after_earlier_ones(
    make_writer: WriterFactory, gate: Gate
) -> None:
    batches: list[list[Any]] = []
    w = make_writer(on_commit=batches.append)
    busy = w.submit([gate.op, user(1)], payload="write")
    await gate.reached()
    barrier = w.submit([], payload="barrier")
    gate.open()
    await barrier
    assert busy.done()
    assert batches == [["write"], ["barrier"]]
    # Together in one batch, the order still holds.
    futures = [w.submit([user(2)]), w.submit([]), w.submit([user(3)], payload="last")]
    order = track(futures)
    await asyncio.gather(*futures)
    assert order == [0, 1, 2]
    assert batches[-1] == ["last"]  # jobs without payload are not published


async def test_empty_job_alone_commits(make_writer: WriterFactory) -> None:
    w = make_writer()
    await w.write([])
    assert w.stats.commits == 1
    assert w.stats.last_batch == 0


async def test_max_batch_is_respected(make_writer: WriterFactory, gate: Gate, path: Path) -> None:
    w = make_writer(max_batch=10)
    first = w.submit([gate.op])
    await gate.reached()
    futures = [w.submit([user(3 * i), user(3 * i + 1), user(3 * i + 2)]) for i in range(10)]
    gate.open()
    await asyncio.gather(first, *futures)
    # Whole jobs only: three jobs of three make 9 <= 10, a fourth would pass it.
    assert list(w.stats.batch_sizes) == [1, 9, 9, 9, 3]
    assert len(stored_users(path)) == 30


async def test_a_job_larger_than_a_batch_commits_whole_and_alone(
    make_writer: WriterFactory, path: Path
) -> None:
    w = make_writer(max_batch=10)
    small = w.submit([user(0), user(1), user(2)])
    big = w.submit([user(n) for n in range(100, 115)])
    after = w.submit([user(3)])
    await asyncio.gather(small, big, after)
    assert list(w.stats.batch_sizes) == [3, 15, 1]
    assert len(stored_users(path)) == 19


async def test_busy_past_max_pending(make_writer: WriterFactory, path: Path) -> None:
    w = make_writer(max_pending=10)
    six = w.submit([user(n) for n in range(6)])
    with pytest.raises(StoreBusy):
        w.submit([user(n) for n in range(10, 15)])
    four = w.submit([user(n) for n in range(6, 10)])  # exactly the limit
    assert w.backlog == 10
    with pytest.raises(StoreBusy):
        w.submit([user(99)])
    await asyncio.gather(six, four)
    assert w.backlog == 0
    await w.write([user(n) for n in range(20, 30)])
    assert "u10" not in stored_users(path)  # a refused job is not kept
    assert len(stored_users(path)) == 20


async def test_a_cancelled_waiter_does_not_withdraw_its_write(
    make_writer: WriterFactory, path: Path
) -> None:
    w = make_writer()
    gone = w.submit([user(1)])
    gone.cancel()
    await w.write([user(2)])
    assert stored_users(path) == ["u1", "u2"]
    assert w.failed is None


async def test_callbacks_see_every_batch(make_writer: WriterFactory) -> None:
    seen: list[tuple[int, float]] = []
    w = make_writer(on_batch=lambda n, s: seen.append((n, s)))
    await asyncio.gather(w.submit([user(1), user(2)]), w.submit([user(3)]))
    [(n, seconds)] = seen
    assert n == 3
    assert seconds >= 0
    assert (w.stats.commits, w.stats.ops) == (1, 3)


async def test_a_failing_publisher_does_not_undo_the_commit(
    make_writer: WriterFactory, path: Path
) -> None:
    def publish(payloads: list[Any]) -> None:
        raise RuntimeError("subscriber broke")

    w = make_writer(on_commit=publish)
    await w.write([user(1)], payload="x")
    await w.write([user(2)], payload="y")
    assert w.failed is None
    assert stored_users(path) == ["u1", "u2"]


# -- fail-stop ---------------------------------------------------------------


async def test_failed_commit_stops_all_writes(
    make_writer: WriterFactory, gate: Gate, path: Path
) -> None:
    failures: list[BaseException] = []
    published: list[list[Any]] = []
    w = make_writer(max_batch=3, on_failure=failures.append, on_commit=published.append)
    first = w.submit([gate.op, user(0)], payload="ok")
    await gate.reached()
    fresh = w.submit([user(1)], payload="fresh")
    clash = w.submit([user(0)], payload="clash")  # same primary key as the first job
    queued = w.submit([user(5), user(6)], payload="queued")  # a batch of its own
    gate.open()
    await first
    for f in (fresh, clash, queued):
        with pytest.raises(StoreFailed, match="commit failed: IntegrityError"):
            await f
    [error] = failures
    assert isinstance(error, sqlite3.IntegrityError)
    assert w.failed is error
    assert published == [["ok"]]
    # The failed batch was rolled back whole; the one behind it never ran.
    assert stored_users(path) == ["u0"]
    with pytest.raises(StoreFailed, match="accepts no writes"):
        w.submit([user(7)])
    with pytest.raises(StoreFailed):
        await w.write([])
    await w.close()
    assert stored_users(path) == ["u0"]


# -- enqueue: no future -------------------------------------------------------


async def test_enqueued_jobs_publish_in_order_with_submitted_ones(
    make_writer: WriterFactory, gate: Gate, path: Path
) -> None:
    published: list[Any] = []
    w = make_writer(on_commit=published.extend)
    first = w.submit([gate.op], payload="first")
    await gate.reached()
    w.enqueue([user(1)], "a")
    assert published == [] and stored_users(path) == []  # nothing before its commit
    last = w.submit([user(2)], payload="b")
    w.enqueue([], "c")  # an empty job (a resent cid) waits behind the others
    gate.open()
    await first
    await last
    await w.write([])
    assert published == ["first", "a", "b", "c"]
    assert stored_users(path) == ["u1", "u2"]


async def test_enqueue_is_bounded_like_submit(make_writer: WriterFactory) -> None:
    w = make_writer(max_pending=1)
    w.enqueue([user(1)], "a")
    with pytest.raises(StoreBusy):
        w.enqueue([user(2)], "b")


async def test_lost_payloads_are_handed_back_after_the_failure(
    make_writer: WriterFactory, gate: Gate, path: Path
) -> None:
    calls: list[tuple[str, Any]] = []
    w = make_writer(
        max_batch=3,
        on_failure=lambda e: calls.append(("failure", type(e).__name__)),
        on_lost=lambda payloads: calls.append(("lost", payloads)),
        on_commit=lambda payloads: calls.append(("commit", payloads)),
    )
    first = w.submit([gate.op, user(0)], payload="ok")
    await gate.reached()
    w.enqueue([user(0)], "clash")  # same primary key as the first job
    w.enqueue([user(5), user(6)], "queued")  # in the same batch, rolled back with it
    behind = w.submit([user(7)], payload="with future")  # the next batch, never run
    w.enqueue([user(8)], None)  # no payload: nothing to hand back
    gate.open()
    await first
    with pytest.raises(StoreFailed, match="commit failed: IntegrityError"):
        await behind
    assert calls == [
        ("commit", ["ok"]),
        ("failure", "IntegrityError"),
        ("lost", ["clash", "queued"]),
    ]
    assert stored_users(path) == ["u0"]
    with pytest.raises(StoreFailed, match="accepts no writes"):
        w.enqueue([user(9)], "late")


# -- shutdown ----------------------------------------------------------------


async def test_close_flushes_what_is_queued(make_writer: WriterFactory, path: Path) -> None:
    w = make_writer(max_batch=7)
    futures = [w.submit([user(i)]) for i in range(50)]
    await w.close()
    assert all(f.done() and f.exception() is None for f in futures)
    assert len(stored_users(path)) == 50
    with pytest.raises(StoreFailed, match="shutting down"):
        w.submit([user(99)])


async def test_close_of_an_idle_writer(make_writer: WriterFactory) -> None:
    w = make_writer()
    await w.write([user(1)])
    await w.close()
    assert w.stats.commits == 1


# -- pacing under load ----------------------------------------------------------


async def test_busy_writer_paces_commits_so_the_next_batch_grows(
    make_writer: WriterFactory, path: Path
) -> None:
    # A pause far longer than the three submits below take, however loaded
    # the machine: without pacing the first would be committed on its own.
    w = make_writer(min_interval=0.5, busy_batch=2)
    await w.write([user(0), user(1)])  # a batch of two: busy
    jobs = []
    for n in (2, 3, 4):
        jobs.append(w.submit([user(n)]))
        await asyncio.sleep(0)  # the writer task gets its turn in between
    await asyncio.gather(*jobs)
    assert list(w.stats.batch_sizes) == [2, 3]
    assert stored_users(path) == ["u0", "u1", "u2", "u3", "u4"]


async def test_quiet_writer_commits_at_once(make_writer: WriterFactory) -> None:
    w = make_writer(min_interval=SAFETY_S, busy_batch=2)
    await w.write([user(0)])  # one operation: not busy
    await asyncio.wait_for(w.write([user(1)]), SAFETY_S / 2)  # not held for SAFETY_S
    assert list(w.stats.batch_sizes) == [1, 1]


async def test_a_full_queue_is_committed_without_a_pause(make_writer: WriterFactory) -> None:
    w = make_writer(min_interval=SAFETY_S, busy_batch=2, full_batch=3)
    await w.write([user(0), user(1)])  # busy: the next commit would be paced...
    three = w.submit([user(2), user(3), user(4)])  # ...but three already wait
    await asyncio.wait_for(three, SAFETY_S / 2)  # not held for SAFETY_S
    assert list(w.stats.batch_sizes) == [2, 3]


async def test_a_pause_ends_once_the_queue_is_full(make_writer: WriterFactory, path: Path) -> None:
    w = make_writer(min_interval=SAFETY_S, busy_batch=2, full_batch=3)
    await w.write([user(0), user(1)])
    first = w.submit([user(2)])
    await asyncio.sleep(0)  # the writer is now pausing before this batch
    assert not first.done()
    rest = w.submit([user(3), user(4)])  # three wait: the pause ends
    await asyncio.wait_for(asyncio.gather(first, rest), SAFETY_S / 2)
    assert list(w.stats.batch_sizes) == [2, 3]
    assert stored_users(path) == ["u0", "u1", "u2", "u3", "u4"]


async def test_closing_cuts_a_pause_short(make_writer: WriterFactory, path: Path) -> None:
    w = make_writer(min_interval=SAFETY_S, busy_batch=2)
    await w.write([user(0), user(1)])
    w.enqueue([user(2)], "late")
    await asyncio.sleep(0)  # the writer is now pausing before this batch
    await asyncio.wait_for(w.close(), SAFETY_S / 2)
    assert stored_users(path) == ["u0", "u1", "u2"]
