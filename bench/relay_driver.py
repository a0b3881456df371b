"""Driver for the benchmark relays (``relay_bare``, ``relay_uvicorn``).

Frames are msgpack maps: ``{"join": room}`` first, then probes ``{"ts": ns,
"n": seq, "pad": bytes}``. The relay forwards frames unchanged, so the
receiver reads back exactly what the sender wrote.

Connections use ``bench.ws_client.LeanClient`` rather than the websockets
asyncio client: it costs the generator ~20% less CPU per message, which
matters when generator and server each have one core.
"""

from __future__ import annotations

import asyncio
import os

import msgpack

from bench.driver import Delivery, DriverOptions, Idle, Receiver, Sender
from bench.ws_client import LeanClient

# How long one connection may take to open (TCP + WebSocket handshake).
OPEN_TIMEOUT = 10.0
# connect_pair proves the route by sending a sync frame until the receiver
# sees one: this often, this many times.
SYNC_INTERVAL = 0.05
SYNC_ATTEMPTS = 100
# Largest frame accepted from the relay; probes are ~200 B.
MAX_FRAME_BYTES = 64 * 1024


class RelaySender:
    def __init__(self, ws: LeanClient, pad: bytes) -> None:
        self._ws = ws
        self._pad = pad

    async def send(self, n: int, ts_ns: int) -> None:
        await self._ws.send(msgpack.packb({"ts": ts_ns, "n": n, "pad": self._pad}))

    async def close(self) -> None:
        await self._ws.close()


class RelayReceiver:
    def __init__(self, ws: LeanClient) -> None:
        self._ws = ws

    async def recv(self) -> Delivery | None:
        while True:
            frame = await self._ws.recv()
            if frame is None:
                return None
            value = msgpack.unpackb(frame)
            if isinstance(value, dict) and "ts" in value:
                return Delivery(n=value["n"], ts_ns=value["ts"])

    async def close(self) -> None:
        await self._ws.close()


class RelayIdle:
    def __init__(self, ws: LeanClient) -> None:
        self._ws = ws

    async def close(self) -> None:
        await self._ws.close()


class RelayDriver:
    def __init__(self, options: DriverOptions) -> None:
        self._url = options.url
        self._pad = os.urandom(options.pad_bytes)

    async def _open(self, room: str) -> LeanClient:
        async with asyncio.timeout(OPEN_TIMEOUT):
            ws = await LeanClient.open(self._url, max_size=MAX_FRAME_BYTES)
        await ws.send(msgpack.packb({"join": room}))
        return ws

    async def connect_pair(self, room: str) -> tuple[Sender, Receiver]:
        sender = await self._open(room)
        receiver = await self._open(room)
        sync = msgpack.packb({"sync": room})
        # The relay handles each connection in its own task, so the sender's
        # first frame may be relayed before the receiver's join is seen: send
        # a sync until one arrives. Extra syncs are skipped by recv().
        for _ in range(SYNC_ATTEMPTS):
            await sender.send(sync)
            try:
                await asyncio.wait_for(receiver.recv(), SYNC_INTERVAL)
            except TimeoutError:
                continue
            return RelaySender(sender, self._pad), RelayReceiver(receiver)
        await sender.close()
        await receiver.close()
        raise TimeoutError(f"room {room!r}: no frame crossed the relay")

    async def connect_idle(self, room: str) -> Idle:
        return RelayIdle(await self._open(room))
