"""Staff tools: live queues, the case view, re-triage, handoff, release,
consults, internal notes, canned phrases, and the patient's rating (issue 4).

Notes and consult discussions live in the case's staff thread
(``<case>~staff``), a room patients can never reach.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from chatserver.audit.chain import AuditEntry
from chatserver.domain.errors import DomainError
from chatserver.domain.personnummer import PersonalNumber
from chatserver.domain.principals import Principal
from chatserver.domain.urgency import Urgency
from chatserver.service import admin
from chatserver.service.session import ClientSession
from chatserver.store import records
from protocol.codec import encode
from protocol.frames import (
    CaseDetail,
    CaseView,
    Consult,
    ConsultInvite,
    Note,
    Ok,
    Phrase,
    PhraseDelete,
    PhraseList,
    Phrases,
    PhraseSet,
    QueueEntry,
    QueueS,
    QueueSub,
    Rate,
    Release,
    Retriage,
    StaffInfo,
    Transfer,
    TriageInfo,
)
from protocol.phrases import placeholder_problem

if TYPE_CHECKING:
    from chatserver.service.core import Handler, Service

QUEUE_VIEW = 100  # entries sent per pool; the total is always given


def _staff(s: ClientSession) -> Principal:
    if not s.principal.is_staff:
        raise DomainError("forbidden", "staff only")
    return s.principal


# ---------------------------------------------------------------- queues


async def on_queue_sub(svc: Service, s: ClientSession, f: QueueSub) -> None:
    p = _staff(s)
    pools = set(f.pools) or set(p.pools)
    if not pools <= p.pools:
        raise DomainError("forbidden", f"not your pools: {', '.join(sorted(pools - p.pools))}")
    # The queue shows waiting patients' names, ages and complaints: logged per
    # pool when it is opened (later pushes refresh what was already shown).
    actor = admin.Actor(s.principal, s.addr)
    rows = [
        admin.audit_entry(
            svc, actor, f"queue:{pool}", action="list", unit=pool, basis="pool_member"
        )
        for pool in sorted(pools)
    ]
    await svc.commit([], audit=rows)
    svc.watch_queues(s, pools)
    s.send(Ok(re=f.id))
    for pool in sorted(pools):
        s.peer.push(queue_frame(svc, pool))


def queue_frame(svc: Service, pool: str) -> bytes:
    queue = svc.state.queue(pool)
    now = svc.clock.now_ms()
    entries = []
    for w in queue.entries(QUEUE_VIEW):
        case = svc.state.cases[w.case_id]
        entries.append(
            QueueEntry(
                case=case.id,
                urgency=int(case.urgency),
                enqueued=w.enqueued,
                deadline=w.deadline,
                subject=svc.state.names.get(case.patient_id, ""),
                age=_age(svc, case.patient_id),
                complaint=case.complaint[:500],
                summary=svc.summaries.get(case.id, "")[:500],
                entrance=case.entrance,
            )
        )
    return encode(
        QueueS(
            pool=pool,
            total=len(queue),
            entries=tuple(entries),
            open=svc.deadlines.is_open(pool, now),
        )
    )


def _age(svc: Service, user_id: str) -> int:
    from chatserver.domain.clock import to_datetime

    pnr = svc.pnr_of.get(user_id)
    if pnr is None:
        return 0
    return PersonalNumber(pnr).age_on(to_datetime(svc.clock.now_ms()).date())


# ---------------------------------------------------------------- the case


async def on_case_view(svc: Service, s: ClientSession, f: CaseView) -> None:
    p = _staff(s)
    case = svc.state.visible_case(p, f.case)
    record = await svc.reader.triage_record(case.id)
    triage = None
    if record is not None and record["urgency"] is not None:
        triage = TriageInfo(
            complaint=record["complaint"],
            urgency=record["urgency"],
            disposition=record["disposition"] or "",
            summary=(record["summary"] or "")[:4000],
            answers=_answers(record["response"]),
            provenance=(record["provenance"] or "")[:4000],
        )
    window = svc.config.session.reopen_days * 86_400_000
    since = svc.clock.now_ms() - window
    earlier = [
        svc.case_info(c)
        for c in svc.state.cases.values()
        if c.patient_id == case.patient_id
        and c.id != case.id
        and (c.is_open or (c.closed or 0) >= since)
    ][-20:]
    consultants = tuple(
        StaffInfo(user=u, name=svc.state.names.get(u, u), roles=())
        for u in sorted(svc.state.consultants.get(case.id, frozenset()))
        if not u.startswith("pool:")
    )
    detail = CaseDetail(
        re=f.id,
        case=svc.case_info(case),
        age=_age(svc, case.patient_id),
        triage=triage,
        earlier=tuple(earlier),
        staff_room=case.staff_room,
        consultants=consultants[:20],
    )
    # The access is logged durably before anything is shown (HSLF-FS 2016:40 4 kap. 9 §).
    audit = svc.audit(s, case, "read", f"case:{case.id}")
    svc.commit([], lambda: s.send(detail), audit=[audit])


def _answers(response_json: str | None) -> tuple[tuple[str, str], ...]:
    """Question and answer texts from the stored FHIR QuestionnaireResponse."""
    if not response_json:
        return ()
    out: list[tuple[str, str]] = []

    def walk(items: list[dict[str, object]]) -> None:
        for item in items:
            answers = item.get("answer")
            if isinstance(answers, list) and answers:
                values = [_answer_text(a) for a in answers if isinstance(a, dict)]
                out.append(
                    (str(item.get("text", item.get("linkId", "")))[:1000], ", ".join(values)[:1000])
                )
            sub = item.get("item")
            if isinstance(sub, list):
                walk(sub)

    data = json.loads(response_json)
    items = data.get("item") if isinstance(data, dict) else None
    if isinstance(items, list):
        walk(items)
    return tuple(out[:60])


def _answer_text(answer: dict[str, object]) -> str:
    for key, value in answer.items():
        if key.startswith("value"):
            if isinstance(value, dict):
                return str(value.get("display") or value.get("code") or value)
            if isinstance(value, bool):
                return "ja" if value else "nej"
            return str(value)
    return ""


async def on_retriage(svc: Service, s: ClientSession, f: Retriage) -> None:
    p = _staff(s)
    case, events = svc.state.retriage(p, f.case, Urgency(f.urgency), f.reason)
    audit = svc.audit(s, case, "retriage", f"case:{case.id}")
    svc.answer_case(s, f.id, case, events, audit=[audit])


async def on_transfer(svc: Service, s: ClientSession, f: Transfer) -> None:
    p = _staff(s)
    if f.pool not in svc.config.pools:
        raise DomainError("not_found", f"no pool {f.pool}")
    before = svc.state.visible_case(p, f.case)
    await svc.ensure_cids(before.room)
    await svc.ensure_cids(before.staff_room)
    now = svc.clock.now_ms()
    # The note goes into the staff thread while this staff member still has the
    # case; then the case moves, and the patient sees that it did.
    note = svc.state.post(p, before.staff_room, f"handover-{now}", f"Överlämning: {f.note}", None)
    case, events = svc.state.transfer(p, f.case, f.pool, f.note)
    name = svc.config.pools[f.pool].name or f.pool
    events = [
        *note.events,
        *events,
        *svc.state.system_message(
            case.room, f"Ditt ärende har flyttats till: {name}.", f"transfer-{now}"
        ),
    ]
    audit = svc.audit(s, before, "hand_over", f"case:{case.id}")
    svc.answer_case(s, f.id, case, events, audit=[audit])


async def on_release(svc: Service, s: ClientSession, f: Release) -> None:
    p = _staff(s)
    case, events = svc.state.release(p, f.case)
    audit = svc.audit(s, case, "update", f"case:{case.id}")
    svc.answer_case(s, f.id, case, events, audit=[audit])


async def on_consult(svc: Service, s: ClientSession, f: Consult) -> None:
    p = _staff(s)
    if (f.staff is None) == (f.pool is None):
        raise DomainError("bad_request", "ask either a staff member or a pool")
    if f.pool is not None and f.pool not in svc.config.pools:
        raise DomainError("not_found", f"no pool {f.pool}")
    invitee = f"pool:{f.pool}"
    if f.staff is not None:
        # A colleague by user id or by login name; an invitation to nobody
        # would be answered by nobody.
        user = await svc.reader.user_by("id", f.staff) or await svc.reader.user_by(
            "username", f.staff
        )
        if user is None or user.kind != "staff" or user.disabled:
            raise DomainError("not_found", f"no staff member {f.staff}")
        invitee = user.id
    case = svc.state.visible_case(p, f.case)
    await svc.ensure_cids(case.staff_room)
    case, events = svc.state.consult(p, f.case, invitee, f.question)
    now = svc.clock.now_ms()
    events += svc.state.post(p, case.staff_room, f"consult-{now}", f.question, None).events
    audit = svc.audit(s, case, "consult", f"case:{case.id}")
    invite = encode(
        ConsultInvite(case=case.id, staff_room=case.staff_room, by=p.name, question=f.question)
    )

    def done() -> None:
        s.send(Ok(re=f.id))
        if f.staff is not None:
            svc.hub.to_user(invitee, invite)
        else:
            for other in svc.hub.sessions():
                if f.pool in other.principal.pools and other.principal.user_id != p.user_id:
                    other.peer.push(invite)

    svc.commit(events, done, audit=[audit])


async def on_note(svc: Service, s: ClientSession, f: Note) -> None:
    p = _staff(s)
    case = svc.state.visible_case(p, f.case)
    await svc.ensure_cids(case.staff_room)
    posted = svc.state.post(p, case.staff_room, f"note-{svc.clock.now_ms()}", f.text, None)
    audit = svc.audit(s, case, "note", f"room:{case.staff_room}")
    svc.commit(posted.events, lambda: s.send(Ok(re=f.id)), audit=[audit])


# ---------------------------------------------------------------- phrases


async def on_phrases(svc: Service, s: ClientSession, f: Phrases) -> None:
    p = _staff(s)
    items = [
        Phrase(key=key, text=text, scope=scope)
        for (scope, owner, key), text in sorted(svc.phrases.items())
        if (scope == "personal" and owner == p.user_id) or scope in p.pools
    ]
    s.send(PhraseList(re=f.id, phrases=tuple(items[:200])))


def _phrase_owner(p: Principal, scope: str) -> str:
    if scope == "personal":
        return p.user_id
    if scope in p.pools or "admin" in p.roles:
        return ""
    raise DomainError("forbidden", f"you may not change phrases shared in {scope}")


async def on_phrase_set(svc: Service, s: ClientSession, f: PhraseSet) -> None:
    p = _staff(s)
    ph = f.phrase
    if problem := placeholder_problem(ph.text):
        raise DomainError("bad_request", problem)
    owner = _phrase_owner(p, ph.scope)
    op = records.phrase_set(ph.scope, owner, ph.key, ph.text, svc.clock.now_ms())

    def done() -> None:
        svc.phrases[(ph.scope, owner, ph.key)] = ph.text
        s.send(Ok(re=f.id))

    svc.commit(
        [], done, extra=[op], audit=_shared_change(svc, s, ph.scope, ph.key, f"put:{ph.text}")
    )


def _shared_change(
    svc: Service, s: ClientSession, scope: str, key: str, verb: str
) -> list[AuditEntry]:
    """Changes to a pool's shared phrases are administration, and audited as such."""
    if scope == "personal":
        return []
    actor = admin.Actor(s.principal, s.addr)
    return [admin.audit_entry(svc, actor, f"phrase:{scope}/{key}:{verb}")]


