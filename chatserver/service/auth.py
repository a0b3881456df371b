"""Logins and sessions.

Session tokens are 256-bit random strings handed out once by an HTTP login
and sent by the client in ``hello`` (never in a URL, where proxies and logs
would keep them). Only their SHA-256 is stored. Staff passwords are hashed
with argon2id; verifying takes tens of milliseconds of CPU, so it runs off
the event loop. Repeated failures lock the account for a while.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from chatserver.domain.principals import Principal
from chatserver.store.reader import UserRow

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 low-memory profile


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def verify_password(pw_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(pw_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


def new_token() -> str:
    return secrets.token_urlsafe(32)


# Shortest staff password set through the admin API or `chatserver create-admin`.
MIN_PASSWORD = 10


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def new_id(prefix: str) -> str:
    """Short unguessable ids: 10 base32 characters (50 bits) after a prefix."""
    return prefix + secrets.token_hex(8)[:12]


def principal_of(user: UserRow, wards: frozenset[str] = frozenset()) -> Principal:
    return Principal(
        user_id=user.id,
        kind="staff" if user.kind == "staff" else "patient",
        name=user.name,
        roles=frozenset(user.roles),
        pools=frozenset(user.pools),
        pnr=user.pnr,
        wards=wards,
    )


@dataclass(slots=True)
class _Failures:
    count: int = 0
    locked_until: float = 0.0


class LoginGuard:
    """Counts failed logins per account; locks after ``limit`` for ``lockout_s``."""

    def __init__(self, limit: int, lockout_s: float) -> None:
        self.limit = limit
        self.lockout_s = lockout_s
        self._failures: dict[str, _Failures] = {}

    def locked(self, key: str, now: float) -> bool:
        f = self._failures.get(key)
        return f is not None and f.locked_until > now

    def locked_for(self, key: str, now: float) -> float:
        """Seconds the account stays locked (0 when it is not)."""
        f = self._failures.get(key)
        return max(0.0, f.locked_until - now) if f is not None else 0.0

    def failed(self, key: str, now: float) -> None:
        f = self._failures.setdefault(key, _Failures())
        f.count += 1
        if f.count >= self.limit:
            f.locked_until = now + self.lockout_s
            f.count = 0
        if len(self._failures) > 100_000:  # bounded: forget the oldest entries
            for k in list(self._failures)[:10_000]:
                del self._failures[k]

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
