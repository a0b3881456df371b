"""The default plugin over the shipped example content: its complaint list, and its purity."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chatserver.triage.errors import UnknownComplaintError
from chatserver.triage.fhir import create
from chatserver.triage.interface import TriagePlugin, TriageSession
from tests.triage import builders

COMPLAINTS = [
    "fever_adult",
    "fever_child",
    "sore_throat",
    "uti_female",
    "cough_breathing",
    "chest_pain",
    "abdominal_pain",
    "rash",
    "mental_health",
    "other",
]

PLUGIN = create()


def test_complaints_in_order_in_both_languages() -> None:
    swedish = PLUGIN.complaints("sv")
    english = PLUGIN.complaints("en")
    assert [code for code, _ in swedish] == COMPLAINTS == [code for code, _ in english]
    assert dict(swedish)["fever_child"] == "Feber hos barn"
    assert dict(english)["fever_child"] == "Fever in a child"
    with pytest.raises(ValueError):
        PLUGIN.complaints("de")


def test_the_default_plugin_satisfies_the_protocols() -> None:
    # Checked by mypy (structural typing) as much as at run time.
    plugin: TriagePlugin = create()
    session: TriageSession = plugin.start(builders.context(), "other")
    assert isinstance(plugin, TriagePlugin)
    assert session.outcome() is None


def test_unknown_complaint() -> None:
    with pytest.raises(UnknownComplaintError):
        PLUGIN.start(builders.context(), "headache")
    with pytest.raises(UnknownComplaintError):
        PLUGIN.red_flags("headache")


@pytest.mark.parametrize("complaint", COMPLAINTS)
def test_every_complaint_asks_red_flags_first(complaint: str) -> None:
    session = PLUGIN.start(builders.context(), complaint)
    first = session.questions()
    assert first and all(q.red_flag for q in first)
    assert {q.link_id for q in first} == set(PLUGIN.red_flags(complaint))


def test_rash_and_other_ask_for_a_photo() -> None:
    for complaint, link_id in (("rash", "ra_photo"), ("other", "ot_photo")):
        entry = PLUGIN.catalog.entry(complaint)
        assert entry is not None
        photo = entry.questionnaire.by_link_id[link_id]
        assert (photo.type, photo.required) == ("attachment", False)


def test_option_types_are_checked() -> None:
    with pytest.raises(TypeError):
        create(catalog_version=1.0)  # type: ignore[arg-type]


def test_the_package_pulls_in_no_event_loop_network_or_database() -> None:
    # A fresh interpreter, so modules imported by other tests do not hide a leak.
    # (socket itself is imported by importlib.metadata, so it cannot be listed.)
    banned = ["asyncio", "sqlite3", "aiosqlite", "http.client", "urllib.request", "websockets"]
    code = (
        "import sys; import chatserver.triage.fhir as f; f.create(); "
        f"print(sorted(set({banned!r}) & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
