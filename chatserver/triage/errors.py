"""Errors of the triage plugin, one root so the server can catch them in one place.

Exception tree::

    TriageError                  root; its text is for logs, never shown raw to a patient
     ├─ TriageInputError         the patient's answers do not fit the questions asked;
     │                           carries a stable ``code`` the server maps to a message
     ├─ UnknownComplaintError    start() with a complaint code the plugin does not offer
     ├─ SnapshotError            restore() of a snapshot this plugin cannot rebuild
     ├─ ContentError             content files are malformed or contradict each other
     └─ PluginLoadError          load_plugin() could not import or build the plugin

Only ``TriageInputError`` is "the client sent something wrong"; the others mean the
server or its configuration misused the plugin, and are bugs or deployment errors.
"""

from __future__ import annotations

import enum


class InputErrorCode(enum.StrEnum):
    """Stable codes of ``TriageInputError``; never renamed, new ones are appended."""

    unknown_question = "unknown_question"  # not among the questions shown now
    bad_type = "bad_type"  # wrong JSON type for the question (e.g. text for a yes/no)
    out_of_range = "out_of_range"  # a number outside the question's min/max
    not_an_option = "not_an_option"  # a choice answer that is not one of the options
    too_long = "too_long"  # text or attachment id longer than the question allows
    required = "required"  # a required question on the page was left unanswered


class TriageError(Exception):
    """Root of every error the triage plugin raises on purpose."""


class TriageInputError(TriageError):
    """An answer does not fit its question; nothing of the page was applied."""

    def __init__(self, code: InputErrorCode, link_id: str, message: str) -> None:
        super().__init__(f"{code}: {link_id}: {message}")
        self.code = code
        self.link_id = link_id
        self.message = message

    def __repr__(self) -> str:
        return f"TriageInputError({self.code.value!r}, {self.link_id!r}, {self.message!r})"


class UnknownComplaintError(TriageError):
    """The complaint code is not in the plugin's list (``complaints()``)."""


class SnapshotError(TriageError):
    """The snapshot is malformed, or names content this plugin has not loaded."""


class ContentError(TriageError):
    """A content file is invalid; raised at load time so bad content never runs."""


class PluginLoadError(TriageError):
    """``load_plugin`` could not import, find or build the plugin."""
