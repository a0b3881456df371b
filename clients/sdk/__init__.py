"""Python client SDK for the chatserver protocol (used by tests, bench and
the staff desktop app). See docs/PROTOCOL.md for the wire protocol."""

from clients.sdk.client import Client, ConnectionLost, RoomView, ServerError
from clients.sdk.http import HttpError, login_patient, login_staff, upload

__all__ = [
    "Client",
    "ConnectionLost",
    "HttpError",
    "RoomView",
    "ServerError",
    "login_patient",
    "login_staff",
    "upload",
]
