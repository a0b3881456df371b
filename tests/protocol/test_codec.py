"""Tests of protocol/codec.py, driven by the registries and field plans.

Every test is parametrised over CLIENT_FRAMES and SERVER_FRAMES (or over the
declared fields), and values come from tests/protocol/strategies.py, which
reads the field specs: a new frame or field is covered without touching this
file. The one per-frame list is ``MAY_EXCEED``, the frames whose largest valid
form does not fit in one frame; adding to it is a protocol decision.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import msgpack
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from protocol.codec import FieldPlan, decode_client, decode_server, encode, plan, to_wire
from protocol.errors import ErrorCode, ProtocolError
from protocol.fields import MAX_SAFE_INT, FieldError, Int, ListOf, MapOf, Nested, Scalar, Spec, Str
from protocol.frames import CLIENT_FRAMES, RECORDS, SERVER_FRAMES, Frame
from protocol.limits import MAX_FRAME_BYTES, MAX_REQ_ID, MAX_SERVER_FRAME_BYTES
from tests.protocol.strategies import (
    CHARS,
    INT64_MIN,
    UINT64_MAX,
    frames,
    from_record,
    invalid,
    maximal_record,
    minimal,
    wire_values,
)

Decoder = Callable[[bytes], Frame]

REGISTRIES: dict[str, dict[str, type[Frame]]] = {"client": CLIENT_FRAMES, "server": SERVER_FRAMES}
DECODERS: dict[str, Decoder] = {"client": decode_client, "server": decode_server}
OTHER = {"client": "server", "server": "client"}

# The largest frame each direction's decoder accepts.
LIMIT = {"client": MAX_FRAME_BYTES, "server": MAX_SERVER_FRAME_BYTES}

# Frames whose largest valid form is above the limit (a full history page of
# long messages, a full case list, a full page of long answers); the sender
# must keep them smaller (the server cuts pages and lists to a byte budget).
MAY_EXCEED = {("server", "page"), ("server", "case_list"), ("client", "answer")}

# A key no field can have (field names are identifiers).
PAD = "~pad"


def frame_params(keep: Callable[[type[Frame], str], bool] = lambda cls, d: True) -> list[Any]:
    return [
        pytest.param(direction, registry[t], id=f"{direction}-{t}")
        for direction, registry in REGISTRIES.items()
        for t in sorted(registry)
        if keep(registry[t], direction)
    ]


def field_params(keep: Callable[[FieldPlan], bool]) -> list[Any]:
    return [
        pytest.param(direction, registry[t], p.name, id=f"{direction}-{t}.{p.name}")
        for direction, registry in REGISTRIES.items()
        for t in sorted(registry)
        for p in plan(registry[t])
        if keep(p)
    ]


def declared_classes() -> list[type[Any]]:
    """Every frame and record class, including records only reachable through Nested."""
    found: set[type[Any]] = set()
    todo: list[type[Any]] = [*CLIENT_FRAMES.values(), *SERVER_FRAMES.values(), *RECORDS]
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.add(cls)
            todo += [nested.record for p in plan(cls) for nested in specs_inside(p.spec)]
    return sorted(found, key=lambda c: c.__name__)


def specs_inside(spec: Spec) -> list[Nested]:
    if isinstance(spec, ListOf):
        return specs_inside(spec.item)
    if isinstance(spec, MapOf):
        return specs_inside(spec.value)
    return [spec] if isinstance(spec, Nested) else []


FRAMES = frame_params()
FIELDS = field_params(lambda p: True)
REQUIRED_FIELDS = field_params(lambda p: p.required)
INT_FIELDS = field_params(lambda p: isinstance(p.spec, Int | Scalar))
WITH_OPTIONAL = frame_params(lambda cls, d: any(not p.required for p in plan(cls)))
# Frames whose type is unknown in the other direction.
ONE_WAY = frame_params(lambda cls, d: cls.TYPE not in REGISTRIES[OTHER[d]])


def examples(n: int) -> settings:
    """``n`` examples and no deadline: frames of hundreds of nested records are
    slow to draw on a busy machine, and timing is not what these tests check."""
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def pack(obj: Any) -> bytes:
    packed: bytes = msgpack.packb(obj, use_bin_type=True)
    return packed


def decode_error(decoder: Decoder, data: bytes) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        decoder(data)
    return info.value


def minimal_wire(cls: type[Frame]) -> dict[str, Any]:
    wire: dict[str, Any] = minimal(Nested(cls))
    return {"t": cls.TYPE, **wire}


def pad_to(wire: dict[str, Any], size: int) -> bytes:
    """``wire`` plus an unknown key whose value makes the encoding exactly ``size`` bytes."""
    base = len(pack({**wire, PAD: ""}))
    for n in range(max(0, size - base - 8), size - base + 1):
        data = pack({**wire, PAD: "x" * n})
        if len(data) == size:
            return data
    raise AssertionError(f"cannot pad {wire!r} to {size} bytes")


# ---------------------------------------------------------------- declarations


@pytest.mark.parametrize("cls", declared_classes(), ids=lambda c: c.__name__)
def test_declaration_is_consistent(cls: type[Any]) -> None:
    """What the codec relies on: frozen slotted classes, and defaults that survive
    the wire (a nil optional is left out, so it must decode back to its default)."""
    params = cls.__dataclass_params__
    assert params.frozen
    assert "__slots__" in cls.__dict__
    for p in plan(cls):
        if p.nullable:
            assert not p.required, f"{p.name}: nullable but required, nil cannot be sent"
            assert p.default is None, f"{p.name}: nil would decode as {p.default!r}"
        if not p.required and p.default is not None:
            assert p.spec.check(to_wire(p.default)) == p.default, f"{p.name}: bad default"


@pytest.mark.parametrize(("direction", "registry"), REGISTRIES.items())
def test_registry_keys_are_frame_types(direction: str, registry: dict[str, type[Frame]]) -> None:
    for t, cls in registry.items():
        assert t == cls.TYPE != ""
        assert issubclass(cls, Frame)


# ---------------------------------------------------------------- valid frames


@pytest.mark.parametrize(("direction", "cls"), FRAMES)
@examples(100)
@given(data=st.data())
def test_round_trip(direction: str, cls: type[Frame], data: st.DataObject) -> None:
    frame = data.draw(from_record(cls))
    encoded = encode(frame)
    if len(encoded) > LIMIT[direction]:
        assert (direction, cls.TYPE) in MAY_EXCEED, f"{len(encoded)} bytes"
        assert decode_error(DECODERS[direction], encoded).code is ErrorCode.frame_too_large
    else:
        decoded = DECODERS[direction](encoded)
        assert type(decoded) is cls
        assert decoded == frame


@pytest.mark.parametrize(("direction", "cls"), FRAMES)
def test_largest_frame_fits_or_is_rejected_as_too_large(direction: str, cls: type[Frame]) -> None:
    """Every string at its limit in 4-byte characters, every list full, every
    optional field set: the worst case a sender can legitimately produce."""
    frame = maximal_record(cls)
    encoded = encode(frame)
    if (direction, cls.TYPE) in MAY_EXCEED:
        assert len(encoded) > LIMIT[direction], "fits now: remove it from MAY_EXCEED"
        assert decode_error(DECODERS[direction], encoded).code is ErrorCode.frame_too_large
    else:
        assert len(encoded) <= LIMIT[direction]
        assert DECODERS[direction](encoded) == frame


@pytest.mark.parametrize(("direction", "cls"), FRAMES)
def test_frame_at_the_limit_decodes_one_byte_more_is_too_large(
    direction: str, cls: type[Frame]
) -> None:
    wire = minimal_wire(cls)
    decode = DECODERS[direction]
    assert type(decode(pad_to(wire, LIMIT[direction]))) is cls
    error = decode_error(decode, pad_to(wire, LIMIT[direction] + 1))
    assert error.code is ErrorCode.frame_too_large


@pytest.mark.parametrize("direction", DECODERS)
@examples(200)
@given(data=st.data())
def test_unknown_keys_are_ignored(direction: str, data: st.DataObject) -> None:
    """Additive changes keep the protocol version (frames.py), so old peers must
    read frames that carry fields they do not know."""
    frame = data.draw(frames(REGISTRIES[direction]))
    names = {p.name for p in plan(type(frame))} | {"t"}
    keys = st.one_of(st.text(CHARS, max_size=12), st.binary(max_size=4))
    extra = data.draw(
        st.dictionaries(keys.filter(lambda k: k not in names), wire_values(), max_size=4)
    )
    encoded = pack({**extra, **to_wire(frame)})
    if len(encoded) <= LIMIT[direction]:
        assert DECODERS[direction](encoded) == frame


@pytest.mark.parametrize(("direction", "cls"), WITH_OPTIONAL)
@examples(50)
@given(data=st.data())
def test_nil_for_an_optional_field_means_its_default(
    direction: str, cls: type[Frame], data: st.DataObject
) -> None:
    frame = data.draw(from_record(cls))
    optional = {p.name: p.default for p in plan(cls) if not p.required}
    chosen = data.draw(st.sets(st.sampled_from(sorted(optional)), min_size=1))
    wire = to_wire(frame) | dict.fromkeys(chosen)
    fields = {p.name: getattr(frame, p.name) for p in plan(cls)}
    expected = cls(**fields | {name: optional[name] for name in chosen})
    encoded = pack(wire)
    if len(encoded) <= LIMIT[direction]:
        assert DECODERS[direction](encoded) == expected


# ---------------------------------------------------------------- bad fields


def expected_req_id(wire: dict[str, Any], broken: str) -> int | None:
    """The decoder reports the request id when the frame's ``id`` itself is fine."""
    return None if broken == "id" else wire.get("id")


