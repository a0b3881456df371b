"""``GET /api/reports/kpi`` against a real server: a period the caller got
wrong (reversed, longer than a year, off the calendar) is a 400
``bad_request`` with a message, like every other refusal there, never a 500."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from chatserver.transport.reports import MAX_DAYS
from clients.sdk import login_staff
from tests.support.http import call_json
from tests.support.server import Running, running_server


@pytest.fixture
async def srv(tmp_path: Path) -> AsyncIterator[Running]:
    async with running_server(tmp_path / "chat.sqlite3") as running:
        yield running


async def kpi(srv: Running, token: str, **query: str) -> tuple[int, Any]:
    """(status, JSON body) of a real request."""
    url = f"{srv.base}/api/reports/kpi?{urllib.parse.urlencode(query)}"
    return await asyncio.to_thread(call_json, url, None, token)


@pytest.mark.parametrize(
    ("since", "until", "says"),
    [
        ("2026-12-01", "2025-12-05", "after"),
        ("2025-12-06", "2025-12-05", "after"),
        ("2024-01-01", "2025-12-31", f"at most {MAX_DAYS} days"),
        ("9999-12-30", "9999-12-31", "out of range"),
        ("2025-13-01", "2025-12-31", "YYYY-MM-DD"),
    ],
)
async def test_a_wrong_period_is_a_bad_request(
    srv: Running, since: str, until: str, says: str
) -> None:
    token = await login_staff(srv.base, "admin", "demo")
    status, body = await kpi(srv, token, since=since, until=until)
    assert status == 400
    assert body["error"]["code"] == "bad_request"
    assert says in body["error"]["message"]


async def test_a_day_and_a_whole_year_are_answered(srv: Running) -> None:
    token = await login_staff(srv.base, "admin", "demo")
    for since, until in [("2025-12-05", "2025-12-05"), ("2024-01-01", "2024-12-31")]:
        status, body = await kpi(srv, token, since=since, until=until)
        assert status == 200, body
        assert body["totals"]["cases"] == 0


async def test_the_default_period_ends_with_stockholms_today(tmp_path: Path) -> None:
    """At 23:30 UTC it is already tomorrow in Stockholm: a case opened then is
    today's, by the service's clock (not the host's date)."""
    from datetime import UTC, datetime

    from chatserver.domain.clock import FakeClock
    from clients.sdk import Client, login_patient
    from protocol.frames import CaseUpdate, OpenCase
    from tests.support.server import PATIENT

    clock = FakeClock(datetime(2026, 1, 12, 23, 30, tzinfo=UTC))
    async with running_server(tmp_path / "chat.sqlite3", clock=clock) as srv:
        patient = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await patient.start()
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="Ont"))
        assert isinstance(opened, CaseUpdate)
        await patient.close()
        status, report = await kpi(srv, await login_staff(srv.base, "admin", "demo"))
        assert status == 200
        assert report["totals"]["cases"] == 1
        assert report["period"]["until"].startswith("2026-01-14")  # the end of the 13th
        assert report["period"]["as_of"].startswith("2026-01-13T00:30")  # now, not midnight
