"""The patient's journey: home, opening a case (for self or a child), the
automated questions, the outcome, asking for a person, continuing a closed
case, and SMS consent (issue 3; shared/DOMAIN.md)."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date
from typing import TYPE_CHECKING

from chatserver.domain.cases import Case
from chatserver.domain.errors import DomainError
from chatserver.domain.events import Event
from chatserver.domain.guardians import GuardianError
from chatserver.domain.personnummer import PersonalNumber
from chatserver.domain.principals import Principal
from chatserver.domain.urgency import Urgency
from chatserver.service.session import ClientSession
from chatserver.store import records
from chatserver.triage import Outcome as TriageOutcome
from chatserver.triage import Question as TriageQuestion
from chatserver.triage import TriageContext, TriageInputError
from protocol.frames import (
    Answer,
    AskPerson,
    CaseUpdate,
    Complaint,
    Contact,
    ContinueCase,
    EntranceInfo,
    HomeC,
    HomeS,
    Ok,
    OpenCase,
    Option,
    OutcomeS,
    Question,
    Questions,
    Subject,
    TriageC,
)

if TYPE_CHECKING:
    from chatserver.service.core import Handler, Service

# Shown when a U1/U2 case arrives while its pool is closed (shared/DOMAIN.md:
# "U1/U2 out of hours are not queued but redirected").
REDIRECT_ADVICE = {
    "sv": "Mottagningen är stängd just nu och dina besvär behöver bedömas snart. "
    "Ring 1177 för sjukvårdsrådgivning eller sök vård på en akutmottagning. "
    "Vid livshotande tillstånd: ring 112.",
    "en": "The clinic is closed right now and your symptoms need to be assessed soon. "
    "Call 1177 for medical advice or go to an emergency department. "
    "If it is life-threatening: call 112.",
}
FULL_ADVICE = {
    "sv": "Chatten har många som väntar just nu. Boka en tid eller kontakta oss senare; "
    "blir du sämre, ring 1177.",
    "en": "Many people are waiting in the chat right now. Book an appointment or contact us "
    "later; if you get worse, call 1177.",
}
_PHONE = re.compile(r"^(\+46|0)7\d{8}$")


def _today(svc: Service) -> date:
    from chatserver.domain.clock import to_datetime

    return to_datetime(svc.clock.now_ms()).date()


async def on_home(svc: Service, s: ClientSession, f: HomeC) -> None:
    p = _patient(s)
    lang = s.lang
    now = svc.clock.now_ms()
    entrances = []
    complaints = tuple(
        Complaint(code=c, label=label[:100]) for c, label in svc.triage.complaints(lang)
    )
    for key, e in list(svc.config.entrances.items())[:30]:
        is_open = svc.deadlines.is_open(e.pool, now)
        entrances.append(
            EntranceInfo(
                key=key,
                name=e.name,
                triage=e.triage,
                describe=e.describe,
                open=is_open,
                opens_at=None if is_open else svc.deadlines.next_opening(e.pool, now),
                complaints=complaints[:30] if e.triage else (),
            )
        )
    s.send(
        HomeS(
            re=f.id,
            entrances=tuple(entrances),
            subjects=tuple(subjects(svc, p)),
            sms=p.user_id in svc.contacts,
        )
    )


def subjects(svc: Service, p: Principal) -> list[Subject]:
    today = _today(svc)
    out = []
    if p.pnr is not None:
        out.append(
            Subject(id="self", name=p.name, age=PersonalNumber(p.pnr).age_on(today), may_act=True)
        )
        for child in svc.guardians.children_of(p.pnr, today=today, policy=svc.guardian_policy):
            uid = svc.users_by_pnr.get(child.child.digits)
            if uid is None:
                continue
            out.append(
                Subject(
                    id=uid,
                    name=svc.state.names.get(uid, child.child.masked()),
                    age=child.child.age_on(today),
                    may_act=child.may_act,
                    reason=child.reason,
                )
            )
    return out[:20]


async def on_open(svc: Service, s: ClientSession, f: OpenCase) -> None:
    p = _patient(s)
    entrance = svc.config.entrances.get(f.entrance)
    if entrance is None:
        raise DomainError("not_found", f"no entrance {f.entrance}")
    text = f.text.strip()
    if entrance.describe and not text and not entrance.triage:
        raise DomainError("bad_request", "describe your errand in a few words")
    subject_id, subject_pnr = _subject(svc, p, f.subject)
    if entrance.listing_check and svc.config.listings.get(subject_pnr) != entrance.unit:
        raise DomainError(
            "not_listed",
            "this entrance is for patients listed at the health centre; "
            "choose 'Sök vård' or contact the centre you are listed at",
        )
    if entrance.triage:
        complaints = dict(svc.triage.complaints(s.lang))
        if f.complaint is None or f.complaint not in complaints:
            raise DomainError("bad_request", f"choose a complaint: {', '.join(complaints)}")
        text = text or complaints[f.complaint]
    case, events = svc.state.open_case(
        p,
        subject_id=subject_id,
        entrance=f.entrance,
        pool=entrance.pool,
        urgency=Urgency(entrance.urgency),
        complaint=text,
        triage=entrance.triage,
    )
    if not entrance.triage:
        svc.answer_case(s, f.id, case, events)
        return
    assert f.complaint is not None
    pn = PersonalNumber(subject_pnr)
    today = _today(svc)
    context = TriageContext(
        age_years=pn.age_on(today),
        age_months=pn.age_months_on(today),
        sex=pn.sex,
        entrance=f.entrance,
        on_behalf_of_child=subject_id != p.user_id,
        language=s.lang if s.lang in ("sv", "en") else "sv",
    )
    session = svc.triage.start(context, f.complaint)
    svc.triage_sessions[case.id] = session
    svc.triage_complaints[case.id] = f.complaint
    op = records.triage(case.id, f.complaint, json.dumps(session.snapshot()), svc.clock.now_ms())

    def answer() -> None:
        s.send(CaseUpdate(case=svc.case_info(case), re=f.id))
        s.send(Questions(case=case.id, items=_questions(session.questions())))

    svc.commit(events, answer, extra=[op])


async def on_answer(svc: Service, s: ClientSession, f: Answer) -> None:
    p = _patient(s)
    case = svc.state.visible_case(p, f.case)
    session = svc.triage_sessions.get(case.id)
    if session is None:
        raise DomainError("invalid_state", "this case is not in triage")
    try:
        session.answer(f.answers)
    except TriageInputError as e:
        raise DomainError("bad_request", f"{e.link_id}: {e.message} ({e.code})") from None
    now = svc.clock.now_ms()
    complaint = svc.triage_complaints.get(case.id, "")
    snapshot = json.dumps(session.snapshot())
    outcome = session.outcome()
    if outcome is None:
        op = records.triage(case.id, complaint, snapshot, now)
        svc.commit(
            [],
            lambda: s.send(Questions(case=case.id, items=_questions(session.questions()), re=f.id)),
            extra=[op],
        )
        return
    disposition, pool, advice = _decide(svc, case, outcome, s.lang)
    new_case, events = svc.state.triage_done(p, case.id, disposition, outcome.urgency, pool)
    del svc.triage_sessions[case.id]
    svc.triage_complaints.pop(case.id, None)
    response = dict(outcome.response)
    response.update(
        subject={"reference": f"Patient/{case.patient_id}"},
        author={"reference": f"Patient/{p.user_id}"},
        authored=now,
    )
    op = records.triage(
        case.id,
        complaint,
        snapshot,
        now,
        urgency=int(outcome.urgency),
        disposition=disposition,
        pool=pool,
        advice=advice,
        summary=outcome.summary,
        provenance=json.dumps(dataclasses.asdict(outcome.provenance)),
        response=json.dumps(response, ensure_ascii=False),
    )
    svc.metrics.triage.labels(disposition, f"U{int(outcome.urgency)}").inc()
    svc.summaries[case.id] = outcome.summary

    def reply() -> None:
        s.send(
            OutcomeS(
                case=case.id,
                urgency=int(outcome.urgency),
                disposition=disposition,
                advice=advice,
                re=f.id,
            )
        )

    svc.commit(events, reply, extra=[op])
    del new_case


def _decide(svc: Service, case: Case, outcome: TriageOutcome, lang: str) -> tuple[str, str, str]:
    """Disposition, pool and advice, after opening hours and admission control."""
    pool = outcome.pool if outcome.pool in svc.config.pools else case.pool
    disposition: str = outcome.disposition
    advice = outcome.advice
    now = svc.clock.now_ms()
    if disposition == "queue":
        if outcome.urgency <= Urgency.U2 and not svc.deadlines.is_open(pool, now):
            return "redirect", pool, REDIRECT_ADVICE.get(lang, REDIRECT_ADVICE["sv"])
        if outcome.urgency >= Urgency.U4 and not svc.waiting.admits(pool, outcome.urgency):
            svc.metrics.admission_refused.labels(pool).inc()
            return "booking", pool, FULL_ADVICE.get(lang, FULL_ADVICE["sv"])
    return disposition, pool, advice


async def on_triage(svc: Service, s: ClientSession, f: TriageC) -> None:
    """The current questions, or the outcome with its advice, of one's own case."""
    p = _patient(s)
    case = svc.state.visible_case(p, f.case)
    session = svc.triage_sessions.get(case.id)
    if session is not None:
        s.send(Questions(case=case.id, items=_questions(session.questions()), re=f.id))
        return
    record = await svc.reader.triage_record(case.id)
    if record is None or record["disposition"] is None:
        raise DomainError("not_found", "this case had no triage")
    s.send(
        OutcomeS(
            case=case.id,
            urgency=int(record["urgency"]),
            disposition=record["disposition"],
            advice=record["advice"] or "",
            re=f.id,
        )
    )


