"""Who is acting: the authenticated user behind a connection or HTTP request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["patient", "staff"]

STAFF_ROLES = frozenset(
    {"nurse", "secretary", "physician", "psychologist", "bvc_nurse", "admin", "auditor"}
)


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    kind: Kind
    name: str
    roles: frozenset[str] = frozenset()
    pools: frozenset[str] = frozenset()
    # 12-digit personnummer for patients; never sent to other participants.
    pnr: str | None = None
    # Children this patient may act for (user ids), resolved at login.
    wards: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]
