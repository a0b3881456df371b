"""Who may reach which case, decided in one place (DESIGN rule 9).

A patient reaches their own cases and those of children they may act for.
Staff reach cases of their pools, cases assigned to them, and cases they were
asked to consult on. Patientdatalagen (2008:355) 4 kap. 1 §: access only for
care the staff member takes part in.
"""

from __future__ import annotations

from chatserver.domain.cases import Case
from chatserver.domain.principals import Principal


def room_role(p: Principal, case: Case, consultants: frozenset[str] = frozenset()) -> str | None:
    """The role ``p`` has in the case's room, or None if no access at all."""
    if p.kind == "patient":
        if case.patient_id == p.user_id:
            return "patient"
        # A guardian acts only while the child is in their care and within the
        # age limits (wards is computed at login), not because they once opened
        # the case.
        if case.patient_id in p.wards:
            return "guardian"
        return None
    if case.assignee == p.user_id or case.pool in p.pools:
        return "staff"
    # A consultant reads the case and writes in its staff thread while it is
    # open (docs/PROTOCOL.md section 6.5); a closed case is no longer theirs.
    if case.is_open and consulted(p, consultants):
        return "consultant"
    return None


def consulted(p: Principal, consultants: frozenset[str]) -> bool:
    """Asked personally, or through one of their pools (``pool:<key>``)."""
    return p.user_id in consultants or any(f"pool:{pool}" in consultants for pool in p.pools)


def basis(p: Principal, case: Case, consultants: frozenset[str] = frozenset()) -> str:
    """The basis for access, as the audit log records it."""
    if p.kind == "patient":
        return "own_case" if case.patient_id == p.user_id else "guardian"
    if case.assignee == p.user_id:
        return "assigned"
    if case.pool in p.pools:
        return "pool_member"
    if consulted(p, consultants):
        return "consulted"
    return "none"