async def on_ask_person(svc: Service, s: ClientSession, f: AskPerson) -> None:
    p = _patient(s)
    window = svc.config.session.reopen_days * 86_400_000
    case, events = svc.state.ask_person(p, f.case, window)
    svc.answer_case(s, f.id, case, events)


async def on_continue(svc: Service, s: ClientSession, f: ContinueCase) -> None:
    p = _patient(s)
    window = svc.config.session.reopen_days * 86_400_000
    case, events = svc.state.reopen(p, f.case, window)
    extra: list[Event] = []
    if f.text.strip():
        await svc.ensure_cids(case.room)
        posted = svc.state.post(
            p, case.room, f"continue-{svc.clock.now_ms()}", f.text.strip(), None
        )
        extra = posted.events
    svc.answer_case(s, f.id, case, events + extra)


async def on_contact(svc: Service, s: ClientSession, f: Contact) -> None:
    p = _patient(s)
    phone = None if f.phone is None else f.phone.replace(" ", "").replace("-", "")
    if f.sms and (phone is None or not _PHONE.match(phone)):
        raise DomainError("bad_request", "give a Swedish mobile number (07… or +467…)")
    consent = f.sms and phone is not None

    def done() -> None:
        if consent and phone is not None:
            svc.contacts[p.user_id] = phone
        else:
            svc.contacts.pop(p.user_id, None)
        s.send(Ok(re=f.id))

    svc.commit(
        [], done, extra=[records.user_contact(p.user_id, phone if consent else None, consent)]
    )


