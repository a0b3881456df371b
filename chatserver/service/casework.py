"""Case commands every user has (list) and staff work (claim, close).

Opening cases is the patient's journey (journey.py); handoff, consult and
booking are staff tools (issue 4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatserver.domain.cases import Case
from chatserver.domain.events import Event
from chatserver.service.session import ClientSession
from protocol.frames import CaseList, CaseUpdate, Claim, CloseCase, ListCases

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
    _answer_after_commit(svc, s, f.id, case, events)


async def on_close(svc: Service, s: ClientSession, f: CloseCase) -> None:
    case, events = svc.state.close(s.principal, f.case, f.outcome)
    _answer_after_commit(svc, s, f.id, case, events)


def _answer_after_commit(
    svc: Service, s: ClientSession, re: int, case: Case, events: list[Event]
) -> None:
    def answer() -> None:
        s.send(CaseUpdate(case=svc.case_info(case), re=re))

    svc.commit(events, answer)


HANDLERS: dict[type, Handler] = {
    ListCases: on_cases,
    Claim: on_claim,
    CloseCase: on_close,
}
