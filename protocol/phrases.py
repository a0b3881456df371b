"""Placeholders in canned phrases (docs/PROTOCOL.md section 6.4).

A phrase's text may hold ``{patient}`` (the patient's first name), ``{staff}``
(the staff member's name) and ``{unit}`` (the care unit); the client fills them
in before sending. Any other ``{word}`` would reach the patient as written, so
the server refuses phrases with one.
"""

from __future__ import annotations

import re

PLACEHOLDERS = ("patient", "staff", "unit")
PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_ANY_BRACED = re.compile(r"\{([^{}\s]{0,40})\}")


def unknown_placeholders(text: str) -> list[str]:
    """The ``{...}`` in ``text`` that are not placeholders, in order, once each."""
    found = [m.group(0) for m in _ANY_BRACED.finditer(text) if m.group(1) not in PLACEHOLDERS]
    return list(dict.fromkeys(found))


def placeholder_problem(text: str) -> str | None:
    """Why ``text`` cannot be a phrase, or None: for a ``bad_request`` message."""
    unknown = unknown_placeholders(text)
    if not unknown:
        return None
    known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
    return f"unknown placeholder(s) {', '.join(unknown)}: a phrase may use {known}"
