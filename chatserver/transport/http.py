"""HTTP endpoints: health, metrics, logins, attachments.

State-changing endpoints accept only ``application/json`` (or an image body
with a bearer token), which a cross-site form cannot send without a CORS
preflight, and check ``Origin`` like the WebSocket does.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import urllib.parse
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from chatserver.domain.errors import DomainError
from chatserver.domain.principals import Principal
from chatserver.service import accounts
from chatserver.service.auth import new_id, token_hash
from chatserver.service.core import Service
from chatserver.store import records
from chatserver.store.writer import StoreBusy, StoreFailed
from chatserver.transport.images import sniff_image
from chatserver.transport.origins import origin_allowed
from protocol.errors import CloseCode, ErrorCode


def _svc(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


def client_addr(conn: HTTPConnection) -> str | None:
    """The peer's address as the audit log and login throttling record it."""
    return conn.client.host if conn.client else None


def error(code: ErrorCode, message: str, status: int) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code.name, "num": code.number, "message": message}}, status
    )


def _cross_site(request: Request) -> JSONResponse | None:
    svc = _svc(request)
    allowed = svc.config.server.allowed_origins
    if not origin_allowed(request.headers.get("origin"), request.headers.get("host"), allowed):
        return error(ErrorCode.origin_not_allowed, "origin not allowed", 403)
    return None


JSON_BODY_BYTES = 16 * 1024