@pytest.mark.parametrize(("direction", "cls", "name"), FIELDS)
@examples(25)
@given(data=st.data())
def test_one_invalid_field_is_bad_field(
    direction: str, cls: type[Frame], name: str, data: st.DataObject
) -> None:
    """Too long, too short, out of range, wrong type, or broken deeper inside."""
    (spec,) = (p.spec for p in plan(cls) if p.name == name)
    wire = to_wire(data.draw(from_record(cls)))
    wire[name] = data.draw(invalid(spec))
    encoded = pack(wire)
    error = decode_error(DECODERS[direction], encoded)
    if len(encoded) > LIMIT[direction]:
        assert error.code is ErrorCode.frame_too_large
        return
    assert error.code is ErrorCode.bad_field, error
    assert error.field == name
    assert error.req_id == expected_req_id(wire, name)
    assert error.message.startswith(f"{cls.TYPE}.{name}")


@pytest.mark.parametrize(("direction", "cls", "name"), REQUIRED_FIELDS)
@examples(10)
@given(data=st.data(), as_nil=st.booleans())
def test_missing_required_field_is_bad_field(
    direction: str, cls: type[Frame], name: str, data: st.DataObject, as_nil: bool
) -> None:
    wire = to_wire(data.draw(from_record(cls)))
    if as_nil:
        wire[name] = None
    else:
        del wire[name]
    encoded = pack(wire)
    if len(encoded) > LIMIT[direction]:
        return
    error = decode_error(DECODERS[direction], encoded)
    assert error.code is ErrorCode.bad_field
    assert error.field == name
    assert error.req_id == expected_req_id(wire, name)


