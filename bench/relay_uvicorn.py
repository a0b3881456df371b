"""The same relay as ``relay_bare``, as a starlette app served by uvicorn.

This is the stack the real server runs on (starlette ``WebSocketRoute`` under
uvicorn with httptools, the sans-I/O websockets implementation and uvloop);
comparing it with ``relay_bare`` in the same run prices that stack per frame
and per connection. Compression is off in both.

    python -m bench.relay_uvicorn --port 0
"""

from __future__ import annotations

import argparse
import asyncio
import socket

import uvicorn
import uvloop
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from bench.rooms import BadJoin, Rooms, parse_join
from bench.server_proc import announce_ready, raise_nofile_limit

# Seconds to wait for a client's join frame before dropping it.
JOIN_TIMEOUT = 10.0
# Largest frame relayed; the probe frames are ~200 B.
MAX_FRAME_BYTES = 64 * 1024


def make_app() -> Starlette:
    rooms: Rooms[WebSocket] = Rooms()

    async def relay(ws: WebSocket) -> None:
        await ws.accept()
        try:
            first = await asyncio.wait_for(ws.receive(), JOIN_TIMEOUT)
            room = parse_join(first.get("bytes") or first.get("text") or b"")
        except (BadJoin, TimeoutError, WebSocketDisconnect):
            await _close_quietly(ws, 1008)
            return
        rooms.join(room, ws)
        try:
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                frame = message.get("bytes")
                if frame is None:
                    continue
                for peer in rooms.others(room, ws):
                    try:
                        await peer.send_bytes(frame)
                    except (WebSocketDisconnect, RuntimeError, OSError):
                        continue
        finally:
            rooms.leave(room, ws)

    return Starlette(routes=[WebSocketRoute("/", relay)])


async def _close_quietly(ws: WebSocket, code: int) -> None:
    try:
        await ws.close(code)
    except (WebSocketDisconnect, RuntimeError, OSError):
        return


async def run(port: int, host: str = "127.0.0.1") -> None:
    # Bind first so that port 0 works and the ready line names the real port.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    config = uvicorn.Config(
        make_app(),
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_per_message_deflate=False,
        ws_max_size=MAX_FRAME_BYTES,
        log_level="warning",
        access_log=False,
        lifespan="off",
        backlog=1024,
        timeout_graceful_shutdown=2,
    )
    await _AnnouncingServer(config, int(sock.getsockname()[1])).serve(sockets=[sock])


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints the ready line once it is listening."""

    def __init__(self, config: uvicorn.Config, port: int) -> None:
        super().__init__(config)
        self._port = port

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            announce_ready(self._port)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    raise_nofile_limit()
    # Server.serve() runs on the caller's loop: uvloop, as loop="uvloop" would.
    uvloop.run(run(args.port))


if __name__ == "__main__":
    main()
