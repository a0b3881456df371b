"""Triage plugins: symptoms in, urgency, disposition and advice out (DESIGN rule 8).

The server depends only on ``chatserver.triage.interface`` (re-exported here);
the default plugin, ``chatserver.triage.fhir``, reads versioned FHIR
questionnaires and rule tables from ``content/``. See README.md.
"""

from chatserver.triage.interface import (
    DEFAULT_PLUGIN_SPEC,
    DISPOSITIONS,
    ENTRY_POINT_GROUP,
    LANGUAGES,
    QUESTION_TYPES,
    AnswerValue,
    ContentError,
    Disposition,
    InputErrorCode,
    Option,
    Outcome,
    PluginLoadError,
    Provenance,
    Question,
    QuestionType,
    SnapshotError,
    TriageContext,
    TriageError,
    TriageInputError,
    TriagePlugin,
    TriageSession,
    UnknownComplaintError,
    load_plugin,
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
    "load_plugin",
]
