"""Fuzzing the decoders: whatever the bytes, only documented errors come out.

The one rule (h11's fuzz/afl-server.py, websockets' fuzzing/): decode_client
and decode_server either return a frame of their own direction or raise
ProtocolError with one of the frame-level codes below. Any other exception
would reach the connection loop as a crash. Inputs are arbitrary bytes,
valid frames cut short or with bytes flipped, and well-formed MessagePack maps
that name real frame types but carry random values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.codec import decode_client, decode_server, encode, plan, to_wire
from protocol.errors import ErrorCode, ProtocolError
from protocol.frames import CLIENT_FRAMES, SERVER_FRAMES, Frame
from protocol.limits import MAX_FRAME_BYTES, MAX_REQ_ID
from tests.protocol.strategies import CHARS, any_frame, wire_values

# The codes the decoder documents (errors.py: "only ProtocolError leaves the decoder").
DECODE_ERRORS = {
    ErrorCode.bad_frame,
    ErrorCode.unknown_type,
    ErrorCode.bad_field,
    ErrorCode.frame_too_large,
}
DECODERS: list[tuple[Callable[[bytes], Frame], dict[str, type[Frame]]]] = [
    (decode_client, CLIENT_FRAMES),
    (decode_server, SERVER_FRAMES),
]
TYPES = sorted({*CLIENT_FRAMES, *SERVER_FRAMES})
FIELD_NAMES = sorted(
    {p.name for cls in [*CLIENT_FRAMES.values(), *SERVER_FRAMES.values()] for p in plan(cls)}
)

FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(data: bytes) -> None:
    """Feed ``data`` to both decoders and hold the rule."""
    for decode, registry in DECODERS:
        try:
            frame = decode(data)
        except ProtocolError as e:
            assert e.code in DECODE_ERRORS, e
            assert e.req_id is None or 0 <= e.req_id <= MAX_REQ_ID
            if e.code is ErrorCode.bad_field:
                obj = msgpack.unpackb(data, raw=False)
                assert e.field in {p.name for p in plan(registry[obj["t"]])}
            continue
        assert type(frame) is registry[frame.TYPE]
        # A decoded frame is a normal frame: it re-encodes to the same frame.
        again = encode(frame)
        if len(again) <= MAX_FRAME_BYTES:
            assert decode(again) == frame


def pack(obj: Any) -> bytes:
    packed: bytes = msgpack.packb(obj, use_bin_type=True)
    return packed


@FUZZ
@given(data=st.binary(max_size=512))
def test_arbitrary_bytes(data: bytes) -> None:
    check(data)


@FUZZ
@given(frame=any_frame(), cut=st.floats(0, 1, exclude_max=True))
def test_truncated_frames(frame: Frame, cut: float) -> None:
    """A frame arriving in pieces: no proper prefix of a frame is itself a frame."""
    encoded = encode(frame)
    prefix = encoded[: int(len(encoded) * cut)]
    for decode, _ in DECODERS:
        try:
            decode(prefix)
        except ProtocolError as e:
            assert e.code in {ErrorCode.bad_frame, ErrorCode.frame_too_large}
        else:
            raise AssertionError(f"prefix of {len(prefix)}/{len(encoded)} bytes decoded")


@FUZZ
@given(
    frame=any_frame(),
    flips=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8
    ),
)
def test_frames_with_bytes_flipped(frame: Frame, flips: list[tuple[float, int]]) -> None:
    data = bytearray(encode(frame))
    for where, byte in flips:
        data[int(len(data) * where)] = byte
    check(bytes(data))


@FUZZ
@given(
    t=st.sampled_from(TYPES),
    fields=st.dictionaries(
        st.one_of(st.sampled_from(FIELD_NAMES), st.text(CHARS, max_size=6)),
        wire_values(strict_keys=False),
        max_size=8,
    ),
)
def test_real_types_with_random_values(t: str, fields: dict[str, Any]) -> None:
    check(pack({**fields, "t": t}))


@FUZZ
@given(
    frame=any_frame(),
    changes=st.dictionaries(
        st.sampled_from(FIELD_NAMES),
        st.one_of(st.just(...), wire_values(strict_keys=False)),
        min_size=1,
        max_size=3,
    ),
)
def test_valid_frames_with_fields_replaced(frame: Frame, changes: dict[str, Any]) -> None:
    """Close to valid, so the checks deep inside nested records are reached
    (``...`` deletes the field)."""
    wire = to_wire(frame)
    for name, value in changes.items():
        if value is ...:
            wire.pop(name, None)
        else:
            wire[name] = value
    check(pack(wire))


@FUZZ
@given(obj=wire_values(strict_keys=False))
def test_random_messagepack(obj: Any) -> None:
    check(pack(obj))
