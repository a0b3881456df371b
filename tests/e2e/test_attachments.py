"""Photos end to end: uploaded over HTTP, type decided by content, size
capped, referenced from a message, fetched only by the room's participants."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from chatserver.config import LimitsConfig, default
from clients.sdk import Client, HttpError, ServerError, login_patient, login_staff, upload
from clients.sdk.http import fetch
from protocol.frames import CaseUpdate, Claim, CloseCase, OpenCase, Send
from tests.support.server import PATIENT, running_server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100


def _audited(db_path: str, obj: str) -> list[tuple[str, str, int]]:
    """The audit rows about ``obj``: action, basis, allowed."""
    db = sqlite3.connect(db_path)
    try:
        return db.execute(
            "SELECT action, basis, allowed FROM audit_log WHERE object = ?", (obj,)
        ).fetchall()
    finally:
        db.close()


async def test_upload_rules_and_who_may_fetch(tmp_path: Path) -> None:
    cfg = default().replace(limits=dataclasses.replace(LimitsConfig(), upload_bytes=1000))
    async with running_server(tmp_path / "db.sqlite3", cfg) as srv:
        token = await login_patient(srv.base, PATIENT)
        patient = Client(srv.ws, token)
        await patient.start()
        opened = await patient.request(OpenCase(id=0, entrance="vc_nurse", text="Utslag"))
        assert isinstance(opened, CaseUpdate)
        room = opened.case.room

        # Named .png but really text: refused by content.
        with pytest.raises(HttpError) as err:
            await upload(srv.base, token, room, b"hello, not an image", "image/png")
        assert (err.value.status, err.value.code) == (415, "unsupported_media")
        with pytest.raises(HttpError) as err:
            await upload(srv.base, token, room, PNG + b"\x00" * 1000, "image/png")
        assert (err.value.status, err.value.code) == (413, "too_large")

        # A JPEG sent as application/octet-stream is still a JPEG.
        att = await upload(srv.base, token, room, JPEG, "application/octet-stream")
        ack = await patient.request(Send(id=0, room=room, cid="photo", text="", att=att))
        assert getattr(ack, "seq", None) == 1
        assert await fetch(srv.base, token, f"/api/attachments/{att}") == JPEG

        nurse_token = await login_staff(srv.base, "anna", "demo")
        assert await fetch(srv.base, nurse_token, f"/api/attachments/{att}") == JPEG  # pool staff
        await srv.service.writer.write([])
        assert _audited(srv.db_path, f"attachment:{att}") == [("read", "pool_member", 1)]
        other = await login_patient(srv.base, "200306062381")
        with pytest.raises(HttpError) as err:
            await fetch(srv.base, other, f"/api/attachments/{att}")
        assert err.value.status == 404
        secretary = await login_staff(srv.base, "sara", "demo")
        with pytest.raises(HttpError) as err:
            await fetch(srv.base, secretary, f"/api/attachments/{att}")
        assert err.value.status == 404

        # An attachment of another room cannot be referenced.
        other_client = Client(srv.ws, other)
        await other_client.start()
        theirs = await other_client.request(OpenCase(id=0, entrance="vc_nurse", text="x"))
        assert isinstance(theirs, CaseUpdate)
        with pytest.raises(ServerError) as serr:
            await other_client.request(
                Send(id=0, room=theirs.case.room, cid="steal", text="", att=att)
            )
        assert serr.value.code == "not_found"
        nurse = Client(srv.ws, nurse_token)
        await nurse.start()
        await nurse.request(Claim(id=0, case=opened.case.case))

        # Once the case is closed its room takes no more uploads.
        await nurse.request(CloseCase(id=0, case=opened.case.case, outcome="advice", note=""))
        with pytest.raises(HttpError) as err:
            await upload(srv.base, token, room, JPEG, "image/jpeg")
        assert (err.value.status, err.value.code) == (409, "invalid_state")
        for c in (patient, other_client, nurse):
            await c.close()
