"""Logging in patients (through the identity provider) and staff (password).

A successful login creates the user on first sight (patients), writes a
session row, waits for it to commit, and only then returns the token.
"""

from __future__ import annotations

from typing import Any

from chatserver.domain.clock import to_datetime
from chatserver.domain.principals import STAFF_ROLES, Principal
from chatserver.identity import IdentityError
from chatserver.identity.dev import DevProvider
from chatserver.service.auth import (
    hash_password,
    new_id,
    new_token,
    principal_of,
    token_hash,
    verify_password,
)
from chatserver.service.core import Service
from chatserver.store import records
from chatserver.store.reader import UserRow
from protocol.errors import ErrorCode


class LoginRefused(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


async def login_patient(
    svc: Service, data: dict[str, Any], addr: str | None
) -> tuple[str, Principal]:
    """Through the region's identity provider (dev: a configured test identity)."""
    try:
        identity = await svc.identity.authenticate(data)
    except IdentityError as e:
        raise LoginRefused(ErrorCode[e.code], e.message) from None
    now = svc.clock.now_ms()
    ops: list[records.Op] = []
    created: list[UserRow] = []
    user = await svc.reader.user_by("pnr", identity.pnr)
    if user is None:
        user = _new_patient(identity.pnr, identity.name)
        created.append(user)
    # Children in the user's care get accounts too, so cases can be about them.
    today = to_datetime(now).date()
    names = dict(svc.identity.identities()) if isinstance(svc.identity, DevProvider) else {}
    for child in svc.guardians.children_of(identity.pnr, today=today, policy=svc.guardian_policy):
        pnr = child.child.digits
        if pnr in svc.users_by_pnr or await svc.reader.user_by("pnr", pnr) is not None:
            continue
        created.append(
            _new_patient(pnr, names.get(pnr, "Barn " + child.child.birth_date.isoformat()))
        )
    for u in created:
        ops.append(
            records.user_insert(id=u.id, kind="patient", name=u.name, pnr=u.pnr, created=now)
        )
    token, _ = await _session(svc, user, addr, ops)
    for u in created:
        svc.known_user(u.id, u.name, u.pnr, None)
    svc.known_user(user.id, user.name, user.pnr, user.phone if user.sms_consent else None)
    return token, principal_of(user, svc.wards_of(user.id))


def _new_patient(pnr: str, name: str) -> UserRow:
    return UserRow(new_id("p"), "patient", None, pnr, name, (), (), None, False)


async def login_staff(
    svc: Service, data: dict[str, Any], addr: str | None
) -> tuple[str, Principal]:
    username = str(data.get("username", ""))[:100]
    password = str(data.get("password", ""))[:1000]
    now = svc.clock.monotonic()
    if svc.logins.locked(username, now):
        minutes = max(1, round(svc.logins.locked_for(username, now) / 60))
        raise LoginRefused(
            ErrorCode.locked,
            f"too many failed logins: locked for {minutes} more minute(s), "
            "or until an administrator sets a new password",
        )
    user = await svc.reader.user_by("username", username)
    ok = (
        user is not None
        and user.kind == "staff"
        and not user.disabled
        and user.pw_hash is not None
        and await verify_password(user.pw_hash, password)
    )
    if not ok or user is None:
        svc.logins.failed(username, now)
        raise LoginRefused(ErrorCode.auth_failed, "wrong username or password")
    svc.logins.succeeded(username)
    return await _session(svc, user, addr, [])


async def _session(
    svc: Service, user: UserRow, addr: str | None, ops: list[records.Op]
) -> tuple[str, Principal]:
    token = new_token()
    now = svc.clock.now_ms()
    ops.append(
        records.session(
            token_hash(token), user.id, now, now + svc.config.session.ttl_s * 1000, addr
        )
    )
    await svc.writer.write(ops)
    svc.state.names[user.id] = user.name
    return token, principal_of(user, svc.wards_of(user.id))


def staff_user_op(
    *,
    username: str,
    name: str,
    password: str,
    roles: tuple[str, ...],
    pools: tuple[str, ...],
    now: int,
) -> records.Op:
    unknown = set(roles) - STAFF_ROLES
    if unknown:
        raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
    return records.user_insert(
        id=new_id("s"),
        kind="staff",
        name=name,
        username=username,
        roles=roles,
        pools=pools,
        pw_hash=hash_password(password),
        created=now,
    )
