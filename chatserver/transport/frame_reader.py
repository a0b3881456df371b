"""A connection's binary data frames read without websockets' parser.

Once the Inbox has taken a connection over (``inbox.py``), every frame still
went through uvicorn's ``data_received``: websockets' generator-based parser
built a ``Frame``, uvicorn a message dict, and the Inbox took the bytes back
out of it, ~4 µs per frame. ``FrameReader`` takes the transport's protocol
slot instead and reads the frames a chat client sends nearly all the time,
a whole masked binary frame (RFC 6455 section 5.2: ``FIN`` set, opcode 2, no
extension bits) within the size limit, itself: it unmasks the payload and
hands it to the Inbox.

Every other frame goes to uvicorn's protocol, which remains the connection's
owner for everything else:
- a ping or pong, whole, after which reading goes on here (websockets'
  parser is then again between frames, where it was left);
- anything else (a text, close or fragmented frame, an unmasked or
  oversized one), with all that follows, for good: uvicorn is given the
  transport back, and answers as before (a text frame is refused, a close
  answered, a bad frame closes with 1002 or 1009).

Connection loss and write flow control are passed to uvicorn's protocol.
"""

from __future__ import annotations

from typing import Any

from websockets.protocol import State

try:
    from websockets.speedups import apply_mask
except ImportError:  # pragma: no cover - websockets built without its C part
    from websockets.utils import apply_mask

_OPEN = State.OPEN
# First byte of a frame this reader takes: FIN, no RSV bits, opcode 2 (binary).
_BINARY = 0x82
# First bytes of frames passed to uvicorn one at a time: FIN + ping / pong.
_PING, _PONG = 0x89, 0x8A
_MASKED = 0x80


class FrameReader:
    """Stands in for uvicorn's protocol on the transport (see the module)."""

    __slots__ = ("_buf", "_deliver", "_max", "_proto")

    def __init__(self, proto: Any, deliver: Any, max_size: int) -> None:
        self._proto = proto
        self._deliver = deliver
        self._max = max_size
        self._buf = b""

    # -- what the transport calls ---------------------------------------------

    def data_received(self, data: bytes) -> None:
        buf = self._buf + data if self._buf else data
        end = len(buf)
        pos = 0
        proto = self._proto
        conn = proto.conn
        while end - pos >= 2:
            if proto.close_sent or conn.state is not _OPEN:
                self._give_back(buf[pos:])
                return
            first, second = buf[pos], buf[pos + 1]
            size = second & 0x7F
            start = pos + 6
            if size == 126:
                if end - pos < 4:
                    break
                size = int.from_bytes(buf[pos + 2 : pos + 4], "big")
                start = pos + 8
            elif size == 127:
                if end - pos < 10:
                    break
                size = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                start = pos + 14
            if first not in (_BINARY, _PING, _PONG) or not second & _MASKED or size > self._max:
                self._give_back(buf[pos:])
                return
            stop = start + size
            if stop > end:
                break  # the rest of this frame is still on its way
            if first == _BINARY:
                self._deliver(apply_mask(buf[start:stop], buf[start - 4 : start]))
            else:
                proto.data_received(buf[pos:stop])  # websockets answers a ping
            pos = stop
        self._buf = buf[pos:] if pos < end else b""

    def connection_lost(self, exc: Exception | None) -> None:
        self._proto.connection_lost(exc)

    def eof_received(self) -> bool | None:
        result: bool | None = self._proto.eof_received()
        return result

    def pause_writing(self) -> None:
        self._proto.pause_writing()

    def resume_writing(self) -> None:
        self._proto.resume_writing()

    # -- ours -------------------------------------------------------------------

    def _give_back(self, rest: bytes) -> None:
        """Hand the connection back to uvicorn's protocol, with the bytes not
        yet read (from a frame's first byte)."""
        self._buf = b""
        proto = self._proto
        proto.transport.set_protocol(proto)
        if rest:
            proto.data_received(rest)


def frame_limit(conn: Any) -> int | None:
    """The largest frame websockets' connection ``conn`` accepts (its
    message and fragment limits), or None if it sets no limit."""
    limits = [n for n in (conn.max_message_size, conn.max_fragment_size) if n is not None]
    return min(limits) if limits else None


# What FrameReader reads of uvicorn's protocol and of its websockets
# connection (uvicorn 0.55, websockets 17): another version without them just
# goes without (tests/transport/test_frame_reader.py notices that).
_PROTO_ATTRS = ("conn", "close_sent", "transport")
_CONN_ATTRS = ("state", "reader", "extensions", "current_size")
_CONN_LIMITS = ("max_message_size", "max_fragment_size")


def read_frames(proto: Any, deliver: Any) -> FrameReader | None:
    """Put a FrameReader in front of uvicorn's protocol ``proto``, handing
    binary payloads to ``deliver``; None (nothing changed) where it cannot
    start: websockets' parser holds part of a frame, an extension (such as
    compression) was negotiated, no size limit is set, or the protocol lacks
    what the reader relies on."""
    if not all(hasattr(proto, name) for name in _PROTO_ATTRS):
        return None
    conn = proto.conn
    if not all(hasattr(conn, name) for name in (*_CONN_ATTRS, *_CONN_LIMITS)):
        return None
    if not hasattr(conn.reader, "buffer"):
        return None
    limit = frame_limit(conn)
    if conn.reader.buffer or conn.extensions or conn.current_size is not None or limit is None:
        return None
    reader = FrameReader(proto, deliver, limit)
    proto.transport.set_protocol(reader)
    return reader
