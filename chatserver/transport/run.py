"""Serving the app with uvicorn on uvloop.

Measured choice (docs/decisions/0001-transport.md): uvicorn with the
``websockets-sansio`` WebSocket implementation and httptools; compression
off (permessage-deflate triples per-connection memory for small frames).
On shutdown the service drains first (stop taking commands, flush the
writer, close clients with 1001 going away) and then uvicorn stops.
"""

from __future__ import annotations

import asyncio
import gc
import json
import socket

import uvicorn
import uvloop

from chatserver.service.core import Service
from chatserver.transport.app import create_app
from chatserver.transport.http_protocol import HttpProtocol
from chatserver.transport.peer import with_raw_send


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, service: Service) -> None:
        super().__init__(config)
        self.service = service

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await self.service.drain()
        await super().shutdown(sockets)


# Allocations (net of frees) between young-generation collections; Python's
# default is 700. See tune_gc.
GC_GEN0_THRESHOLD = 10_000


def tune_gc() -> None:
    """Once the server has started: move everything built so far (modules,
    config, recovered state) out of the cyclic collector's reach, and collect
    the young generation every 10,000 net allocations instead of 700.

    At 5,000 msgs/s the default settings cost ~20-30 µs of collections per
    message and a full collection every few seconds that stopped the event
    loop for 80-490 ms (p99 79 ms against 23 ms tuned, docs/BENCHMARKS.md §3,
    docs/decisions/0003-durable-path.md). A chat message's objects are
    acyclic and die by reference counting. A closed connection's are not:
    uvicorn's protocol objects sit in cycles, about 140 objects a connection.
    At 100,000 (decision 0003) each young collection over a day's churn
    freed 55,000-99,000 of them and stopped the loop for 55-99 ms. At 10,000
    young collections took at most 25 ms in the same day, and the message
    path costs the same (docs/decisions/0006-messages-append-only.md).
    Frozen objects are never collected, so only call this after start-up."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


def serve(service: Service, host: str, port: int, *, ready_line: bool = False) -> None:
    app = with_raw_send(create_app(service))
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http=HttpProtocol,
        ws="websockets-sansio",
        ws_max_size=service.config.limits.max_frame,
        ws_per_message_deflate=False,
        ws_ping_interval=None,  # the protocol's own ping/idle timeout covers it
        lifespan="on",
        log_level="warning",
        timeout_graceful_shutdown=int(service.config.server.shutdown_grace),
        backlog=4096,
    )
    server = _Server(config, service)

    async def main() -> None:
        sock = config.bind_socket()
        actual = sock.getsockname()[1]
        task = asyncio.ensure_future(server.serve(sockets=[sock]))
        ready = asyncio.ensure_future(service.ready.wait())
        await asyncio.wait([task, ready], return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if service.ready.is_set():
            tune_gc()
            base = f"http://{host}:{actual}"
            print(
                f"chatserver listening on {base}/\n"
                f"  patient chat widget: {base}/widget/\n"
                f"  health:              {base}/health\n"
                f"  metrics:             {base}/metrics\n"
                f"  WebSocket:           ws://{host}:{actual}/ws  (docs/PROTOCOL.md)",
                flush=True,
            )
            if ready_line:
                print(json.dumps({"ready": True, "port": actual}), flush=True)
        await task

    uvloop.run(main())
