"""The development identity provider: stands in for BankID.

The patient picks one of the region's configured Skatteverket test
personnummer (never given to real people); every other number is refused,
so a dev or test setup can never log in as a real person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from chatserver.domain.personnummer import PersonnummerError, is_test_number, parse
from chatserver.identity.interface import Identity, IdentityError


class DevProvider:
    name = "dev"

    def __init__(self, identities: Iterable[tuple[str, str]], today: date | None = None) -> None:
        self._known: dict[str, str] = {}
        for pnr, name in identities:
            pn = parse(pnr, today=today or date.today())
            self._known[pn.digits] = name

    def identities(self) -> list[tuple[str, str]]:
        return sorted(self._known.items())

    async def authenticate(self, credentials: Mapping[str, Any]) -> Identity:
        raw = credentials.get("pnr")
        if not isinstance(raw, str):
            raise IdentityError("bad_request", "pnr is required")
        try:
            pn = parse(raw, today=date.today())
        except PersonnummerError as e:
            raise IdentityError("bad_request", f"{e} ({e.code})") from None
        name = self._known.get(pn.digits)
        if name is None:
            raise IdentityError("auth_failed", "only the configured test identities can log in")
        return Identity(pn.digits, name)


def create(identities: Iterable[tuple[str, str]] = ()) -> DevProvider:
    return DevProvider(identities)


def refuses_real_numbers(provider: DevProvider) -> bool:
    """True when every configured identity is an official test number."""
    return all(is_test_number(pnr) for pnr, _ in provider.identities())
