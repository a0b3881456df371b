"""The admin API's OpenAPI document is generated from the operations the
server routes and validates with, and the copy in docs/ is current."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.routing import Route

from chatserver import config as config_mod
from chatserver.service.core import Service
from chatserver.transport import admin
from chatserver.transport.app import create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "admin-openapi.json"


def test_the_document_in_docs_is_current() -> None:
    assert json.loads(DOC.read_text(encoding="utf-8")) == admin.openapi(), (
        "run: python -m chatserver.transport.admin --write docs/admin-openapi.json"
    )


def test_every_admin_route_is_documented_with_its_methods(tmp_path: Path) -> None:
    app = create_app(Service(config_mod.default(), str(tmp_path / "x.sqlite3")))
    routed: dict[str, set[str]] = {}
    for r in app.routes:
        if isinstance(r, Route) and r.path.startswith("/api/admin/") and r.methods:
            routed[r.path] = {m.lower() for m in r.methods} - {"head"}
    paths = admin.openapi()["paths"]
    routed.pop("/api/admin/openapi.json")
    assert routed == {p: set(ops) for p, ops in paths.items()}


def test_every_operation_documents_body_params_and_errors() -> None:
    doc = admin.openapi()
    assert doc["openapi"].startswith("3.1")
    ids = set()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            ids.add(op["operationId"])
            for name in [seg[1:-1] for seg in path.split("/") if seg.startswith("{")]:
                assert any(p["name"] == name and p["in"] == "path" for p in op["parameters"])
            assert ("requestBody" in op) == (method in ("post", "put", "patch"))
            assert {"400", "401", "403"} <= set(op["responses"])
    assert len(ids) == len(admin.OPERATIONS)
