"""FHIR Questionnaire parsing: enableWhen semantics; refusing what the engine cannot honour."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chatserver.triage.errors import ContentError
from chatserver.triage.interface import AnswerValue
from chatserver.triage.questionnaire import Questionnaire, compare, parse_questionnaire
from tests.triage import builders
from tests.triage.builders import Json, item, when


def parse(items: list[Json]) -> Questionnaire:
    return parse_questionnaire(builders.questionnaire(items), sha256="0" * 64, source="test.json")


BASE = [
    item("b"),
    item("n", "integer"),
    item("d", "decimal"),
    item("c", "choice"),
    item("s", "string"),
    item("a", "attachment"),
]


@pytest.mark.parametrize(
    ("condition", "answers", "enabled"),
    [
        (when("b", "exists", answerBoolean=True), {}, False),
        (when("b", "exists", answerBoolean=True), {"b": False}, True),
        (when("a", "exists", answerBoolean=True), {"a": "att-1"}, True),
        (when("b", "=", answerBoolean=True), {"b": True}, True),
        (when("b", "=", answerBoolean=True), {"b": False}, False),
        (when("b", "=", answerBoolean=True), {}, False),
        (when("b", "!=", answerBoolean=True), {"b": False}, True),
        (when("b", "!=", answerBoolean=True), {}, False),  # missing answer: false
        (when("n", ">", answerInteger=3), {"n": 4}, True),
        (when("n", ">", answerInteger=3), {"n": 3}, False),
        (when("n", "<", answerInteger=3), {"n": 2}, True),
        (when("n", "<", answerInteger=3), {}, False),
        (when("n", ">=", answerInteger=3), {"n": 3}, True),
        (when("n", "<=", answerInteger=3), {"n": 3}, True),
        (when("n", "<=", answerInteger=3), {"n": 4}, False),
        (when("d", ">=", answerDecimal=38.5), {"d": 38.5}, True),
        (when("d", ">=", answerDecimal=38.5), {"d": 38.4}, False),
        (when("d", "<", answerInteger=38), {"d": 37.9}, True),
        (when("c", "=", answerCoding={"code": "b"}), {"c": "b"}, True),
        (when("c", "=", answerCoding={"code": "b"}), {"c": "a"}, False),
        (when("c", "!=", answerCoding={"code": "b"}), {"c": "a"}, True),
        (when("s", "=", answerString="x"), {"s": "x"}, True),
    ],
)
def test_enable_when_operators(
    condition: Json, answers: dict[str, AnswerValue], enabled: bool
) -> None:
    questionnaire = parse([*BASE, item("t", enableWhen=[condition])])
    assert questionnaire.is_enabled(questionnaire.by_link_id["t"], answers) is enabled


@pytest.mark.parametrize(
    ("behavior", "answers", "enabled"),
    [
        ("all", {"b": True, "n": 5}, True),
        ("all", {"b": True, "n": 1}, False),
        ("all", {"b": True}, False),
        ("any", {"b": True}, True),
        ("any", {"n": 5}, True),
        ("any", {"b": False, "n": 1}, False),
        ("any", {}, False),
    ],
)
def test_enable_behavior(behavior: str, answers: dict[str, AnswerValue], enabled: bool) -> None:
    conditions = [when("b", "=", answerBoolean=True), when("n", ">", answerInteger=3)]
    questionnaire = parse([*BASE, item("t", enableWhen=conditions, enableBehavior=behavior)])
    assert questionnaire.is_enabled(questionnaire.by_link_id["t"], answers) is enabled


def test_items_without_enable_when_are_enabled() -> None:
    questionnaire = parse(BASE)
    assert all(questionnaire.is_enabled(i, {}) for i in questionnaire.items)


def test_compare_never_orders_across_types() -> None:
    assert not compare(">", "text", 3)
    assert not compare(">", True, 0)


def test_parsed_item_in_both_languages() -> None:
    questionnaire = parse(
        [item("n", "integer", required=True, extension=builders.bounds(0, 10)), item("c", "choice")]
    )
    sv = questionnaire.by_link_id["n"].question("sv")
    en = questionnaire.by_link_id["n"].question("en")
    assert (sv.text, en.text) == ("n?", "n (en)?")
    assert (sv.min, sv.max, sv.required) == (0, 10, True)
    choice = questionnaire.by_link_id["c"].question("en")
    assert [(o.code, o.text) for o in choice.options] == [("a", "a"), ("b", "b"), ("c", "c")]
    assert questionnaire.canonical == f"{builders.URL}|1.0.0"


def test_summary_label_defaults_to_the_swedish_text() -> None:
    labelled = item(
        "b", extension=[{"url": "urn:chatserver:triage:summary-label", "valueString": "Kort"}]
    )
    questionnaire = parse([labelled, item("c")])
    assert questionnaire.by_link_id["b"].summary_label == "Kort"
    assert questionnaire.by_link_id["c"].summary_label == "c?"


def _without_translation(data: Json) -> None:
    del data["item"][0]["_text"]


def _mutate(path: str, value: Any) -> Any:
    def apply(data: Json) -> None:
        target: Any = data
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[keys[-1]] = value

    return apply


RED = {"code": [{"system": "urn:chatserver:triage", "code": "red-flag"}]}


@pytest.mark.parametrize(
    "change",
    [
        _without_translation,
        _mutate("resourceType", "Patient"),
        _mutate("version", "1.0"),
        _mutate("language", "en"),
        _mutate("item", []),
        _mutate("item.0.type", "group"),
        _mutate("item.0.type", "display"),
        _mutate("item.0.linkId", "$age"),
        _mutate("item.1.linkId", "b"),
        _mutate("item.0.item", []),
        _mutate("item.0.repeats", True),
        _mutate("item.0.initial", [{"valueBoolean": True}]),
        _mutate("item.0.answerOption", [builders.option("x")]),
        _mutate("item.3.answerOption", []),
        _mutate("item.3.answerOption", [builders.option("x"), builders.option("x")]),
        _mutate("item.1.extension", builders.bounds(5, 1)),
        _mutate("item.0.extension", builders.bounds(0, 1)),
        _mutate("item.1.maxLength", 10),
        _mutate("item.4.maxLength", 0),
        _mutate("item.0.required", "yes"),
        _mutate("item.1.enableWhen", [when("b", "exists", answerBoolean=False)]),
        _mutate("item.1.enableWhen", [when("c", "=", answerCoding={"code": "a"})]),  # later item
        _mutate("item.1.enableWhen", [when("zz", "=", answerBoolean=True)]),
        _mutate("item.1.enableWhen", [when("b", "~", answerBoolean=True)]),
        _mutate("item.1.enableWhen", [when("b", ">", answerBoolean=True)]),
        _mutate("item.1.enableWhen", [when("b", "=", answerString="true")]),
        _mutate("item.1.enableWhen", [{"question": "b", "operator": "="}]),
        _mutate(
            "item.1.enableWhen",
            [when("b", "=", answerBoolean=True), when("b", "=", answerBoolean=False)],
        ),
        _mutate("item.2.enableWhen", [when("n", "=", answerString="3")]),
        _mutate("item.4.enableWhen", [when("c", "=", answerCoding={"code": "zz"})]),
        _mutate("item.5.enableWhen", [when("s", ">", answerString="a")]),
        _mutate("item.6.enableWhen", [when("a", "=", answerString="x")]),
        _mutate("item.1.code", RED["code"]),  # red flag on an integer
        _mutate("item.0.code", RED["code"]),  # red flag on an optional boolean
    ],
)
def test_content_errors(change: Any) -> None:
    items = [
        *BASE[:4],
        item("s", "string"),
        item("a", "attachment"),
        item("t"),
    ]
    data = copy.deepcopy(builders.questionnaire(items))
    parse_questionnaire(copy.deepcopy(data), sha256="", source="ok.json")
    change(data)
    with pytest.raises(ContentError):
        parse_questionnaire(data, sha256="", source="bad.json")


def test_red_flag_must_not_be_conditional() -> None:
    flag = builders.red("f")
    flag["enableWhen"] = [when("b", "=", answerBoolean=True)]
    with pytest.raises(ContentError, match="red-flag"):
        parse([item("b"), flag])


def test_error_names_file_and_path() -> None:
    data = builders.questionnaire([item("b"), item("n", "integer", maxLength=3)])
    with pytest.raises(ContentError, match=r"bad\.json\.item\[1\]\.maxLength"):
        parse_questionnaire(data, sha256="", source="bad.json")
