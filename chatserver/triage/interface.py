"""The triage plugin interface: what the server may ask of any triage plugin.

Triage software is a medical device (EU MDR rule 11, shared/DOMAIN.md), so it is
kept behind this small interface, apart from the server (DESIGN rule 8). The
server starts a session for a complaint, shows ``questions()`` page by page,
passes the patient's ``answer()`` back, and at the end reads an ``Outcome``:
urgency, disposition, pool, advice, a staff summary, the FHIR
QuestionnaireResponse and the provenance (which content and rules decided).

Everything here is pure and synchronous: no I/O after load, no asyncio, no
clock. An in-progress session is persisted as the plain JSON-able
``snapshot()`` and rebuilt with the plugin's ``restore()`` after a restart.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Literal, Protocol, cast, get_args, runtime_checkable

from chatserver.domain.urgency import Urgency
from chatserver.triage.errors import (
    ContentError,
    InputErrorCode,
    PluginLoadError,
    SnapshotError,
    TriageError,
    TriageInputError,
    UnknownComplaintError,
)

__all__ = [
    "DEFAULT_PLUGIN_SPEC",
    "DISPOSITIONS",
    "ENTRY_POINT_GROUP",
    "LANGUAGES",
    "QUESTION_TYPES",
    "AnswerValue",
    "ContentError",
    "Disposition",
    "InputErrorCode",
    "Option",
    "Outcome",
    "PluginLoadError",
    "Provenance",
    "Question",
    "QuestionType",
    "SnapshotError",
    "TriageContext",
    "TriageError",
    "TriageInputError",
    "TriagePlugin",
    "TriageSession",
    "UnknownComplaintError",
    "disposition_problem",
    "load_plugin",
]

DEFAULT_PLUGIN_SPEC = "chatserver.triage.fhir:create"
ENTRY_POINT_GROUP = "chatserver.triage"

Language = Literal["sv", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)

QuestionType = Literal["boolean", "choice", "integer", "decimal", "string", "attachment"]
QUESTION_TYPES: tuple[str, ...] = get_args(QuestionType)

Disposition = Literal["self_care", "call_112", "queue", "booking"]
DISPOSITIONS: tuple[str, ...] = get_args(Disposition)

# What an answer may hold once validated: boolean, integer, decimal, choice code,
# free text, or an attachment id (the server stores the photo; triage sees its id).
AnswerValue = bool | int | float | str

SEXES = ("female", "male")


@dataclass(frozen=True, slots=True)
class TriageContext:
    """What the server knows about the patient before the first question.

    ``age_months`` is the age in completed months *in total* (27 for a child of
    2 years 3 months), not the months beyond ``age_years``; both are computed
    from the birth date, so ``age_months // 12 == age_years`` is checked here.
    Infant rules (NICE NG143: under 3 months) depend on getting this right.
    For a guardian acting for a child, the ages and sex are the child's.
    """

    age_years: int
    age_months: int
    sex: str | None
    entrance: str
    on_behalf_of_child: bool
    language: str

    def __post_init__(self) -> None:
        for name in ("age_years", "age_months"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, got {value!r}")
        if self.age_months // 12 != self.age_years:
            raise ValueError(
                f"age_months is the total age in months: {self.age_months} months "
                f"is not {self.age_years} years"
            )
        if self.sex is not None and self.sex not in SEXES:
            raise ValueError(f"sex must be 'female', 'male' or None, got {self.sex!r}")
        if not isinstance(self.entrance, str) or not self.entrance:
            raise ValueError("entrance must be a non-empty string")
        if not isinstance(self.on_behalf_of_child, bool):
            raise ValueError("on_behalf_of_child must be a bool")
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, got {self.language!r}")


@dataclass(frozen=True, slots=True)
class Option:
    """One answer option of a choice question; ``code`` is what ``answer()`` takes."""

    code: str
    text: str


@dataclass(frozen=True, slots=True)
class Question:
    """A question to show, with its text already in the session's language.

    The answer each type takes in ``answer()``: boolean → bool; choice → an
    option's ``code``; integer → int; decimal → int or float; string → str;
    attachment → the id of an uploaded photo as str, or absent to skip.
    ``min``/``max`` bound numbers, ``max_length`` bounds text. ``red_flag``
    questions screen for danger signs and are always shown before the rest.
    """

    link_id: str
    text: str
    type: QuestionType
    options: tuple[Option, ...] = ()
    required: bool = False
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    red_flag: bool = False

    def __post_init__(self) -> None:
        if self.type not in QUESTION_TYPES:
            raise ValueError(f"unknown question type {self.type!r}")
        if (self.type == "choice") != bool(self.options):
            raise ValueError("choice questions, and only they, have options")


@dataclass(frozen=True, slots=True)
class Provenance:
    """Which code and which immutable content produced an outcome (EU MDR traceability).

    ``rules_fired`` lists every rule whose condition held, in rule-table order;
    ``decisive_rule`` is the one that set the outcome (the most urgent, the
    earliest in the table on a tie). The sha256 values are of the content
    files as loaded, so an outcome can be tied to exact bytes.
    """

    plugin: str
    plugin_version: str
    questionnaire_url: str
    questionnaire_version: str
    questionnaire_sha256: str
    ruleset_id: str
    ruleset_version: str
    ruleset_sha256: str
    rules_fired: tuple[str, ...]
    decisive_rule: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of a completed triage.

    Invariants (checked here, so the server may rely on them whatever the
    plugin): ``call_112`` if and only if U0, and then no pool; ``self_care`` if
    and only if U6, its pool being where a patient who still wants to talk to
    a person is queued; ``queue`` and ``booking`` name a pool, ``booking`` only
    for U3-U5. ``advice`` is patient-facing in the session's language;
    ``summary`` is for staff, always Swedish. ``response`` is the FHIR R4
    QuestionnaireResponse as JSON (``questionnaire`` = ``url|version``); the
    server adds ``subject``, ``author`` and ``authored``, which need identity
    and time that the plugin does not have.
    """

    urgency: Urgency
    disposition: Disposition
    pool: str | None
    advice: str
    summary: str
    provenance: Provenance
    response: dict[str, object] = field(hash=False)

    def __post_init__(self) -> None:
        problem = disposition_problem(self.urgency, self.disposition, self.pool)
        if problem:
            raise ValueError(problem)


