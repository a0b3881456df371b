"""Room: numbered, idempotent, resumable messages (DESIGN rule 3).

The state machine posts from several senders with client ids drawn from a
small alphabet, so resends happen often; commits messages in order as the
store would; asks for resumes and moves read marks; and restarts the room the
way recovery does (restore_head, then load_cids from what is on disk). After
every step the room is compared with a model of what was posted and committed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from chatserver.domain.events import ChatMessage
from chatserver.domain.rooms import RECENT, Room

SENDERS = ("patient", "nurse", "physician")
senders = st.sampled_from(SENDERS)
cids = st.sampled_from("abcdef")


@dataclass(slots=True)
class Posted:
    """What the model knows about one message."""

    message: ChatMessage
    committed: bool = False


def post(room: Room, sender: str, cid: str, now: int) -> ChatMessage | tuple[int, int]:
    role = "patient" if sender == "patient" else "staff"
    text = f"{cid}@{now}"
    return room.post(
        sender=sender, name=sender.title(), role=role, cid=cid, text=text, att=None, now=now
    )


class RoomMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.room = Room("r1")
        self.clock = itertools.count(1_000)
        self.burst_ids = itertools.count()
        self.messages: list[Posted] = []  # index i holds seq i + 1
        self.reads: dict[str, int] = {}
        self.cids_loaded = True
        # The oldest seq that memory holds after a restart: nothing before it
        # can be served from memory.
        self.memory_from = 1

    # -- model helpers ---------------------------------------------------

    @property
    def head(self) -> int:
        return len(self.messages)

    @property
    def committed(self) -> int:
        return sum(1 for m in self.messages if m.committed)

    def by_cid(self, sender: str, cid: str) -> ChatMessage | None:
        for m in self.messages:
            if (m.message.sender, m.message.cid) == (sender, cid):
                return m.message
        return None

    def in_memory(self) -> list[ChatMessage]:
        kept = [
            m.message for m in self.messages if m.committed and m.message.seq >= self.memory_from
        ]
        return kept[-RECENT:]

    def has_uncommitted(self) -> bool:
        return self.committed < self.head

    def cids_missing(self) -> bool:
        return not self.cids_loaded

    def cids_present(self) -> bool:
        return self.cids_loaded

    # -- rules -----------------------------------------------------------

    def do_post(self, sender: str, cid: str) -> None:
        now = next(self.clock)
        head_before = self.room.head
        known = self.by_cid(sender, cid)
        got = post(self.room, sender, cid, now)
        if known is not None:
            assert got == (known.seq, known.ts), "a resend must get the original number"
            assert self.room.head == head_before
            return
        assert isinstance(got, ChatMessage)
        assert got.seq == head_before + 1 == self.head + 1
        assert (got.room, got.sender, got.cid, got.ts) == ("r1", sender, cid, now)
        self.messages.append(Posted(got))

    @precondition(cids_present)
    @rule(sender=senders, cid=cids)
    def post_message(self, sender: str, cid: str) -> None:
        self.do_post(sender, cid)

    @precondition(cids_present)
    @rule(n=st.integers(min_value=1, max_value=40))
    def burst(self, n: int) -> None:
        """Many new messages, committed at once: pushes old ones out of memory."""
        for _ in range(n):
            self.do_post("patient", f"burst-{next(self.burst_ids)}")
        while self.has_uncommitted():
            self.commit_next()

    @precondition(has_uncommitted)
    @rule()
    def commit_next(self) -> None:
        """The store commits in submission order, so messages commit by seq."""
        m = next(m for m in self.messages if not m.committed)
        self.room.mark_committed(m.message)
        m.committed = True

    @rule(after=st.integers(min_value=0, max_value=200))
    def resume(self, after: int) -> None:
        got = self.room.recent_after(after)
        want = [m.message for m in self.messages if m.committed and m.message.seq > after]
        if not want:
            assert got == []
            return
        memory = self.in_memory()
        covered = bool(memory) and memory[0].seq <= after + 1
        if covered:
            assert got == want
        else:
            assert got is None, "memory does not hold every message after this point"

    @rule(who=senders, seq=st.integers(min_value=-1, max_value=200))
    def move_read(self, who: str, seq: int) -> None:
        before = self.reads.get(who, 0)
        target = min(seq, self.committed)
        moved = self.room.move_read(who, seq)
        assert moved == (target > before)
        if moved:
            self.reads[who] = target
        assert self.room.reads.get(who, 0) == self.reads.get(who, 0)

    @rule()
    def restart(self) -> None:
        """The process restarts: only committed messages survive, read marks
        come back from their receipts, the cids stay on disk until loaded."""
        self.messages = [m for m in self.messages if m.committed]
        self.room = Room("r1")
        self.room.restore_head(self.head)
        for who, seq in self.reads.items():
            self.room.reads[who] = seq
        self.cids_loaded = self.head == 0
        self.memory_from = self.head + 1
        assert self.room.cids_complete == self.cids_loaded

    @precondition(cids_missing)
    @rule(sender=senders, cid=cids)
    def find_before_load_raises(self, sender: str, cid: str) -> None:
        with pytest.raises(RuntimeError, match="cids not loaded"):
            self.room.find(sender, cid)
        with pytest.raises(RuntimeError, match="cids not loaded"):
            post(self.room, sender, cid, next(self.clock))
        assert self.room.head == self.head

    @precondition(cids_missing)
    @rule()
    def load_cids(self) -> None:
        self.room.load_cids(
            [(m.message.sender, m.message.cid, m.message.seq, m.message.ts) for m in self.messages]
        )
        self.cids_loaded = True

    # -- invariants ------------------------------------------------------

    @invariant()
    def numbers_have_no_gaps(self) -> None:
        assert [m.message.seq for m in self.messages] == list(range(1, self.head + 1))
        assert self.room.head == self.head
        assert self.room.committed == self.committed
        assert self.room.committed <= self.room.head

    @invariant()
    def one_message_per_cid(self) -> None:
        keys = [(m.message.sender, m.message.cid) for m in self.messages]
        assert len(keys) == len(set(keys))
        if self.cids_loaded:
            for m in self.messages:
                assert self.room.find(m.message.sender, m.message.cid) == (
                    m.message.seq,
                    m.message.ts,
                )

    @invariant()
    def reads_never_pass_committed(self) -> None:
        for seq in self.room.reads.values():
            assert 0 < seq <= self.room.committed
        assert self.room.reads == self.reads

    @invariant()
    def memory_is_bounded_and_ordered(self) -> None:
        recent = list(self.room.recent)
        assert len(recent) <= RECENT
        assert recent == self.in_memory()


RoomMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=50, deadline=None)
TestRoomSequences = RoomMachine.TestCase


# -- examples ------------------------------------------------------------


def test_resend_gets_the_original_number() -> None:
    room = Room("r1")
    first = post(room, "patient", "x", 10)
    assert isinstance(first, ChatMessage)
    assert (first.seq, first.ts) == (1, 10)
    assert post(room, "patient", "x", 20) == (1, 10)
    # The same cid from another sender is another message.
    other = post(room, "nurse", "x", 30)
    assert isinstance(other, ChatMessage)
    assert other.seq == 2
    assert room.head == 2


def test_nothing_is_resumable_before_commit() -> None:
    room = Room("r1")
    msg = post(room, "patient", "x", 10)
    assert isinstance(msg, ChatMessage)
    assert room.recent_after(0) == []
    assert not room.move_read("nurse", 1)
    room.mark_committed(msg)
    assert room.recent_after(0) == [msg]
    assert room.move_read("nurse", 5)
    assert room.reads == {"nurse": 1}
    assert not room.move_read("nurse", 0)


def test_resume_beyond_memory_says_so() -> None:
    room = Room("r1")
    msgs = []
    for i in range(RECENT + 5):
        m = post(room, "patient", f"c{i}", i)
        assert isinstance(m, ChatMessage)
        room.mark_committed(m)
        msgs.append(m)
    # Memory holds the last RECENT: 6 .. RECENT + 5.
    assert room.recent_after(5) == msgs[5:]
    assert room.recent_after(4) is None
    assert room.recent_after(0) is None
    assert room.recent_after(RECENT + 5) == []


def test_restored_room_needs_its_cids() -> None:
    room = Room("r1", head=3)
    assert not room.cids_complete
    assert (room.head, room.committed) == (3, 3)
    with pytest.raises(RuntimeError, match="r1: cids not loaded"):
        room.find("patient", "a")
    with pytest.raises(RuntimeError):
        post(room, "patient", "a", 99)
    assert room.head == 3
    # Memory holds none of the three messages: resume must read the store.
    assert room.recent_after(0) is None
    assert room.recent_after(3) == []
    room.load_cids([("patient", "a", 1, 10), ("nurse", "b", 2, 20), ("patient", "c", 3, 30)])
    assert room.cids_complete
    assert post(room, "nurse", "b", 99) == (2, 20)
    new = post(room, "nurse", "d", 99)
    assert isinstance(new, ChatMessage)
    assert new.seq == 4


def test_restore_head_on_a_fresh_room() -> None:
    room = Room("r1")
    room.restore_head(0)
    assert room.cids_complete
    assert room.find("patient", "a") is None
    room.restore_head(7)
    assert not room.cids_complete
    assert (room.head, room.committed) == (7, 7)
    assert room.move_read("patient", 9)
    assert room.reads["patient"] == 7


def test_drop_cids_after_close() -> None:
    room = Room("r1")
    assert isinstance(post(room, "patient", "a", 1), ChatMessage)
    room.drop_cids()
    with pytest.raises(RuntimeError):
        room.find("patient", "a")
    empty = Room("r2")
    empty.drop_cids()
    assert empty.find("patient", "a") is None
