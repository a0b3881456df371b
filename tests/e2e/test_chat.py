"""End-to-end: patient and nurse chat through the real server (real sockets,
real SQLite file, the SDK)."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from chatserver.config import default
from clients.sdk import Client, ServerError, login_patient, login_staff
from protocol.frames import CaseList, CaseUpdate, Claim, History, ListCases, OpenCase, Page
from tests.support.server import PATIENT, running_server
from tests.support.waiting import until as _until


async def _patient_and_nurse(base: str, ws: str) -> tuple[Client, Client]:
    patient = Client(ws, await login_patient(base, PATIENT))
    nurse = Client(ws, await login_staff(base, "anna", "demo"))
    await patient.start()
    await nurse.start()
    return patient, nurse


async def _open_and_claim(patient: Client, nurse: Client) -> str:
    opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="Ont i halsen"))
    assert isinstance(opened, CaseUpdate)
    assert opened.case.state == "queued"
    claimed = await nurse.request(Claim(id=0, case=None, pool="vc_nurse"))
    assert isinstance(claimed, CaseUpdate)
    assert claimed.case.case == opened.case.case
    assert claimed.case.state == "assigned"
    return opened.case.room


async def test_patient_and_nurse_chat_in_order(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient, nurse = await _patient_and_nurse(srv.base, srv.ws)
        room = await _open_and_claim(patient, nurse)
        await patient.subscribe(room)
        await nurse.subscribe(room)
        acks = [await patient.send(room, f"hej {i}") for i in range(5)]
        assert [a.seq for a in acks] == [1, 2, 3, 4, 5]
        reply = await nurse.send(room, "Hej! Hur länge har du haft ont?")
        assert reply.seq == 6
        for _ in range(100):
            if patient.rooms[room].last == 6 and nurse.rooms[room].last == 6:
                break
            await asyncio.sleep(0.02)
        assert [m.text for m in patient.rooms[room].messages.values()][-1].startswith("Hej!")
        assert nurse.rooms[room].messages[1].role == "patient"
        assert patient.rooms[room].messages[6].role == "staff"
        assert patient.rooms[room].gaps == [] and nurse.rooms[room].gaps == []
        # The nurse's first reply moved the case to active.
        listed = await patient.request(ListCases(id=0))
        assert isinstance(listed, CaseList)
        assert listed.cases[0].state == "active"
        await patient.close()
        await nurse.close()


async def test_resend_same_cid_returns_original_number(tmp_path: Path) -> None:
    from protocol.frames import Ack, Send

    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient, nurse = await _patient_and_nurse(srv.base, srv.ws)
        room = await _open_and_claim(patient, nurse)
        first = await patient.request(Send(id=0, room=room, cid="abc", text="en gång"))
        again = await patient.request(Send(id=0, room=room, cid="abc", text="en gång"))
        assert isinstance(first, Ack) and isinstance(again, Ack)
        assert first.seq == again.seq == 1
        page = await nurse.request(History(id=0, room=room, before=100))
        assert isinstance(page, Page)
        assert [m.text for m in page.msgs] == ["en gång"]
        await patient.close()
        await nurse.close()


async def test_resume_after_disconnect_gets_missed_messages(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient, nurse = await _patient_and_nurse(srv.base, srv.ws)
        room = await _open_and_claim(patient, nurse)
        await patient.subscribe(room)
        await nurse.subscribe(room)
        await patient.send(room, "före")
        await patient.drop()
        # While the patient is away the nurse writes more than memory keeps.
        for i in range(150):
            nurse.send(room, f"medan du var borta {i}")
        await asyncio.wait_for(_until(lambda: nurse.unacked == 0), 30)
        await asyncio.wait_for(_until(lambda: patient.rooms[room].last == 151), 30)
        view = patient.rooms[room]
        assert view.gaps == []
        assert sorted(view.messages) == list(range(1, 152))
        await patient.close()
        await nurse.close()


async def test_history_pages_back(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient, nurse = await _patient_and_nurse(srv.base, srv.ws)
        room = await _open_and_claim(patient, nurse)
        await asyncio.gather(*(patient.send(room, f"m{i}") for i in range(30)))
        page = await nurse.request(History(id=0, room=room, before=31, limit=10))
        assert isinstance(page, Page)
        assert [m.seq for m in page.msgs] == list(range(21, 31)) and page.more
        first = await nurse.request(History(id=0, room=room, before=5, limit=10))
        assert isinstance(first, Page)
        assert [m.seq for m in first.msgs] == [1, 2, 3, 4] and not first.more
        await patient.close()
        await nurse.close()


async def test_other_patient_cannot_reach_room(tmp_path: Path) -> None:
    from chatserver.config import TestIdentity, default

    cfg = default()
    cfg = cfg.replace(
        identity=cfg.identity.__class__(
            provider="dev",
            test_identities=(*cfg.identity.test_identities, TestIdentity("189001019802", "Annan")),
        )
    )
    async with running_server(tmp_path / "db.sqlite3", cfg) as srv:
        patient, nurse = await _patient_and_nurse(srv.base, srv.ws)
        room = await _open_and_claim(patient, nurse)
        other = Client(srv.ws, await login_patient(srv.base, "189001019802"))
        await other.start()
        with pytest.raises(ServerError) as err:
            await other.subscribe(room)
        assert err.value.code == "not_found"
        for c in (patient, nurse, other):
            await c.close()


async def test_a_shift_lets_rooms_go(tmp_path: Path) -> None:
    """More cases in a shift than rooms followed at once: unsubscribe frees the
    place, stops the room's messages, and is not undone by a reconnect."""
    cfg = default()
    cfg = cfg.replace(limits=dataclasses.replace(cfg.limits, max_subs=2))
    async with running_server(tmp_path / "db.sqlite3", cfg) as srv:
        patient, nurse = await _patient_and_nurse(srv.base, srv.ws)
        rooms = [await _open_and_claim(patient, nurse) for _ in range(3)]
        for room in rooms[:2]:
            await nurse.subscribe(room)
        with pytest.raises(ServerError) as full:
            await nurse.subscribe(rooms[2])
        assert full.value.code == "limit_reached"
        await nurse.unsubscribe(rooms[0])
        await nurse.subscribe(rooms[2])
        await nurse.drop()  # reconnects and follows rooms 1 and 2 again, not 0
        await patient.subscribe(rooms[0])
        await patient.subscribe(rooms[1])
        await patient.send(rooms[0], "till ett rum ingen sköterska följer")
        await patient.send(rooms[1], "hej")
        await asyncio.wait_for(_until(lambda: nurse.rooms[rooms[1]].last == 1), 30)
        assert rooms[0] not in nurse.rooms
        await patient.close()
        await nurse.close()


