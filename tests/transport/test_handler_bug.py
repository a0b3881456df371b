"""A bug in a command's handler costs that one request, never the connection:
the real server answers it ``internal`` (with the request's id), logs it, and
the same connection goes on serving."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from pathlib import Path

import pytest

from chatserver.service.core import Handler, Service
from chatserver.service.session import ClientSession
from clients.sdk import Client, ServerError, login_patient
from protocol.frames import ListCases, Ping, Pong
from tests.support.server import running_server


async def _broken_coroutine(svc: Service, s: ClientSession, f: ListCases) -> None:
    raise RuntimeError("a bug")


def _broken_function(svc: Service, s: ClientSession, f: ListCases) -> None:
    raise RuntimeError("a bug")


async def _broken_after_await(svc: Service, s: ClientSession, f: ListCases) -> None:
    await asyncio.sleep(0)
    raise RuntimeError("a bug")


def _returns_broken(svc: Service, s: ClientSession, f: ListCases) -> Awaitable[None]:
    return _broken_after_await(svc, s, f)


# Handlers are ``async def``s or plain functions that finish the command
# themselves or return what finishes it (Service.dispatch): a bug in each.
@pytest.mark.parametrize(
    "broken", [_broken_coroutine, _broken_function, _broken_after_await, _returns_broken]
)
async def test_a_handler_that_raises_is_answered_internal_and_the_connection_lives(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, broken: Handler
) -> None:
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
            (logged,) = [r for r in caplog.records if "handler for cases failed" in r.getMessage()]
            assert logged.exc_info is not None and isinstance(logged.exc_info[1], RuntimeError)
            assert isinstance(await patient.request(Ping(id=0)), Pong)
        finally:
            await patient.close()
