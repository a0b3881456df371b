"""The starlette application: routes, and the service's life cycle."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from chatserver.service.core import Service
from chatserver.transport import admin, http, reports, ws

WIDGET_DIR = Path(__file__).resolve().parents[2] / "clients" / "widget" / "dist"


def create_app(service: Service) -> Starlette:
    connections = ws.Connections()
    service.publishing = connections.cork

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
            Route("/api/sms/delivery", http.sms_delivery, methods=["POST"]),
            Route("/api/reports/kpi", reports.kpi),
            Route("/api/audit/mine", reports.my_extract),
            Route("/api/audit/user", reports.user_listing),
            *admin.routes(),
            WebSocketRoute("/ws", ws.endpoint),
            # The patient's chat widget (clients/widget, built by `make widget`).
            Mount("/widget", StaticFiles(directory=WIDGET_DIR, html=True, check_dir=False)),
        ],
        lifespan=lifespan,
    )
    if service.config.server.allowed_origins:
        # A region embeds the widget on its own site: let those origins call
        # the HTTP API (logins, uploads) with a bearer header. The WebSocket
        # checks the same list itself.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(service.config.server.allowed_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    app.state.service = service
    app.state.connections = connections
    return app
