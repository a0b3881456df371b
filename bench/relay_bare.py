"""Baseline relay on the bare ``websockets`` library, on uvloop.

A client's first binary frame is ``{"join": room}`` (msgpack); after that every
binary frame it sends is forwarded unchanged to the other members of its room.
No persistence, no validation beyond the join: this is the floor that any
real transport is compared with. Compression is off, as in the real server
(shared/TOOLING.md: permessage-deflate costs ~3x the memory per connection).

    python -m bench.relay_bare --port 0
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import uvloop
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from bench.rooms import BadJoin, Rooms, parse_join
from bench.server_proc import announce_ready, raise_nofile_limit

# Seconds to wait for a client's join frame before dropping it.
JOIN_TIMEOUT = 10.0
# Largest frame relayed; the probe frames are ~200 B.
MAX_FRAME_BYTES = 64 * 1024


async def _relay(rooms: Rooms[ServerConnection], ws: ServerConnection) -> None:
    try:
        room = parse_join(await asyncio.wait_for(ws.recv(), JOIN_TIMEOUT))
    except (BadJoin, TimeoutError, ConnectionClosed):
        await ws.close(1008, "expected a join frame")
        return
    rooms.join(room, ws)
    try:
        async for frame in ws:
            if not isinstance(frame, bytes):
                continue
            for peer in rooms.others(room, ws):
                try:
                    await peer.send(frame)
                except ConnectionClosed:
                    continue
    except ConnectionClosed:
        pass
    finally:
        rooms.leave(room, ws)


async def run(port: int, host: str = "127.0.0.1") -> None:
    rooms: Rooms[ServerConnection] = Rooms()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)

    async def handler(ws: ServerConnection) -> None:
        await _relay(rooms, ws)

    async with serve(
        handler,
        host,
        port,
        compression=None,
        max_size=MAX_FRAME_BYTES,
        backlog=1024,
    ) as server:
        bound = next(iter(server.sockets)).getsockname()[1]
        announce_ready(int(bound))
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    raise_nofile_limit()
    uvloop.run(run(args.port))


if __name__ == "__main__":
    main()
