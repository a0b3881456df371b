"""The command line of chatserver-desk and the connection's URL rules."""

from __future__ import annotations

import pytest

from clients.desktop.app import DEFAULT_SERVER, parse_args
from clients.desktop.connection import ws_url


def test_arguments() -> None:
    args = parse_args([])
    assert (args.server, args.user, args.lang) == (DEFAULT_SERVER, "", "sv")
    args = parse_args(["--server", "https://vard.example.se", "--user", "anna", "--lang", "en"])
    assert (args.server, args.user, args.lang) == ("https://vard.example.se", "anna", "en")
    with pytest.raises(SystemExit):
        parse_args(["--lang", "de"])


def test_websocket_url_from_the_server_url() -> None:
    assert ws_url("http://127.0.0.1:8080") == "ws://127.0.0.1:8080/ws"
    assert ws_url("https://vard.example.se/") == "wss://vard.example.se/ws"
    with pytest.raises(ValueError):
        ws_url("vard.example.se")
