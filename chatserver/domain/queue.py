"""Earliest-deadline-first waiting queue of one pool (DESIGN rule 5).

Order: U1 cases form a strict top band, first come first served inside it
(shared/DOMAIN.md: "strict top band (FIFO inside)"); every other case is
ordered by its deadline, so urgent cases jump ahead yet nobody waits forever.
Ties break by enqueue order. A sorted list answers "position of case X" in
O(log n) (~5 µs among 100,000, shared/TOOLING.md), which a heap cannot.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sortedcontainers import SortedList

from chatserver.domain.urgency import Urgency

Key = tuple[int, int, int]  # (band, deadline or enqueue ms, tie-breaker)


@dataclass(frozen=True, slots=True)
class Waiting:
    case_id: str
    urgency: Urgency
    enqueued: int
    deadline: int


class PoolQueue:
    def __init__(self, pool: str) -> None:
        self.pool = pool
        self._sorted: SortedList = SortedList()
        self._keys: dict[str, Key] = {}
        self._entries: dict[str, Waiting] = {}
        self._tie = itertools.count()
        self.version = 0  # bumped on every change, so watchers can skip unchanged queues
        self.counts: dict[Urgency, int] = {}  # waiting cases by urgency, kept as they change
        # Called with the case id of every case pushed (the service's waiting room).
        self.listener: Callable[[str], None] | None = None

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, case_id: object) -> bool:
        return case_id in self._keys

    def push(self, entry: Waiting) -> None:
        if entry.case_id in self._keys:
            raise ValueError(f"case {entry.case_id} already waits in {self.pool}")
        if entry.urgency is Urgency.U1:
            key: Key = (0, entry.enqueued, next(self._tie))
        else:
            key = (1, entry.deadline, next(self._tie))
        self._keys[entry.case_id] = key
        self._entries[entry.case_id] = entry
        self._sorted.add((*key, entry.case_id))
        self.counts[entry.urgency] = self.counts.get(entry.urgency, 0) + 1
        self.version += 1
        if self.listener is not None:
            self.listener(entry.case_id)

    def remove(self, case_id: str) -> Waiting:
        key = self._keys.pop(case_id)
        self._sorted.remove((*key, case_id))
        self.version += 1
        entry = self._entries.pop(case_id)
        left = self.counts[entry.urgency] - 1
        if left:
            self.counts[entry.urgency] = left
        else:
            del self.counts[entry.urgency]
        return entry

    def head(self) -> Waiting | None:
        if not self._sorted:
            return None
        return self._entries[self._sorted[0][3]]

    def earliest_deadline(self) -> int | None:
        """The earliest deadline among waiting cases, without walking them all:
        outside the U1 band the order is by deadline, so only the band (U1,
        ordered by arrival) and the first case after it are looked at."""
        earliest: int | None = None
        for band, _, _, case_id in self._sorted:
            deadline = self._entries[case_id].deadline
            earliest = deadline if earliest is None else min(earliest, deadline)
            if band != 0:
                break
        return earliest

    def earliest_deadlines(self) -> dict[Urgency, int]:
        """The earliest deadline of each urgency that waits. Outside the U1
        band the order is by deadline, so the walk stops once every urgency
        in ``counts`` was seen: usually a few cases, not the whole queue."""
        out: dict[Urgency, int] = {}
        wanted = len(self.counts)
        for _, _, _, case_id in self._sorted:
            w = self._entries[case_id]
            seen = out.get(w.urgency)
            if seen is None or w.deadline < seen:
                out[w.urgency] = w.deadline
                if len(out) == wanted and w.urgency is not Urgency.U1:
                    break
        return out

    def position(self, case_id: str) -> int:
        """1-based place in line."""
        key = self._keys[case_id]
        return int(self._sorted.bisect_left((*key, case_id))) + 1

    def entry(self, case_id: str) -> Waiting:
        return self._entries[case_id]

    def case_ids(self) -> Iterator[str]:
        """Waiting case ids in claim order."""
        return (item[3] for item in self._sorted)

    def entries(self, limit: int | None = None) -> list[Waiting]:
        items = self._sorted if limit is None else self._sorted[:limit]
        return [self._entries[item[3]] for item in items]
