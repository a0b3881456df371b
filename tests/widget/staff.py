"""The staff side of the browser tests, through the Python SDK: a nurse who
logs in, takes cases, writes, types, reads and closes."""

from __future__ import annotations

import asyncio
import contextlib
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from pathlib import Path

from clients.sdk import Client, login_staff
from protocol.frames import (
    Ack,
    CaseInfo,
    CaseUpdate,
    Claim,
    CloseCase,
    Frame,
    Message,
    Read,
    Receipt,
    Send,
    TypingC,
)
from tests.support.server import Running
from tests.support.waiting import until

WAIT_S = 15.0


class Nurse:
    """Anna Andersson (demo staff: pools nurse_1177 and vc_nurse)."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.frames: list[Frame] = []
        client.on_frame = self.frames.append

    async def claim(self, pool: str | None = None, case: str | None = None) -> CaseInfo:
        reply = await self.client.request(Claim(id=0, case=case, pool=pool))
        assert isinstance(reply, CaseUpdate), reply
        await self.client.subscribe(reply.case.room)
        return reply.case

    async def say(self, room: str, text: str) -> int:
        ack = await self.client.send(room, text)
        return ack.seq

    async def ask_for_photo(self, room: str, text: str) -> int:
        """A message the widget shows with a "send a photo" button."""
        ack = await self.client.request(
            Send(id=0, room=room, cid=uuid.uuid4().hex, text=text, kind="photo_request")
        )
        assert isinstance(ack, Ack), ack
        return ack.seq

    async def typing(self, room: str) -> None:
        await self._notify(TypingC(room=room))

    async def read(self, room: str, seq: int) -> None:
        await self._notify(Read(room=room, seq=seq))

    async def close_case(self, case: str) -> CaseInfo:
        reply = await self.client.request(CloseCase(id=0, case=case, outcome="advice"))
        assert isinstance(reply, CaseUpdate), reply
        return reply.case

    async def _notify(self, frame: Frame) -> None:
        # typing and read have no answer, and the SDK's request() waits for one.
        await self.client._send_frame(frame)

    async def message(self, room: str, text: str) -> Message:
        """The patient's message with this text, once it has arrived."""

        def found() -> Message | None:
            view = self.client.rooms.get(room)
            hits = [m for m in (view.messages.values() if view else ()) if m.text == text]
            return hits[0] if hits else None

        await asyncio.wait_for(until(lambda: found() is not None), WAIT_S)
        message = found()
        assert message is not None
        return message

    def texts(self, room: str) -> list[str]:
        view = self.client.rooms.get(room)
        return [view.messages[s].text for s in sorted(view.messages)] if view else []

    async def receipt(self, room: str, seq: int) -> str:
        """Wait until someone else (the patient) has read the room up to seq; who."""
        assert self.client.welcome is not None
        me = self.client.welcome.me.user

        def readers() -> list[str]:
            return [
                f.who
                for f in self.frames
                if isinstance(f, Receipt) and f.room == room and f.who != me and f.seq >= seq
            ]

        await asyncio.wait_for(until(lambda: bool(readers())), WAIT_S)
        return readers()[0]


@contextlib.asynccontextmanager
async def nurse_on(server: Running) -> AsyncIterator[Nurse]:
    client = Client(server.ws, await login_staff(server.base, "anna", "demo"))
    await client.start()
    try:
        yield Nurse(client)
    finally:
        await client.close()


def write_png(path: Path, width: int = 64, height: int = 48) -> Path:
    """A small real PNG (a red square), like a photo of a rash."""
    row = b"\x00" + b"\xc0\x30\x30" * width
    raw = zlib.compress(row * height)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    path.write_bytes(png)
    return path
