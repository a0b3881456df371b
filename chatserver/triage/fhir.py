"""The default triage plugin: FHIR questionnaires plus versioned rule tables.

``create()`` is the factory named by the default spec
``chatserver.triage.fhir:create``. It loads every content file once (the only
I/O) and serves the complaints of the newest catalog, or of the catalog pinned
by ``catalog_version``. Sessions restored from a snapshot run on the exact
questionnaire and rule-table versions they started on, which stay loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from chatserver.domain.urgency import Urgency
from chatserver.triage.content import Catalog, ContentLibrary, load_content
from chatserver.triage.engine import SNAPSHOT_FORMAT, FhirSession, Plan
from chatserver.triage.errors import (
    SnapshotError,
    TriageInputError,
    UnknownComplaintError,
)
from chatserver.triage.interface import LANGUAGES, TriageContext
from chatserver.triage.questionnaire import Questionnaire
from chatserver.triage.rules import Ruleset

NAME = "chatserver.triage.fhir"
VERSION = "1.0.0"


def builtin_content() -> Traversable:
    """The example content shipped with the package (not clinically validated)."""
    return files("chatserver.triage").joinpath("content")


class FhirTriagePlugin:
    """A ``TriagePlugin`` over a loaded ``ContentLibrary``."""

    name = NAME
    version = VERSION

    def __init__(self, library: ContentLibrary, catalog_version: str | None = None) -> None:
        self._library = library
        self._catalog = library.catalog(catalog_version)

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def complaints(self, language: str) -> list[tuple[str, str]]:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}")
        return [(e.complaint, e.questionnaire.title.get(language)) for e in self._catalog.entries]

    def start(self, context: TriageContext, complaint: str) -> FhirSession:
        entry = self._catalog.entry(complaint)
        if entry is None:
            raise UnknownComplaintError(
                f"no complaint {complaint!r} in catalog {self._catalog.version}"
            )
        return FhirSession(self._plan(complaint, entry.questionnaire, entry.ruleset), context)

    @staticmethod
    def _plan(complaint: str, questionnaire: Questionnaire, ruleset: Ruleset) -> Plan:
        return Plan(NAME, VERSION, complaint, questionnaire.title.sv, questionnaire, ruleset)

    def red_flags(self, complaint: str) -> dict[str, Urgency]:
        """Red-flag question → the least urgent outcome once it is answered yes."""
        entry = self._catalog.entry(complaint)
        if entry is None:
            raise UnknownComplaintError(f"no complaint {complaint!r}")
        return entry.ruleset.red_flag_floors()

    def restore(self, snapshot: Mapping[str, object]) -> FhirSession:
        if snapshot.get("format") != SNAPSHOT_FORMAT or snapshot.get("plugin") != NAME:
            raise SnapshotError("not a snapshot of this plugin's format")
        questionnaire = self._library.questionnaires.get(str(snapshot.get("questionnaire")))
        ruleset = self._library.rulesets.get(str(snapshot.get("ruleset")))
        if questionnaire is None or ruleset is None:
            raise SnapshotError("the snapshot's content version is not loaded")
        hashes = (snapshot.get("questionnaire_sha256"), snapshot.get("ruleset_sha256"))
        if hashes != (questionnaire.sha256, ruleset.sha256):
            raise SnapshotError("the loaded content differs from the content the session began on")
        complaint, context, pages = (
            snapshot.get("complaint"),
            snapshot.get("context"),
            snapshot.get("pages"),
        )
        if not isinstance(complaint, str) or not isinstance(context, dict):
            raise SnapshotError("complaint or context missing")
        if not isinstance(pages, list) or not all(isinstance(p, dict) for p in pages):
            raise SnapshotError("pages missing")
        try:
            plan = self._plan(complaint, questionnaire, ruleset)
            session = FhirSession(plan, TriageContext(**context))
            for page in pages:
                session.answer(page)
        except (TypeError, ValueError, TriageInputError) as exc:
            raise SnapshotError(f"the snapshot does not replay: {exc}") from exc
        return session


def create(content_dir: str | None = None, catalog_version: str | None = None) -> FhirTriagePlugin:
    """Build the plugin; ``content_dir`` replaces the built-in example content.

    Options come from config as plain values; ``content_dir`` is a directory of
    content files, ``catalog_version`` pins a catalog (default: the newest).
    """
    if content_dir is not None and not isinstance(content_dir, str):
        raise TypeError("content_dir must be a string path")
    if catalog_version is not None and not isinstance(catalog_version, str):
        raise TypeError("catalog_version must be a string")
    directory: Traversable = builtin_content() if content_dir is None else Path(content_dir)
    return FhirTriagePlugin(load_content([directory]), catalog_version)
