"""What waiting patients are told: position, estimated wait, and whether a
pool still admits low-urgency cases (DESIGN rule 5; issue 3).

Positions are pushed coalesced: a tick every ``position_interval`` seconds
looks only at pools whose queue changed (or whose patients just connected)
and sends a ``position`` frame to a patient only when their position or
estimate changed. Estimates come from each pool's recent service rate (claims
per minute over a sliding window), falling back to a configured default.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TYPE_CHECKING

from chatserver.domain.urgency import Urgency
from protocol.codec import encode
from protocol.frames import Position

if TYPE_CHECKING:
    from chatserver.service.core import Service


class WaitingRoom:
    def __init__(self, svc: Service) -> None:
        self.svc = svc
        cfg = svc.config.queue
        self.window_ms = cfg.service_window_min * 60_000
        self.default_s = cfg.default_minutes_per_case * 60
        self.late_limit_ms = cfg.admission_late_min * 60_000
        self._claims: dict[str, deque[int]] = {}
        self._seen_versions: dict[str, int] = {}
        self._sent: dict[str, tuple[int, int, bool]] = {}  # case -> (position, wait bucket, open)
        self._refresh_users: set[str] = set()

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
            self.tick()

    def tick(self) -> int:
        """Push changed positions; returns how many frames were sent."""
        svc = self.svc
        hub = svc.hub
        sent = 0
        refresh = self._refresh_users
        self._refresh_users = set()
        now = svc.clock.now_ms()
        for pool, queue in svc.state.queues.items():
            changed = self._seen_versions.get(pool) != queue.version
            if not changed and not refresh:
                continue
            self._seen_versions[pool] = queue.version
            watchers = svc.queue_watchers.get(pool)
            if changed and watchers:
                from chatserver.service.staffwork import queue_frame

                data = queue_frame(svc, pool)
                for watcher in list(watchers.values()):
                    watcher.peer.push(data)
                    sent += 1
            if not len(queue):
                continue
            per_case = self.seconds_per_case(pool)
            until_open = max(0, svc.deadlines.next_opening(pool, now) - now) // 1000
            is_open = until_open == 0
            for position, w in enumerate(queue.entries(), start=1):
                case = svc.state.cases[w.case_id]
                users = [u for u in (case.patient_id, case.actor_id) if u in hub.users]
                if not users:
                    continue
                wait = int(until_open + position * per_case)
                bucket = wait // 30  # estimates move in 30 s steps, not every second
                key = (position, bucket, is_open)
                force = any(u in refresh for u in users)
                if not force and self._sent.get(case.id) == key:
                    continue
                self._sent[case.id] = key
                data = encode(Position(case=case.id, position=position, wait_s=wait, open=is_open))
                for u in set(users):
                    hub.to_user(u, data)
                    sent += 1
        return sent

    def forget(self, case_id: str) -> None:
        self._sent.pop(case_id, None)