def test_integers_beyond_64_bits_cannot_even_be_packed() -> None:
    """MessagePack has no integer wider than 64 bits, so no peer can send one: the
    sender's msgpack fails with OverflowError and the decoder never sees it."""
    for value in (UINT64_MAX + 1, INT64_MIN - 1, 2**100):
        with pytest.raises(OverflowError):
            pack({"t": "ping", "id": value})
    assert pack(UINT64_MAX)[0] == 0xCF  # uint 64, the widest integer format
    assert pack(INT64_MIN)[0] == 0xD3  # int 64


@pytest.mark.parametrize(("direction", "cls", "name"), INT_FIELDS)
@pytest.mark.parametrize(
    "value", [MAX_SAFE_INT + 1, -MAX_SAFE_INT - 1, 2**63 - 1, INT64_MIN, UINT64_MAX]
)
def test_integers_beyond_2_53_are_bad_field(
    direction: str, cls: type[Frame], name: str, value: int
) -> None:
    """JavaScript clients lose precision above 2**53 (fields.py), so no spec allows it."""
    wire = minimal_wire(cls) | {name: value}
    error = decode_error(DECODERS[direction], pack(wire))
    assert error.code is ErrorCode.bad_field
    assert error.field == name


# ---------------------------------------------------------------- bad frames


@pytest.mark.parametrize("direction", DECODERS)
@examples(100)
@given(
    t=st.text(CHARS, max_size=50),
    req_id=st.one_of(st.integers(0, MAX_REQ_ID), wire_values()),
)
def test_unknown_type(direction: str, t: str, req_id: Any) -> None:
    assume(t not in REGISTRIES[direction])
    error = decode_error(DECODERS[direction], pack({"t": t, "id": req_id}))
    assert error.code is ErrorCode.unknown_type
    valid_id = type(req_id) is int and 0 <= req_id <= MAX_REQ_ID
    assert error.req_id == (req_id if valid_id else None)


