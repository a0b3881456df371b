"""A triage session: paging, validation of every answer, early stop, snapshot/restore, outcome."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chatserver.domain.urgency import Urgency
from chatserver.triage.content import load_content
from chatserver.triage.engine import FhirSession
from chatserver.triage.errors import SnapshotError, TriageInputError
from chatserver.triage.fhir import FhirTriagePlugin
from tests.triage import builders
from tests.triage.builders import Json, bounds, item, red, red_rule, rule, when

ITEMS: list[Json] = [
    item("b", required=True),
    red("f1"),
    red("f2"),
    item("n", "integer", required=True, extension=bounds(0, 10)),
    item("d", "decimal", extension=bounds(35.0, 42.0, "valueDecimal")),
    item("c", "choice", required=True),
    item("s", "string", maxLength=5),
    item("a", "attachment"),
    item("later", required=True, enableWhen=[when("b", "=", answerBoolean=True)]),
]
RULES: list[Json] = [
    red_rule("f1", "U0", stop=True),
    red_rule("f2", "U1"),
    rule("b-yes", {"q": "b", "op": "=", "value": True}, "U3"),
    rule("later", {"q": "later", "op": "=", "value": True}, "U2", pool="physician"),
]
NO_FLAGS = {"f1": False, "f2": False}
PAGE_TWO = {"b": True, "n": 3, "d": 38.5, "c": "a", "s": "hej", "a": "att-1"}


@pytest.fixture
def plugin(tmp_path: Path) -> FhirTriagePlugin:
    return builders.plugin_for(tmp_path, ITEMS, RULES)


@pytest.fixture
def session(plugin: FhirTriagePlugin) -> FhirSession:
    return plugin.start(builders.context(), "test")


def ids(session: FhirSession) -> list[str]:
    return [q.link_id for q in session.questions()]


def test_red_flags_come_first_then_the_rest_then_enabled_items(session: FhirSession) -> None:
    assert ids(session) == ["f1", "f2"]
    assert all(q.red_flag for q in session.questions())
    session.answer(NO_FLAGS)
    assert ids(session) == ["b", "n", "d", "c", "s", "a"]
    session.answer(PAGE_TWO)
    assert ids(session) == ["later"]
    assert session.outcome() is None
    session.answer({"later": True})
    assert ids(session) == []
    outcome = session.outcome()
    assert outcome is not None
    assert (outcome.urgency, outcome.disposition, outcome.pool) == (
        Urgency.U2,
        "queue",
        "physician",
    )


def test_disabled_item_is_never_asked(session: FhirSession) -> None:
    session.answer(NO_FLAGS)
    session.answer({**PAGE_TWO, "b": False})
    outcome = session.outcome()
    assert outcome is not None and outcome.urgency is Urgency.U6


def test_optional_questions_left_blank_are_skipped_for_good(session: FhirSession) -> None:
    session.answer(NO_FLAGS)
    session.answer({"b": False, "n": 0, "c": "b", "s": "   ", "a": None})
    assert ids(session) == []
    outcome = session.outcome()
    assert outcome is not None
    answered = [i["linkId"] for i in builders.response_items(outcome)]
    assert answered == ["b", "f1", "f2", "n", "c"]


def test_a_stop_rule_ends_the_triage_at_once(session: FhirSession) -> None:
    session.answer({"f1": True, "f2": False})
    assert session.questions() == []
    outcome = session.outcome()
    assert outcome is not None
    assert (outcome.urgency, outcome.disposition, outcome.pool) == (Urgency.U0, "call_112", None)
    assert outcome.provenance.rules_fired == ("r-f1", "r-default")


ERRORS: list[tuple[dict[str, Any], dict[str, Any], str, str]] = [
    ({}, {"zz": True}, "unknown_question", "zz"),
    ({}, {"f1": False, "f2": False, "b": True}, "unknown_question", "b"),  # not shown yet
    ({}, {"f1": "yes", "f2": False}, "bad_type", "f1"),
    ({}, {"f1": 1, "f2": False}, "bad_type", "f1"),
    ({}, {"f1": False}, "required", "f2"),
    ({}, {"f1": None, "f2": False}, "required", "f1"),
    (NO_FLAGS, {**PAGE_TWO, "n": 3.5}, "bad_type", "n"),
    (NO_FLAGS, {**PAGE_TWO, "n": True}, "bad_type", "n"),
    (NO_FLAGS, {**PAGE_TWO, "n": "3"}, "bad_type", "n"),
    (NO_FLAGS, {**PAGE_TWO, "d": "38,5"}, "bad_type", "d"),
    (NO_FLAGS, {**PAGE_TWO, "d": float("nan")}, "bad_type", "d"),
    (NO_FLAGS, {**PAGE_TWO, "c": 1}, "bad_type", "c"),
    (NO_FLAGS, {**PAGE_TWO, "s": 5}, "bad_type", "s"),
    (NO_FLAGS, {**PAGE_TWO, "a": 7}, "bad_type", "a"),
    (NO_FLAGS, {**PAGE_TWO, "n": 11}, "out_of_range", "n"),
    (NO_FLAGS, {**PAGE_TWO, "n": -1}, "out_of_range", "n"),
    (NO_FLAGS, {**PAGE_TWO, "d": 34.9}, "out_of_range", "d"),
    (NO_FLAGS, {**PAGE_TWO, "c": "zz"}, "not_an_option", "c"),
    (NO_FLAGS, {**PAGE_TWO, "s": "abcdef"}, "too_long", "s"),
    (NO_FLAGS, {**PAGE_TWO, "a": "x" * 201}, "too_long", "a"),
    (NO_FLAGS, {"b": True, "c": "a"}, "required", "n"),
]


@pytest.mark.parametrize(("first", "page", "code", "link_id"), ERRORS)
def test_every_input_error_code(
    session: FhirSession, first: dict[str, Any], page: dict[str, Any], code: str, link_id: str
) -> None:
    if first:
        session.answer(first)
    before = session.snapshot()
    with pytest.raises(TriageInputError) as caught:
        session.answer(page)
    assert (caught.value.code, caught.value.link_id) == (code, link_id)
    assert session.snapshot() == before  # nothing of a bad page is applied


def test_integer_answer_to_decimal_is_stored_as_decimal(session: FhirSession) -> None:
    session.answer(NO_FLAGS)
    session.answer({**PAGE_TWO, "b": False, "d": 38})
    outcome = session.outcome()
    assert outcome is not None
    answers = {i["linkId"]: i["answer"][0] for i in builders.response_items(outcome)}
    assert answers["d"] == {"valueDecimal": 38.0}


def test_answers_after_completion(session: FhirSession) -> None:
    session.answer({"f1": True, "f2": True})
    session.answer({})  # nothing shown, nothing to do
    with pytest.raises(TriageInputError) as caught:
        session.answer({"b": True})
    assert caught.value.code == "unknown_question"


def test_snapshot_restore_mid_session(plugin: FhirTriagePlugin, session: FhirSession) -> None:
    session.answer(NO_FLAGS)
    session.answer(PAGE_TWO)
    snapshot = json.loads(json.dumps(session.snapshot()))  # what the server stores
    restored = plugin.restore(snapshot)
    assert restored.snapshot() == session.snapshot()
    assert restored.questions() == session.questions()
    assert restored.outcome() is None
    for live in (session, restored):
        live.answer({"later": False})
    assert restored.outcome() == session.outcome()


def test_restore_keeps_the_content_version_the_session_began_on(tmp_path: Path) -> None:
    builders.write_release(tmp_path, [item("q1", required=True)], version="1.0.0")
    builders.write_release(
        tmp_path, [item("q1", required=True), item("q2", required=True)], version="1.1.0"
    )
    library = load_content([tmp_path])
    old = FhirTriagePlugin(library, "1.0.0").start(builders.context(), "test")
    restored = FhirTriagePlugin(library).restore(old.snapshot())
    restored.answer({"q1": True})
    outcome = restored.outcome()
    assert outcome is not None
    assert outcome.provenance.questionnaire_version == "1.0.0"
    assert outcome.response["questionnaire"] == f"{builders.URL}|1.0.0"


def _tamper(key: str, value: Any) -> Any:
    return lambda snapshot: {**snapshot, key: value}


@pytest.mark.parametrize(
    "tamper",
    [
        _tamper("format", 99),
        _tamper("plugin", "someone.else"),
        _tamper("questionnaire", f"{builders.URL}|9.9.9"),
        _tamper("ruleset", "test|9.9.9"),
        _tamper("questionnaire_sha256", "0" * 64),
        _tamper("ruleset_sha256", "0" * 64),
        _tamper("complaint", None),
        _tamper("context", "adult"),
        _tamper("context", {"age_years": 1}),
        _tamper("pages", "none"),
        _tamper("pages", [{"f1": "yes", "f2": False}]),
        _tamper("pages", [{"b": True}]),
    ],
)
def test_restore_refuses_what_it_cannot_rebuild(
    plugin: FhirTriagePlugin, session: FhirSession, tamper: Any
) -> None:
    session.answer(NO_FLAGS)
    with pytest.raises(SnapshotError):
        plugin.restore(tamper(session.snapshot()))


def test_questionnaire_response(session: FhirSession) -> None:
    session.answer(NO_FLAGS)
    session.answer(PAGE_TWO)
    session.answer({"later": False})
    outcome = session.outcome()
    assert outcome is not None
    response = outcome.response
    assert response["resourceType"] == "QuestionnaireResponse"
    assert response["questionnaire"] == f"{builders.URL}|1.0.0"
    assert response["status"] == "completed"
    assert json.loads(json.dumps(response)) == response
    answers = {i["linkId"]: i["answer"] for i in builders.response_items(outcome)}
    assert answers == {
        "b": [{"valueBoolean": True}],
        "f1": [{"valueBoolean": False}],
        "f2": [{"valueBoolean": False}],
        "n": [{"valueInteger": 3}],
        "d": [{"valueDecimal": 38.5}],
        "c": [{"valueCoding": {"code": "a", "display": "a sv"}}],
        "s": [{"valueString": "hej"}],
        "a": [{"valueAttachment": {"url": "urn:chatserver:attachment:att-1"}}],
        "later": [{"valueBoolean": False}],
    }


def test_outcome_provenance_advice_and_summary(plugin: FhirTriagePlugin) -> None:
    session = plugin.start(builders.context(age_months=5, sex="male", language="en"), "test")
    session.answer({"f1": False, "f2": True})
    session.answer({**PAGE_TWO, "b": False})
    outcome = session.outcome()
    assert outcome is not None
    assert outcome is session.outcome()  # decided once
    assert (outcome.urgency, outcome.disposition) == (Urgency.U1, "queue")
    provenance = outcome.provenance
    assert (provenance.plugin, provenance.plugin_version) == (plugin.name, plugin.version)
    assert (provenance.questionnaire_url, provenance.questionnaire_version) == (
        builders.URL,
        "1.0.0",
    )
    assert (provenance.ruleset_id, provenance.ruleset_version) == ("test", "1.0.0")
    assert len(provenance.questionnaire_sha256) == len(provenance.ruleset_sha256) == 64
    assert provenance.rules_fired == ("r-f2", "r-default")
    assert provenance.decisive_rule == "r-f2"
    assert outcome.advice == "advice r-f2\n\nEXAMPLE – en"  # patient's language, with footer
    assert outcome.summary.startswith("Test, 5 mån, pojke.")  # staff: always Swedish
    assert "RÖDA FLAGGOR: f2?" in outcome.summary
    assert "Bedömning: U1 Omgående – skäl r-f2." in outcome.summary