def _patient(s: ClientSession) -> Principal:
    if s.principal.is_staff:
        raise DomainError("forbidden", "this is for patients")
    return s.principal


def _subject(svc: Service, p: Principal, subject: str) -> tuple[str, str]:
    """(user id, personnummer) of whom the case is about."""
    if p.pnr is None:
        raise DomainError("forbidden", "no verified identity")
    if subject == "self":
        return p.user_id, p.pnr
    child_pnr = svc.pnr_of.get(subject)
    if child_pnr is None:
        raise DomainError("not_found", "no such person in your care")
    try:
        svc.guardians.check(p.pnr, child_pnr, today=_today(svc), policy=svc.guardian_policy)
    except GuardianError as e:
        code = "not_found" if e.code == "not_guardian" else "forbidden"
        raise DomainError(code, str(e)) from None
    return subject, child_pnr


def _questions(items: list[TriageQuestion]) -> tuple[Question, ...]:
    return tuple(
        Question(
            id=q.link_id,
            text=q.text[:1000],
            type=q.type,
            required=q.required,
            red_flag=q.red_flag,
            options=tuple(Option(code=o.code, text=o.text[:200]) for o in q.options)[:30],
            min=q.min,
            max=q.max,
            max_length=q.max_length,
        )
        for q in items[:25]
    )


HANDLERS: dict[type, Handler] = {
    HomeC: on_home,
    OpenCase: on_open,
    Answer: on_answer,
    AskPerson: on_ask_person,
    TriageC: on_triage,
    ContinueCase: on_continue,
    Contact: on_contact,
}