@pytest.mark.parametrize(("direction", "cls"), ONE_WAY)
@examples(20)
@given(data=st.data())
def test_type_of_the_other_direction_is_unknown(
    direction: str, cls: type[Frame], data: st.DataObject
) -> None:
    """A server frame sent by a client (or the reverse) is not read by accident."""
    encoded = encode(data.draw(from_record(cls)))
    error = decode_error(DECODERS[OTHER[direction]], encoded)
    assert error.code in {ErrorCode.unknown_type, ErrorCode.frame_too_large}
    if len(encoded) <= LIMIT[OTHER[direction]]:  # the decoding side's limit applies
        assert error.code is ErrorCode.unknown_type


@pytest.mark.parametrize("direction", DECODERS)
@examples(100)
@given(obj=wire_values().filter(lambda v: not isinstance(v, dict)))
def test_not_a_map_is_bad_frame(direction: str, obj: Any) -> None:
    assert decode_error(DECODERS[direction], pack(obj)).code is ErrorCode.bad_frame


@pytest.mark.parametrize("direction", DECODERS)
@examples(100)
@given(obj=st.dictionaries(st.text(CHARS, max_size=8), wire_values(), max_size=5))
def test_map_without_t_is_bad_frame(direction: str, obj: dict[str, Any]) -> None:
    obj.pop("t", None)
    assert decode_error(DECODERS[direction], pack(obj)).code is ErrorCode.bad_frame


@pytest.mark.parametrize("direction", DECODERS)
@examples(100)
@given(t=wire_values().filter(lambda v: not isinstance(v, str)))
def test_non_string_t_is_bad_frame(direction: str, t: Any) -> None:
    """Including nil and the bytes b"ping": 't' must be a MessagePack str."""
    error = decode_error(DECODERS[direction], pack({"t": t, "id": 1}))
    assert error.code is ErrorCode.bad_frame


@pytest.mark.parametrize("direction", DECODERS)
@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xc1", id="never-used-byte"),
        pytest.param(b"\x81\xa1t\xa2\xff\xfe", id="invalid-utf8"),
        pytest.param(b"\x81\x01\xa1x", id="int-key"),
        pytest.param(b"\x81\xa1t\xa4ping\x00", id="trailing-bytes"),
        pytest.param(b"\x91" * 5000 + b"\xc0", id="nested-5000-deep"),
        pytest.param(b"\xdd\xff\xff\xff\xff", id="array-of-4g-items"),
        pytest.param(b"\xd4\xff\x00", id="bad-timestamp"),
    ],
)
def test_not_messagepack_is_bad_frame(direction: str, data: bytes) -> None:
    error = decode_error(DECODERS[direction], data)
    assert error.code is ErrorCode.bad_frame
    assert error.__cause__ is not None  # the msgpack failure is kept for logs


@pytest.mark.parametrize("cls", declared_classes(), ids=lambda c: c.__name__)
def test_every_declared_class_is_built_through_its_slots(cls: type[Any]) -> None:
    """No frame or record falls back to ``__init__`` (the slower path)."""
    from protocol.codec import _builder

    assert not isinstance(_builder(cls), functools.partial)


_POSTED: list[str] = []


@dataclass(frozen=True, slots=True)
class _Checked:
    name: Annotated[str, Str(max_len=8)]
    note: Annotated[str, Str(max_len=8)] = "none"

    def __post_init__(self) -> None:
        _POSTED.append(self.name)


def test_a_class_with_post_init_is_built_through_init() -> None:
    """What the generated builder would skip, it leaves to ``__init__``."""
    from protocol.codec import _builder, build_record

    _POSTED.clear()
    assert isinstance(_builder(_Checked), functools.partial)
    assert build_record(_Checked, {"name": "ok"}) == _Checked(name="ok")
    assert _POSTED == ["ok", "ok"]
    with pytest.raises(FieldError, match=r"^note: "):
        build_record(_Checked, {"name": "ok", "note": "far too long"})
    with pytest.raises(FieldError, match=r"^name: required$"):
        build_record(_Checked, {})
