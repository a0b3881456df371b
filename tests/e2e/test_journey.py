"""End-to-end: the patient's journey through the real server with the SDK:
each triage disposition, a guardian with a child, a night-time case queued
for the morning, and a continued case (issue 3)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from chatserver.config import Config, PoolConfig, default
from chatserver.domain.clock import FakeClock
from clients.sdk import Client, ServerError, login_patient, login_staff
from protocol.frames import (
    Answer,
    AskPerson,
    CaseUpdate,
    Claim,
    CloseCase,
    ContinueCase,
    Frame,
    HomeC,
    HomeS,
    OpenCase,
    OutcomeS,
    Position,
    Question,
    Questions,
)
from tests.support.server import PATIENT, running_server
from tests.support.waiting import until

# Answers that lead nowhere alarming; each test overrides what matters.
CALM: dict[str, dict[str, Any]] = {
    "chest_pain": {
        "cp_ongoing": False,
        "cp_collapse": False,
        "cp_when": "gt72h",
        "cp_character": "sharp",
        "cp_exertion": False,
        "cp_heart": False,
    },
    "fever_adult": {
        "fa_confused": False,
        "fa_rash": False,
        "fa_breathing": False,
        "fa_neck": False,
        "fa_temp": 38.5,
        "fa_days": 2,
        "fa_drinking": True,
        "fa_immuno": False,
        "fa_travel": False,
    },
    "fever_child": {
        "fc_unresponsive": False,
        "fc_rash": False,
        "fc_blue": False,
        "fc_seizure": False,
        "fc_breathing": False,
        "fc_temp": 38.5,
        "fc_days": 1,
        "fc_drinking": True,
        "fc_activity": "normal",
        "fc_swelling": False,
    },
}


def _value(q: Question, answers: dict[str, Any]) -> Any:
    if q.id in answers:
        return answers[q.id]
    if q.type == "boolean":
        return False
    if q.type == "choice":
        return q.options[0].code
    if q.type in ("integer", "decimal"):
        return int(q.min or 1)
    return "ingenting mer"


async def triage(
    client: Client, entrance: str, complaint: str, answers: dict[str, Any], subject: str = "self"
) -> tuple[str, OutcomeS]:
    """Open a case at a triage entrance and answer until the outcome."""
    opened = await client.request(
        OpenCase(id=0, entrance=entrance, text="", subject=subject, complaint=complaint)
    )
    assert isinstance(opened, CaseUpdate) and opened.case.state == "triage"
    case = opened.case.case
    page: Frame = await _next(client, Questions)
    while True:
        assert isinstance(page, Questions) and page.items
        reply = await client.request(
            Answer(id=0, case=case, answers={q.id: _value(q, answers) for q in page.items})
        )
        if isinstance(reply, OutcomeS):
            return case, reply
        page = reply


F = TypeVar("F", bound=Frame)


async def _next(client: Client, kind: type[F]) -> F:
    while True:
        frame = await asyncio.wait_for(client.events.get(), 10)
        if isinstance(frame, kind):
            return frame


async def _patient(base: str, ws: str, pnr: str = PATIENT) -> Client:
    c = Client(ws, await login_patient(base, pnr))
    await c.start()
    return c


async def test_each_disposition(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient = await _patient(srv.base, srv.ws)
        home = await patient.request(HomeC(id=0))
        assert isinstance(home, HomeS)
        seek = next(e for e in home.entrances if e.key == "seek_care")
        assert seek.triage and {c.code for c in seek.complaints} >= {"chest_pain", "fever_adult"}

        # Ongoing chest pain suggesting a heart attack: call 112 (NICE CG95).
        _, out = await triage(
            patient, "seek_care", "chest_pain", {**CALM["chest_pain"], "cp_ongoing": True}
        )
        assert out.disposition == "call_112" and out.urgency == 0
        assert "112" in out.advice

        # Ordinary fever: self-care advice, then "talk to a person anyway" (U6).
        case, out = await triage(patient, "seek_care", "fever_adult", CALM["fever_adult"])
        assert out.disposition == "self_care" and out.urgency == 6
        queued = await patient.request(AskPerson(id=0, case=case))
        assert isinstance(queued, CaseUpdate)
        assert queued.case.state == "queued" and queued.case.urgency == 6

        # Breathless with fever: a place in the queue, U1, with a position pushed.
        case, out = await triage(
            patient, "seek_care", "fever_adult", {**CALM["fever_adult"], "fa_breathing": True}
        )
        assert out.disposition == "queue" and out.urgency == 1
        position = await _next(patient, Position)
        assert isinstance(position, Position)
        # U1 goes ahead of the U6 case queued earlier.
        while position.case != case:
            position = await _next(patient, Position)
        assert position.position == 1 and position.open

        # The nurse's "next" is that U1 case.
        nurse = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
        await nurse.start()
        claimed = await nurse.request(Claim(id=0))
        assert isinstance(claimed, CaseUpdate) and claimed.case.case == case
        await patient.close()
        await nurse.close()


async def test_guardian_opens_a_case_for_a_child(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        guardian = await _patient(srv.base, srv.ws)
        home = await guardian.request(HomeC(id=0))
        assert isinstance(home, HomeS)
        assert home.subjects[0].id == "self"
        child = next(s for s in home.subjects if s.name == "Bebis Testsson")
        assert child.may_act and child.age < 13
        # Infant fever without danger signs: queued or advice, never 112.
        case, out = await triage(
            guardian, "seek_care", "fever_child", CALM["fever_child"], subject=child.id
        )
        assert out.disposition != "call_112"
        # The child's case is the child's (subject), opened by the guardian (actor).
        row = srv.service.state.cases[case]
        assert row.patient_id == child.id
        assert row.actor_id == guardian.welcome.me.user if guardian.welcome else False
        # Another patient cannot act for this child.
        other = await _patient(srv.base, srv.ws, "200306062381")
        with pytest.raises(ServerError) as err:
            await other.request(OpenCase(id=0, entrance="vc_nurse", text="feber", subject=child.id))
        assert err.value.code == "not_found"
        await guardian.close()
        await other.close()


def _office_hours() -> Config:
    cfg = default()
    pools = {k: PoolConfig(p.name, {"mon-fri": "08:00-16:00"}) for k, p in cfg.pools.items()}
    return cfg.replace(pools=pools)


async def test_night_time_case_waits_for_the_morning(tmp_path: Path) -> None:
    # Tuesday 2026-11-24 22:00 in Stockholm (21:00 UTC): every pool is closed.
    clock = FakeClock(datetime(2026, 11, 24, 21, 0, tzinfo=UTC))
    async with running_server(tmp_path / "db.sqlite3", _office_hours(), clock) as srv:
        patient = await _patient(srv.base, srv.ws)
        home = await patient.request(HomeC(id=0))
        assert isinstance(home, HomeS)
        vc = next(e for e in home.entrances if e.key == "vc_nurse")
        opens = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 08:00 Stockholm
        assert not vc.open and vc.opens_at == int(opens.timestamp() * 1000)

        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="Utslag"))
        assert isinstance(opened, CaseUpdate) and opened.case.state == "queued"
        case = srv.service.state.cases[opened.case.case]
        # U4 = "end of the staffed day": the day the pool next opens, 16:00.
        assert case.deadline == int(datetime(2026, 11, 25, 15, 0, tzinfo=UTC).timestamp() * 1000)
        position = await _next(patient, Position)
        assert isinstance(position, Position) and not position.open
        assert position.wait_s >= 10 * 3600  # at least until 08:00

        # Urgent symptoms at night are redirected, not queued.
        _, out = await triage(
            patient, "seek_care", "fever_adult", {**CALM["fever_adult"], "fa_breathing": True}
        )
        assert out.disposition == "redirect" and "1177" in out.advice
        await patient.close()


async def test_closed_case_can_be_continued_within_four_days(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    async with running_server(tmp_path / "db.sqlite3", None, clock) as srv:
        patient = await _patient(srv.base, srv.ws)
        nurse = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
        await nurse.start()
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="Recept"))
        assert isinstance(opened, CaseUpdate)
        case = opened.case.case
        await nurse.request(Claim(id=0, case=case))
        closed = await nurse.request(CloseCase(id=0, case=case, outcome="advice"))
        assert isinstance(closed, CaseUpdate) and closed.case.state == "closed"

        clock.advance(days=3)
        again = await patient.request(ContinueCase(id=0, case=case, text="En fråga till"))
        assert isinstance(again, CaseUpdate) and again.case.state == "queued"
        await patient.subscribe(case)
        await asyncio.wait_for(until(lambda: patient.rooms[case].last >= 1), 10)
        assert patient.rooms[case].messages[1].text == "En fråga till"

        await nurse.request(Claim(id=0, case=case))
        await nurse.request(CloseCase(id=0, case=case, outcome="advice"))
        clock.advance(days=5)
        with pytest.raises(ServerError) as err:
            await patient.request(ContinueCase(id=0, case=case))
        assert err.value.code == "invalid_state"
        await patient.close()
        await nurse.close()


async def test_listing_check_and_booking_disposition(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        listed = await _patient(srv.base, srv.ws)
        opened = await listed.request(OpenCase(id=0, entrance="vc_secretary", text="Intyg"))
        assert isinstance(opened, CaseUpdate) and opened.case.state == "queued"
        unlisted = await _patient(srv.base, srv.ws, "190704019801")
        with pytest.raises(ServerError) as err:
            await unlisted.request(OpenCase(id=0, entrance="vc_secretary", text="Intyg"))
        assert err.value.code == "not_listed"
        # Sore throat with three Centor criteria: test at the health centre (booking).
        _, out = await triage(
            listed,
            "seek_care",
            "sore_throat",
            {
                "st_breathing": False,
                "st_saliva": False,
                "st_trismus": False,
                "st_fever": True,
                "st_nodes": True,
                "st_coating": True,
                "st_cough": True,
                "st_days": 2,
            },
        )
        assert out.disposition == "booking" and out.urgency == 4
        await listed.close()
        await unlisted.close()


async def test_waiting_cases_move_to_1177_when_the_health_centre_closes(tmp_path: Path) -> None:
    from chatserver.config import PoolConfig

    cfg = default()
    pools = dict(cfg.pools)
    pools["vc_nurse"] = PoolConfig("VC", {"mon-fri": "08:00-16:00"}, handover_to="nurse_1177")
    cfg = cfg.replace(pools=pools)
    # Tuesday 15:50 in Stockholm (14:50 UTC).
    clock = FakeClock(datetime(2026, 11, 24, 14, 50, tzinfo=UTC))
    async with running_server(tmp_path / "db.sqlite3", cfg, clock) as srv:
        patient = await _patient(srv.base, srv.ws)
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="Hosta"))
        assert isinstance(opened, CaseUpdate)
        before = srv.service.state.cases[opened.case.case]
        assert srv.service.hand_over_closed_pools() == 0  # still open
        clock.advance(minutes=15)  # 16:05: closed
        assert srv.service.hand_over_closed_pools() == 1
        after = srv.service.state.cases[opened.case.case]
        assert after.pool == "nurse_1177" and after.state.value == "queued"
        assert (after.enqueued, after.deadline) == (before.enqueued, before.deadline)
        assert opened.case.case in srv.service.state.queue("nurse_1177")
        await patient.close()
