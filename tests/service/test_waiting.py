"""Position pushes (chatserver.service.waiting): who is told what, and when.

The waiting room runs on a real ``State`` with a fake clock; connected
patients are sessions whose peer records the frames pushed to it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import msgpack

from chatserver.config import Config
from chatserver.domain.cases import Case, CaseState
from chatserver.domain.clock import FakeClock
from chatserver.domain.deadlines import StaffedDeadlines
from chatserver.domain.principals import Principal
from chatserver.domain.state import State
from chatserver.domain.urgency import Urgency
from chatserver.service.hub import Hub
from chatserver.service.waiting import WaitingRoom, position_stale, wait_stale

POOL = "vc_nurse"
STAFF = Principal(user_id="s1", kind="staff", name="Nurse", pools=frozenset({POOL}))


class Peer:
    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    def push(self, data: bytes) -> None:
        self.frames.append(msgpack.unpackb(data, raw=False))


class Room:
    """A waiting room over ``n`` waiting cases, case i at place i + 1."""

    def __init__(self, n: int) -> None:
        self.clock = FakeClock()
        deadlines = StaffedDeadlines({})
        self.state = State(self.clock, lambda: "x", deadlines, max_cases_per_staff=10**6)
        self.hub = Hub()
        svc = SimpleNamespace(
            config=Config(),
            clock=self.clock,
            deadlines=deadlines,
            state=self.state,
            hub=self.hub,
            queue_watchers={},
        )
        self.waiting = WaitingRoom(cast(Any, svc))
        self.peers: dict[int, Peer] = {}
        now = self.clock.now_ms()
        for i in range(n):
            self.add(i, now - 10**6 + i)

    def add(self, i: int, deadline: int) -> None:
        now = self.clock.now_ms()
        self.state.restore_case(
            Case(
                id=f"c{i}",
                room=f"c{i}",
                patient_id=f"p{i}",
                actor_id=f"p{i}",
                entrance="vc_nurse",
                pool=POOL,
                state=CaseState.queued,
                urgency=Urgency.U5,
                complaint="test",
                created=now,
                enqueued=now,
                deadline=deadline,
            )
        )

    def connect(self, i: int) -> Peer:
        peer = self.peers[i] = Peer()
        self.hub.users[f"p{i}"] = {i: cast(Any, SimpleNamespace(peer=peer))}
        self.waiting.user_connected(f"p{i}")
        return peer

    def claim(self, n: int = 1) -> None:
        for _ in range(n):
            self.clock.advance(1)
            case, _ = self.state.claim(STAFF, None, POOL)
            self.waiting.claimed(POOL, self.clock.now_ms())
            self.waiting.forget(case.id)


def positions(peer: Peer) -> list[int]:
    return [f["position"] for f in peer.frames if f["t"] == "position"]


def test_tolerances() -> None:
    assert not position_stale(7, 7)
    assert position_stale(20, 19) and position_stale(21, 20)  # exact up to 20
    assert not position_stale(1000, 950) and position_stale(1000, 949)  # then 5%
    assert not wait_stale(100, 159) and wait_stale(100, 161)  # a minute
    assert not wait_stale(6000, 5400) and wait_stale(6000, 5399)  # or a tenth


def test_connected_patient_is_told_at_once_and_then_only_when_off() -> None:
    room = Room(2000)
    room.claim(5)  # the pool's pace is known: estimates will not all move at once
    near, far = room.connect(9), room.connect(1005)
    room.waiting.tick()
    assert positions(near) == [5] and positions(far) == [1001]
    room.waiting.tick()
    assert positions(near) == [5] and positions(far) == [1001]  # nothing changed
    room.claim(3)
    room.waiting.tick()
    assert positions(near) == [5, 2]  # exact near the head
    assert positions(far) == [1001]  # 998 is within 5% of 1001
    room.claim(50)  # far is at 948 now: more than 5% below what it was told
    room.waiting.tick()
    assert positions(far) == [1001, 948]
    assert positions(near)[-1] == 2  # claimed in the meantime, told nothing more


def test_reconnect_is_told_again_and_disconnected_are_not() -> None:
    room = Room(100)
    peer = room.connect(50)
    room.waiting.tick()
    del room.hub.users["p50"]
    room.claim(40)
    room.waiting.tick()
    assert positions(peer) == [51]
    again = room.connect(50)
    room.waiting.tick()
    assert positions(again) == [11]


def test_a_case_joining_the_queue_is_told_at_the_next_tick() -> None:
    room = Room(30)
    room.waiting.tick()  # the waiting room now follows the pool's queue
    peer = room.connect(99)
    room.waiting.tick()
    assert positions(peer) == []  # no case yet
    room.add(99, room.clock.now_ms())  # joins behind the others
    room.waiting.tick()
    assert positions(peer) == [31]


def test_a_budgeted_tick_leaves_the_rest_for_tell() -> None:
    room = Room(500)
    peers = [room.connect(i) for i in range(0, 500, 5)]
    sent = room.waiting.tick(budget=30)
    assert sent == 30 and room.waiting.behind
    while room.waiting.behind:
        sent += room.waiting.tell(30)
    assert sent == len(peers)
    assert all(len(positions(p)) == 1 for p in peers)
