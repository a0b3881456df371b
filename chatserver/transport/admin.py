"""The administration HTTP API (``/api/admin/...``) and its OpenAPI document.

Every operation is declared once in ``OPERATIONS``: method, path, summary,
request schema, response schema. The routes, the request validation and the
OpenAPI document (served at ``/api/admin/openapi.json`` and kept in
``docs/admin-openapi.json``, checked by a test) all come from that table.
Callers need a staff token with the ``admin`` role; changes are audited by
``chatserver.service.admin``.

Regenerate the document: ``python -m chatserver.transport.admin --write docs/admin-openapi.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatserver.domain.principals import STAFF_ROLES
from chatserver.service import admin
from chatserver.service.auth import MIN_PASSWORD
from chatserver.service.core import Service
from chatserver.store.writer import StoreBusy, StoreFailed
from chatserver.transport.http import (
    _bearer,
    _cross_site,
    _json_body,
    _svc,
    client_addr,
    error,
)
from chatserver.transport.jsonschema import Schema, SchemaError, validate
from protocol.errors import ErrorCode

Handler = Callable[[Service, admin.Actor, dict[str, str], dict[str, Any]], Awaitable[Any]]

# ------------------------------------------------------------------ schemas

KEY = {"type": "string", "pattern": "^[a-z0-9_]{1,40}$", "description": "lower-case key"}
NAME = {"type": "string", "minLength": 1, "maxLength": 100}
ROLES = {
    "type": "array",
    "items": {"type": "string", "enum": sorted(STAFF_ROLES)},
    "maxItems": 10,
    "uniqueItems": True,
}
POOLS = {"type": "array", "items": KEY, "maxItems": 50, "uniqueItems": True}
PASSWORD = {"type": "string", "minLength": MIN_PASSWORD, "maxLength": 200}
HOURS = {
    "type": "object",
    "description": (
        'Weekly opening hours in Europe/Stockholm, e.g. {"mon-fri": "08:00-16:00", '
        '"sat,sun": "10:00-14:00", "holidays": "closed"}: keys are days (mon..sun), ranges '
        "and comma lists; values HH:MM-HH:MM intervals (comma-separated), 'closed' or "
        "'always'; days not named are closed. 'holidays': 'closed' (the default) or "
        "'weekend' (Sunday's hours on Swedish public holidays). {} = always open."
    ),
    "additionalProperties": {"type": "string", "maxLength": 100},
}

USER = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "username": {"type": "string"},
        "name": {"type": "string"},
        "roles": ROLES,
        "pools": POOLS,
        "disabled": {"type": "boolean"},
    },
    "required": ["id", "username", "name", "roles", "pools", "disabled"],
}
USER_CREATE = {
    "type": "object",
    "properties": {
        "username": {"type": "string", "pattern": "^[a-z][a-z0-9._-]{1,39}$"},
        "name": NAME,
        "password": PASSWORD,
        "roles": ROLES,
        "pools": POOLS,
    },
    "required": ["username", "name", "password", "roles"],
    "additionalProperties": False,
}
USER_PATCH = {
    "type": "object",
    "description": "Only the fields given change. Changing roles, pools or disabled "
    "ends the person's sessions and connections at once. Administrators may not disable "
    "themselves or change their own roles or pools (403): another administrator does.",
    "properties": {"name": NAME, "roles": ROLES, "pools": POOLS, "disabled": {"type": "boolean"}},
    "minProperties": 1,
    "additionalProperties": False,
}
PASSWORD_SET = {
    "type": "object",
    "description": "Sets a new password, ends the person's sessions and lifts a lockout.",
    "properties": {"password": PASSWORD},
    "required": ["password"],
    "additionalProperties": False,
}
POOL_PUT = {
    "type": "object",
    "description": "The whole pool (created if new): name and hours are required, so a "
    "pool never becomes always open by leaving hours out (give {} for that). Hours apply "
    "to cases queued from now on.",
    "properties": {
        "name": NAME,
        "hours": HOURS,
        "handover_to": {
            "type": "string",
            "maxLength": 40,
            "description": "when this pool closes its waiting cases move there ('' = none)",
        },
    },
    "required": ["name", "hours"],
    "additionalProperties": False,
}
POOL = {
    "type": "object",
    "properties": {
        "key": KEY,
        "name": {"type": "string"},
        "hours": HOURS,
        "handover_to": {"type": "string"},
        "open_now": {"type": "boolean"},
    },
    "required": ["key", "name", "hours", "handover_to", "open_now"],
}
ENTRANCE_FIELDS = {
    "name": NAME,
    "pool": KEY,
    "triage": {"type": "boolean", "description": "run the triage plugin first"},
    "describe": {"type": "boolean", "description": "the patient describes the errand first"},
    "listing_check": {"type": "boolean", "description": "only patients listed at `unit`"},
    "urgency": {"type": "integer", "minimum": 1, "maximum": 6, "description": "without triage"},
    "unit": {"type": "string", "maxLength": 40, "description": "care unit behind the entrance"},
}
ENTRANCE_PUT = {
    "type": "object",
    "description": "The whole entrance (created if new); fields left out take their defaults.",
    "properties": ENTRANCE_FIELDS,
    "required": ["name", "pool"],
    "additionalProperties": False,
}
ENTRANCE = {
    "type": "object",
    "properties": {"key": KEY, **ENTRANCE_FIELDS},
    "required": ["key", *ENTRANCE_FIELDS],
}
PHRASE_SCOPE = {
    "type": "string",
    "pattern": "^([a-z0-9_]{1,40}|personal:[a-z][a-z0-9._-]{1,39})$",
    "description": "a pool key (shared in the pool) or personal:USERNAME",
}
PHRASE_KEY = {"type": "string", "pattern": "^[a-z0-9_-]{1,20}$"}
PHRASE_PUT = {
    "type": "object",
    "description": "Placeholders: {patient} (first name), {staff}, {unit}.",
    "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 2000}},
    "required": ["text"],
    "additionalProperties": False,
}
PHRASE = {
    "type": "object",
    "properties": {"scope": PHRASE_SCOPE, "key": PHRASE_KEY, "text": {"type": "string"}},
    "required": ["scope", "key", "text"],
}
ROLE = {
    "type": "object",
    "properties": {"role": {"type": "string"}, "description": {"type": "string"}},
    "required": ["role", "description"],
}
OK = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "stable error name (PROTOCOL.md)"},
                "num": {"type": "integer"},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "the offending field, if any"},
            },
            "required": ["code", "num", "message"],
        }
    },
    "required": ["error"],
}


def _list(item: Schema) -> Schema:
    return {"type": "array", "items": item}


# ------------------------------------------------------------------ operations


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    handler: Handler
    response: Schema
    body: Schema | None = None
    status: int = 200
    params: Mapping[str, Schema] = field(default_factory=dict)
    query: Mapping[str, Schema] = field(default_factory=dict)


async def _roles(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return [{"role": r, "description": admin.ROLE_DOC[r]} for r in sorted(STAFF_ROLES)]


async def _users(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return await admin.list_staff(svc)


async def _user(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return admin.user_json(await admin.staff_user(svc, p["username"]))


async def _user_create(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return await admin.create_user(svc, a, b)


async def _user_patch(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return await admin.update_user(svc, a, p["username"], b)


async def _password(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    await admin.set_password(svc, a, p["username"], b["password"])
    return {"ok": True}


async def _pools(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return admin.list_pools(svc)


async def _pool(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return admin.get_pool(svc, p["key"])


async def _pool_put(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return await admin.put_pool(svc, a, p["key"], b)


async def _entrances(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return admin.list_entrances(svc)


async def _entrance(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return admin.get_entrance(svc, p["key"])


async def _entrance_put(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return await admin.put_entrance(svc, a, p["key"], b)


async def _entrance_delete(
    svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]
) -> Any:
    await admin.delete_entrance(svc, a, p["key"])
    return {"ok": True}


async def _phrases(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    return await admin.list_phrases(svc, p.get("scope"))


async def _phrase_put(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    await admin.put_phrase(svc, a, p["scope"], p["key"], b["text"])
    return {"ok": True}


async def _phrase_delete(svc: Service, a: admin.Actor, p: dict[str, str], b: dict[str, Any]) -> Any:
    await admin.delete_phrase(svc, a, p["scope"], p["key"])
    return {"ok": True}


USERNAME_PARAM = {"username": {"type": "string", "maxLength": 40}}
KEY_PARAM = {"key": KEY}
PHRASE_PARAMS = {"scope": PHRASE_SCOPE, "key": PHRASE_KEY}
P = "/api/admin"

OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", f"{P}/roles", "The staff roles and what each may do", _roles, _list(ROLE)),
    Operation("GET", f"{P}/users", "Staff accounts, by username", _users, _list(USER)),
    Operation("POST", f"{P}/users", "Create a staff account", _user_create, USER, USER_CREATE, 201),
    Operation(
        "GET", f"{P}/users/{{username}}", "One staff account", _user, USER, params=USERNAME_PARAM
    ),
    Operation(
        "PATCH",
        f"{P}/users/{{username}}",
        "Change name, roles, pools, or disable/enable",
        _user_patch,
        USER,
        USER_PATCH,
        params=USERNAME_PARAM,
    ),
    Operation(
        "POST",
        f"{P}/users/{{username}}/password",
        "Set a new password",
        _password,
        OK,
        PASSWORD_SET,
        params=USERNAME_PARAM,
    ),
    Operation("GET", f"{P}/pools", "Pools with their hours and handover", _pools, _list(POOL)),
    Operation("GET", f"{P}/pools/{{key}}", "One pool", _pool, POOL, params=KEY_PARAM),
    Operation(
        "PUT",
        f"{P}/pools/{{key}}",
        "Create or replace a pool (name, opening hours, handover)",
        _pool_put,
        POOL,
        POOL_PUT,
        params=KEY_PARAM,
    ),
    Operation(
        "GET", f"{P}/entrances", "Entrances patients can choose", _entrances, _list(ENTRANCE)
    ),
    Operation(
        "GET", f"{P}/entrances/{{key}}", "One entrance", _entrance, ENTRANCE, params=KEY_PARAM
    ),
    Operation(
        "PUT",
        f"{P}/entrances/{{key}}",
        "Create or replace an entrance",
        _entrance_put,
        ENTRANCE,
        ENTRANCE_PUT,
        params=KEY_PARAM,
    ),
    Operation(
        "DELETE",
        f"{P}/entrances/{{key}}",
        "Remove an entrance (open cases are untouched)",
        _entrance_delete,
        OK,
        params=KEY_PARAM,
    ),
    Operation(
        "GET",
        f"{P}/phrases",
        "Canned phrases, all or of one scope",
        _phrases,
        _list(PHRASE),
        query={"scope": PHRASE_SCOPE},
    ),
    Operation(
        "PUT",
        f"{P}/phrases/{{scope}}/{{key}}",
        "Create or replace a phrase",
        _phrase_put,
        OK,
        PHRASE_PUT,
        params=PHRASE_PARAMS,
    ),
    Operation(
        "DELETE",
        f"{P}/phrases/{{scope}}/{{key}}",
        "Remove a phrase",
        _phrase_delete,
        OK,
        params=PHRASE_PARAMS,
    ),
)

# ------------------------------------------------------------------ serving


def _endpoint(ops: dict[str, Operation]) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        op = ops[request.method]
        svc = _svc(request)
        if op.body is not None:
            body = await _json_body(request)  # also refuses other sites' origins
            if isinstance(body, JSONResponse):
                return body
        else:
            body = {}
            if request.method != "GET" and (refused := _cross_site(request)) is not None:
                return refused
        who = await _bearer(request)
        if isinstance(who, JSONResponse):
            return who
        actor = admin.Actor(who, client_addr(request))
        if not who.is_staff or "admin" not in who.roles:
            with contextlib.suppress(StoreFailed, StoreBusy):
                await admin.refused(svc, actor, f"{op.method} {request.url.path}")
            return error(ErrorCode.forbidden, "needs the role admin", 403)
        params = dict(request.path_params)
        params.update((k, v) for k, v in request.query_params.items() if k in op.query)
        try:
            for name, schema in {**op.params, **op.query}.items():
                if name in params:
                    validate(params[name], schema, name)
            if op.body is not None:
                validate(body, op.body)
            result = await op.handler(svc, actor, params, body)
        except SchemaError as e:
            return _error(ErrorCode.bad_request, e.message, 400, e.field)
        except admin.AdminError as e:
            return error(ErrorCode[e.code], e.message, e.status)
        except (StoreFailed, StoreBusy):
            return error(ErrorCode.unavailable, "cannot store now; retry shortly", 503)
        return JSONResponse(result, op.status)

    return endpoint


def _error(code: ErrorCode, message: str, status: int, field: str) -> JSONResponse:
    body = {"code": code.name, "num": code.number, "message": message, "field": field}
    return JSONResponse({"error": body}, status)


async def openapi_json(request: Request) -> JSONResponse:
    return JSONResponse(openapi())


def routes() -> list[Route]:
    by_path: dict[str, dict[str, Operation]] = {}
    for op in OPERATIONS:
        by_path.setdefault(op.path, {})[op.method] = op
    out = [Route(f"{P}/openapi.json", openapi_json)]
    for path, ops in by_path.items():
        out.append(Route(path, _endpoint(ops), methods=list(ops)))
    return out


# ------------------------------------------------------------------ OpenAPI


def openapi() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        parameters = [
            {"name": n, "in": "path", "required": True, "schema": s} for n, s in op.params.items()
        ] + [
            {"name": n, "in": "query", "required": False, "schema": s} for n, s in op.query.items()
        ]
        errors = {
            "400": "invalid input (error.field names it)",
            "401": "no valid bearer token",
            "403": "not an administrator, or not allowed",
            "404": "no such object",
            "409": "conflict (e.g. username taken)",
            "503": "the store cannot accept writes now",
        }
        responses: dict[str, Any] = {
            str(op.status): {
                "description": "OK",
                "content": {"application/json": {"schema": op.response}},
            }
        }
        for status, text in errors.items():
            responses[status] = {
                "description": text,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        entry: dict[str, Any] = {
            "summary": op.summary,
            "operationId": f"{op.method.lower()}_{op.path[len(P) + 1 :]}".replace("/", "_")
            .replace("{", "")
            .replace("}", ""),
            "security": [{"bearer": []}],
            "responses": responses,
        }
        if parameters:
            entry["parameters"] = parameters
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": op.body}},
            }
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "chatserver administration API",
            "version": "1",
            "description": (
                "Staff accounts and roles, pools and opening hours, entrances and canned "
                "phrases. Log in with POST /api/login/staff "
                '({"username", "password"} -> {"token"}) as a staff member with the role '
                "admin and send `Authorization: Bearer <token>`. Every change is written "
                "to the audit log (action admin). The CLI `chatserver admin` uses this API."
            ),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR},
        },
        "paths": paths,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="print or write the admin API's OpenAPI document")
    ap.add_argument("--write", metavar="PATH")
    args = ap.parse_args(argv)
    text = json.dumps(openapi(), indent=2, ensure_ascii=False) + "\n"
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
