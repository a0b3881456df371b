"""Case commands every user has (list) and staff work (claim, close).

Opening cases is the patient's journey (journey.py); handoff, consult and
booking are staff tools (issue 4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatserver.domain.errors import DomainError
from chatserver.service.session import ClientSession
from protocol.frames import CaseList, Claim, CloseCase, ListCases

if TYPE_CHECKING:
    from chatserver.service.core import Handler, Service


async def on_cases(svc: Service, s: ClientSession, f: ListCases) -> None:
    window = svc.config.session.reopen_days * 86_400_000
    since = svc.clock.now_ms() - window
    cases = [
        c
        for c in svc.state.cases_of(s.principal)
        if c.is_open or (f.closed and (c.closed or 0) >= since)
    ]
    s.send(CaseList(re=f.id, cases=tuple(svc.case_info(c) for c in cases[-500:])))


async def on_claim(svc: Service, s: ClientSession, f: Claim) -> None:
    case, events = svc.state.claim(s.principal, f.case, f.pool)
    # Taken on the strength of pool membership (it is "assigned" only afterwards).
    audit = svc.audit(s, case, "update", f"case:{case.id}", basis="pool_member")
    svc.answer_case(s, f.id, case, events, audit=[audit])


async def on_close(svc: Service, s: ClientSession, f: CloseCase) -> None:
    if f.outcome == "conduct" and not f.note.strip():
        raise DomainError("bad_request", "ending a chat for conduct needs a note saying why")
    case, events = svc.state.close(s.principal, f.case, f.outcome, f.note)
    audit = svc.audit(s, case, "close", f"case:{case.id}")
    svc.answer_case(s, f.id, case, events, audit=[audit])


HANDLERS: dict[type, Handler] = {
    ListCases: on_cases,
    Claim: on_claim,
    CloseCase: on_close,
}
