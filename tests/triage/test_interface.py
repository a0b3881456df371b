"""The plugin interface: value invariants the server relies on, and ``load_plugin``."""

from __future__ import annotations

from importlib.metadata import EntryPoint, EntryPoints
from pathlib import Path
from typing import Any

import pytest

from chatserver.domain.urgency import Urgency
from chatserver.triage import interface
from chatserver.triage.errors import InputErrorCode, PluginLoadError, TriageInputError
from chatserver.triage.fhir import FhirTriagePlugin
from chatserver.triage.interface import (
    Outcome,
    Provenance,
    Question,
    TriageContext,
    TriagePlugin,
    load_plugin,
)
from tests.triage import builders

PROVENANCE = Provenance("p", "1", "u", "1.0.0", "s", "r", "1.0.0", "s", ("a",), "a")


def not_a_plugin() -> object:
    return object()


def test_context_accepts_total_months() -> None:
    context = TriageContext(2, 27, None, "seek_care", True, "en")
    assert (context.age_years, context.age_months) == (2, 27)


@pytest.mark.parametrize(
    "args",
    [
        (2, 3, None, "seek_care", False, "sv"),  # months beyond the years, not total
        (-1, 0, None, "seek_care", False, "sv"),
        (0, 0, "other", "seek_care", False, "sv"),
        (0, 0, None, "", False, "sv"),
        (0, 0, None, "seek_care", "yes", "sv"),
        (0, 0, None, "seek_care", False, "de"),
        (True, 12, None, "seek_care", False, "sv"),
    ],
)
def test_context_refuses_misuse(args: tuple[Any, ...]) -> None:
    with pytest.raises(ValueError):
        TriageContext(*args)


def test_question_options_only_on_choice() -> None:
    with pytest.raises(ValueError):
        Question("q", "text", "choice")
    with pytest.raises(ValueError):
        Question("q", "text", "nonsense")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("urgency", "disposition", "pool"),
    [
        (Urgency.U0, "queue", "nurse_1177"),
        (Urgency.U1, "call_112", None),
        (Urgency.U0, "call_112", "nurse_1177"),
        (Urgency.U5, "self_care", "nurse_1177"),
        (Urgency.U6, "queue", "nurse_1177"),
        (Urgency.U3, "queue", None),
        (Urgency.U1, "booking", "physician"),
        (Urgency.U4, "booking", None),
        (Urgency.U4, "teleport", "nurse_1177"),
    ],
)
def test_outcome_invariants(urgency: Urgency, disposition: Any, pool: str | None) -> None:
    with pytest.raises(ValueError):
        Outcome(urgency, disposition, pool, "", "", PROVENANCE, {})


@pytest.mark.parametrize(
    ("urgency", "disposition", "pool"),
    [
        (Urgency.U0, "call_112", None),
        (Urgency.U2, "queue", "physician"),
        (Urgency.U4, "booking", "vc_nurse"),
        (Urgency.U6, "self_care", "nurse_1177"),
        (Urgency.U6, "self_care", None),
    ],
)
def test_outcome_valid(urgency: Urgency, disposition: Any, pool: str | None) -> None:
    Outcome(urgency, disposition, pool, "", "", PROVENANCE, {})


def test_input_error_codes_are_stable() -> None:
    assert [c.value for c in InputErrorCode] == [
        "unknown_question",
        "bad_type",
        "out_of_range",
        "not_an_option",
        "too_long",
        "required",
    ]
    error = TriageInputError(InputErrorCode.required, "q1", "an answer is required")
    assert (error.code, error.link_id) == ("required", "q1")
    assert "required" in repr(error)


def test_load_default_plugin() -> None:
    plugin = load_plugin()
    assert isinstance(plugin, TriagePlugin)
    assert isinstance(plugin, FhirTriagePlugin)
    assert plugin.name == "chatserver.triage.fhir"


def test_load_module_factory_with_options(tmp_path: Path) -> None:
    builders.write_release(tmp_path, [builders.item("q1")])
    plugin = load_plugin("chatserver.triage.fhir:create", {"content_dir": str(tmp_path)})
    assert plugin.complaints("en") == [("test", "Test (en)")]


def test_load_by_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_entry_points(*, group: str, name: str) -> EntryPoints:
        point = EntryPoint(name="fhir", value="chatserver.triage.fhir:create", group=group)
        return EntryPoints([point] if name == "fhir" else [])

    monkeypatch.setattr(interface, "entry_points", fake_entry_points)
    assert isinstance(load_plugin("fhir", {}), FhirTriagePlugin)
    with pytest.raises(PluginLoadError):
        load_plugin("nope", {})


@pytest.mark.parametrize(
    ("spec", "options"),
    [
        ("no.such.module:create", {}),
        ("chatserver.triage.fhir:no_such_factory", {}),
        ("chatserver.triage.fhir:NAME", {}),  # not callable
        ("chatserver.triage.fhir:create", {"colour": "blue"}),
        ("chatserver.triage.fhir:create", {"content_dir": 42}),
        ("tests.triage.test_interface:not_a_plugin", {}),
        ("no-such-entry-point", {}),
    ],
)
def test_load_errors(spec: str, options: dict[str, object]) -> None:
    with pytest.raises(PluginLoadError):
        load_plugin(spec, options)
