"""The WebSocket endpoint: handshake, then the connection's commands one at
a time and in order, one outbox per connection.

It moves bytes between the socket and the service and decides nothing:
decode (protocol), rate-limit, hand the frame to ``Service.dispatch``. Under
uvicorn each frame is taken as it arrives (``inbox.py``); elsewhere a reader
loop awaits ``receive``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from starlette.websockets import WebSocket

from chatserver.service.auth import token_hash
from chatserver.service.core import Service
from chatserver.service.session import ClientSession, TokenBucket
from chatserver.transport.http import client_addr
from chatserver.transport.inbox import take_over
from chatserver.transport.origins import origin_allowed
from chatserver.transport.peer import RAW_SEND, Cork, WsPeer
from protocol import codec
from protocol.errors import CloseCode, ErrorCode, ProtocolError
from protocol.frames import Frame, Hello, Limits, Me, Ping, Welcome
from protocol.version import PROTOCOL_VERSION, SUPPORTED_VERSIONS

# Consecutive bad or rate-limited frames tolerated before the connection is closed.
MAX_STRIKES = 50


class Connections:
    """Every open connection, so a sweeper can enforce hello and idle
    timeouts and session expiry, in one pass; and the Cork they share."""

    def __init__(self) -> None:
        self.peers: set[WsPeer] = set()
        self.cork = Cork()

    async def sweep(self, svc: Service, interval: float = 2.0) -> None:
        limits = svc.config.limits
        while True:
            await asyncio.sleep(interval)
            now_ms = svc.clock.now_ms()
            now = svc.clock.monotonic()
            for p in list(self.peers):
                if not p.authenticated and now - p.opened > limits.hello_timeout:
                    p.close(CloseCode.auth_failed, "no hello in time")
                elif p.expires_ms is not None and now_ms >= p.expires_ms:
                    # A session ends at its expiry even on a connection kept
                    # alive by pings: its access (a guardian's wards, staff
                    # pools) was decided at hello and must be decided again.
                    p.close(CloseCode.session_revoked, "session expired: log in again")
                elif now - p.last_seen > limits.idle_timeout:
                    p.close(CloseCode.idle_timeout, "idle")


async def endpoint(ws: WebSocket) -> None:
    svc: Service = ws.app.state.service
    conns: Connections = ws.app.state.connections
    limits = svc.config.limits
    origin = ws.headers.get("origin")
    if not origin_allowed(origin, ws.headers.get("host"), svc.config.server.allowed_origins):
        await ws.close(CloseCode.policy)
        return
    if not svc.accepting or len(conns.peers) >= limits.max_connections:
        await ws.close(1013)  # try again later (RFC 6455 registry)
        return
    await ws.accept()
    now = svc.clock.monotonic()
    peer = WsPeer(ws, limits.outbox_frames, limits.outbox_bytes, now, conns.cork)
    peer.task = asyncio.get_running_loop().create_task(peer.run())
    conns.peers.add(peer)
    session: ClientSession | None = None
    try:
        session = await _handshake(svc, ws, peer)
        if session is not None:
            await _serve(svc, ws, peer, session)
    finally:
        conns.peers.discard(peer)
        if session is not None:
            svc.hub.detach(session)
            svc.on_detach(session)
            svc.metrics.connections.labels(session.client).dec()
        peer.close(peer.close_code or CloseCode.normal, "")
        svc.metrics.disconnects.labels(str(peer.close_code)).inc()
        if peer.task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(peer.task, 5)


async def _receive(ws: WebSocket, peer: WsPeer) -> bytes | None:
    """Next binary frame; None once the peer is gone or was closed."""
    while peer.close_code is None:
        msg = await ws.receive()
        if msg["type"] == "websocket.disconnect":
            peer.gone(int(msg.get("code") or CloseCode.normal))
            return None
        data = msg.get("bytes")
        if data is None:
            _refuse_text(peer)
            return None
        return bytes(data)
    return None


def _refuse_text(peer: WsPeer) -> None:
    peer.close(CloseCode.unsupported_data, "binary MessagePack frames only")


async def _handshake(svc: Service, ws: WebSocket, peer: WsPeer) -> ClientSession | None:
    data = await _receive(ws, peer)
    if data is None:
        return None
    try:
        frame = codec.decode_client(data)
    except ProtocolError as e:
        peer.push(_error(e.code, e.message))
        peer.close(CloseCode.auth_failed, "first frame must be hello")
        return None
    if not isinstance(frame, Hello):
        peer.push(_error(ErrorCode.not_authenticated, "first frame must be hello"))
        peer.close(CloseCode.auth_failed, "first frame must be hello")
        return None
    if frame.v not in SUPPORTED_VERSIONS:
        peer.push(
            _error(
                ErrorCode.unsupported_version,
                f"server speaks versions {sorted(SUPPORTED_VERSIONS)}",
            )
        )
        peer.close(CloseCode.unsupported_version, "unsupported protocol version")
        return None
    found = await svc.session(frame.token)
    if found is None:
        peer.push(_error(ErrorCode.auth_failed, "invalid or expired token; log in again"))
        peer.close(CloseCode.auth_failed, "authentication failed")
        return None
    principal, expires = found
    limits = svc.config.limits
    session = ClientSession(
        principal=principal,
        peer=peer,
        client=frame.client,
        bucket=TokenBucket(limits.rate, limits.burst, svc.clock.monotonic()),
        addr=client_addr(ws),
        lang=frame.lang or "sv",
        token_hash=token_hash(frame.token),
    )
    peer.authenticated = True
    peer.expires_ms = expires
    svc.hub.attach(session)
    svc.on_attach(session)
    svc.metrics.connections.labels(frame.client).inc()
    svc.metrics.connections_total.labels(frame.client).inc()
    p = principal
    session.send(
        Welcome(
            v=PROTOCOL_VERSION,
            me=Me(
                user=p.user_id,
                kind=p.kind,
                name=p.name,
                roles=tuple(sorted(p.roles)),
                pools=tuple(sorted(p.pools)),
            ),
            heartbeat=limits.heartbeat,
            idle_timeout=limits.idle_timeout,
            limits=Limits(
                max_frame=limits.max_frame,
                max_text=limits.max_text,
                rate=limits.rate,
                burst=limits.burst,
                max_subs=limits.max_subs,
            ),
            server_time=svc.clock.now_ms(),
        )
    )
    return session


async def _serve(svc: Service, ws: WebSocket, peer: WsPeer, s: ClientSession) -> None:
    """Run the connection's commands, one at a time and in order, until it ends."""
    raw_send = ws.scope.get(RAW_SEND)

    def command(data: bytes) -> Coroutine[Any, Any, None] | None:
        frame = _admit(svc, peer, s, data)
        return None if frame is None else svc.dispatch(s, frame)

    inbox = take_over(raw_send, command, lambda: _refuse_text(peer), peer.gone)
    if inbox is not None:  # uvicorn: each frame handled as it arrives
        try:
            await inbox.done
        finally:
            inbox.release()
        return
    while True:  # any other server (starlette's TestClient): through receive
        data = await _receive(ws, peer)
        if data is None:
            return
        frame = _admit(svc, peer, s, data)
        pending = None if frame is None else svc.dispatch(s, frame)
        if pending is not None:
            await pending