async def test_a_transfer_stops_the_old_pools_live_messages(tmp_path: Path) -> None:
    """Access is checked at ``sub`` and must still hold for every message after:
    a nurse who hands a case to a pool she is not in stops receiving it."""
    from protocol.frames import Transfer

    async with running_server(tmp_path / "db.sqlite3") as srv:
        patient, nurse = await _patient_and_nurse(srv.base, srv.ws)
        room = await _open_and_claim(patient, nurse)
        doctor = Client(srv.ws, await login_staff(srv.base, "lars", "demo"))
        await doctor.start()
        for c in (patient, nurse):
            await c.subscribe(room)
        await patient.send(room, "före")
        await asyncio.wait_for(_until(lambda: nurse.rooms[room].last == 1), 10)
        await nurse.request(Transfer(id=0, case=room, pool="physician", note="bedöm"))
        await doctor.subscribe(room)
        after = await patient.send(room, "efter")  # seq 2 is the transfer notice
        await asyncio.wait_for(_until(lambda: doctor.rooms[room].last == after.seq), 10)
        await nurse.request(ListCases(id=0))  # answered after anything queued before it
        assert nurse.rooms[room].last < after.seq
        assert "efter" not in [m.text for m in nurse.rooms[room].messages.values()]
        with pytest.raises(ServerError) as gone:
            await nurse.subscribe(room)
        assert gone.value.code == "not_found"
        for c in (patient, nurse, doctor):
            await c.close()
