"""Test-wide setup: every asyncio test runs on uvloop, the loop the server
uses in production; CHATSERVER_TEST_LOOPS=uvloop,asyncio runs both."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping

import pytest
import uvloop

_FACTORIES: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
    "uvloop": uvloop.new_event_loop,
    "asyncio": asyncio.new_event_loop,
}


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    wanted = os.environ.get("CHATSERVER_TEST_LOOPS", "uvloop").split(",")
    return {name: _FACTORIES[name] for name in wanted if name in _FACTORIES}