def disposition_problem(urgency: Urgency, disposition: str, pool: str | None) -> str | None:
    """Why this urgency, disposition and pool cannot go together, or None if they can."""
    if disposition not in DISPOSITIONS:
        return f"unknown disposition {disposition!r}"
    if (disposition == "call_112") != (urgency is Urgency.U0):
        return "disposition call_112 goes with U0 and only with U0"
    if (disposition == "self_care") != (urgency is Urgency.U6):
        return "disposition self_care goes with U6 and only with U6"
    if disposition == "call_112" and pool is not None:
        return "a call_112 outcome has no pool"
    if disposition in ("queue", "booking") and not pool:
        return f"a {disposition} outcome needs a pool"
    if disposition == "booking" and not Urgency.U3 <= urgency <= Urgency.U5:
        return "booking is for U3-U5"
    return None


class TriageSession(Protocol):
    """One patient's triage for one complaint, from first question to outcome."""

    def questions(self) -> list[Question]:
        """The enabled, unanswered questions to show next, as one page.

        Red-flag questions come first (a page of their own); an empty list
        means the triage is complete and ``outcome()`` is not None.
        """

    def answer(self, answers: Mapping[str, object]) -> None:
        """Answer the current page: ``link_id`` → value, optional ones may be left out.

        The whole page is validated before any of it is applied; on the first
        problem ``TriageInputError`` is raised and the session is unchanged.
        Answers are final: an answered question is never asked again, so no
        later answer can undo a red flag.
        """

    def outcome(self) -> Outcome | None:
        """The outcome once the triage is complete, else None."""

    def snapshot(self) -> dict[str, object]:
        """Plain JSON-able state; ``TriagePlugin.restore`` rebuilds the session from it."""


@runtime_checkable
class TriagePlugin(Protocol):
    """A triage implementation, chosen in config and built by ``load_plugin``."""

    @property
    def name(self) -> str:
        """Stable plugin name, recorded in every outcome's provenance."""

    @property
    def version(self) -> str:
        """Version of the plugin's code (content carries its own versions)."""

    def complaints(self, language: str) -> list[tuple[str, str]]:
        """(code, label) of the complaints the patient chooses from, in display order."""

    def start(self, context: TriageContext, complaint: str) -> TriageSession:
        """A new session; ``UnknownComplaintError`` if ``complaint`` is not offered."""

    def restore(self, snapshot: Mapping[str, object]) -> TriageSession:
        """Rebuild a session from ``snapshot()``; ``SnapshotError`` if it cannot."""


def load_plugin(
    spec: str = DEFAULT_PLUGIN_SPEC, options: Mapping[str, object] | None = None
) -> TriagePlugin:
    """Build the configured plugin: ``factory(**options)``.

    ``spec`` is either ``"package.module:factory"`` or the name of an entry
    point in the group ``chatserver.triage`` (how a separately installed,
    separately certified plugin package registers itself).
    """
    factory = _find_factory(spec)
    try:
        plugin = factory(**dict(options or {}))
    except TypeError as exc:  # wrong option names or types in config
        raise PluginLoadError(f"{spec}: bad options: {exc}") from exc
    if not isinstance(plugin, TriagePlugin):
        raise PluginLoadError(f"{spec}: factory returned {type(plugin).__name__}, not a plugin")
    return plugin


def _find_factory(spec: str) -> Callable[..., object]:
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise PluginLoadError(f"{spec}: cannot import {module_name}: {exc}") from exc
        factory = getattr(module, attr, None)
    else:
        found = entry_points(group=ENTRY_POINT_GROUP, name=spec)
        if not found:
            raise PluginLoadError(f"no entry point {spec!r} in group {ENTRY_POINT_GROUP}")
        try:
            factory = next(iter(found)).load()
        except ImportError as exc:
            raise PluginLoadError(f"{spec}: cannot load entry point: {exc}") from exc
    if not callable(factory):
        raise PluginLoadError(f"{spec}: no callable factory")
    return cast("Callable[..., object]", factory)
