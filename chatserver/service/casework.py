"""Case commands: list, open, claim, close.

The patient's triage path and the staff tools (handoff, consult, booking)
build on these (issues 3 and 4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatserver.domain.cases import Case
from chatserver.domain.errors import DomainError
from chatserver.domain.events import Event
from chatserver.domain.urgency import Urgency
from chatserver.service.session import ClientSession
from protocol.frames import CaseList, CaseUpdate, Claim, CloseCase, ListCases, OpenCase

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


async def on_open(svc: Service, s: ClientSession, f: OpenCase) -> None:
    if s.principal.is_staff:
        raise DomainError("forbidden", "staff do not open cases as patients")
    entrance = svc.config.entrances.get(f.entrance)
    if entrance is None:
        raise DomainError("not_found", f"no entrance {f.entrance}")
    if entrance.describe and not f.text.strip():
        raise DomainError("bad_request", "describe your errand in a few words")
    case, events = svc.state.open_case(
        s.principal,
        subject_id=s.principal.user_id,
        entrance=f.entrance,
        pool=entrance.pool,
        urgency=Urgency(entrance.urgency),
        complaint=f.text.strip(),
    )
    _answer_after_commit(svc, s, f.id, case, events)


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
    OpenCase: on_open,
    Claim: on_claim,
    CloseCase: on_close,
}
