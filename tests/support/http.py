"""Plain HTTP requests for tests that check status codes and error bodies
(the SDK raises on every error status, which hides the body's details)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


def exchange(
    url: str,
    *,
    method: str = "GET",
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> tuple[int, bytes]:
    """(status, body) of one request, error statuses included."""
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as e:
        with e:
            return int(e.code), e.read()


def call_json(
    url: str, body: dict[str, Any] | None = None, token: str | None = None
) -> tuple[int, Any]:
    """GET ``url`` (or POST ``body`` as JSON) with an optional bearer token:
    (status, parsed JSON answer)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    status, answer = exchange(
        url, method="GET" if body is None else "POST", data=data, headers=headers
    )
    return status, json.loads(answer)
