"""The urgency scale U0-U6 (shared/DOMAIN.md), shared by triage, queues and KPIs.

Targets are the default longest wait for a first staff response; a region may
override them in config. U0 is never queued (call 112); U4-U6 wait at most
until the end of the staffed day, expressed as ``None`` here and resolved by
the opening hours of the pool.
"""

from __future__ import annotations

import enum


class Urgency(enum.IntEnum):
    """Lower value = more urgent. The value is the wire code (0-6)."""

    U0 = 0  # Ring 112 / call 112: shown, never queued
    U1 = 1  # Omgående / immediate: strict top band, FIFO inside
    U2 = 2  # Skyndsamt / urgent, within 1 h
    U3 = 3  # Samma dag / same day
    U4 = 4  # Inom ett dygn / within 24 h
    U5 = 5  # Inom en vecka / routine
    U6 = 6  # Egenvård / self-care (queued only if the patient asks for a person)

    @property
    def queued(self) -> bool:
        return self is not Urgency.U0


# Default first-response targets in minutes. None = end of the staffed day.
# Anchors: Manchester Triage System 0/10/60/120/240 min; Region Jönköping
# 1177 direkt "aim 15 min" (shared/DOMAIN.md).
DEFAULT_TARGET_MINUTES: dict[Urgency, int | None] = {
    Urgency.U1: 15,
    Urgency.U2: 60,
    Urgency.U3: 240,
    Urgency.U4: None,
    Urgency.U5: None,
    Urgency.U6: None,
}

SWEDISH_LABEL: dict[Urgency, str] = {
    Urgency.U0: "Ring 112",
    Urgency.U1: "Omgående",
    Urgency.U2: "Skyndsamt",
    Urgency.U3: "Samma dag",
    Urgency.U4: "Inom ett dygn",
    Urgency.U5: "Inom en vecka",
    Urgency.U6: "Egenvård",
}

ENGLISH_LABEL: dict[Urgency, str] = {
    Urgency.U0: "Call 112",
    Urgency.U1: "Immediate",
    Urgency.U2: "Urgent, within 1 h",
    Urgency.U3: "Same day",
    Urgency.U4: "Within 24 h",
    Urgency.U5: "Routine",
    Urgency.U6: "Self-care",
}
