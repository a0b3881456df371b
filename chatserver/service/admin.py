"""Administration at run time: staff accounts and roles, pools and their
opening hours, entrances, shared and personal phrases (issue 4).

Every change commits together with its audit row (action ``admin``, basis
``admin``) and reaches memory only once committed, in commit order. Pools and
entrances changed here override the region's TOML key by key and are read
back at start-up (table ``admin_settings``). Changing a person's roles or
pools, disabling them or setting their password ends their sessions and
open connections at once: access follows the change, not the next login.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from typing import Any

from chatserver.audit.chain import AuditEntry
from chatserver.config import EntranceConfig, PoolConfig
from chatserver.domain.hours import HoursError, OpeningHours
from chatserver.domain.principals import STAFF_ROLES, Principal
from chatserver.service.accounts import staff_user_op
from chatserver.service.auth import hash_password
from chatserver.service.core import Service
from chatserver.store import records
from chatserver.store.reader import USER_COLS, UserRow, user_row
from protocol.errors import CloseCode
from protocol.phrases import placeholder_problem

log = logging.getLogger("chatserver.admin")

ROLE_DOC: dict[str, str] = {
    "nurse": "1177 or clinic nurse: works the queues of their pools",
    "secretary": "medical secretary: direct entrances, bookings",
    "physician": "physician: cases handed to physicians, consults",
    "psychologist": "psychologist: cases handed to psychologists",
    "bvc_nurse": "child-health (BVC) nurse",
    "admin": "administrator: this API, KPIs; no access to case content by the role alone",
    "auditor": "auditor: audit log listings and KPIs",
}


class AdminError(Exception):
    """A refused change: ``code`` is an ErrorCode name, ``status`` the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclasses.dataclass(frozen=True, slots=True)
class Actor:
    """The administrator making a change, as the audit log records them."""

    principal: Principal
    addr: str | None


# ------------------------------------------------------------------ users


def user_json(u: UserRow) -> dict[str, Any]:
    return {
        "id": u.id,
        "username": u.username,
        "name": u.name,
        "roles": list(u.roles),
        "pools": list(u.pools),
        "disabled": u.disabled,
    }


async def list_staff(svc: Service) -> list[dict[str, Any]]:
    rows = await svc.reader.query(
        f"SELECT {USER_COLS} FROM users WHERE kind = 'staff' ORDER BY username"
    )
    return [user_json(user_row(r)) for r in rows]


async def staff_user(svc: Service, username: str) -> UserRow:
    u = await svc.reader.user_by("username", username)
    if u is None or u.kind != "staff":
        raise AdminError("not_found", f"no staff member {username!r}", 404)
    return u


def _check_roles_pools(svc: Service, roles: list[str], pools: list[str]) -> None:
    unknown_roles = sorted(set(roles) - STAFF_ROLES)
    if unknown_roles:
        raise AdminError("bad_request", f"unknown role(s): {', '.join(unknown_roles)}")
    unknown_pools = sorted(set(pools) - set(svc.config.pools))
    if unknown_pools:
        raise AdminError("bad_request", f"unknown pool(s): {', '.join(unknown_pools)}")