async def _capped_body(request: Request, cap: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed ``cap`` bytes: from
    the declared length before reading anything, else while reading, so an
    endless body costs at most ``cap`` bytes of memory."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            return None
    return bytes(body)


async def _json_body(request: Request) -> dict[str, Any] | JSONResponse:
    refused = _cross_site(request)
    if refused is not None:
        return refused
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return error(ErrorCode.bad_request, "send application/json", 415)
    body = await _capped_body(request, JSON_BODY_BYTES)
    if body is None:
        return error(ErrorCode.too_large, f"request body over {JSON_BODY_BYTES} bytes", 413)
    try:
        import json

        data = json.loads(body)
    except ValueError:
        return error(ErrorCode.bad_request, "body is not JSON", 400)
    if not isinstance(data, dict):
        return error(ErrorCode.bad_request, "body must be a JSON object", 400)
    return data


async def _bearer(request: Request) -> Principal | JSONResponse:
    header = request.headers.get("authorization", "")
    if not header.startswith("Bearer "):
        return error(ErrorCode.auth_failed, "missing bearer token", 401)
    principal = await _svc(request).authenticate(header[7:].strip())
    if principal is None:
        return error(ErrorCode.auth_failed, "invalid or expired token", 401)
    return principal


async def health(request: Request) -> JSONResponse:
    h = _svc(request).health()
    return JSONResponse({"ok": h.ok, **h.detail}, 200 if h.ok else 503)


async def metrics(request: Request) -> Response:
    return Response(generate_latest(_svc(request).metrics.registry), media_type=CONTENT_TYPE_LATEST)


async def index(request: Request) -> HTMLResponse:
    svc = _svc(request)
    entrances = "".join(
        f"<li>{html.escape(e.name)} (<code>{html.escape(k)}</code>)</li>"
        for k, e in svc.config.entrances.items()
    )
    return HTMLResponse(
        "<!doctype html><meta charset=utf-8><title>chatserver</title>"
        "<h1>chatserver</h1><p>Digital entrance to healthcare.</p>"
        f"<h2>Entrances</h2><ul>{entrances}</ul>"
        '<p><a href="/widget/">Patient chat (widget)</a> · '
        '<a href="/health">/health</a> · <a href="/metrics">/metrics</a></p>'
    )


async def login_patient(request: Request) -> JSONResponse:
    data = await _json_body(request)
    if isinstance(data, JSONResponse):
        return data
    return await _login(request, accounts.login_patient, data)


async def login_staff(request: Request) -> JSONResponse:
    data = await _json_body(request)
    if isinstance(data, JSONResponse):
        return data
    return await _login(request, accounts.login_staff, data)


async def _login(request: Request, how: Any, data: dict[str, Any]) -> JSONResponse:
    svc = _svc(request)
    addr = client_addr(request)
    try:
        token, principal = await how(svc, data, addr)
    except accounts.LoginRefused as e:
        status = {ErrorCode.locked: 429, ErrorCode.bad_request: 400}.get(e.code, 401)
        return error(e.code, e.message, status)
    except (StoreFailed, StoreBusy):
        return error(ErrorCode.unavailable, "cannot log in now; retry shortly", 503)
    return JSONResponse(
        {"token": token, "user": principal.user_id, "name": principal.name, "kind": principal.kind}
    )


async def _changing(request: Request) -> Principal | JSONResponse:
    """Who is behind a state-changing request: same-site and with a valid token."""
    refused = _cross_site(request)
    if refused is not None:
        return refused
    return await _bearer(request)


async def logout(request: Request) -> JSONResponse:
    who = await _changing(request)
    if isinstance(who, JSONResponse):
        return who
    token = request.headers["authorization"][7:].strip()
    svc = _svc(request)
    hashed = token_hash(token)
    await svc.writer.write([records.session_revoke(hashed)])
    svc.hub.close_user(who.user_id, CloseCode.session_revoked, "logged out", token_hash=hashed)
    return JSONResponse({"ok": True})


async def upload(request: Request) -> JSONResponse:
    svc = _svc(request)
    who = await _changing(request)
    if isinstance(who, JSONResponse):
        return who
    room_id = request.path_params["room"]
    try:
        _, case, _ = svc.state.room_access(who, room_id)
    except DomainError:
        return error(ErrorCode.not_found, "no such room", 404)
    if not case.is_open:
        return error(ErrorCode.invalid_state, "the case is closed: continue it first", 409)
    cap = svc.config.limits.upload_bytes
    body = await _capped_body(request, cap)
    if body is None:
        return error(ErrorCode.too_large, f"at most {cap} bytes", 413)
    mime = sniff_image(body[:64])
    if mime is None:
        return error(
            ErrorCode.unsupported_media, "upload a JPEG, PNG, WebP, GIF or HEIC image", 415
        )
    att_id = new_id("a")
    digest = hashlib.sha256(body).hexdigest()
    op = records.attachment(att_id, room_id, who.user_id, mime, digest, svc.clock.now_ms(), body)
    try:
        await svc.writer.write([op])
    except (StoreFailed, StoreBusy):
        return error(ErrorCode.unavailable, "cannot store now; retry shortly", 503)
    return JSONResponse({"id": att_id, "mime": mime, "size": len(body), "sha256": digest}, 201)


async def attachment(request: Request) -> Response:
    svc = _svc(request)
    who = await _bearer(request)
    if isinstance(who, JSONResponse):
        return who
    found = await svc.reader.attachment(request.path_params["att"])
    if found is None:
        return error(ErrorCode.not_found, "no such attachment", 404)
    room_id, mime, data = found
    try:
        _, case, _ = svc.state.room_access(who, room_id)
    except DomainError:
        return error(ErrorCode.not_found, "no such attachment", 404)
    if who.is_staff:  # a patient's photo seen by staff is logged before it is sent
        att = request.path_params["att"]
        entry = svc.audit_access(who, client_addr(request), case, "read", f"attachment:{att}")
        try:
            await svc.commit([], audit=[entry])
        except (StoreFailed, StoreBusy):
            return error(ErrorCode.unavailable, "cannot log the access now; retry shortly", 503)
    return Response(
        data,
        media_type=mime,
        # A patient's photo must not stay in the cache of a shared computer.
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


async def sms_delivery(request: Request) -> JSONResponse:
    """Delivery report from the SMS gateway (46elks: form fields id, status)."""
    svc = _svc(request)
    key = svc.config.sms.delivery_key
    if not key or not hmac.compare_digest(request.query_params.get("key", ""), key):
        return error(ErrorCode.forbidden, "unknown caller", 403)
    form = urllib.parse.parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
    provider_id = form.get("id", [""])[0]
    status = form.get("status", [""])[0]
    if not provider_id or status not in ("delivered", "failed"):
        return error(ErrorCode.bad_request, "need id and status delivered|failed", 400)
    await svc.writer.write([records.notification_delivery(provider_id, status, "report")])
    return JSONResponse({"ok": True})
