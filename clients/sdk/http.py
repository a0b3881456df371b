"""The HTTP side of the API (logins, uploads), with the standard library only,
run in a thread so it never blocks the event loop."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def _request(
    url: str, body: bytes, content_type: str, token: str | None, method: str = "POST"
) -> Any:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
            ctype = resp.headers.get("content-type", "")
            return json.loads(raw) if ctype.startswith("application/json") else raw
    except urllib.error.HTTPError as e:
        with e:  # an error response holds its socket open until closed
            raw = e.read()
        try:
            err = json.loads(raw)["error"]
            raise HttpError(e.code, err["code"], err["message"]) from None
        except (ValueError, KeyError, TypeError):
            raise HttpError(e.code, "http", raw[:200].decode("utf-8", "replace")) from None


async def post_json(base: str, path: str, data: dict[str, Any], token: str | None = None) -> Any:
    body = json.dumps(data).encode()
    return await asyncio.to_thread(_request, base + path, body, "application/json", token)


async def login_staff(base: str, username: str, password: str) -> str:
    res = await post_json(base, "/api/login/staff", {"username": username, "password": password})
    return str(res["token"])


async def login_patient(base: str, pnr: str) -> str:
    res = await post_json(base, "/api/login/patient", {"pnr": pnr})
    return str(res["token"])


async def upload(base: str, token: str, room: str, data: bytes, content_type: str) -> str:
    """Upload an image to a room; returns the attachment id to put in ``send``."""
    res = await asyncio.to_thread(
        _request, f"{base}/api/rooms/{room}/attachments", data, content_type, token
    )
    return str(res["id"])


async def fetch(base: str, token: str, path: str) -> bytes:
    def get() -> bytes:
        req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                data: bytes = resp.read()
                return data
        except urllib.error.HTTPError as e:
            e.close()  # an error response holds its socket open until closed
            raise HttpError(e.code, "http", str(e.reason)) from None

    return await asyncio.to_thread(get)
