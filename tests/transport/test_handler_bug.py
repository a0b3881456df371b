"""A bug in a command's handler costs that one request, never the connection:
the real server answers it ``internal`` (with the request's id), logs it, and
the same connection goes on serving."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from chatserver.service.core import Service
from chatserver.service.session import ClientSession
from clients.sdk import Client, ServerError, login_patient
from protocol.frames import ListCases, Ping, Pong
from tests.support.server import running_server


async def test_a_handler_that_raises_is_answered_internal_and_the_connection_lives(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(svc: Service, s: ClientSession, f: ListCases) -> None:
        raise RuntimeError("a bug")

    async with running_server(tmp_path / "db.sqlite3") as srv:
        srv.service.handlers[ListCases] = broken
        patient = Client(srv.ws, await login_patient(srv.base, "200306062381"))
        await patient.start()
        try:
            with (
                caplog.at_level(logging.ERROR, logger="chatserver.service"),
                pytest.raises(ServerError) as refused,
            ):
                await patient.request(ListCases(id=0))
            assert refused.value.code == "internal"
            assert refused.value.frame.re is not None
            assert any("handler for cases failed" in r.getMessage() for r in caplog.records)
            assert isinstance(await patient.request(Ping(id=0)), Pong)
        finally:
            await patient.close()
