"""One triage session over a questionnaire and its rule table: pages in, outcome out.

A pure state machine (like h11's connection): no I/O, no clock. Its whole state
is the list of answered pages, so a snapshot is that list plus the names and
hashes of the content, and a restore replays the pages through ``answer()`` —
the same validation as live, so a restored session can never be in a state a
live one could not reach.

Paging: while a red-flag question is unanswered, the page holds only red-flag
questions (DOMAIN.md: red flags come first); after that, every enabled,
unanswered question. Optional questions left blank on a page are skipped for
good. The triage ends when no question is left or a ``stop`` rule fires.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from chatserver.triage.errors import InputErrorCode, TriageInputError
from chatserver.triage.interface import (
    AnswerValue,
    Outcome,
    Provenance,
    Question,
    TriageContext,
)
from chatserver.triage.questionnaire import Item, Questionnaire
from chatserver.triage.report import questionnaire_response, staff_summary
from chatserver.triage.rules import Ruleset

SNAPSHOT_FORMAT = 1

# Free text without maxLength in content is still bounded (a limit on every read).
DEFAULT_MAX_TEXT = 2000
# Attachment ids are made by the server's upload store; anything longer is not one.
MAX_ATTACHMENT_ID = 200


@dataclass(frozen=True, slots=True)
class Plan:
    """What a session runs: plugin identity, complaint, and its content versions."""

    plugin: str
    plugin_version: str
    complaint: str
    complaint_label: str  # Swedish, for the staff summary
    questionnaire: Questionnaire
    ruleset: Ruleset


class FhirSession:
    """A ``TriageSession`` driven by a FHIR questionnaire and a rule table."""

    def __init__(self, plan: Plan, context: TriageContext) -> None:
        self._plan = plan
        self._context = context
        self._answers: dict[str, AnswerValue] = {}
        self._skipped: set[str] = set()
        self._pages: list[dict[str, AnswerValue]] = []
        self._stopped = False
        self._outcome: Outcome | None = None

    @property
    def complaint(self) -> str:
        return self._plan.complaint

    @property
    def context(self) -> TriageContext:
        return self._context

    def questions(self) -> list[Question]:
        return [item.question(self._context.language) for item in self._page()]

    def answer(self, answers: Mapping[str, object]) -> None:
        page = self._page()
        shown = {item.link_id: item for item in page}
        accepted: dict[str, AnswerValue] = {}
        for link_id, raw in answers.items():
            item = shown.get(link_id)
            if item is None:
                raise TriageInputError(
                    InputErrorCode.unknown_question, str(link_id), "not among the questions shown"
                )
            value = _validate(item, raw)
            if value is not None:
                accepted[link_id] = value
        for item in page:
            if item.required and item.link_id not in accepted:
                raise TriageInputError(
                    InputErrorCode.required, item.link_id, "an answer is required"
                )
        if not page:
            return
        self._answers.update(accepted)
        self._skipped.update(link_id for link_id in shown if link_id not in accepted)
        self._pages.append(accepted)
        self._stopped = any(rule.stop for rule in self._plan.ruleset.fired(self._facts()))

    def outcome(self) -> Outcome | None:
        if self._outcome is None and not self._page():
            self._outcome = self._decide()
        return self._outcome

    def snapshot(self) -> dict[str, object]:
        plan = self._plan
        return {
            "format": SNAPSHOT_FORMAT,
            "plugin": plan.plugin,
            "complaint": plan.complaint,
            "questionnaire": plan.questionnaire.canonical,
            "questionnaire_sha256": plan.questionnaire.sha256,
            "ruleset": plan.ruleset.canonical,
            "ruleset_sha256": plan.ruleset.sha256,
            "context": asdict(self._context),
            "pages": [dict(page) for page in self._pages],
        }

    def _page(self) -> list[Item]:
        if self._stopped:
            return []
        questionnaire = self._plan.questionnaire
        pending = [
            item
            for item in questionnaire.items
            if item.link_id not in self._answers
            and item.link_id not in self._skipped
            and questionnaire.is_enabled(item, self._answers)
        ]
        return [item for item in pending if item.red_flag] or pending

    def _facts(self) -> dict[str, AnswerValue]:
        context = self._context
        facts: dict[str, AnswerValue] = dict(self._answers)
        facts["$age_years"] = context.age_years
        facts["$age_months"] = context.age_months
        facts["$on_behalf_of_child"] = context.on_behalf_of_child
        facts["$entrance"] = context.entrance
        if context.sex is not None:
            facts["$sex"] = context.sex
        return facts

    def _decide(self) -> Outcome:
        plan, language = self._plan, self._context.language
        ruleset, questionnaire = plan.ruleset, plan.questionnaire
        fired = ruleset.fired(self._facts())
        decisive = ruleset.decide(fired)
        advice = decisive.advice.get(language)
        if ruleset.disclaimer is not None:
            advice = f"{advice}\n\n{ruleset.disclaimer.get(language)}"
        return Outcome(
            urgency=decisive.urgency,
            disposition=decisive.disposition,
            pool=decisive.pool,
            advice=advice,
            summary=staff_summary(
                plan.complaint_label, questionnaire, self._context, self._answers, decisive
            ),
            provenance=Provenance(
                plugin=plan.plugin,
                plugin_version=plan.plugin_version,
                questionnaire_url=questionnaire.url,
                questionnaire_version=questionnaire.version,
                questionnaire_sha256=questionnaire.sha256,
                ruleset_id=ruleset.id,
                ruleset_version=ruleset.version,
                ruleset_sha256=ruleset.sha256,
                rules_fired=tuple(rule.id for rule in fired),
                decisive_rule=decisive.id,
            ),
            response=questionnaire_response(questionnaire, self._answers, language),
        )


def _validate(item: Item, raw: object) -> AnswerValue | None:
    """The answer as stored, None for a blank one, or ``TriageInputError``."""
    link_id = item.link_id
    if raw is None:
        return None
    if item.type == "boolean":
        if not isinstance(raw, bool):
            raise TriageInputError(InputErrorCode.bad_type, link_id, "expected true or false")
        return raw
    if item.type in ("integer", "decimal"):
        return _validate_number(item, raw)
    if not isinstance(raw, str):
        raise TriageInputError(InputErrorCode.bad_type, link_id, "expected a string")
    if item.type == "choice":
        if item.option(raw) is None:
            raise TriageInputError(InputErrorCode.not_an_option, link_id, "not one of the options")
        return raw
    text = raw.strip()
    if not text:
        return None
    limit = MAX_ATTACHMENT_ID if item.type == "attachment" else item.max_length or DEFAULT_MAX_TEXT
    if len(text) > limit:
        raise TriageInputError(InputErrorCode.too_long, link_id, f"at most {limit} characters")
    return text


def _validate_number(item: Item, raw: object) -> AnswerValue:
    link_id = item.link_id
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise TriageInputError(InputErrorCode.bad_type, link_id, "expected a number")
    if item.type == "integer" and not isinstance(raw, int):
        raise TriageInputError(InputErrorCode.bad_type, link_id, "expected a whole number")
    if not math.isfinite(raw):
        raise TriageInputError(InputErrorCode.bad_type, link_id, "expected a finite number")
    if (item.min is not None and raw < item.min) or (item.max is not None and raw > item.max):
        raise TriageInputError(
            InputErrorCode.out_of_range, link_id, f"expected {item.min} to {item.max}"
        )
    return raw if item.type == "integer" else float(raw)
