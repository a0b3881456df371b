"""Bytes in, frames out (and back): the only way frames cross the wire.

``decode_client`` / ``decode_server`` turn one WebSocket binary message into a
validated frame or raise ``ProtocolError``; nothing else escapes them, whatever
the bytes (a fuzz test holds this). ``encode`` turns a frame into bytes.
Validation is driven entirely by the field declarations in ``protocol.frames``.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import MemberDescriptorType, NoneType, UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

import msgpack

from protocol.errors import ErrorCode, ProtocolError
from protocol.fields import Bool, FieldError, Float, Int, OneOf, Scalar, Spec, Str
from protocol.frames import CLIENT_FRAMES, SERVER_FRAMES, Frame, Record
from protocol.limits import MAX_FRAME_BYTES, MAX_REQ_ID, MAX_SERVER_FRAME_BYTES


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """How one declared field is read, checked and documented."""

    name: str
    spec: Spec
    required: bool
    nullable: bool
    default: Any
    doc: str
    type_name: str


_PLANS: dict[type[Any], tuple[FieldPlan, ...]] = {}


def plan(cls: type[Any]) -> tuple[FieldPlan, ...]:
    """The field plans of a frame or record class, computed once."""
    cached = _PLANS.get(cls)
    if cached is not None:
        return cached
    hints = get_type_hints(cls, include_extras=True)
    plans = []
    for f in dataclasses.fields(cls):
        args = get_args(hints[f.name])
        base, extras = args[0], args[1:]
        spec = next((a for a in extras if isinstance(a, Spec)), None)
        doc = next((a for a in extras if isinstance(a, str)), "")
        if spec is None:
            raise TypeError(f"{cls.__name__}.{f.name} has no Spec")
        nullable = _is_optional(base)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default = None if required else f.default
        plans.append(FieldPlan(f.name, spec, required, nullable, default, doc, _type_name(base)))
    result = tuple(plans)
    _PLANS[cls] = result
    return result


def build_record(cls: type[Any], value: Any) -> Any:
    """Validate a decoded map against ``cls``'s declaration and build it.

    Raises FieldError whose message starts with the field path."""
    if type(value) is not dict:
        raise FieldError(f"expected map, got {type(value).__name__}")
    build = _BUILDERS.get(cls) or _builder(cls)
    return build(value)


# Per class: a function that checks a decoded map's fields and builds the
# instance, generated from the field plans (see _builder).
_BUILDERS: dict[type[Any], Callable[[dict[str, Any]], Any]] = {}


def _builder(cls: type[Any]) -> Callable[[dict[str, Any]], Any]:
    """The builder of ``cls``: the same checks, in the same order and with the
    same errors, as a loop over ``plan(cls)`` followed by ``cls(**fields)``,
    written out once per class as dataclasses writes ``__init__``. It sets the
    slots through their descriptors instead of calling the frozen class's
    ``__init__`` (one ``object.__setattr__`` per field): for ``send`` that
    makes decoding 2.9 → ~1.9 µs here (docs/decisions/0008-writer-thread.md).
    Where a field's spec has an inline test (``Spec.accepts``: a string of
    the right length, an int in range, one of the choices) the builder makes
    it itself and calls ``check`` only for a value it refuses: ~1.9 → ~1.7 µs
    (docs/decisions/0010-values-and-the-message-path.md).
    Frames and records have no ``__post_init__`` and no default factories;
    a class with either (or without slots) is built through ``__init__``."""
    plans = plan(cls)
    found = [getattr(cls, p.name, None) for p in plans]
    slots = [d for d in found if isinstance(d, MemberDescriptorType)]
    if (
        hasattr(cls, "__post_init__")
        or len(slots) != len(plans)
        or any(p.default is dataclasses.MISSING for p in plans)
    ):
        build = functools.partial(_build_by_init, cls, plans)
    else:
        env: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "FieldError": FieldError}
        lines = ["def build(value):", "    o = _new(_cls)"]
        for i, (p, slot) in enumerate(zip(plans, slots, strict=True)):
            env[f"_check{i}"], env[f"_set{i}"], env[f"_default{i}"] = (
                p.spec.check,
                slot.__set__,
                p.default,
            )
            missing = (
                f"raise FieldError({p.name + ': required'!r})"
                if p.required
                else f"_set{i}(o, _default{i})"
            )
            check = [
                "try:",
                f"    raw = _check{i}(raw)",
                "except FieldError as e:",
                f"    raise FieldError({p.name + ': '!r} + str(e)) from None",
            ]
            accepts = p.spec.accepts("raw")
            if accepts is not None:  # check only what the spec's test refuses
                check = [f"if not ({accepts}):", *("    " + line for line in check)]
            lines += [
                f"    raw = value.get({p.name!r})",
                "    if raw is None:",
                f"        {missing}",
                "    else:",
                *("        " + line for line in check),
                f"        _set{i}(o, raw)",
            ]
        lines.append("    return o")
        exec("\n".join(lines), env)  # made above from field names, ints and declared choices
        build = env["build"]
    _BUILDERS[cls] = build
    return build


def _build_by_init(cls: type[Any], plans: tuple[FieldPlan, ...], value: dict[str, Any]) -> Any:
    kwargs: dict[str, Any] = {}
    for p in plans:
        raw = value.get(p.name)
        if raw is None:
            if p.required:
                raise FieldError(f"{p.name}: required")
            continue
        try:
            kwargs[p.name] = p.spec.check(raw)
        except FieldError as e:
            raise FieldError(f"{p.name}: {e}") from None
    return cls(**kwargs)


def to_wire(value: Any) -> Any:
    """A frame or record as plain msgpack-able data; nil optionals are left out."""
    if isinstance(value, Frame | Record):
        out: dict[str, Any] = {}
        if isinstance(value, Frame):
            out["t"] = value.TYPE
        for p in plan(type(value)):
            v = getattr(value, p.name)
            if v is not None:
                out[p.name] = to_wire(v)
        return out
    if isinstance(value, tuple | list):
        return [to_wire(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    return value


# Specs whose values are plain msgpack scalars: ``encode`` copies them as they are.
_SCALAR_SPECS = (Str, OneOf, Int, Float, Bool, Scalar)
# Per frame class: its fields, each with "needs to_wire" (nested values, lists).
_WIRE: dict[type[Any], tuple[tuple[str, bool], ...]] = {}


def _wire_plan(cls: type[Any]) -> tuple[tuple[str, bool], ...]:
    wire = tuple((p.name, not isinstance(p.spec, _SCALAR_SPECS)) for p in plan(cls))
    _WIRE[cls] = wire
    return wire


_local = threading.local()


def _pack(obj: Any) -> bytes:
    """``msgpack.packb(obj, use_bin_type=True)`` with one Packer per thread:
    ``packb`` builds a new Packer on every call (an ack here: 0.78 µs against
    0.34 µs). A Packer that raised is empty again before its next use."""
    try:
        packer: msgpack.Packer = _local.packer
    except AttributeError:
        packer = _local.packer = msgpack.Packer(use_bin_type=True)
    packed: bytes = packer.pack(obj)
    return packed


def encode(frame: Frame) -> bytes:
    """The same bytes as ``packb(to_wire(frame))``, without walking scalar
    fields reflectively: it runs for every ack and message the server sends."""
    cls = type(frame)
    wire = _WIRE.get(cls) or _wire_plan(cls)
    out: dict[str, Any] = {"t": frame.TYPE}
    for name, deep in wire:
        v = getattr(frame, name)
        if v is not None:
            out[name] = to_wire(v) if deep else v
    return _pack(out)


def encode_message(
    room: str,
    seq: int,
    cid: str,
    sender: str,
    name: str,
    role: str,
    text: str,
    ts: int,
    att: str | None = None,
    kind: str = "text",
) -> bytes:
    """``encode(Message(...))`` without building the frame: the server sends
    one for every committed chat message (tests hold the bytes equal)."""
    out: dict[str, Any] = {
        "t": "msg",
        "room": room,
        "seq": seq,
        "cid": cid,
        "sender": sender,
        "name": name,
        "role": role,
        "text": text,
        "ts": ts,
    }
    if att is not None:
        out["att"] = att
    out["kind"] = kind
    return _pack(out)


def encode_ack(re: int, room: str, cid: str, seq: int, ts: int) -> bytes:
    """``encode(Ack(...))`` without building the frame: one for every chat
    message a client sends (tests hold the bytes equal)."""
    return _pack({"t": "ack", "re": re, "room": room, "cid": cid, "seq": seq, "ts": ts})


def decode_client(data: bytes) -> Frame:
    """A frame a client sent (server side)."""
    return _decode(data, CLIENT_FRAMES, MAX_FRAME_BYTES)


def decode_server(data: bytes) -> Frame:
    """A frame the server sent (client side)."""
    return _decode(data, SERVER_FRAMES, MAX_SERVER_FRAME_BYTES)


def _decode(data: bytes, registry: dict[str, type[Frame]], max_bytes: int) -> Frame:
    if len(data) > max_bytes:
        raise ProtocolError(
            ErrorCode.frame_too_large, f"frame of {len(data)} bytes exceeds {max_bytes}"
        )
    try:
        obj = msgpack.unpackb(data, raw=False, strict_map_key=True, use_list=True)
    except Exception as e:  # every msgpack failure is the peer's fault: name it, keep the cause
        raise ProtocolError(
            ErrorCode.bad_frame, f"not valid MessagePack: {type(e).__name__}"
        ) from e
    if type(obj) is not dict:
        raise ProtocolError(ErrorCode.bad_frame, "a frame must be a map")
    t = obj.get("t")
    if type(t) is not str:
        raise ProtocolError(ErrorCode.bad_frame, "a frame needs a string field 't'")
    cls = registry.get(t)
    req_id = obj.get("id")
    req_id = req_id if type(req_id) is int and 0 <= req_id <= MAX_REQ_ID else None
    if cls is None:
        err = ProtocolError(ErrorCode.unknown_type, f"unknown frame type {t[:40]!r}")
        err.req_id = req_id
        raise err
    try:
        frame: Frame = build_record(cls, obj)
    except FieldError as e:
        msg = str(e)
        err = ProtocolError(ErrorCode.bad_field, f"{t}.{msg}", field=msg.split(":", 1)[0])
        err.req_id = req_id
        raise err from None
    return frame


def _is_optional(tp: Any) -> bool:
    origin = get_origin(tp)
    return (origin is Union or origin is UnionType) and NoneType in get_args(tp)


def _type_name(tp: Any) -> str:
    if _is_optional(tp):
        inner = [a for a in get_args(tp) if a is not NoneType]
        return _type_name(inner[0]) + " | nil"
    origin = get_origin(tp)
    if origin is tuple:
        return f"array of {_type_name(get_args(tp)[0])}"
    return getattr(tp, "__name__", str(tp))