async def create_user(svc: Service, actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    username = body["username"]
    if await svc.reader.user_by("username", username) is not None:
        raise AdminError("conflict", f"username {username!r} is taken", 409)
    roles, pools = list(body.get("roles", [])), list(body.get("pools", []))
    _check_roles_pools(svc, roles, pools)
    op = staff_user_op(
        username=username,
        name=body["name"],
        password=body["password"],
        roles=tuple(roles),
        pools=tuple(pools),
        now=svc.clock.now_ms(),
    )
    granted = f"roles={'+'.join(roles)},pools={'+'.join(pools)}"
    await _commit(svc, actor, f"user:{username}:create:{granted}", [op])
    return user_json(await staff_user(svc, username))


async def update_user(
    svc: Service, actor: Actor, username: str, body: dict[str, Any]
) -> dict[str, Any]:
    u = await staff_user(svc, username)
    name = body.get("name", u.name)
    roles = list(body.get("roles", u.roles))
    pools = list(body.get("pools", u.pools))
    disabled = bool(body.get("disabled", u.disabled))
    _check_roles_pools(svc, roles, pools)
    if u.id == actor.principal.user_id and (disabled or "admin" not in roles):
        raise AdminError("forbidden", "administrators cannot disable or demote themselves", 403)
    grants_changed = set(roles) != set(u.roles) or set(pools) != set(u.pools)
    if u.id == actor.principal.user_id and grants_changed:
        # The role alone gives no access to patients' cases; granting oneself a
        # pool would. Another administrator does it, and it is audited as theirs.
        raise AdminError(
            "forbidden", "another administrator must change your own roles or pools", 403
        )
    access_changed = grants_changed or disabled != u.disabled
    ops = [records.user_update(u.id, name=name, roles=roles, pools=pools, disabled=disabled)]
    if access_changed:
        ops.append(records.sessions_revoke_user(u.id))
    now = {"name": name, "roles": "+".join(roles), "pools": "+".join(pools)}
    now["disabled"] = "true" if disabled else "false"
    changed = ",".join(f"{k}={now[k]}" for k in ("name", "roles", "pools", "disabled") if k in body)
    after = _end_sessions(svc, u.id) if access_changed else None
    await _commit(svc, actor, f"user:{username}:update:{changed}", ops, after)
    svc.state.names[u.id] = name
    return user_json(await staff_user(svc, username))


async def set_password(svc: Service, actor: Actor, username: str, password: str) -> None:
    u = await staff_user(svc, username)
    ops = [records.user_password(u.id, hash_password(password)), records.sessions_revoke_user(u.id)]
    await _commit(svc, actor, f"user:{username}:password", ops, _end_sessions(svc, u.id))
    svc.logins.succeeded(username)  # a reset also lifts a lockout


def _end_sessions(svc: Service, user_id: str) -> Callable[[], None]:
    def close() -> None:
        svc.hub.close_user(user_id, CloseCode.session_revoked, "access changed by an administrator")

    return close


# ------------------------------------------------------------------ pools


def pool_json(svc: Service, key: str) -> dict[str, Any]:
    p = svc.config.pools[key]
    return {
        "key": key,
        "name": p.name or key,
        "hours": dict(p.hours),
        "handover_to": p.handover_to,
        "open_now": svc.deadlines.is_open(key, svc.clock.now_ms()),
    }


def list_pools(svc: Service) -> list[dict[str, Any]]:
    return [pool_json(svc, k) for k in sorted(svc.config.pools)]


def get_pool(svc: Service, key: str) -> dict[str, Any]:
    if key not in svc.config.pools:
        raise AdminError("not_found", f"no pool {key!r}", 404)
    return pool_json(svc, key)


async def put_pool(svc: Service, actor: Actor, key: str, body: dict[str, Any]) -> dict[str, Any]:
    pool = PoolConfig(
        name=body.get("name", ""),
        hours=dict(body.get("hours", {})),
        handover_to=body.get("handover_to", ""),
    )
    hours = _parse_hours(pool.hours)
    if pool.handover_to and (pool.handover_to == key or pool.handover_to not in svc.config.pools):
        raise AdminError("bad_request", f"handover_to {pool.handover_to!r} is not another pool")
    value = json.dumps(dataclasses.asdict(pool), ensure_ascii=False, sort_keys=True)

    def apply() -> None:
        apply_pool(svc, key, pool, hours)

    op = records.admin_setting("pool", key, value, svc.clock.now_ms(), actor.principal.user_id)
    await _commit(svc, actor, f"pool:{key}:put:{value}", [op], apply)
    return pool_json(svc, key)


def _parse_hours(hours: dict[str, str]) -> OpeningHours | None:
    if not hours:
        return None
    try:
        return OpeningHours.parse(hours)
    except HoursError as e:
        raise AdminError("bad_request", str(e)) from None


def apply_pool(svc: Service, key: str, pool: PoolConfig, hours: OpeningHours | None) -> None:
    """Make a committed pool setting live; hours apply to cases queued from now on."""
    svc.config.pools[key] = pool
    if hours is None:
        svc.deadlines.hours.pop(key, None)
    else:
        svc.deadlines.hours[key] = hours


# ------------------------------------------------------------------ entrances


def entrance_json(key: str, e: EntranceConfig) -> dict[str, Any]:
    return {"key": key, **dataclasses.asdict(e)}


def list_entrances(svc: Service) -> list[dict[str, Any]]:
    return [entrance_json(k, e) for k, e in svc.config.entrances.items()]


def get_entrance(svc: Service, key: str) -> dict[str, Any]:
    e = svc.config.entrances.get(key)
    if e is None:
        raise AdminError("not_found", f"no entrance {key!r}", 404)
    return entrance_json(key, e)


async def put_entrance(
    svc: Service, actor: Actor, key: str, body: dict[str, Any]
) -> dict[str, Any]:
    entrance = EntranceConfig(**body)
    if entrance.pool not in svc.config.pools:
        raise AdminError("bad_request", f"unknown pool {entrance.pool!r}")
    value = json.dumps(dataclasses.asdict(entrance), ensure_ascii=False, sort_keys=True)
    op = records.admin_setting("entrance", key, value, svc.clock.now_ms(), actor.principal.user_id)

    def apply() -> None:
        svc.config.entrances[key] = entrance

    await _commit(svc, actor, f"entrance:{key}:put:{value}", [op], apply)
    return entrance_json(key, entrance)


async def delete_entrance(svc: Service, actor: Actor, key: str) -> None:
    """Patients no longer see it; cases already opened through it are untouched."""
    get_entrance(svc, key)
    op = records.admin_setting("entrance", key, "null", svc.clock.now_ms(), actor.principal.user_id)

    def apply() -> None:
        svc.config.entrances.pop(key, None)

    await _commit(svc, actor, f"entrance:{key}:delete", [op], apply)


# ------------------------------------------------------------------ phrases


async def _phrase_owner(svc: Service, scope: str) -> tuple[str, str]:
    """(stored scope, owner) for ``pool`` or ``personal:username``."""
    if scope.startswith("personal:"):
        return "personal", (await staff_user(svc, scope.removeprefix("personal:"))).id
    if scope not in svc.config.pools:
        raise AdminError("bad_request", f"scope is a pool or personal:USERNAME, not {scope!r}")
    return scope, ""


async def list_phrases(svc: Service, scope: str | None) -> list[dict[str, Any]]:
    wanted = None if scope is None else await _phrase_owner(svc, scope)
    usernames = {
        r[0]: r[1]
        for r in await svc.reader.query("SELECT id, username FROM users WHERE kind = 'staff'")
    }
    out = []
    for (sc, owner, key), text in sorted(svc.phrases.items()):
        if wanted is not None and (sc, owner) != wanted:
            continue
        shown = f"personal:{usernames.get(owner, owner)}" if sc == "personal" else sc
        out.append({"scope": shown, "key": key, "text": text})
    return out


async def put_phrase(svc: Service, actor: Actor, scope: str, key: str, text: str) -> None:
    if problem := placeholder_problem(text):
        raise AdminError("bad_request", problem)
    sc, owner = await _phrase_owner(svc, scope)
    op = records.phrase_set(sc, owner, key, text, svc.clock.now_ms())

    def apply() -> None:
        svc.phrases[(sc, owner, key)] = text

    await _commit(svc, actor, f"phrase:{scope}/{key}:put:{text}", [op], apply)


async def delete_phrase(svc: Service, actor: Actor, scope: str, key: str) -> None:
    sc, owner = await _phrase_owner(svc, scope)
    if (sc, owner, key) not in svc.phrases:
        raise AdminError("not_found", f"no phrase {key!r} in {scope}", 404)

    def apply() -> None:
        svc.phrases.pop((sc, owner, key), None)

    await _commit(
        svc, actor, f"phrase:{scope}/{key}:delete", [records.phrase_delete(sc, owner, key)], apply
    )


# ------------------------------------------------------------------ commit and start-up


async def refused(svc: Service, actor: Actor, what: str) -> None:
    """Record an attempt at administration by someone without the role."""
    await svc.commit([], audit=[audit_entry(svc, actor, what, allowed=False)])


async def _commit(
    svc: Service,
    actor: Actor,
    obj: str,
    ops: list[records.Op],
    after: Callable[[], None] | None = None,
) -> None:
    await svc.commit([], after, extra=ops, audit=[audit_entry(svc, actor, obj)])


def audit_entry(
    svc: Service,
    actor: Actor,
    obj: str,
    *,
    action: str = "admin",
    unit: str = "admin",
    allowed: bool = True,
    basis: str = "admin",
) -> AuditEntry:
    """The audit row of an administrative act on no patient's data: a change
    (also shared phrases changed over the WebSocket protocol), a control such
    as an auditor reading someone's access log, or an attempt refused. The
    object names what changed and its new value, cut at 200 characters."""
    p = actor.principal
    return AuditEntry(
        at=svc.clock.now_ms(),
        user_id=p.user_id,
        role=",".join(sorted(p.roles)),
        unit=unit,
        patient_id=None,
        action=action,
        object=obj[:200],
        basis=basis if allowed else "none",
        allowed=allowed,
        client_addr=actor.addr,
    )


async def load(svc: Service) -> None:
    """Lay the committed pool and entrance settings over the TOML, at start-up."""
    rows = await svc.reader.query("SELECT kind, key, value FROM admin_settings ORDER BY kind")
    for kind, key, value in rows:
        data = json.loads(value)
        # Said at every start: an operator who edits the TOML must know it is not in force.
        log.info(
            "%s %r: the setting made through the admin API overrides the config file%s",
            kind,
            key,
            " (deleted)" if data is None else "",
        )
        if kind == "pool":
            pool = PoolConfig(**data)
            apply_pool(svc, key, pool, OpeningHours.parse(pool.hours) if pool.hours else None)
        elif data is None:
            svc.config.entrances.pop(key, None)
        else:
            svc.config.entrances[key] = EntranceConfig(**data)
