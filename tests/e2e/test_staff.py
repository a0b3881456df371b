"""A nurse's shift end to end through the SDK (issue 4): queues, claim by
urgency, the case view, phrases, a photo request, a note, a consult, a
re-triage, a handover to the secretary, close and rating; the audit log
records exactly what happened."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import TypeVar

import pytest

from chatserver.audit.verify import verify
from clients.sdk import Client, HttpError, ServerError, login_patient, login_staff
from clients.sdk.http import fetch
from protocol.frames import (
    CaseDetail,
    CaseList,
    CaseUpdate,
    CaseView,
    Claim,
    CloseCase,
    Consult,
    ConsultInvite,
    Frame,
    ListCases,
    Note,
    OpenCase,
    Phrase,
    PhraseList,
    Phrases,
    PhraseSet,
    QueueS,
    QueueSub,
    Rate,
    Retriage,
    Send,
    Transfer,
)
from tests.e2e.test_journey import CALM, triage
from tests.support.server import PATIENT, running_server
from tests.support.waiting import until

F = TypeVar("F", bound=Frame)


async def _next(client: Client, kind: type[F]) -> F:
    while True:
        frame = await asyncio.wait_for(client.events.get(), 10)
        if isinstance(frame, kind):
            return frame


async def _staff(srv_base: str, ws: str, user: str) -> Client:
    c = Client(ws, await login_staff(srv_base, user, "demo"))
    await c.start()
    return c


async def test_a_nurses_shift(tmp_path: Path) -> None:  # noqa: PLR0915 - one story, told in order
    async with running_server(tmp_path / "db.sqlite3") as srv:
        p1 = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await p1.start()
        p2 = Client(srv.ws, await login_patient(srv.base, "200306062381"))
        await p2.start()
        # A routine case first, then an immediate one: the immediate one goes first.
        routine = await p2.request(OpenCase(id=0, entrance="vc_nurse", text="Förnya recept"))
        assert isinstance(routine, CaseUpdate)
        urgent, out = await triage(
            p1, "seek_care", "fever_adult", {**CALM["fever_adult"], "fa_breathing": True}
        )
        assert out.urgency == 1

        anna = await _staff(srv.base, srv.ws, "anna")
        await anna.request(QueueSub(id=0))
        queues: dict[str, QueueS] = {}
        while len(queues) < 2:
            q = await _next(anna, QueueS)
            queues[q.pool] = q
        assert queues["nurse_1177"].entries[0].case == urgent
        assert queues["nurse_1177"].entries[0].summary  # triage summary for staff
        assert queues["vc_nurse"].total == 1

        claimed = await anna.request(Claim(id=0))
        assert isinstance(claimed, CaseUpdate) and claimed.case.case == urgent
        detail = await anna.request(CaseView(id=0, case=urgent))
        assert isinstance(detail, CaseDetail)
        assert detail.triage is not None and detail.triage.urgency == 1
        assert "fever_adult" in detail.triage.provenance or detail.triage.complaint == "fever_adult"
        assert detail.triage.answers
        staff_room = detail.staff_room
        assert staff_room == f"{urgent}~staff"

        # A personal phrase, expanded by the client, then a photo request. A
        # placeholder the client would not fill in is refused, not stored.
        with pytest.raises(ServerError) as typo:
            await anna.request(
                PhraseSet(id=0, phrase=Phrase(key="hej", text="Hej {namn}!", scope="personal"))
            )
        assert typo.value.code == "bad_request" and "{namn}" in str(typo.value)
        await anna.request(
            PhraseSet(id=0, phrase=Phrase(key="hej", text="Hej {patient}!", scope="personal"))
        )
        phrases = await anna.request(Phrases(id=0))
        assert isinstance(phrases, PhraseList)
        assert [ph.key for ph in phrases.phrases] == ["hej"]
        await anna.subscribe(urgent)
        await p1.subscribe(urgent)
        await anna.send(urgent, phrases.phrases[0].text.replace("{patient}", "Tess"))
        await anna.request(
            Send(id=0, room=urgent, cid="ph1", text="Skicka en bild", kind="photo_request")
        )
        await asyncio.wait_for(until(lambda: p1.rooms[urgent].last >= 2), 10)
        assert p1.rooms[urgent].messages[1].text == "Hej Tess!"
        assert p1.rooms[urgent].messages[2].kind == "photo_request"
        with pytest.raises(ServerError):  # patients cannot ask for photos
            await p1.request(Send(id=0, room=urgent, cid="x", text="x", kind="photo_request"))

        # An internal note and a consult with the physician, in the staff thread.
        await anna.request(Note(id=0, case=urgent, text="Andfådd i vila enligt pat."))
        with pytest.raises(ServerError) as err:
            await p1.subscribe(staff_room)
        assert err.value.code == "not_found"
        lars = await _staff(srv.base, srv.ws, "lars")
        assert lars.welcome is not None
        with pytest.raises(ServerError):  # not his case yet
            await lars.request(CaseView(id=0, case=urgent))
        await anna.request(
            Consult(id=0, case=urgent, question="Behöver hon komma in?", staff=lars.welcome.me.user)
        )
        invite = await _next(lars, ConsultInvite)
        assert invite.case == urgent and invite.staff_room == staff_room
        assert isinstance(await lars.request(CaseView(id=0, case=urgent)), CaseDetail)
        await lars.subscribe(staff_room)
        await lars.send(staff_room, "Ja, boka besök idag.")
        await asyncio.wait_for(until(lambda: lars.rooms[staff_room].last >= 3), 10)
        texts = [m.text for m in lars.rooms[staff_room].messages.values()]
        assert texts == [
            "Andfådd i vila enligt pat.",
            "Behöver hon komma in?",
            "Ja, boka besök idag.",
        ]

        # Re-triage counts from the original enqueue time.
        before = srv.service.state.cases[urgent]
        assert before.enqueued is not None
        retriaged = await anna.request(Retriage(id=0, case=urgent, urgency=2, reason="Stabil"))
        assert isinstance(retriaged, CaseUpdate) and retriaged.case.urgency == 2
        after = srv.service.state.cases[urgent]
        assert after.deadline == before.enqueued + 60 * 60_000

        # Hand over to the secretary to book; the patient sees the transfer.
        moved = await anna.request(
            Transfer(id=0, case=urgent, pool="secretary", note="Boka läkarbesök idag")
        )
        assert isinstance(moved, CaseUpdate) and moved.case.state == "queued"
        assert moved.case.pool == "secretary"
        await asyncio.wait_for(
            until(lambda: any(m.kind == "system" for m in p1.rooms[urgent].messages.values())), 10
        )
        sara = await _staff(srv.base, srv.ws, "sara")
        taken = await sara.request(Claim(id=0, pool="secretary"))
        assert isinstance(taken, CaseUpdate) and taken.case.case == urgent
        with pytest.raises(ServerError) as err:
            await sara.request(CloseCase(id=0, case=urgent, outcome="conduct"))
        assert err.value.code == "bad_request"  # conduct needs a note
        closed = await sara.request(CloseCase(id=0, case=urgent, outcome="booked"))
        assert isinstance(closed, CaseUpdate) and closed.case.state == "closed"
        mine = await p1.request(ListCases(id=0))
        assert isinstance(mine, CaseList)
        assert [c.rated for c in mine.cases if c.case == urgent] == [False]
        await p1.request(Rate(id=0, case=urgent, score=5))
        mine = await p1.request(ListCases(id=0))
        assert isinstance(mine, CaseList)
        assert [c.rated for c in mine.cases if c.case == urgent] == [True]  # after a reload too
        with pytest.raises(ServerError) as err:
            await p1.request(Rate(id=0, case=urgent, score=1))
        assert err.value.code == "duplicate"

        # The stale-claim sweep returns a claimed, unanswered case to the queue.
        await anna.request(Claim(id=0, case=routine.case.case))
        assert srv.service.release_stale_claims(-1) == 1
        await asyncio.sleep(0.1)
        assert srv.service.state.cases[routine.case.case].state.value == "queued"

        for c in (p1, p2, anna, lars, sara):
            await c.close()
        await srv.service.writer.write([])
        db = sqlite3.connect(srv.db_path)
        rows = db.execute(
            "SELECT u.username, a.action, a.basis, a.allowed FROM audit_log a "
            "JOIN users u ON u.id = a.user_id ORDER BY a.id"
        ).fetchall()
        assert rows == [
            ("anna", "list", "pool_member", 1),  # her queues, one row per pool
            ("anna", "list", "pool_member", 1),
            ("anna", "update", "pool_member", 1),  # claim
            ("anna", "read", "assigned", 1),  # case_view
            ("anna", "read", "assigned", 1),  # following the chat (sub)
            ("anna", "note", "assigned", 1),
            ("lars", "read", "none", 0),  # refused, and logged as refused
            ("anna", "consult", "assigned", 1),
            ("lars", "read", "consulted", 1),  # case_view
            ("lars", "read", "consulted", 1),  # the staff thread (sub)
            ("anna", "retriage", "assigned", 1),
            ("anna", "hand_over", "assigned", 1),
            ("sara", "update", "pool_member", 1),
            ("sara", "close", "assigned", 1),
            ("anna", "update", "pool_member", 1),
        ]
        assert verify(db).ok
        db.close()

        # Follow-up over HTTP: KPIs for the administrator, not for a nurse...
        admin = await login_staff(srv.base, "admin", "demo")
        report = json.loads(await fetch(srv.base, admin, "/api/reports/kpi"))
        assert report["totals"]["cases"] == 2
        with pytest.raises(HttpError) as herr:
            await fetch(srv.base, await login_staff(srv.base, "anna", "demo"), "/api/reports/kpi")
        assert herr.value.status == 403
        # ...and the patient's own extract names units, not staff.
        mine = json.loads(
            await fetch(srv.base, await login_patient(srv.base, PATIENT), "/api/audit/mine")
        )
        assert [e["action"] for e in mine] == [
            "update",
            "read",  # the case view
            "read",  # the chat
            "note",
            "consult",
            "read",
            "read",
            "retriage",
            "hand_over",
            "update",
            "close",
        ]  # allowed accesses to Tess's case; the refused attempt is for controls only
        assert {e["unit"] for e in mine} == {"1177 sjuksköterskor", "Vårdcentralens sekreterare"}
        assert all(set(e) == {"at", "unit", "action", "object"} for e in mine)


async def test_a_colleague_is_asked_by_login_name_and_nobody_is_not(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient = Client(srv.ws, await login_patient(srv.base, PATIENT))
        anna = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
        lars = Client(srv.ws, await login_staff(srv.base, "lars", "demo"))
        for c in (patient, anna, lars):
            await c.start()
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="Utslag"))
        assert isinstance(opened, CaseUpdate)
        case = opened.case.case
        await anna.request(Claim(id=0, case=case))
        for nobody in ("nosuchuser", "pf0000000000", "admin2"):
            with pytest.raises(ServerError) as err:
                await anna.request(Consult(id=0, case=case, question="?", staff=nobody))
            assert err.value.code == "not_found"
        await anna.request(Consult(id=0, case=case, question="Bältros?", staff="lars"))
        invite = await _next(lars, ConsultInvite)
        assert invite.case == case and invite.question == "Bältros?"
        for c in (patient, anna, lars):
            await c.close()
