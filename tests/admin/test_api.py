"""The administration API against a real server (issue 4): users and roles,
pools and hours, entrances, phrases; access changes end sessions at once;
everything survives a restart and every change is in the audit chain."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from chatserver.admin_commands import Api, ApiError
from chatserver.audit.verify import verify
from clients.sdk import Client, HttpError, login_patient, login_staff
from protocol.codec import decode_server, encode
from protocol.frames import (
    Hello,
    HomeC,
    HomeS,
    Ok,
    Phrase,
    PhraseDelete,
    PhraseList,
    Phrases,
    PhraseSet,
    Welcome,
)
from protocol.version import PROTOCOL_VERSION
from tests.support.server import PATIENT, Running, running_server


class Admin:
    """The admin API as a test calls it: a real HTTP request in a thread."""

    def __init__(self, srv: Running, token: str | None) -> None:
        self.api = Api(srv.base, token)

    async def __call__(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return await asyncio.to_thread(self.api.call, method, "/api/admin" + path, body)

    async def refused(self, method: str, path: str, body: dict[str, Any] | None = None) -> ApiError:
        with pytest.raises(ApiError) as info:
            await self(method, path, body)
        return info.value


@pytest.fixture
async def srv(tmp_path: Path) -> AsyncIterator[Running]:
    async with running_server(tmp_path / "chat.sqlite3") as running:
        yield running


@pytest.fixture
async def admin(srv: Running) -> Admin:
    return Admin(srv, await login_staff(srv.base, "admin", "demo"))


def _audit(db_path: str) -> list[tuple[str, str, str, str]]:
    conn = sqlite3.connect(db_path)
    try:
        assert verify(conn).ok
        return list(
            conn.execute(
                "SELECT action, object, basis, unit FROM audit_log WHERE action = 'admin' "
                "ORDER BY id"
            )
        )
    finally:
        conn.close()


async def test_only_administrators_get_in(srv: Running, admin: Admin) -> None:
    nurse = Admin(srv, await login_staff(srv.base, "anna", "demo"))
    assert "forbidden (403)" in str(await nurse.refused("GET", "/users"))
    patient = Admin(srv, await login_patient(srv.base, PATIENT))
    assert "forbidden (403)" in str(await patient.refused("GET", "/pools"))
    nobody = Admin(srv, None)
    assert "auth_failed (401)" in str(await nobody.refused("GET", "/roles"))
    roles = await admin("GET", "/roles")
    assert {r["role"] for r in roles} >= {"nurse", "admin", "auditor", "bvc_nurse"}


async def test_create_a_nurse_who_can_then_log_in(srv: Running, admin: Admin) -> None:
    eva = {
        "username": "eva",
        "name": "Eva Ek",
        "password": "lösenord-123",
        "roles": ["nurse"],
        "pools": ["nurse_1177"],
    }
    made = await admin("POST", "/users", eva)
    assert made["username"] == "eva" and made["roles"] == ["nurse"] and not made["disabled"]
    nurse = Client(srv.ws, await login_staff(srv.base, "eva", "lösenord-123"))
    welcome = await nurse.start()
    assert welcome.me.user == made["id"]
    await nurse.close()

    assert "conflict (409)" in str(await admin.refused("POST", "/users", eva))
    bad_role = await admin.refused("POST", "/users", {**eva, "username": "x1", "roles": ["god"]})
    assert "bad_request (400)" in str(bad_role) and "/roles/0" in str(bad_role)
    extra = await admin.refused("POST", "/users", {**eva, "username": "x2", "shoe": 42})
    assert "/shoe" in str(extra)
    short = await admin.refused("POST", "/users", {**eva, "username": "x3", "password": "kort"})
    assert "/password" in str(short)
    pool = await admin.refused("POST", "/users", {**eva, "username": "x4", "pools": ["mars"]})
    assert "unknown pool(s): mars" in str(pool)
    users = {u["username"] for u in await admin("GET", "/users")}
    assert "eva" in users and not users & {"x1", "x2", "x3", "x4"}
    assert [r[1] for r in _audit(srv.db_path)] == ["user:eva:create:roles=nurse,pools=nurse_1177"]


async def _connect(srv: Running, token: str) -> websockets.ClientConnection:
    ws = await websockets.connect(srv.ws, compression=None)
    await ws.send(encode(Hello(v=PROTOCOL_VERSION, token=token, client="sdk")))
    assert isinstance(decode_server(bytes(await ws.recv())), Welcome)  # type: ignore[arg-type]
    return ws


async def _closed_with(ws: websockets.ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed) as info:
        while True:
            await asyncio.wait_for(ws.recv(), 10)
    rcvd = info.value.rcvd
    return None if rcvd is None else rcvd.code


async def test_changing_access_ends_sessions_at_once(srv: Running, admin: Admin) -> None:
    token = await login_staff(srv.base, "anna", "demo")
    ws = await _connect(srv, token)
    renamed = await admin("PATCH", "/users/anna", {"name": "Anna A. Andersson"})
    assert renamed["name"] == "Anna A. Andersson"  # a new name keeps her connected
    moved = await admin("PATCH", "/users/anna", {"pools": ["vc_nurse"]})
    assert moved["pools"] == ["vc_nurse"]
    assert await _closed_with(ws) == 4006  # session_revoked
    with pytest.raises(ApiError) as gone:
        await asyncio.to_thread(Api(srv.base, token).call, "POST", "/api/logout", {})
    assert "auth_failed (401)" in str(gone.value)  # the old token is dead too

    await admin("PATCH", "/users/anna", {"disabled": True})
    with pytest.raises(HttpError) as refused:
        await login_staff(srv.base, "anna", "demo")
    assert refused.value.code == "auth_failed"
    await admin("PATCH", "/users/anna", {"disabled": False})
    assert await login_staff(srv.base, "anna", "demo")

    self_demote = await admin.refused("PATCH", "/users/admin", {"roles": ["nurse"]})
    assert "forbidden (403)" in str(self_demote)
    self_grant = await admin.refused("PATCH", "/users/admin", {"pools": ["nurse_1177"]})
    assert "another administrator must change your own roles or pools" in str(self_grant)
    missing = await admin.refused("PATCH", "/users/nobody", {"name": "X"})
    assert "not_found (404)" in str(missing)
    empty = await admin.refused("PATCH", "/users/anna", {})
    assert "bad_request (400)" in str(empty)
    objects = [r[1] for r in _audit(srv.db_path)]
    assert objects == [  # what changed, and to what
        "user:anna:update:name=Anna A. Andersson",
        "user:anna:update:pools=vc_nurse",
        "user:anna:update:disabled=true",
        "user:anna:update:disabled=false",
    ]


async def test_a_password_reset_ends_sessions_and_the_old_password(
    srv: Running, admin: Admin
) -> None:
    token = await login_staff(srv.base, "sara", "demo")
    ws = await _connect(srv, token)
    await admin("POST", "/users/sara/password", {"password": "nytt-lösenord-1"})
    assert await _closed_with(ws) == 4006
    with pytest.raises(HttpError):
        await login_staff(srv.base, "sara", "demo")
    assert await login_staff(srv.base, "sara", "nytt-lösenord-1")


async def test_refused_pool_settings(srv: Running, admin: Admin) -> None:
    sloppy = {"name": "Slarvig mottagning", "hours": {"mon-fri": "8-16"}}
    bad = await admin.refused("PUT", "/pools/slarv", sloppy)
    assert "bad_request (400)" in str(bad) and "HH:MM-HH:MM" in str(bad)
    wrong = await admin.refused(
        "PUT", "/pools/x", {"name": "X", "hours": {}, "handover_to": "mars"}
    )
    assert "handover_to" in str(wrong)
    # Leaving hours out does not quietly make a pool always open.
    no_hours = await admin.refused("PUT", "/pools/vc_nurse", {"name": "VC"})
    assert "is required [/hours]" in str(no_hours)
    pools = {p["key"]: p for p in await admin("GET", "/pools")}
    assert "slarv" not in pools and "x" not in pools
    assert pools["vc_nurse"]["name"] != "VC"  # nothing of the refused PUT stuck


async def test_pools_entrances_and_phrases_change_live_and_survive_a_restart(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "chat.sqlite3"
    async with running_server(db_path) as srv:
        admin = Admin(srv, await login_staff(srv.base, "admin", "demo"))
        # A new pool with hours, a handover and a new entrance into it.
        kvall = {"name": "Kvällsmottagning", "hours": {"mon-sun": "00:00-24:00"}}
        assert (await admin("PUT", "/pools/kvall", kvall))["open_now"] is True
        vc = await admin(
            "PUT", "/pools/vc_nurse", {"name": "VC", "hours": {}, "handover_to": "nurse_1177"}
        )
        assert vc["handover_to"] == "nurse_1177"
        entrance = {"name": "Kvällschatt", "pool": "kvall", "describe": True}
        made = await admin("PUT", "/entrances/kvall", entrance)
        assert made["urgency"] == 4 and made["triage"] is False
        no_pool = await admin.refused("PUT", "/entrances/y", {"name": "Y", "pool": "mars"})
        assert "unknown pool" in str(no_pool)
        await admin("DELETE", "/entrances/bvc")
        assert "not_found (404)" in str(await admin.refused("DELETE", "/entrances/bvc"))

        patient = Client(srv.ws, await login_patient(srv.base, PATIENT))
        await patient.start()
        home = await patient.request(HomeC(id=0))
        assert isinstance(home, HomeS)
        keys = {e.key for e in home.entrances}
        assert "kvall" in keys and "bvc" not in keys
        await patient.close()

        # Shared and personal phrases reach the staff client.
        await admin("PUT", "/phrases/nurse_1177/hej", {"text": "Hej {patient}!"})
        await admin("PUT", "/phrases/personal:anna/tack", {"text": "Tack, {staff}"})
        typo = await admin.refused("PUT", "/phrases/nurse_1177/hej", {"text": "Hej {namn}!"})
        assert "unknown placeholder(s) {namn}" in str(typo)
        scope = await admin.refused("PUT", "/phrases/personal:nobody/x", {"text": "?"})
        assert "not_found (404)" in str(scope)
        anna = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
        await anna.start()
        listed = await anna.request(Phrases(id=0))
        assert isinstance(listed, PhraseList)
        assert {(p.key, p.text) for p in listed.phrases} >= {
            ("hej", "Hej {patient}!"),
            ("tack", "Tack, {staff}"),
        }
        await anna.close()
        assert await admin("GET", "/phrases?scope=personal:anna") == [
            {"scope": "personal:anna", "key": "tack", "text": "Tack, {staff}"}
        ]
        await admin("DELETE", "/phrases/personal:anna/tack")
        assert await admin("GET", "/phrases?scope=personal:anna") == []

    async with running_server(db_path) as srv:
        admin = Admin(srv, await login_staff(srv.base, "admin", "demo"))
        pools = {p["key"]: p for p in await admin("GET", "/pools")}
        assert pools["kvall"]["hours"] == {"mon-sun": "00:00-24:00"}
        assert pools["vc_nurse"]["handover_to"] == "nurse_1177"
        entrances = {e["key"] for e in await admin("GET", "/entrances")}
        assert "kvall" in entrances and "bvc" not in entrances
        assert await admin("GET", "/phrases?scope=nurse_1177") == [
            {"scope": "nurse_1177", "key": "hej", "text": "Hej {patient}!"}
        ]
    objects = [r[1] for r in _audit(str(db_path))]
    assert [o.split(":{")[0] for o in objects] == [  # settings, then their new values
        "pool:kvall:put",
        "pool:vc_nurse:put",
        "entrance:kvall:put",
        "entrance:bvc:delete",
        "phrase:nurse_1177/hej:put:Hej {patient}!",
        "phrase:personal:anna/tack:put:Tack, {staff}",
        "phrase:personal:anna/tack:delete",
    ]
    assert json.loads(objects[0].split(":", 3)[3]) == {**kvall, "handover_to": ""}
    assert json.loads(objects[1].split(":", 3)[3])["handover_to"] == "nurse_1177"
    assert {r[2] for r in _audit(str(db_path))} == {"admin"}


async def test_other_sites_cannot_change_anything(srv: Running, admin: Admin) -> None:
    req = urllib.request.Request(
        srv.base + "/api/admin/entrances/bvc",
        method="DELETE",
        headers={"Authorization": f"Bearer {admin.api.token}", "Origin": "https://evil.example"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        await asyncio.to_thread(urllib.request.urlopen, req, timeout=10)
    with info.value as e:
        assert e.code == 403
    assert "bvc" in {e["key"] for e in await admin("GET", "/entrances")}


async def test_shared_phrases_changed_over_the_protocol_are_audited(srv: Running) -> None:
    anna = Client(srv.ws, await login_staff(srv.base, "anna", "demo"))
    await anna.start()
    for scope in ("personal", "nurse_1177"):
        done = await anna.request(
            PhraseSet(id=0, phrase=Phrase(key="hej", text="Hej!", scope=scope))
        )
        assert isinstance(done, Ok)
    assert isinstance(await anna.request(PhraseDelete(id=0, scope="nurse_1177", key="hej")), Ok)
    await anna.close()
    assert [r[1] for r in _audit(srv.db_path)] == [
        "phrase:nurse_1177/hej:put:Hej!",
        "phrase:nurse_1177/hej:delete",
    ]


async def test_every_admin_operation_refuses_everyone_but_administrators(srv: Running) -> None:
    """The allow/deny table of the admin API: anonymous 401; patient, nurse and
    secretary 403, each refusal in the audit log; nothing changed.
    (Administrators: the tests above.)"""
    from chatserver.transport.admin import OPERATIONS

    tokens = {
        "anonymous": None,
        "patient": await login_patient(srv.base, PATIENT),
        "nurse": await login_staff(srv.base, "anna", "demo"),
        "secretary": await login_staff(srv.base, "sara", "demo"),
    }
    filled = {"{username}": "anna", "{key}": "vc_nurse", "{scope}": "vc_nurse"}
    bodies: dict[str, dict[str, Any]] = {
        "POST /api/admin/users": {"username": "x9", "name": "X", "password": "0123456789a"},
        "PATCH /api/admin/users/{username}": {"disabled": True},
        "POST /api/admin/users/{username}/password": {"password": "0123456789a"},
        "PUT /api/admin/pools/{key}": {"name": "X"},
        "PUT /api/admin/entrances/{key}": {"name": "X", "pool": "vc_nurse"},
        "PUT /api/admin/phrases/{scope}/{key}": {"text": "X"},
    }
    seen = 0
    for op in OPERATIONS:
        path = op.path
        for k, v in filled.items():
            path = path.replace(k, v)
        body = bodies.get(f"{op.method} {op.path}")
        assert (body is None) == (op.body is None), op.path
        for actor, token in tokens.items():
            with pytest.raises(ApiError) as info:
                await asyncio.to_thread(Api(srv.base, token).call, op.method, path, body)
            want = "auth_failed (401)" if token is None else "forbidden (403)"
            assert want in str(info.value), (actor, op.method, op.path)
            seen += 1
    assert seen == 4 * len(OPERATIONS)
    refusals = _audit(srv.db_path)
    assert len(refusals) == 3 * len(OPERATIONS)  # the anonymous ones have no one to name
    assert {basis for _, _, basis, _ in refusals} == {"none"}
    assert refusals[0][1] == f"{OPERATIONS[0].method} {OPERATIONS[0].path}"
    assert await login_staff(srv.base, "anna", "demo")  # not disabled


async def test_start_says_which_settings_override_the_config_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path = tmp_path / "chat.sqlite3"
    async with running_server(db_path) as srv:
        admin = Admin(srv, await login_staff(srv.base, "admin", "demo"))
        await admin("PUT", "/pools/vc_nurse", {"name": "VC", "hours": {"mon-fri": "08:00-16:00"}})
        await admin("DELETE", "/entrances/bvc")
    caplog.set_level(logging.INFO, logger="chatserver.admin")
    async with running_server(db_path):
        pass
    assert "pool 'vc_nurse': the setting made through the admin API overrides" in caplog.text
    assert "entrance 'bvc': the setting made through the admin API" in caplog.text
    assert "overrides the config file (deleted)" in caplog.text
