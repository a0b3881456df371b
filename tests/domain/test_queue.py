"""PoolQueue: the earliest-deadline-first waiting line of one pool.

The state machine drives two pools with random pushes, removals, pops of the
head, transfers between pools, re-triage (same enqueue time, new urgency and
deadline) and cancellations, and after every step compares both queues with a
plain model: a dict per pool sorted by the documented key (U1 band first, FIFO
by enqueue time; then by deadline; ties by push order).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from chatserver.domain.queue import PoolQueue, Waiting
from chatserver.domain.urgency import Urgency

MINUTE = 60_000
POOLS = ("nurse_1177", "vc_nurse")
QUEUED = [u for u in Urgency if u.queued]
# Short targets on a coarse enqueue grid, so equal deadlines (and equal U1
# enqueue times) happen often and the tie-break is exercised.
TARGET = {
    Urgency.U1: 15,
    Urgency.U2: 30,
    Urgency.U3: 60,
    Urgency.U4: 90,
    Urgency.U5: 120,
    Urgency.U6: 120,
}
slots = st.integers(min_value=0, max_value=8)
# Closed time before the target starts to run (staffed deadlines): a case
# that arrives when the pool is closed gets a later deadline than one that
# arrived after it, so deadlines do not follow enqueue order.
gaps = st.sampled_from([0, 0, 0, 45, 90])


def deadline(urgency: Urgency, enqueued: int, gap: int = 0) -> int:
    return enqueued + (gap + TARGET[urgency]) * MINUTE


def waiting(case_id: str, urgency: Urgency, enqueued: int, gap: int = 0) -> Waiting:
    return Waiting(case_id, urgency, enqueued, deadline(urgency, enqueued, gap))


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.queues = {pool: PoolQueue(pool) for pool in POOLS}
        # pool -> case id -> (entry, push number): the model
        self.model: dict[str, dict[str, tuple[Waiting, int]]] = {p: {} for p in POOLS}
        self.pushes = itertools.count()
        self.ids = itertools.count(1)
        self.versions = {pool: 0 for pool in POOLS}
        self.changed: set[str] = set()

    # -- model helpers ---------------------------------------------------

    def expected(self, pool: str) -> list[Waiting]:
        def key(item: tuple[Waiting, int]) -> tuple[int, int, int]:
            entry, tie = item
            if entry.urgency is Urgency.U1:
                return (0, entry.enqueued, tie)
            return (1, entry.deadline, tie)

        return [entry for entry, _ in sorted(self.model[pool].values(), key=key)]

    def do_push(self, pool: str, entry: Waiting) -> None:
        self.queues[pool].push(entry)
        self.model[pool][entry.case_id] = (entry, next(self.pushes))
        self.changed.add(pool)

    def do_remove(self, pool: str, case_id: str) -> Waiting:
        got = self.queues[pool].remove(case_id)
        want, _ = self.model[pool].pop(case_id)
        assert got == want
        self.changed.add(pool)
        return got

    def waiting_ids(self) -> list[tuple[str, str]]:
        return sorted((pool, cid) for pool in POOLS for cid in self.model[pool])

    def has_waiting(self) -> bool:
        return any(self.model[p] for p in POOLS)

    # -- rules -----------------------------------------------------------

    @rule(pool=st.sampled_from(POOLS), urgency=st.sampled_from(QUEUED), slot=slots, gap=gaps)
    def push(self, pool: str, urgency: Urgency, slot: int, gap: int) -> None:
        self.do_push(pool, waiting(f"c{next(self.ids)}", urgency, slot * 15 * MINUTE, gap))

    @precondition(has_waiting)
    @rule(data=st.data())
    def push_twice_is_refused(self, data: st.DataObject) -> None:
        pool, case_id = data.draw(st.sampled_from(self.waiting_ids()))
        entry, _ = self.model[pool][case_id]
        with pytest.raises(ValueError, match="already waits"):
            self.queues[pool].push(entry)

    @precondition(has_waiting)
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        pool, case_id = data.draw(st.sampled_from(self.waiting_ids()))
        self.do_remove(pool, case_id)

    @rule(pool=st.sampled_from(POOLS))
    def pop_head(self, pool: str) -> None:
        head = self.queues[pool].head()
        if head is None:
            assert not self.model[pool]
            return
        assert head == self.expected(pool)[0]
        self.do_remove(pool, head.case_id)

    @precondition(has_waiting)
    @rule(data=st.data())
    def transfer(self, data: st.DataObject) -> None:
        src, case_id = data.draw(st.sampled_from(self.waiting_ids()))
        dst = next(p for p in POOLS if p != src)
        entry = self.do_remove(src, case_id)
        self.do_push(dst, entry)

    @precondition(has_waiting)
    @rule(data=st.data(), urgency=st.sampled_from(QUEUED), gap=gaps)
    def retriage(self, data: st.DataObject, urgency: Urgency, gap: int) -> None:
        """New urgency, the ORIGINAL enqueue time, a recomputed deadline."""
        pool, case_id = data.draw(st.sampled_from(self.waiting_ids()))
        old = self.do_remove(pool, case_id)
        self.do_push(pool, waiting(case_id, urgency, old.enqueued, gap))

    @precondition(has_waiting)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        """The patient leaves: the case is removed wherever it waits."""
        _, case_id = data.draw(st.sampled_from(self.waiting_ids()))
        pool = next(p for p in POOLS if case_id in self.queues[p])
        self.do_remove(pool, case_id)

    @rule(pool=st.sampled_from(POOLS))
    def remove_unknown_is_refused(self, pool: str) -> None:
        with pytest.raises(KeyError):
            self.queues[pool].remove("nobody")

    # -- invariants ------------------------------------------------------

    @invariant()
    def version_moves_on_change_only(self) -> None:
        for pool, q in self.queues.items():
            if pool in self.changed:
                assert q.version > self.versions[pool]
            else:
                assert q.version == self.versions[pool]
            self.versions[pool] = q.version
        self.changed.clear()

    @invariant()
    def no_case_lost_or_duplicated(self) -> None:
        seen: list[str] = []
        for pool, q in self.queues.items():
            ids = [w.case_id for w in q.entries()]
            assert len(ids) == len(set(ids)) == len(q)
            assert set(ids) == set(self.model[pool])
            seen += ids
        assert len(seen) == len(set(seen)), "a case waits in two pools"

    @invariant()
    def summaries_match(self) -> None:
        for q in self.queues.values():
            entries = q.entries()
            counts: dict[Urgency, int] = {}
            for w in entries:
                counts[w.urgency] = counts.get(w.urgency, 0) + 1
            assert q.counts == counts
            assert q.earliest_deadline() == min((w.deadline for w in entries), default=None)
            earliest: dict[Urgency, int] = {}
            for w in entries:
                earliest[w.urgency] = min(earliest.get(w.urgency, w.deadline), w.deadline)
            assert q.earliest_deadlines() == earliest
            assert list(q.case_ids()) == [w.case_id for w in entries]

    @invariant()
    def matches_model(self) -> None:
        for pool, q in self.queues.items():
            want = self.expected(pool)
            got = q.entries()
            assert got == want
            assert len(q) == len(want)
            assert q.head() == (want[0] if want else None)
            for limit in (0, 1, 3):
                assert q.entries(limit) == want[:limit]
            for index, entry in enumerate(want):
                assert entry.case_id in q
                assert q.position(entry.case_id) == index + 1
                assert q.entry(entry.case_id) == entry

    @invariant()
    def order_is_band_then_deadline(self) -> None:
        for q in self.queues.values():
            entries = q.entries()
            bands = [0 if w.urgency is Urgency.U1 else 1 for w in entries]
            assert bands == sorted(bands)
            u1 = [w.enqueued for w in entries if w.urgency is Urgency.U1]
            rest = [w.deadline for w in entries if w.urgency is not Urgency.U1]
            assert u1 == sorted(u1)
            assert rest == sorted(rest)


QueueMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestQueueSequences = QueueMachine.TestCase


# -- examples ------------------------------------------------------------


def test_empty_queue() -> None:
    q = PoolQueue("vc_nurse")
    assert len(q) == 0
    assert q.head() is None
    assert q.entries() == []
    assert "c1" not in q
    with pytest.raises(KeyError):
        q.position("c1")
    assert q.version == 0


def test_u1_band_comes_first_even_with_a_later_deadline() -> None:
    q = PoolQueue("vc_nurse")
    early = waiting("u2", Urgency.U2, 0)  # deadline 30 min
    late_u1 = waiting("u1", Urgency.U1, 60 * MINUTE)  # deadline 75 min
    q.push(early)
    q.push(late_u1)
    assert [w.case_id for w in q.entries()] == ["u1", "u2"]
    assert q.position("u1") == 1
    assert q.position("u2") == 2


def test_u1_band_is_first_come_first_served() -> None:
    q = PoolQueue("vc_nurse")
    # Inside the band the deadline is ignored: enqueue time decides.
    q.push(Waiting("second", Urgency.U1, 10, deadline=0))
    q.push(Waiting("first", Urgency.U1, 5, deadline=10**9))
    assert [w.case_id for w in q.entries()] == ["first", "second"]


def test_urgent_case_jumps_ahead_but_an_old_one_keeps_its_place() -> None:
    q = PoolQueue("vc_nurse")
    q.push(waiting("old_u5", Urgency.U5, 0))  # deadline 120 min
    q.push(waiting("new_u2", Urgency.U2, 10 * MINUTE))  # deadline 40 min
    q.push(waiting("newer_u3", Urgency.U3, 100 * MINUTE))  # deadline 160 min
    assert [w.case_id for w in q.entries()] == ["new_u2", "old_u5", "newer_u3"]


def test_equal_deadlines_keep_push_order() -> None:
    q = PoolQueue("vc_nurse")
    for name, urgency, enqueued in [
        ("a", Urgency.U3, 0),  # deadline 60
        ("b", Urgency.U2, 30 * MINUTE),  # deadline 60
        ("c", Urgency.U3, 0),  # deadline 60
    ]:
        q.push(waiting(name, urgency, enqueued))
    assert [w.case_id for w in q.entries()] == ["a", "b", "c"]
    # Re-pushing "a" (re-triage to the same urgency) puts it after its equals.
    q.push(q.remove("a"))
    assert [w.case_id for w in q.entries()] == ["b", "c", "a"]


def test_refused_changes_leave_version_alone() -> None:
    q = PoolQueue("vc_nurse")
    q.push(waiting("a", Urgency.U3, 0))
    assert q.version == 1
    with pytest.raises(ValueError, match="already waits in vc_nurse"):
        q.push(waiting("a", Urgency.U2, 0))
    with pytest.raises(KeyError):
        q.remove("b")
    assert q.version == 1
    assert q.entries() == [waiting("a", Urgency.U3, 0)]
    q.remove("a")
    assert q.version == 2
    assert len(q) == 0
