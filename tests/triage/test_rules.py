"""The rule table: conditions, the most-urgent-wins decision, and load-time refusals."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chatserver.domain.urgency import Urgency
from chatserver.triage.errors import ContentError
from chatserver.triage.interface import AnswerValue
from chatserver.triage.questionnaire import parse_questionnaire
from chatserver.triage.rules import Ruleset, parse_ruleset
from tests.triage import builders
from tests.triage.builders import Json, item, red, red_rule, rule

ITEMS = [red("f"), item("b"), item("n", "integer"), item("c", "choice"), item("a", "attachment")]
QUESTIONNAIRE = parse_questionnaire(builders.questionnaire(ITEMS), sha256="", source="q.json")


def parse(rules: list[Json], default: Json | None = None) -> Ruleset:
    data = builders.ruleset([red_rule("f"), *rules], default)
    return parse_ruleset(data, sha256="", source="r.json", questionnaire=QUESTIONNAIRE)


def fired(ruleset: Ruleset, facts: dict[str, AnswerValue]) -> list[str]:
    return [r.id for r in ruleset.fired(facts)]


def eq(q: str, value: Any) -> Json:
    return {"q": q, "op": "=", "value": value}


@pytest.mark.parametrize(
    ("condition", "facts", "holds"),
    [
        ({"all": [eq("b", True), {"q": "n", "op": ">=", "value": 3}]}, {"b": True, "n": 3}, True),
        ({"all": [eq("b", True), {"q": "n", "op": ">=", "value": 3}]}, {"b": True}, False),
        ({"any": [eq("b", True), eq("c", "a")]}, {"c": "a"}, True),
        ({"any": [eq("b", True), eq("c", "a")]}, {"b": False, "c": "b"}, False),
        ({"at_least": 2, "of": [eq("b", True), eq("c", "a"), eq("f", True)]}, {"b": True}, False),
        (
            {"at_least": 2, "of": [eq("b", True), eq("c", "a"), eq("f", True)]},
            {"b": True, "f": True},
            True,
        ),
        ({"q": "a", "op": "exists", "value": True}, {"a": "att-1"}, True),
        ({"q": "a", "op": "exists", "value": True}, {}, False),
        ({"q": "$age_months", "op": "<", "value": 3}, {"$age_months": 2}, True),
        ({"q": "$sex", "op": "=", "value": "male"}, {}, False),  # sex unknown
        ({"q": "$sex", "op": "!=", "value": "male"}, {}, False),
        (
            {"q": "$on_behalf_of_child", "op": "=", "value": True},
            {"$on_behalf_of_child": True},
            True,
        ),
        ({"q": "$entrance", "op": "=", "value": "bvc"}, {"$entrance": "seek_care"}, False),
    ],
)
def test_conditions(condition: Json, facts: dict[str, AnswerValue], holds: bool) -> None:
    ruleset = parse([rule("x", condition)])
    assert ("x" in fired(ruleset, facts)) is holds


def test_most_urgent_wins_and_default_always_fires() -> None:
    ruleset = parse(
        [
            rule("u4", eq("b", True), "U4"),
            rule("u2", eq("c", "a"), "U2"),
            rule("u3", eq("b", True), "U3"),
        ]
    )
    facts: dict[str, AnswerValue] = {"b": True, "c": "a"}
    assert fired(ruleset, facts) == ["u4", "u2", "u3", "r-default"]
    assert ruleset.decide(ruleset.fired(facts)).id == "u2"
    assert ruleset.decide(ruleset.fired({})).id == "r-default"


def test_tie_goes_to_the_earliest_rule() -> None:
    ruleset = parse(
        [rule("first", eq("b", True), "U3", pool="physician"), rule("second", eq("b", True), "U3")]
    )
    assert ruleset.decide(ruleset.fired({"b": True})).pool == "physician"


def test_red_flag_floors() -> None:
    ruleset = parse([red_rule("f", "U0", id="r-f-112")])
    assert ruleset.red_flag_floors() == {"f": Urgency.U0}


def _drop_red_flag_rule(data: Json) -> None:
    data["rules"] = data["rules"][1:]


def _set(path: str, value: Any) -> Any:
    def apply(data: Json) -> None:
        target: Any = data
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[keys[-1]] = value

    return apply


@pytest.mark.parametrize(
    "change",
    [
        _drop_red_flag_rule,  # a red-flag item without its rule
        _set("kind", "something"),
        _set("questionnaire", f"{builders.URL}|2.0.0"),
        _set("version", "one"),
        _set("rules.0.when", eq("b", True)),  # red_flag rule on a non-red-flag item
        _set("rules.0.when", {"q": "f", "op": "!=", "value": False}),  # red_flag rule of odd shape
        _set("rules.1.when", eq("zz", True)),
        _set("rules.1.when", eq("n", "three")),
        _set("rules.1.when", eq("c", "zz")),
        _set("rules.1.when", {"q": "b", "op": "exists", "value": False}),
        _set("rules.1.when", {"q": "a", "op": "=", "value": "x"}),
        _set("rules.1.when", {"q": "$age_days", "op": "<", "value": 3}),
        _set("rules.1.when", {"q": "$sex", "op": "=", "value": "unknown"}),
        _set("rules.1.when", {"all": []}),
        _set("rules.1.when", {"at_least": 3, "of": [eq("b", True)]}),
        _set("rules.1.urgency", "U7"),
        _set("rules.1.disposition", "call_112"),  # with U4
        _set("rules.1.pool", None),  # queue without pool
        _set("rules.1.id", "r-f"),  # duplicate id
        _set("rules.1.advice", {"sv": "bara svenska"}),
        _set("default.when", eq("b", True)),
        _set("rules.1.red_flag", "yes"),
    ],
)
def test_content_errors(change: Any) -> None:
    data = builders.ruleset([red_rule("f"), rule("x", eq("b", True))])
    parse_ruleset(copy.deepcopy(data), sha256="", source="ok.json", questionnaire=QUESTIONNAIRE)
    change(data)
    with pytest.raises(ContentError):
        parse_ruleset(data, sha256="", source="bad.json", questionnaire=QUESTIONNAIRE)
