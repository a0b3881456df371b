"""What waiting patients are told: position, estimated wait, and whether a
pool still admits low-urgency cases (DESIGN rule 5; issue 3).

Positions are pushed coalesced: a tick every ``position_interval`` seconds
works out the position and estimate of every waiting case whose patient is
connected, and pushes a ``position`` frame only when what the patient was
last told is off by more than a display tolerance (``position_stale``,
``wait_stale``): positions up to 20 exactly, beyond that within 5%; estimates
within 10% or a minute. One claim moves everyone behind it by one place, so
pushing every change would cost a frame per waiting patient per claim
(~15 µs each: 100,000 waiting, 10 claims/s would need 15 cores); with a
relative tolerance a patient at place p is told again about every p/20
claims, so all patients together get about 20·ln(N) frames per claim
(docs/decisions/0004-scale.md). A tick looks only at cases with a connected
patient: with few of them it finds each one's place by bisection, with many
it walks the queue once.

Estimates come from each pool's recent service rate (claims per minute over
a sliding window), falling back to a configured default.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
from collections import deque
from typing import TYPE_CHECKING

from chatserver.domain.cases import CaseState
from chatserver.domain.queue import PoolQueue
from chatserver.domain.urgency import Urgency
from protocol.codec import encode
from protocol.frames import Position

if TYPE_CHECKING:
    from chatserver.service.core import Service

# Positions up to this are always told exactly; beyond it a shown position
# may be off by 1/POSITION_SLACK (5%) before it is pushed again.
EXACT_UP_TO = 20
POSITION_SLACK = 20
# A shown estimate may be off by a tenth, or by this many seconds, whichever is more.
WAIT_SLACK_S = 60
# When a pool's pace (seconds per case) moves by more than this share, every
# estimate is looked at again.
PACE_SLACK = 0.03
# Cases looked at per pool in one go by the running loop (~1 ms of work).
TELL_CHUNK = 64
# With fewer connected waiting cases than 1/BISECT_SHARE of the queue, each
# one's place is found by bisection (~5 µs); otherwise the queue is walked once.
BISECT_SHARE = 16


def position_stale(shown: int, now: int) -> bool:
    """Is a shown position too far from the position now to leave it?"""
    if shown == now:
        return False
    if shown <= EXACT_UP_TO or now <= EXACT_UP_TO:
        return True
    return abs(shown - now) * POSITION_SLACK > shown


def wait_stale(shown: int, now: int) -> bool:
    """Is a shown estimate (seconds) too far from the estimate now to leave it?"""
    return abs(shown - now) > max(WAIT_SLACK_S, shown // 10)


class WaitingRoom:
    def __init__(self, svc: Service) -> None:
        self.svc = svc
        cfg = svc.config.queue
        self.window_ms = cfg.service_window_min * 60_000
        self.default_s = cfg.default_minutes_per_case * 60
        self.late_limit_ms = cfg.admission_late_min * 60_000
        self._claims: dict[str, deque[int]] = {}
        self._seen_versions: dict[str, int] = {}
        self._sent: dict[str, tuple[int, int, bool]] = {}  # case -> (position, wait, open) told
        self._refresh_users: set[str] = set()
        # Waiting cases with a connected patient, by the queue version at
        # which each is looked at again (a heap per pool; _due holds the
        # current entry of each case, older ones are skipped).
        self._heaps: dict[str, list[tuple[int, str]]] = {}
        self._due: dict[str, int] = {}
        # Pace (s per case), seconds until opening and open flag the pool's
        # estimates were last all looked at with.
        self._basis: dict[str, tuple[float, int, bool]] = {}
        self._estimate: dict[str, tuple[float, int, bool]] = {}  # at the last tick
        self._forced: set[str] = set()  # cases whose patient just connected
        self.behind = False  # a budgeted tick left due cases for tell()

    # ------------------------------------------------------------ rates

    def claimed(self, pool: str, at: int) -> None:
        q = self._claims.setdefault(pool, deque(maxlen=10_000))
        q.append(at)

    def seconds_per_case(self, pool: str) -> float:
        now = self.svc.clock.now_ms()
        q = self._claims.get(pool)
        if q is not None:
            while q and q[0] < now - self.window_ms:
                q.popleft()
            if len(q) >= 3:
                return max(1.0, (now - q[0]) / 1000 / len(q))
        return self.default_s

    def wait_s(self, pool: str, position: int) -> int:
        now = self.svc.clock.now_ms()
        deadlines = self.svc.deadlines
        until_open = max(0, deadlines.next_opening(pool, now) - now) // 1000
        return int(until_open + position * self.seconds_per_case(pool))

    # ------------------------------------------------------------ admission

    def admits(self, pool: str, urgency: Urgency) -> bool:
        """Would a new case of this urgency be answered before its deadline,
        give or take the configured lateness? EDF lets every level go late
        together when arrivals outrun staff, so refuse U4-U6 before that."""
        if self.late_limit_ms <= 0 or urgency < Urgency.U4:
            return True
        now = self.svc.clock.now_ms()
        queue = self.svc.state.queue(pool)
        predicted = now + self.wait_s(pool, len(queue) + 1) * 1000
        deadline = self.svc.state.deadlines.deadline(pool, urgency, now)
        return predicted - deadline <= self.late_limit_ms

    # ------------------------------------------------------------ pushes

    def user_connected(self, user_id: str) -> None:
        self._refresh_users.add(user_id)

    async def run(self) -> None:
        interval = self.svc.config.queue.position_interval
        while True:
            await asyncio.sleep(interval)
            self.tick(TELL_CHUNK)
            while self.behind:
                # A large round of pushes (a pace change, many connects) goes
                # out in chunks, so commands in between wait ~1 ms, not seconds.
                await asyncio.sleep(0)
                self.tell(TELL_CHUNK)

    def _schedule(self, pool: str, case_id: str, version: int) -> None:
        """Look at ``case_id`` again once ``pool``'s queue reaches ``version``."""
        due = self._due.get(case_id)
        if due is not None and due <= version:
            return
        self._due[case_id] = version
        heapq.heappush(self._heaps.setdefault(pool, []), (version, case_id))

    def _arrived(self, pool: str, case_id: str) -> None:
        """A case joined ``pool``'s queue (PoolQueue.listener): tell it at the next tick."""
        self._schedule(pool, case_id, 0)

    def tick(self, budget: int | None = None) -> int:
        """Push positions that moved noticeably; returns how many frames were sent.

        A waiting case is looked at again only once its queue changed often
        enough that its position could have left the tolerance (each change
        moves a place by at most one), when it joins a queue, when its patient
        connects, and when the pool's pace or opening moved its estimate.
        With a ``budget``, at most that many cases per pool are looked at now
        and ``behind`` says whether ``tell`` has more to do.
        """
        svc = self.svc
        state = svc.state
        sent = 0
        refresh = self._refresh_users
        self._refresh_users = set()
        now = svc.clock.now_ms()
        for user_id in refresh:
            for case_id in state.by_user.get(user_id, ()):
                case = state.cases[case_id]
                if case.state is CaseState.queued:
                    self._forced.add(case_id)
                    self._schedule(case.pool, case_id, 0)
        watched: dict[str, dict[str, set[str]]] | None = None
        for pool, queue in state.queues.items():
            version = queue.version
            changed = self._seen_versions.get(pool) != version
            self._seen_versions[pool] = version
            watchers = svc.queue_watchers.get(pool)
            if changed and watchers:
                from chatserver.service.staffwork import queue_frame

                data = queue_frame(svc, pool)
                for watcher in list(watchers.values()):
                    watcher.peer.push(data)
                    sent += 1
            per_case = self.seconds_per_case(pool)
            until_open = max(0, svc.deadlines.next_opening(pool, now) - now) // 1000
            is_open = until_open == 0
            self._estimate[pool] = (per_case, until_open, is_open)
            basis = self._basis.get(pool)
            if (
                queue.listener is None
                or basis is None
                or abs(per_case - basis[0]) > PACE_SLACK * basis[0]
                or abs(until_open - basis[1]) > WAIT_SLACK_S
                or is_open != basis[2]
            ):
                # First sight of this queue, or every estimate moved: look at all.
                queue.listener = functools.partial(self._arrived, pool)
                self._basis[pool] = (per_case, until_open, is_open)
                if watched is None:
                    watched = self._watched()
                for case_id in watched.get(pool, ()):
                    self._schedule(pool, case_id, 0)
        return sent + self.tell(budget)

    def tell(self, budget: int | None = None) -> int:
        """Look at the due cases of every pool (at most ``budget`` per pool)."""
        sent = 0
        self.behind = False
        for pool, queue in self.svc.state.queues.items():
            estimate = self._estimate.get(pool)
            if estimate is not None:
                sent += self._tell(pool, queue, estimate, budget)
        return sent

    def _tell(
        self,
        pool: str,
        queue: PoolQueue,
        estimate: tuple[float, int, bool],
        budget: int | None,
    ) -> int:
        """Look at the cases of ``pool`` that are due; push those off by too much."""
        heap = self._heaps.get(pool)
        version = queue.version
        if not heap or heap[0][0] > version:
            return 0
        per_case, until_open, is_open = estimate
        svc = self.svc
        state = svc.state
        hub = svc.hub
        due_of = self._due
        due: dict[str, set[str]] = {}
        looked = 0
        while heap and heap[0][0] <= version:
            if budget is not None and looked >= budget:
                self.behind = True
                break
            at, case_id = heapq.heappop(heap)
            if due_of.get(case_id) != at:
                continue  # superseded by an earlier look
            del due_of[case_id]
            looked += 1
            if case_id not in queue:
                continue
            case = state.cases[case_id]
            users = {u for u in (case.patient_id, case.actor_id) if u in hub.users}
            if users:  # nobody connected: nothing to tell until they connect
                due[case_id] = users
        if not due:
            return 0
        if len(due) * BISECT_SHARE < len(queue):
            places = [(case_id, queue.position(case_id)) for case_id in due]
        else:
            places = [
                (case_id, place)
                for place, case_id in enumerate(queue.case_ids(), start=1)
                if case_id in due
            ]
        told = self._sent
        forced = self._forced
        sent = 0
        for case_id, position in places:
            wait = int(until_open + position * per_case)
            last = told.get(case_id)
            if (
                last is None
                or case_id in forced
                or last[2] != is_open
                or position_stale(last[0], position)
                or wait_stale(last[1], wait)
            ):
                forced.discard(case_id)
                last = told[case_id] = (position, wait, is_open)
                data = encode(Position(case=case_id, position=position, wait_s=wait, open=is_open))
                for u in due[case_id]:
                    hub.to_user(u, data)
                    sent += 1
            shown = last[0]
            if shown <= EXACT_UP_TO:
                changes = 1
            else:
                changes = max(1, shown // POSITION_SLACK + 1 - abs(position - shown))
            self._schedule(pool, case_id, version + changes)
        return sent

    def _watched(self) -> dict[str, dict[str, set[str]]]:
        """Pool -> waiting case -> its connected patient and actor (a guardian)."""
        state = self.svc.state
        out: dict[str, dict[str, set[str]]] = {}
        for user_id in self.svc.hub.users:
            for case_id in state.by_user.get(user_id, ()):
                case = state.cases[case_id]
                if case.state is CaseState.queued and user_id in (case.patient_id, case.actor_id):
                    out.setdefault(case.pool, {}).setdefault(case_id, set()).add(user_id)
        return out

    def forget(self, case_id: str) -> None:
        self._sent.pop(case_id, None)
