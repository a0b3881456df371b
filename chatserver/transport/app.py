"""The starlette application: routes, and the service's life cycle."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute

from chatserver.service.core import Service
from chatserver.transport import http, ws


def create_app(service: Service) -> Starlette:
    connections = ws.Connections()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        service.spawn(connections.sweep(service), "sweeper")
        try:
            yield
        finally:
            await service.stop()

    app = Starlette(
        routes=[
            Route("/", http.index),
            Route("/health", http.health),
            Route("/metrics", http.metrics),
            Route("/api/login/patient", http.login_patient, methods=["POST"]),
            Route("/api/login/staff", http.login_staff, methods=["POST"]),
            Route("/api/logout", http.logout, methods=["POST"]),
            Route("/api/rooms/{room}/attachments", http.upload, methods=["POST"]),
            Route("/api/attachments/{att}", http.attachment),
            WebSocketRoute("/ws", ws.endpoint),
        ],
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.connections = connections
    return app
