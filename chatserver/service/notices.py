"""Which events become an SMS notice, decided when the command commits so
the notice is stored in the same transaction (issue 3).

- a staff member takes the case: "it is your turn";
- staff write while nobody on the patient's side is connected: "staff
  replied" (at most once per case per ``REPLY_QUIET_MS``);
- the case is closed: "your case was closed".

Only patients who consented and gave a number get anything. The notice goes
to whoever acts on the case (a guardian for a child), never to the child.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from chatserver.domain.events import CaseChanged, Event, MessagePosted
from chatserver.notifications.texts import TEXTS
from chatserver.store import records
from chatserver.store.records import Op

if TYPE_CHECKING:
    from chatserver.service.core import Service

REPLY_QUIET_MS = 15 * 60 * 1000


class Notices:
    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self._last_reply_notice: dict[str, int] = {}

    def ops_for(self, events: Iterable[Event]) -> list[Op]:
        svc = self.svc
        ops: list[Op] = []
        for ev in events:
            if isinstance(ev, CaseChanged) and ev.action in ("assign", "close"):
                kind = "your_turn" if ev.action == "assign" else "case_closed"
                ops += self._notify(ev.case.actor_id, ev.case.id, kind, ev.at)
            elif isinstance(ev, MessagePosted) and ev.message.role in ("staff", "consultant"):
                case = svc.state.cases.get(ev.message.room)
                if case is None or case.actor_id in svc.hub.users:
                    continue
                last = self._last_reply_notice.get(case.id, 0)
                if ev.message.ts - last < REPLY_QUIET_MS:
                    continue
                self._last_reply_notice[case.id] = ev.message.ts
                ops += self._notify(case.actor_id, case.id, "staff_replied", ev.message.ts)
        return ops

    def _notify(self, user_id: str, case_id: str, kind: str, at: int) -> list[Op]:
        phone = self.svc.contacts.get(user_id)
        if phone is None:
            return []
        return [records.notification(user_id, case_id, kind, phone, TEXTS[kind], at)]