def _admit(svc: Service, peer: WsPeer, s: ClientSession, data: bytes) -> Frame | None:
    """Decode a frame and apply the connection's rules (rate, strikes,
    shutdown); the frame if its command should run, else None (answered)."""
    if peer.close_code is not None:
        return None  # closing: what the client still sends is not read
    now = svc.clock.monotonic()
    peer.last_seen = now
    metrics = svc.metrics
    try:
        frame = codec.decode_client(data)
    except ProtocolError as e:
        metrics.frames_rejected.labels(e.code.name).inc()
        s.error(e.code, e.message, e.req_id, e.field)
        s.strikes += 1
        if s.strikes > MAX_STRIKES:
            peer.close(CloseCode.protocol_violation, "too many bad frames")
        return None
    metrics.frames_in.inc(frame.TYPE)
    if not isinstance(frame, Ping) and not s.bucket.allow(now):
        svc.reject(s, ErrorCode.rate_limited, "too many commands", getattr(frame, "id", None))
        s.strikes += 1
        if s.strikes > MAX_STRIKES:
            peer.close(CloseCode.rate_limited, "too many commands")
        return None
    s.strikes = 0
    if isinstance(frame, Hello):
        s.error(ErrorCode.already_authenticated, "already authenticated")
        return None
    if not svc.accepting:
        s.error(ErrorCode.shutting_down, "server restarting", getattr(frame, "id", None))
        return None
    return frame


def _error(code: ErrorCode, message: str) -> bytes:
    from protocol.frames import Error

    return codec.encode(Error(code=code.name, num=code.number, message=message))
