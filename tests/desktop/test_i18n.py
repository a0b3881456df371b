"""Every text in both languages, and every key the code names exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from clients.desktop.i18n import LANGUAGES, TEXTS, kind_name, pool_name, tr
from protocol.frames import CASE_STATES, CLOSE_OUTCOMES

SOURCE = Path(__file__).resolve().parents[2] / "clients" / "desktop"
# tr("a.b") with a whole key (not a prefix like tr("chat.role." + role)).
LITERAL_KEY = re.compile(r"""\btr\(\s*["']([a-z0-9_]+\.[a-z0-9_.]*[a-z0-9_])["']""")


def test_both_languages_have_every_text_with_the_same_placeholders() -> None:
    fields = string.Formatter()
    for key, texts in TEXTS.items():
        assert len(texts) == len(LANGUAGES) and all(texts), key
        names = [{f for _, f, _, _ in fields.parse(t) if f} for t in texts]
        assert names[0] == names[1], key


def test_every_key_named_in_the_code_exists() -> None:
    used = {m for path in SOURCE.glob("*.py") for m in LITERAL_KEY.findall(path.read_text())}
    assert used, "no tr() calls found"
    assert sorted(used - set(TEXTS)) == []


def test_keys_built_from_protocol_values_exist() -> None:
    for state in CASE_STATES:
        assert tr.has(f"state.{state}"), state
    for outcome in CLOSE_OUTCOMES:
        assert tr.has(f"outcome.{outcome}"), outcome
    for level in range(7):
        assert tr.has(f"urgency.{level}")
    for day in range(7):
        assert tr.has(f"weekday.{day}")


def test_language_switch_and_names() -> None:
    try:
        tr.set_language("en")
        assert tr("login.submit") == "Log in"
        assert pool_name("secretary") == "Health centre secretaries"
        assert kind_name("physician") == "Physician"
    finally:
        tr.set_language("sv")
    assert tr("login.submit") == "Logga in"
    assert pool_name("okänd_pool") == "okänd_pool"
    with pytest.raises(ValueError):
        tr.set_language("de")
