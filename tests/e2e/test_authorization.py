"""Who may do what to a case: every command below as every kind of actor,
against the exact allow/deny table (issue 4; DESIGN rule 9).

The case is Bebis's (a child), opened by the guardian Tess at the vc_nurse
entrance, taken by Anna (vc_nurse), who consulted Lars (physician). A refusal
is `not_found` when the actor may not know the case exists, `forbidden` when
they may see it but not do this.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from chatserver.service.accounts import staff_user_op
from clients.sdk import Client, ServerError, login_patient, login_staff
from protocol.frames import (
    CaseUpdate,
    CaseView,
    Claim,
    Consult,
    Frame,
    History,
    HomeC,
    HomeS,
    Note,
    OpenCase,
    Phrase,
    PhraseSet,
    Retriage,
    Send,
    Subscribe,
)
from tests.support.server import PATIENT, prepare_db, running_server

OK = "ok"
NF = "not_found"
FB = "forbidden"

COMMANDS = ("sub", "history", "send", "sub_staff", "case_view", "note", "retriage", "phrase_pool")

# actor -> outcome of each command, in COMMANDS order
TABLE: dict[str, tuple[str, ...]] = {
    "guardian": (OK, OK, OK, NF, FB, FB, FB, FB),
    "other_patient": (NF, NF, NF, NF, FB, FB, FB, FB),
    "pool_staff": (OK, OK, OK, OK, OK, OK, OK, OK),
    "other_pool_staff": (NF, NF, NF, NF, NF, NF, NF, FB),
    # Reads the case and writes in its staff thread (note); the case stays with
    # its pool: no message to the patient, no re-triage (issue 4: consult).
    "consulted_staff": (OK, OK, FB, OK, OK, OK, FB, FB),
    "admin": (NF, NF, NF, NF, NF, NF, NF, OK),
    "auditor": (NF, NF, NF, NF, NF, NF, NF, FB),
}

ACTORS = {
    "guardian": ("patient", PATIENT),
    "other_patient": ("patient", "200306062381"),
    "pool_staff": ("staff", "anna"),
    "other_pool_staff": ("staff", "sara"),
    "consulted_staff": ("staff", "lars"),
    "admin": ("staff", "admin"),
    "auditor": ("staff", "ulla"),
}


def _command(name: str, case: str) -> Frame:
    return {
        "sub": Subscribe(id=0, room=case),
        "history": History(id=0, room=case, before=10),
        "send": Send(id=0, room=case, cid=f"auth-{time.monotonic_ns()}", text="hej"),
        "sub_staff": Subscribe(id=0, room=f"{case}~staff"),
        "case_view": CaseView(id=0, case=case),
        "note": Note(id=0, case=case, text="anteckning"),
        "retriage": Retriage(id=0, case=case, urgency=3, reason="test"),
        "phrase_pool": PhraseSet(
            id=0, phrase=Phrase(key="k", text="Hej {patient}", scope="vc_nurse")
        ),
    }[name]


@pytest.mark.parametrize("actor", sorted(TABLE))
async def test_allow_deny_table(tmp_path: Path, actor: str) -> None:
    db = tmp_path / "db.sqlite3"
    prepare_db(str(db))
    conn = sqlite3.connect(db)
    sql, params = staff_user_op(
        username="ulla",
        name="Ulla Granskare",
        password="demo",
        roles=("auditor",),
        pools=(),
        now=0,
    )
    conn.execute(sql, params)
    conn.commit()
    conn.close()
    async with running_server(db) as srv:
        tess = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await tess.start()
        home = await tess.request(HomeC(id=0))
        assert isinstance(home, HomeS)
        child = next(s for s in home.subjects if s.name == "Bebis Testsson")
        opened = await tess.request(
            OpenCase(id=0, entrance="vc_nurse", text="Feber", subject=child.id)
        )
        assert isinstance(opened, CaseUpdate)
        case = opened.case.case
        anna = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
        await anna.start()
        await anna.request(Claim(id=0, case=case))
        lars_token = await login_staff(srv.base, "lars", "demo")
        lars = Client(srv.ws, lars_token)
        assert (await lars.start()).me.user
        await anna.request(Consult(id=0, case=case, question="?", staff=lars.welcome.me.user))  # type: ignore[union-attr]

        kind, who = ACTORS[actor]
        clients = {"guardian": tess, "pool_staff": anna, "consulted_staff": lars}
        client = clients.get(actor)
        if client is None:
            token = (
                await login_patient(srv.base, who)
                if kind == "patient"
                else await login_staff(srv.base, who, "demo")
            )
            client = Client(srv.ws, token)
            await client.start()
        outcomes = []
        for name in COMMANDS:
            try:
                await client.request(_command(name, case))
                outcomes.append(OK)
            except ServerError as e:
                outcomes.append(e.code)
        assert dict(zip(COMMANDS, outcomes, strict=True)) == dict(
            zip(COMMANDS, TABLE[actor], strict=True)
        )
        for c in {tess, anna, lars, client}:
            await c.close()


async def test_anonymous_gets_nothing(tmp_path: Path) -> None:
    from clients.sdk.http import HttpError, fetch, upload

    async with running_server(tmp_path / "db.sqlite3") as srv:
        with pytest.raises(HttpError) as err:
            await upload(srv.base, "no-such-token", "c1", b"\x89PNG\r\n\x1a\n", "image/png")
        assert err.value.status == 401
        with pytest.raises(HttpError) as err:
            await fetch(srv.base, "no-such-token", "/api/attachments/a1")
        assert err.value.status == 401
        with pytest.raises(ServerError) as serr:
            await Client(srv.ws, "no-such-token").start()
        assert serr.value.code == "auth_failed"
