"""Canned phrases ("autofraser"): ``/key`` in the editor becomes the phrase's
text with its placeholders filled in by the client (PROTOCOL.md §6.4).

A personal phrase wins over a shared one with the same key: it is the staff
member's own wording. Between pools, the case's own pool wins, then the
first pool in name order, so the choice never depends on list order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from protocol.frames import Phrase
from protocol.phrases import PLACEHOLDER

# A key as typed: "/" at the start of the text or after whitespace, then the
# key's characters. Keys are at most 32 characters (protocol Phrase.key).
KEY_AT_END = re.compile(r"(?:^|(?<=\s))/([\w.\-]{1,32})$")
KEY_ANYWHERE = re.compile(r"(?:^|(?<=\s))/([\w.\-]{1,32})(?=\s|$)")


@dataclass(frozen=True, slots=True)
class Context:
    """What the placeholders stand for in one case."""

    patient: str  # the patient's first name
    staff: str  # the staff member's name
    unit: str  # the care unit or pool, as patients know it

    def fill(self, text: str) -> str:
        values = {"patient": self.patient, "staff": self.staff, "unit": self.unit}
        return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def first_name(full: str) -> str:
    parts = full.split()
    return parts[0] if parts else full


class PhraseBook:
    """The phrases one staff member may use, looked up by key."""

    def __init__(self, phrases: Iterable[Phrase] = (), pool: str = "") -> None:
        self.all: tuple[Phrase, ...] = tuple(phrases)
        self.pool = pool

    def find(self, key: str) -> Phrase | None:
        found = [p for p in self.all if p.key == key]
        if not found:
            return None

        def rank(p: Phrase) -> tuple[int, str]:
            if p.scope == "personal":
                return (0, "")
            if p.scope == self.pool:
                return (1, "")
            return (2, p.scope)

        return min(found, key=rank)

    def starting_with(self, prefix: str) -> list[Phrase]:
        """Phrases whose key starts with ``prefix``, one per key, by key."""
        keys = sorted({p.key for p in self.all if p.key.startswith(prefix)})
        return [p for p in (self.find(k) for k in keys) if p is not None]

    def expand_last(self, text: str, ctx: Context) -> str | None:
        """If ``text`` ends with a known ``/key``, the text with it expanded."""
        m = KEY_AT_END.search(text)
        if m is None:
            return None
        phrase = self.find(m.group(1))
        if phrase is None:
            return None
        return text[: m.start()] + ctx.fill(phrase.text)

    def expand_all(self, text: str, ctx: Context) -> str:
        """Every known ``/key`` standing alone in ``text`` expanded; unknown
        ones (a path, a date like 1/2) are left as typed."""

        def one(m: re.Match[str]) -> str:
            phrase = self.find(m.group(1))
            return ctx.fill(phrase.text) if phrase is not None else m.group(0)

        return KEY_ANYWHERE.sub(one, text)
