"""Urgency badges: colour and text, with enough contrast to read."""

from __future__ import annotations

from clients.desktop import urgency
from clients.desktop.i18n import tr


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_every_level_reads_at_wcag_aa() -> None:
    for level, b in urgency.BADGES.items():
        assert contrast(b.background, b.foreground) >= 4.5, level  # WCAG 1.4.3


def test_labels_carry_the_code_and_its_meaning() -> None:
    assert urgency.label(1) == "U1 Omgående"
    assert urgency.label(6) == "U6 Egenvård"
    tr.set_language("en")
    try:
        assert urgency.label(2) == "U2 Urgent"
    finally:
        tr.set_language("sv")
    assert urgency.badge(1).background == "#b71c1c"  # red
    assert urgency.badge(6).background == "#616161"  # grey
    assert urgency.badge(9) == urgency.badge(6)
