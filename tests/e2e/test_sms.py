"""SMS notices end to end: the real HTTP sender against a local gateway,
consent, no health information, retries, and nothing lost across a restart."""

from __future__ import annotations

import asyncio
import base64
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatserver.config import Config, SmsConfig, default
from clients.sdk import Client, login_patient, login_staff
from protocol.frames import CaseUpdate, Claim, CloseCase, Contact, OpenCase
from tests.support.gateway import Gateway
from tests.support.server import PATIENT, running_server
from tests.support.waiting import until


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    g = Gateway()
    g.start()
    yield g
    g.stop()


def _config(gateway: Gateway) -> Config:
    return default().replace(
        sms=SmsConfig(
            sender="http",
            url=gateway.url,
            username="u1",
            password="secret",
            sender_name="Region",
            delivery_key="k3y",
        )
    )


async def test_your_turn_and_closed_are_sent_with_consent(tmp_path: Path, gateway: Gateway) -> None:
    async with running_server(tmp_path / "db.sqlite3", _config(gateway)) as srv:
        patient = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await patient.start()
        nurse = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
        await nurse.start()
        # Without consent: nothing.
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="Hosta"))
        assert isinstance(opened, CaseUpdate)
        await nurse.request(Claim(id=0, case=opened.case.case))
        await nurse.request(CloseCase(id=0, case=opened.case.case, outcome="advice"))
        await asyncio.sleep(0.3)
        assert gateway.received == []

        await patient.request(Contact(id=0, sms=True, phone="070-123 45 67"))
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="Ont i örat"))
        assert isinstance(opened, CaseUpdate)
        await nurse.request(Claim(id=0, case=opened.case.case))
        await asyncio.wait_for(until(lambda: len(gateway.received) == 1), 10)
        sms = gateway.received[0]
        assert sms == {
            "from": "Region",
            "to": "0701234567",
            "message": "Det är din tur. Logga in för att chatta med vården.",
        }
        assert gateway.auth[0] == "Basic " + base64.b64encode(b"u1:secret").decode()
        assert "örat" not in sms["message"]  # never health information

        # The patient leaves; a staff reply while away is announced (once).
        await patient.close()
        await nurse.subscribe(opened.case.room)
        await nurse.send(opened.case.room, "Hur länge har det värkt?")
        await nurse.send(opened.case.room, "Har du feber?")
        await nurse.request(CloseCase(id=0, case=opened.case.case, outcome="advice"))
        await asyncio.wait_for(until(lambda: len(gateway.received) == 3), 10)
        kinds = [r["message"] for r in gateway.received]
        assert kinds[1].startswith("Du har fått ett svar") and "avslutad" in kinds[2]

        # Delivery reports from the gateway (form POST, as 46elks sends them).
        assert await _report(srv.base + "/api/sms/delivery?key=wrong", "s1") == 403
        assert await _report(srv.base + "/api/sms/delivery?key=k3y", "s1") == 200
        con = sqlite3.connect(srv.db_path)
        status = con.execute("SELECT status FROM notifications WHERE provider_id = 's1'").fetchone()
        con.close()
        assert status == ("delivered",)
        await nurse.close()


async def _report(url: str, provider_id: str) -> int:
    def post() -> int:
        body = urllib.parse.urlencode({"id": provider_id, "status": "delivered"}).encode()
        req = urllib.request.Request(
            url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as e:
            return int(e.code)

    return await asyncio.to_thread(post)


async def test_gateway_down_retries_and_survives_restart(tmp_path: Path, gateway: Gateway) -> None:
    db = tmp_path / "db.sqlite3"
    gateway.fail_next = 10**6  # down
    async with running_server(db, _config(gateway)) as srv:
        patient = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await patient.start()
        await patient.request(Contact(id=0, sms=True, phone="+46701234567"))
        nurse = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
        await nurse.start()
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="Yrsel"))
        assert isinstance(opened, CaseUpdate)
        await nurse.request(Claim(id=0, case=opened.case.case))
        await patient.close()
        await nurse.close()

        def attempts() -> int:
            con = sqlite3.connect(db)
            try:
                return int(con.execute("SELECT max(attempts) FROM notifications").fetchone()[0])
            finally:
                con.close()

        await asyncio.wait_for(until(lambda: attempts() >= 1), 10)
    # Restarted with the gateway back: the pending notice is sent after its backoff.
    gateway.fail_next = 0
    async with running_server(db, _config(gateway)) as srv:
        # The first retry would wait 10 s of backoff; make it due now.
        await srv.service.writer.write(
            [("UPDATE notifications SET next_try = 0 WHERE status = 'pending'", ())]
        )
        srv.service.outbox.poke()
        await asyncio.wait_for(until(lambda: len(gateway.received) == 1), 10)
        assert gateway.received[0]["to"] == "+46701234567"
        con = sqlite3.connect(db)
        status = con.execute("SELECT status, provider_id FROM notifications").fetchone()
        con.close()
        assert status == ("sent", "s1")
