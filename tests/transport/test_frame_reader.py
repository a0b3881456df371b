"""Binary frames read without websockets' parser (chatserver/transport/
frame_reader.py): whole payloads in order however the bytes are split;
pings and pongs passed to uvicorn one at a time; anything else, and all
after it, given back to uvicorn; and on the real server, the same."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from websockets.asyncio.client import ClientConnection, connect
from websockets.frames import Frame, Opcode
from websockets.protocol import State

from chatserver.transport.frame_reader import FrameReader, frame_limit, read_frames
from clients.sdk import login_patient
from protocol import codec
from protocol.errors import CloseCode
from protocol.frames import Frame as ChatFrame
from protocol.frames import Hello, Ping, Pong, Welcome
from tests.support.server import PATIENT, running_server, uvicorn_connection

LIMIT = 70_000


def masked(opcode: Opcode, data: bytes, *, fin: bool = True) -> bytes:
    return Frame(opcode, data, fin=fin).serialize(mask=True, extensions=[])


class Transport:
    def __init__(self) -> None:
        self.protocol: Any = None

    def set_protocol(self, protocol: Any) -> None:
        self.protocol = protocol


class Conn:
    def __init__(self) -> None:
        self.state = State.OPEN


class Proto:
    """What FrameReader uses of uvicorn's protocol; records what it is given."""

    def __init__(self) -> None:
        self.transport = Transport()
        self.conn = Conn()
        self.close_sent = False
        self.given: list[bytes] = []
        self.calls: list[str] = []

    def data_received(self, data: bytes) -> None:
        self.given.append(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.calls.append(f"lost:{exc!r}")

    def eof_received(self) -> bool | None:
        self.calls.append("eof")
        return None

    def pause_writing(self) -> None:
        self.calls.append("pause")

    def resume_writing(self) -> None:
        self.calls.append("resume")


def reader() -> tuple[FrameReader, Proto, list[bytes]]:
    proto = Proto()
    got: list[bytes] = []
    r = FrameReader(proto, got.append, LIMIT)
    proto.transport.protocol = r
    return r, proto, got


def feed(r: FrameReader, data: bytes, cuts: list[int]) -> None:
    last = 0
    for cut in sorted(set(cuts)):
        r.data_received(data[last:cut])
        last = cut
    r.data_received(data[last:])


# Payload sizes across the three length encodings (7-bit, 16-bit, 64-bit),
# the contents made from a seed: drawing 64 KiB of bytes from hypothesis
# itself exceeds its data budget (HealthCheck.data_too_large).
sizes = st.one_of(st.integers(0, 300), st.integers(65_530, 65_540))
payloads = st.lists(
    st.builds(lambda n, seed: random.Random(seed).randbytes(n), sizes, st.integers(0, 2**32)),
    max_size=6,
)


@given(payloads, st.lists(st.integers(min_value=1, max_value=400_000), max_size=12))
def test_payloads_arrive_whole_and_in_order_however_the_bytes_are_split(
    data: list[bytes], cuts: list[int]
) -> None:
    r, proto, got = reader()
    stream = b"".join(masked(Opcode.BINARY, d) for d in data)
    feed(r, stream, [c for c in cuts if c < len(stream)])
    assert got == data
    assert proto.given == [] and proto.transport.protocol is r


def test_a_ping_goes_to_uvicorn_whole_and_reading_goes_on() -> None:
    r, proto, got = reader()
    ping, pong = masked(Opcode.PING, b"hi"), masked(Opcode.PONG, b"")
    stream = masked(Opcode.BINARY, b"a") + ping + pong + masked(Opcode.BINARY, b"b")
    feed(r, stream, [3, 9])
    assert got == [b"a", b"b"]
    assert proto.given == [ping, pong]
    assert proto.transport.protocol is r


def test_other_frames_and_all_after_them_are_given_back() -> None:
    for odd in (
        masked(Opcode.TEXT, b"hej"),
        masked(Opcode.CLOSE, b"\x03\xe8"),
        masked(Opcode.BINARY, b"part", fin=False),
        Frame(Opcode.BINARY, b"plain").serialize(mask=False, extensions=[]),
        masked(Opcode.BINARY, bytes(LIMIT + 1)),
    ):
        r, proto, got = reader()
        after = masked(Opcode.BINARY, b"later")
        r.data_received(masked(Opcode.BINARY, b"first") + odd[:1])
        r.data_received(odd[1:] + after)
        assert got == [b"first"]
        assert b"".join(proto.given) == odd + after
        assert proto.transport.protocol is proto  # uvicorn reads from here on


def test_once_closing_began_everything_goes_to_uvicorn() -> None:
    r, proto, got = reader()
    proto.close_sent = True
    data = masked(Opcode.BINARY, b"x")
    r.data_received(data)
    assert got == [] and proto.given == [data] and proto.transport.protocol is proto


def test_the_transports_other_calls_reach_uvicorn() -> None:
    r, proto, _ = reader()
    r.pause_writing()
    r.resume_writing()
    r.eof_received()
    r.connection_lost(None)
    assert proto.calls == ["pause", "resume", "eof", "lost:None"]


class Reader:
    def __init__(self, buffered: bytes) -> None:
        self.buffer = bytearray(buffered)


class FullConn(Conn):
    """What read_frames checks of websockets' connection."""

    def __init__(self, buffered: bytes = b"") -> None:
        super().__init__()
        self.reader = Reader(buffered)
        self.extensions: list[object] = []
        self.current_size: int | None = None
        self.max_message_size: int | None = LIMIT
        self.max_fragment_size: int | None = None


def test_read_frames_starts_only_between_frames_and_with_what_it_relies_on() -> None:
    proto = Proto()
    proto.conn = FullConn()
    reader = read_frames(proto, list[bytes]().append)
    assert isinstance(reader, FrameReader) and proto.transport.protocol is reader
    for conn in (FullConn(buffered=b"\x82"), Conn()):  # part of a frame; an unknown version
        proto = Proto()
        proto.conn = conn
        assert read_frames(proto, list[bytes]().append) is None
        assert proto.transport.protocol is None  # left as it was


def test_the_limit_is_the_smaller_of_websockets_two() -> None:
    class Limits:
        def __init__(self, message: int | None, fragment: int | None) -> None:
            self.max_message_size = message
            self.max_fragment_size = fragment

    assert frame_limit(Limits(100, None)) == 100
    assert frame_limit(Limits(100, 50)) == 50
    assert frame_limit(Limits(None, None)) is None


async def _frame(sock: ClientConnection) -> ChatFrame:
    data = await sock.recv()
    assert isinstance(data, bytes)
    return codec.decode_server(data)


async def test_the_real_server_reads_frames_itself_and_answers_pings(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        token = await login_patient(srv.base, PATIENT)
        async with connect(srv.ws) as sock:
            await sock.send(codec.encode(Hello(v=1, token=token, client="sdk")))
            assert isinstance(await _frame(sock), Welcome)
            await sock.send(codec.encode(Ping(id=1)))
            assert isinstance(await _frame(sock), Pong)
            [session] = srv.service.hub.sessions()
            proto = uvicorn_connection(session)
            assert isinstance(proto.transport.get_protocol(), FrameReader)
            # A WebSocket ping (control frame) is answered by websockets.
            await asyncio.wait_for(await sock.ping(b"x"), 10)
            await sock.send(codec.encode(Ping(id=2)))
            pong = await _frame(sock)
            assert isinstance(pong, Pong) and pong.re == 2
            assert isinstance(proto.transport.get_protocol(), FrameReader)


async def test_the_real_server_takes_a_fragmented_message_through_uvicorn(
    tmp_path: Path,
) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        token = await login_patient(srv.base, PATIENT)
        async with connect(srv.ws) as sock:
            await sock.send(codec.encode(Hello(v=1, token=token, client="sdk")))
            assert isinstance(await _frame(sock), Welcome)
            data = codec.encode(Ping(id=7))
            await sock.send([data[:2], data[2:]])  # two fragments
            pong = await _frame(sock)
            assert isinstance(pong, Pong) and pong.re == 7
            await sock.send(codec.encode(Ping(id=8)))  # and on, through uvicorn
            pong = await _frame(sock)
            assert isinstance(pong, Pong) and pong.re == 8
            [session] = srv.service.hub.sessions()
            proto = uvicorn_connection(session)
            assert proto.transport.get_protocol() is proto
            await sock.send("text")  # refused as before
            await sock.wait_closed()
            assert sock.close_code == CloseCode.unsupported_data
