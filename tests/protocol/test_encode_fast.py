"""``encode``'s fast path and ``encode_message`` give exactly the bytes of
the reflective ``to_wire`` walk, for flat frames and nested ones."""

from __future__ import annotations

import dataclasses

import msgpack
import pytest

from protocol.codec import decode_server, encode, encode_ack, encode_message, to_wire
from protocol.frames import Ack, Error, Frame, Limits, Me, Message, Page, Welcome

MSG = Message(
    room="r1",
    seq=7,
    cid="c-7",
    sender="u1",
    name="Åsa Öberg",
    role="patient",
    text="hej " * 40,
    ts=1_700_000_000_000,
)

FRAMES: list[Frame] = [
    Ack(re=3, room="r1", cid="c-7", seq=7, ts=1_700_000_000_000),
    MSG,
    dataclasses.replace(MSG, att="a1", kind="photo_request"),
    Error(code="busy", num=5002, message="retry shortly"),  # nil optionals left out
    Page(re=1, room="r1", msgs=(MSG, MSG), more=True),
    Welcome(
        v=1,
        me=Me(user="u1", kind="staff", name="S", roles=("nurse",), pools=("p1", "p2")),
        heartbeat=25,
        idle_timeout=90,
        limits=Limits(max_frame=65536, max_text=4000, rate=20, burst=40, max_subs=32),
        server_time=1_700_000_000_000,
    ),
]


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: type(f).__name__)
def test_encode_equals_the_reflective_walk(frame: Frame) -> None:
    assert encode(frame) == msgpack.packb(to_wire(frame), use_bin_type=True)
    assert decode_server(encode(frame)) == frame


@pytest.mark.parametrize("att", [None, "a1"])
def test_encode_message_equals_encode(att: str | None) -> None:
    m = Message(
        room="r1",
        seq=9,
        cid="x",
        sender="s1",
        name="Nina",
        role="staff",
        text="Hur mår du?",
        ts=1_700_000_000_123,
        att=att,
        kind="text" if att is None else "photo_request",
    )
    fields = (m.room, m.seq, m.cid, m.sender, m.name, m.role, m.text, m.ts, m.att, m.kind)
    assert encode_message(*fields) == encode(m)


def test_encode_ack_equals_encode() -> None:
    a = Ack(re=7, room="r1", cid="c-1", seq=12, ts=1_700_000_000_123)
    assert encode_ack(a.re, a.room, a.cid, a.seq, a.ts) == encode(a)


def test_the_kept_packer_is_empty_again_after_a_failure() -> None:
    from protocol.codec import _pack

    with pytest.raises(TypeError):
        _pack({"t": "msg", "room": "r1", "text": {"not", "packable"}})
    for frame in FRAMES:
        assert encode(frame) == msgpack.packb(to_wire(frame), use_bin_type=True)


def test_threads_encoding_at_once_each_get_their_own_bytes() -> None:
    import threading

    wrong: list[Frame] = []
    start = threading.Barrier(4)

    def encode_all() -> None:
        start.wait()
        for _ in range(300):
            for frame in FRAMES:
                if decode_server(encode(frame)) != frame:
                    wrong.append(frame)

    threads = [threading.Thread(target=encode_all) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []
