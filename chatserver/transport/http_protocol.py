"""uvicorn's httptools protocol, letting go of its parser after an upgrade.

httptools' parser calls back into the protocol through bound methods, and the
protocol holds the parser: a reference cycle. uvicorn breaks it when an HTTP
connection is lost, but not when it hands the connection to the WebSocket
protocol, after which nothing uses the parser again. Each WebSocket
connection therefore left its HTTP protocol, parser, flow control and
transport (~30 objects) for the cyclic collector, and under a day's churn of
connections those collections were the event loop's longest stalls
(docs/decisions/0009-what-did-not-pay.md). This protocol drops the parser
once the upgrade is done, so the objects go when their last reference does.
"""

from __future__ import annotations

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HttpProtocol(HttpToolsProtocol):
    def handle_websocket_upgrade(self) -> None:
        super().handle_websocket_upgrade()
        # As uvicorn's connection_lost does: the connection is the
        # WebSocket protocol's now.
        self.parser = None  # type: ignore[assignment]
