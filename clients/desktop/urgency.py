"""Urgency levels as staff see them: a colour AND a text, never colour alone
(WCAG 2.1 1.4.1, use of colour), so the queue reads the same in greyscale
and to colour-blind staff.

Colours follow the red…grey order of the triage scales staff know (RETTS,
Manchester; shared/DOMAIN.md); each pair of background and text colour has a
contrast ratio of at least 4.5:1 (WCAG 1.4.3).
"""

from __future__ import annotations

from dataclasses import dataclass

from clients.desktop.i18n import tr


@dataclass(frozen=True, slots=True)
class Badge:
    background: str
    foreground: str


BADGES: dict[int, Badge] = {
    0: Badge("#000000", "#ffffff"),  # U0 call 112: never queued, shown if it ever appears
    1: Badge("#b71c1c", "#ffffff"),  # red
    2: Badge("#f57c00", "#000000"),  # orange
    3: Badge("#fdd835", "#000000"),  # yellow
    4: Badge("#2e7d32", "#ffffff"),  # green
    5: Badge("#1565c0", "#ffffff"),  # blue
    6: Badge("#616161", "#ffffff"),  # grey: self-care, asked for a person
}


def badge(urgency: int) -> Badge:
    return BADGES.get(urgency, BADGES[6])


def label(urgency: int) -> str:
    """``U1 Omgående``: the code staff use plus its meaning in the UI language."""
    return f"U{urgency} {tr(f'urgency.{urgency}')}"


def style_sheet(urgency: int) -> str:
    b = badge(urgency)
    return (
        f"background-color: {b.background}; color: {b.foreground};"
        " font-weight: bold; padding: 2px 6px; border-radius: 3px;"
    )
