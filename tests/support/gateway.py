"""A local stand-in for a 46elks-style SMS gateway: records what it receives
and can be told to fail, so the real HTTP sender is tested end to end."""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Gateway:
    received: list[dict[str, str]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)
    fail_next: int = 0
    status: int = 500
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/a1/sms"

    def start(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length).decode()
                if gateway.fail_next > 0:
                    gateway.fail_next -= 1
                    self.send_response(gateway.status)
                    self.end_headers()
                    return
                fields = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
                gateway.received.append(fields)
                gateway.auth.append(self.headers.get("authorization", ""))
                answer = json.dumps({"id": f"s{len(gateway.received)}", "status": "created"})
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
