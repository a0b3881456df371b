"""Ways to send an SMS, chosen in config ([sms] sender).

``dev`` writes the message to the log. ``http`` posts to a 46elks-style API
(https://46elks.com/docs/send-sms: form POST of from/to/message with HTTP
Basic auth; the JSON answer carries the message ``id`` and ``status``), which
is also what LINK Mobility's and others' simple endpoints resemble.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from chatserver.config import SmsConfig

log = logging.getLogger("chatserver.sms")


@dataclass(frozen=True, slots=True)
class SendResult:
    provider_id: str | None
    detail: str


class SendError(Exception):
    """Sending failed; ``permanent`` failures are not retried."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    async def send(self, phone: str, text: str) -> SendResult:
        """Hand one SMS to the gateway, or raise SendError."""


class DevSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, phone: str, text: str) -> SendResult:
        self.sent.append((phone, text))
        log.info("SMS (dev, not sent) to %s: %s", phone[:-4] + "****", text)
        return SendResult(f"dev-{len(self.sent)}", "logged")


class HttpSender:
    def __init__(self, url: str, username: str, password: str, sender_name: str) -> None:
        self.url = url
        self.sender_name = sender_name
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._auth = f"Basic {token}"

    async def send(self, phone: str, text: str) -> SendResult:
        return await asyncio.to_thread(self._post, phone, text)

    def _post(self, phone: str, text: str) -> SendResult:
        body = urllib.parse.urlencode(
            {"from": self.sender_name, "to": phone, "message": text}
        ).encode()
        req = urllib.request.Request(
            self.url,
            data=body,
            headers={
                "Authorization": self._auth,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                answer = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            # 4xx: the request itself is wrong (number, auth); retrying won't help.
            raise SendError(f"gateway answered {e.code}", permanent=400 <= e.code < 500) from None
        except (OSError, ValueError) as e:
            raise SendError(f"gateway unreachable: {type(e).__name__}") from None
        return SendResult(
            str(answer.get("id")) if answer.get("id") else None, str(answer.get("status", ""))
        )


def create_sender(cfg: SmsConfig) -> Sender:
    if cfg.sender == "http":
        return HttpSender(cfg.url, cfg.username, cfg.password, cfg.sender_name)
    return DevSender()