async def on_phrase_delete(svc: Service, s: ClientSession, f: PhraseDelete) -> None:
    p = _staff(s)
    owner = _phrase_owner(p, f.scope)
    if (f.scope, owner, f.key) not in svc.phrases:
        raise DomainError("not_found", f"no phrase {f.key}")

    def done() -> None:
        svc.phrases.pop((f.scope, owner, f.key), None)
        s.send(Ok(re=f.id))

    svc.commit(
        [],
        done,
        extra=[records.phrase_delete(f.scope, owner, f.key)],
        audit=_shared_change(svc, s, f.scope, f.key, "delete"),
    )


# ---------------------------------------------------------------- rating


async def on_rate(svc: Service, s: ClientSession, f: Rate) -> None:
    _, events = svc.state.rate(s.principal, f.case, f.score)
    svc.commit(events, lambda: s.send(Ok(re=f.id)))


HANDLERS: dict[type, Handler] = {
    QueueSub: on_queue_sub,
    CaseView: on_case_view,
    Retriage: on_retriage,
    Transfer: on_transfer,
    Release: on_release,
    Consult: on_consult,
    Note: on_note,
    Phrases: on_phrases,
    PhraseSet: on_phrase_set,
    PhraseDelete: on_phrase_delete,
    Rate: on_rate,
}
