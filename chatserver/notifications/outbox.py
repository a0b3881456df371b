"""The SMS outbox: rows are written in the same transaction as the event that
causes them (so an SMS never announces something that was not stored, and no
notice is lost across a restart), then sent by this task after commit.

Delivery is at least once: a crash between the gateway's answer and the
status update means the row is sent again after restart. Failures are retried
with exponential backoff (10 s doubling, at most an hour) up to
``max_attempts``; permanent failures (the gateway refused the request) stop
at once. Delivery reports from the gateway update the status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from chatserver.notifications.senders import Sender, SendError
from chatserver.store import records

if TYPE_CHECKING:
    from chatserver.service.core import Service

log = logging.getLogger("chatserver.sms")

BATCH = 50
IDLE_POLL_S = 5.0


class Outbox:
    def __init__(self, svc: Service, sender: Sender, max_attempts: int) -> None:
        self.svc = svc
        self.sender = sender
        self.max_attempts = max_attempts
        self.wakeup = asyncio.Event()
        self.pending = 0  # unsent rows when last looked (chatserver_sms_outbox_pending)

    def poke(self) -> None:
        """Something was queued; look now rather than at the next poll."""
        self.wakeup.set()

    async def run(self) -> None:
        while True:
            sent = await self.send_due()
            if sent:
                continue
            # Counted only when idle: the partial index holds pending rows only.
            rows = await self.svc.reader.query(
                "SELECT count(*) FROM notifications WHERE status = 'pending'", ()
            )
            self.pending = int(rows[0][0]) if rows else 0
            self.wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), IDLE_POLL_S)

    async def send_due(self) -> int:
        svc = self.svc
        now = svc.clock.now_ms()
        rows = await svc.reader.query(
            "SELECT id, phone, text, attempts FROM notifications "
            "WHERE status = 'pending' AND next_try <= ? ORDER BY id LIMIT ?",
            (now, BATCH),
        )
        for row_id, phone, text, tried in rows:
            attempts = tried + 1
            try:
                result = await self.sender.send(phone, text)
            except SendError as e:
                give_up = e.permanent or attempts >= self.max_attempts
                delay = min(3600, 10 * 2 ** (attempts - 1)) * 1000
                op = records.notification_status(
                    row_id, "failed" if give_up else "pending", attempts, now + delay, None, str(e)
                )
                svc.metrics.sms.labels("failed" if give_up else "retry").inc()
            else:
                op = records.notification_status(
                    row_id, "sent", attempts, now, result.provider_id, result.detail
                )
                svc.metrics.sms.labels("sent").inc()
            await svc.writer.write([op])
        return len(rows)
