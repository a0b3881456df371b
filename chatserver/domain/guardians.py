"""Who may act for whom: guardians acting for their children.

A guardian may open and read a child's cases (DESIGN rule 9) within limits
that are regional configuration (shared/DOMAIN.md): 1177 allows it until the
child turns 13, some regions' chats until 18, and the seeded entrances take
children from 6 months. Guardianship comes from the population register; in
development it is read from a JSON file. There is no proxy when the child or
the guardian has protected identity (skyddad identitet), whose details must
not flow between people.

Exception tree::

    Exception
    └── GuardianError        .code: not_guardian, child_too_young,
                             child_too_old, protected_identity (client-facing)
    ValueError
    └── GuardianDataError    the guardianship file is wrong (configuration)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final, Literal

from chatserver.domain.personnummer import PersonalNumber, PersonnummerError, parse

DenialReason = Literal["child_too_young", "child_too_old", "protected_identity"]
GuardianErrorCode = Literal[
    "not_guardian", "child_too_young", "child_too_old", "protected_identity"
]

GUARDIAN_ERROR_CODES: Final[frozenset[str]] = frozenset(
    {"not_guardian", "child_too_young", "child_too_old", "protected_identity"}
)

_MESSAGES: Final[dict[str, str]] = {
    "not_guardian": "you are not registered as this person's guardian",
    "child_too_young": "the child is too young for this service",
    "child_too_old": "the child is too old for a guardian to act on their behalf",
    "protected_identity": "acting on behalf of this person is not possible here",
}


class GuardianError(Exception):
    """The guardian may not act for this child; ``code`` says why."""

    def __init__(self, code: GuardianErrorCode) -> None:
        super().__init__(_MESSAGES[code])
        self.code: GuardianErrorCode = code


class GuardianDataError(ValueError):
    """The guardianship data file cannot be used; the message names the entry."""


@dataclass(frozen=True, slots=True)
class GuardianPolicy:
    """Age limits for acting as a child's guardian (regional configuration).

    The child must be at least ``min_age_months`` old and younger than
    ``max_age_years``: on the 13th birthday the guardian's access ends.
    """

    min_age_months: int = 6
    max_age_years: int = 13

    def __post_init__(self) -> None:
        if self.min_age_months < 0 or self.max_age_years * 12 <= self.min_age_months:
            raise ValueError(
                f"guardian policy: need 0 <= min_age_months < max_age_years * 12, got "
                f"{self.min_age_months} months and {self.max_age_years} years"
            )


@dataclass(frozen=True, slots=True)
class Guardianship:
    """One guardian-child pair from the register (12-digit numbers).

    ``protected`` marks a pair in which either person has protected identity.
    """

    guardian: str
    child: str
    protected: bool = False


@dataclass(frozen=True, slots=True)
class ChildEntry:
    """A child as the guardian sees it; ``reason`` is set when ``may_act`` is not."""

    child: PersonalNumber
    may_act: bool
    reason: DenialReason | None = None


class GuardianRegistry:
    """Guardianships by guardian, and the persons with protected identity."""

    def __init__(self, records: Iterable[Guardianship], protected: Iterable[str] = ()) -> None:
        self._protected = frozenset(protected)
        self._children: dict[str, dict[str, bool]] = {}
        for record in records:
            # Validates the numbers (12 digits, check digit, date).
            PersonalNumber(record.guardian)
            PersonalNumber(record.child)
            children = self._children.setdefault(record.guardian, {})
            children[record.child] = children.get(record.child, False) or record.protected

    @classmethod
    def load_json(cls, path: str | Path, *, today: date) -> GuardianRegistry:
        """Read a development file of the shape
        ``{"guardianships": [{"guardian": "...", "child": "..."}], "protected": ["..."]}``.

        Numbers may be in any form ``personnummer.parse`` accepts; ``today``
        resolves 10-digit forms. A bad entry raises GuardianDataError naming it.
        """
        source = Path(path)
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise GuardianDataError(f"{source}: not valid JSON: {error}") from error
        if not isinstance(data, dict):
            raise GuardianDataError(f"{source}: expected a JSON object at the top")
        unknown = set(data) - {"guardianships", "protected"}
        if unknown:
            raise GuardianDataError(f"{source}: unknown keys {sorted(unknown)}")
        pairs = data.get("guardianships", [])
        protected_list = data.get("protected", [])
        if not isinstance(pairs, list) or not isinstance(protected_list, list):
            raise GuardianDataError(f"{source}: 'guardianships' and 'protected' must be lists")
        records = []
        for index, entry in enumerate(pairs):
            where = f"{source}: guardianships[{index}]"
            if not isinstance(entry, dict) or set(entry) - {"guardian", "child", "protected"}:
                raise GuardianDataError(f"{where}: expected {{'guardian': ..., 'child': ...}}")
            guardian = _number(entry.get("guardian"), f"{where}.guardian", today)
            child = _number(entry.get("child"), f"{where}.child", today)
            flag = entry.get("protected", False)
            if not isinstance(flag, bool):
                raise GuardianDataError(f"{where}.protected: expected true or false")
            if guardian == child:
                raise GuardianDataError(f"{where}: a person cannot be their own guardian")
            records.append(Guardianship(guardian, child, flag))
        protected = [
            _number(value, f"{source}: protected[{index}]", today)
            for index, value in enumerate(protected_list)
        ]
        return cls(records, protected)

    def is_protected(self, person: str) -> bool:
        return person in self._protected

    def children_of(
        self, guardian: str, *, today: date, policy: GuardianPolicy
    ) -> list[ChildEntry]:
        """Every registered child of ``guardian`` (12 digits), oldest first,
        each saying whether the guardian may act for them today."""
        entries = []
        for child in sorted(self._children.get(guardian, {})):
            reason = self._denial(guardian, child, today, policy)
            entries.append(ChildEntry(PersonalNumber(child), reason is None, reason))
        return entries

    def check(self, guardian: str, child: str, *, today: date, policy: GuardianPolicy) -> None:
        """Raise GuardianError unless ``guardian`` may act for ``child`` today."""
        if child not in self._children.get(guardian, {}):
            raise GuardianError("not_guardian")
        reason = self._denial(guardian, child, today, policy)
        if reason is not None:
            raise GuardianError(reason)

    def _denial(
        self, guardian: str, child: str, today: date, policy: GuardianPolicy
    ) -> DenialReason | None:
        # Protected identity comes first: it holds whatever the child's age.
        if self._children[guardian][child] or guardian in self._protected:
            return "protected_identity"
        if child in self._protected:
            return "protected_identity"
        number = PersonalNumber(child)
        if number.age_months_on(today) < policy.min_age_months:
            return "child_too_young"
        if number.age_on(today) >= policy.max_age_years:
            return "child_too_old"
        return None


def _number(value: object, where: str, today: date) -> str:
    if not isinstance(value, str):
        raise GuardianDataError(f"{where}: expected a personnummer as a string")
    try:
        return parse(value, today=today).digits
    except PersonnummerError as error:
        raise GuardianDataError(f"{where}: {error} ({error.code})") from error
