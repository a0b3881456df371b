"""A patient picks up an unfinished triage after a reload (or on another
device) where they left it, and sees a finished triage's advice again."""

from __future__ import annotations

from pathlib import Path

import pytest

from clients.sdk import Client, ServerError, login_patient, login_staff
from protocol.frames import Answer, CaseUpdate, OpenCase, OutcomeS, Questions, TriageC
from tests.e2e.test_journey import CALM, _next, _value
from tests.support.server import PATIENT, running_server


async def test_a_reload_mid_triage_resumes_at_the_same_page(tmp_path: Path) -> None:
    async with running_server(tmp_path / "db.sqlite3") as srv:
        token = await login_patient(srv.base, PATIENT)
        first = Client(srv.ws, token)
        await first.start()
        opened = await first.request(
            OpenCase(id=0, entrance="seek_care", text="", subject="self", complaint="fever_adult")
        )
        assert isinstance(opened, CaseUpdate)
        case = opened.case.case
        page1 = await _next(first, Questions)
        answers = {q.id: _value(q, CALM["fever_adult"]) for q in page1.items}
        page2 = await first.request(Answer(id=0, case=case, answers=answers))
        assert isinstance(page2, Questions)
        await first.close()  # the page is reloaded

        again = Client(srv.ws, token)
        await again.start()
        resumed = await again.request(TriageC(id=0, case=case))
        assert isinstance(resumed, Questions) and resumed.case == case
        assert [q.id for q in resumed.items] == [q.id for q in page2.items]
        page: Questions | OutcomeS = resumed
        while isinstance(page, Questions):
            reply = await again.request(
                Answer(
                    id=0,
                    case=case,
                    answers={q.id: _value(q, CALM["fever_adult"]) for q in page.items},
                )
            )
            assert isinstance(reply, Questions | OutcomeS)
            page = reply
        assert page.disposition == "self_care"

        # Later: the advice is there to read again, word for word.
        shown = await again.request(TriageC(id=0, case=case))
        assert isinstance(shown, OutcomeS)
        assert (shown.disposition, shown.urgency, shown.advice) == (
            page.disposition,
            page.urgency,
            page.advice,
        )

        # A direct entrance has no triage; other people's cases do not exist.
        direct = await again.request(
            OpenCase(id=0, entrance="vc_nurse", text="Recept", subject="self", complaint=None)
        )
        assert isinstance(direct, CaseUpdate)
        with pytest.raises(ServerError) as none:
            await again.request(TriageC(id=0, case=direct.case.case))
        assert none.value.code == "not_found"
        other = Client(srv.ws, await login_patient(srv.base, "200306062381"))
        await other.start()
        with pytest.raises(ServerError) as hidden:
            await other.request(TriageC(id=0, case=case))
        assert hidden.value.code == "not_found"
        nurse = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
        await nurse.start()
        with pytest.raises(ServerError) as staff:
            await nurse.request(TriageC(id=0, case=case))
        assert staff.value.code == "forbidden"
        for c in (again, other, nurse):
            await c.close()
