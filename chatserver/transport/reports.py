"""HTTP endpoints for follow-up and control: KPIs (administrators and
auditors), a patient's own log extract, and a staff member's access listing
for auditors (HSLF-FS 2016:40 4 kap. 9-10 §§). Reading someone else's log is
itself logged."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import JSONResponse

from chatserver.audit.queries import (
    audit_rows,
    extract_entries,
    patient_extract_query,
    user_listing_query,
)
from chatserver.domain.principals import Principal
from chatserver.reports.kpi import kpis
from chatserver.service import admin
from chatserver.store import db
from chatserver.transport.http import _bearer, _svc, client_addr, error
from protocol.errors import ErrorCode

TZ = ZoneInfo("Europe/Stockholm")


MAX_DAYS = 366
"""Longest KPI period: a year, leap day included. Each request reads every
case in the period on a worker thread, so the period is bounded."""


def _days(request: Request) -> tuple[int, int] | JSONResponse:
    """[since, until) in ms from ?since=YYYY-MM-DD&until=YYYY-MM-DD (whole local days).

    A reversed or too long period is the caller's mistake (400), not a crash
    in ``kpis`` (500); so are dates at the ends of the calendar, where the day
    after ``until`` or the week before it does not exist.
    """
    try:
        # "Today" is Stockholm's day on the service's clock, not the host's:
        # between 23:00 and 24:00 UTC they differ, and today's cases vanished.
        today = datetime.fromtimestamp(_svc(request).clock.now_ms() / 1000, TZ).date()
        until = date.fromisoformat(request.query_params.get("until", today.isoformat()))
        since = date.fromisoformat(
            request.query_params.get("since", (until - timedelta(days=6)).isoformat())
        )
        end = until + timedelta(days=1)
    except ValueError:
        return error(ErrorCode.bad_request, "dates are YYYY-MM-DD", 400)
    except OverflowError:
        return error(ErrorCode.bad_request, "dates out of range", 400)
    if since > until:
        return error(ErrorCode.bad_request, f"since {since} is after until {until}", 400)
    if (end - since).days > MAX_DAYS:
        return error(ErrorCode.bad_request, f"at most {MAX_DAYS} days from since to until", 400)

    def ms(d: date) -> int:
        return int(datetime(d.year, d.month, d.day, tzinfo=TZ).timestamp() * 1000)

    return ms(since), ms(end)


async def _staff_with(request: Request, roles: set[str]) -> Principal | JSONResponse:
    who = await _bearer(request)
    if isinstance(who, JSONResponse):
        return who
    if not who.is_staff or not roles & who.roles:
        return error(ErrorCode.forbidden, f"needs the role {' or '.join(sorted(roles))}", 403)
    return who


async def kpi(request: Request) -> JSONResponse:
    svc = _svc(request)
    who = await _staff_with(request, {"admin", "auditor"})
    if isinstance(who, JSONResponse):
        return who
    window = _days(request)
    if isinstance(window, JSONResponse):
        return window

    # Cases still waiting are judged as of now, not as of the period's end.
    as_of = min(window[1], svc.clock.now_ms())

    def compute() -> dict[str, object]:
        conn = db.connect(svc.db_path, readonly=True)
        try:
            return kpis(conn, *window, as_of_ms=as_of).to_json()
        finally:
            conn.close()

    return JSONResponse(await asyncio.to_thread(compute))


async def my_extract(request: Request) -> JSONResponse:
    """The patient's right to a log extract: which unit accessed their data, when."""
    svc = _svc(request)
    who = await _bearer(request)
    if isinstance(who, JSONResponse):
        return who
    if who.is_staff:
        return error(ErrorCode.forbidden, "for patients", 403)
    sql, params = patient_extract_query(who.user_id)
    entries = extract_entries(await svc.reader.query(sql, tuple(params)))
    units = {k: p.name or k for k, p in svc.config.pools.items()}
    return JSONResponse(
        [{**dataclasses.asdict(e), "unit": units.get(e.unit, e.unit)} for e in entries]
    )


async def user_listing(request: Request) -> JSONResponse:
    svc = _svc(request)
    who = await _staff_with(request, {"auditor"})
    if isinstance(who, JSONResponse):
        return who
    user_id = request.query_params.get("user", "")
    if not user_id:
        return error(ErrorCode.bad_request, "?user= is required", 400)
    actor = admin.Actor(who, client_addr(request))
    entry = admin.audit_entry(svc, actor, f"audit:user:{user_id}", action="read", unit="audit")
    await svc.commit([], audit=[entry])
    sql, params = user_listing_query(user_id)
    rows = audit_rows(await svc.reader.query(sql, tuple(params)))
    return JSONResponse([dataclasses.asdict(r) for r in rows])
