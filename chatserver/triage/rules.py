"""The versioned rule table that turns answers into an urgency, a pool and advice.

A rule is a condition over the answers and the context, and what follows when
it holds. Every rule whose condition holds *fires*; the outcome is the most
urgent fired rule (lowest ``Urgency``; the earliest in the table on a tie), and
the table's default rule always fires. Taking the minimum is what makes a red
flag impossible to lower: more answers can only make more rules fire.

Conditions (JSON)::

    {"q": "fc_temp", "op": ">=", "value": 38}       compare an answer (FHIR operators)
    {"q": "$age_months", "op": "<", "value": 3}      compare a context variable
    {"all": [c, ...]}  {"any": [c, ...]}             and / or
    {"at_least": 3, "of": [c, ...]}                  n of m (Centor criteria)

A missing answer makes a comparison false (``exists`` may only test ``true``),
so conditions are monotone (questionnaire.py) and a rule marked ``stop`` can end
the triage as soon as it fires: later answers could not have un-fired it.

A rule marked ``red_flag`` must be exactly ``{"q": <red-flag item>, "op": "=",
"value": true}`` and every red-flag item must have one; the item's urgency
floor is then known from the table alone and the tests check it holds for any
other answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from chatserver.domain.urgency import Urgency
from chatserver.triage.interface import AnswerValue, Disposition, disposition_problem
from chatserver.triage.jsonshape import Node
from chatserver.triage.questionnaire import (
    VERSION_RE,
    Localized,
    Operand,
    Questionnaire,
    check_operand,
    compare,
)

RULESET_KIND = "chatserver.triage.ruleset"

# Facts from TriageContext that conditions may use; "$sex" is missing when unknown.
CONTEXT_OPERANDS: dict[str, Operand] = {
    "$age_years": Operand("integer"),
    "$age_months": Operand("integer"),
    "$sex": Operand("choice", ("female", "male")),
    "$on_behalf_of_child": Operand("boolean"),
    "$entrance": Operand("string"),
}


@dataclass(frozen=True, slots=True)
class Comparison:
    q: str
    op: str
    value: AnswerValue

    def holds(self, facts: Mapping[str, AnswerValue]) -> bool:
        return compare(self.op, facts.get(self.q), self.value)


@dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Condition, ...]

    def holds(self, facts: Mapping[str, AnswerValue]) -> bool:
        return all(c.holds(facts) for c in self.conditions)


@dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Condition, ...]

    def holds(self, facts: Mapping[str, AnswerValue]) -> bool:
        return any(c.holds(facts) for c in self.conditions)


@dataclass(frozen=True, slots=True)
class AtLeast:
    count: int
    conditions: tuple[Condition, ...]

    def holds(self, facts: Mapping[str, AnswerValue]) -> bool:
        return sum(c.holds(facts) for c in self.conditions) >= self.count


Condition = Comparison | AllOf | AnyOf | AtLeast


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the table; ``when`` is None only for the default rule."""

    id: str
    when: Condition | None
    urgency: Urgency
    disposition: Disposition
    pool: str | None
    reason: str  # Swedish, for the staff summary
    advice: Localized
    red_flag: bool = False
    stop: bool = False

    def holds(self, facts: Mapping[str, AnswerValue]) -> bool:
        return self.when is None or self.when.holds(facts)


@dataclass(frozen=True)
class Ruleset:
    """One immutable version of a complaint's rule table; ``sha256`` is of its file."""

    id: str
    version: str
    questionnaire: str  # url|version of the questionnaire it was written for
    rules: tuple[Rule, ...]
    default: Rule
    disclaimer: Localized | None
    sha256: str
    source: str

    @property
    def canonical(self) -> str:
        return f"{self.id}|{self.version}"

    def fired(self, facts: Mapping[str, AnswerValue]) -> list[Rule]:
        """Every rule that holds, in table order, the default last."""
        return [r for r in self.rules if r.holds(facts)] + [self.default]

    @staticmethod
    def decide(fired: Sequence[Rule]) -> Rule:
        """The most urgent fired rule; on a tie, the earliest in the table."""
        return min(fired, key=lambda r: r.urgency)

    def red_flag_floors(self) -> dict[str, Urgency]:
        """Red-flag item → the least urgent outcome possible once it is answered yes."""
        floors: dict[str, Urgency] = {}
        for rule in self.rules:
            if rule.red_flag and isinstance(rule.when, Comparison):
                current = floors.get(rule.when.q, Urgency.U6)
                floors[rule.when.q] = min(current, rule.urgency)
        return floors


def parse_ruleset(
    data: object, *, sha256: str, source: str, questionnaire: Questionnaire
) -> Ruleset:
    node = Node.of(data, source)
    if node.data.get("kind") != RULESET_KIND:
        raise node.fail("kind", f"expected {RULESET_KIND!r}")
    version = node.text("version")
    if not VERSION_RE.match(version):
        raise node.fail("version", "expected MAJOR.MINOR.PATCH")
    if node.text("questionnaire") != questionnaire.canonical:
        raise node.fail("questionnaire", f"this rule table is not for {questionnaire.canonical}")
    operands = {i.link_id: i.operand for i in questionnaire.items} | CONTEXT_OPERANDS
    rules = tuple(_parse_rule(r, operands, default=False) for r in node.nodes("rules"))
    default = _parse_rule(node.node("default"), operands, default=True)
    ids = [r.id for r in (*rules, default)]
    if len(set(ids)) != len(ids):
        raise node.fail("rules", "duplicate rule ids")
    red_flag_items = {i.link_id for i in questionnaire.items if i.red_flag}
    for rule in rules:
        if rule.red_flag and not _is_red_flag_test(rule.when, red_flag_items):
            raise node.fail(
                f"rules.{rule.id}",
                "a red_flag rule must be {q: <red-flag item>, op: '=', value: true}",
            )
    ruleset = Ruleset(
        id=node.text("id"),
        version=version,
        questionnaire=node.text("questionnaire"),
        rules=rules,
        default=default,
        disclaimer=_opt_localized(node.opt_node("disclaimer")),
        sha256=sha256,
        source=source,
    )
    missing = red_flag_items - set(ruleset.red_flag_floors())
    if missing:
        raise node.fail("rules", f"red-flag items without a red_flag rule: {sorted(missing)}")
    return ruleset


def _is_red_flag_test(when: Condition | None, red_flag_items: set[str]) -> bool:
    return (
        isinstance(when, Comparison)
        and when.q in red_flag_items
        and when.op == "="
        and when.value is True
    )


def _parse_rule(node: Node, operands: Mapping[str, Operand], *, default: bool) -> Rule:
    urgency_name = node.text("urgency")
    if urgency_name not in Urgency.__members__:
        raise node.fail("urgency", "expected U0..U6")
    disposition = node.text("disposition")
    if default and node.has("when"):
        raise node.fail("when", "the default rule always fires and has no condition")
    when = None if default else _parse_condition(node.node("when"), operands)
    problem = disposition_problem(Urgency[urgency_name], disposition, node.opt_text("pool"))
    if problem:  # refused at load, not when a patient reaches this rule
        raise node.fail("disposition", problem)
    return Rule(
        id=node.text("id"),
        when=when,
        urgency=Urgency[urgency_name],
        disposition=cast("Disposition", disposition),  # checked by disposition_problem above
        pool=node.opt_text("pool"),
        reason=node.text("reason"),
        advice=_localized(node.node("advice")),
        red_flag=node.flag("red_flag", False),
        stop=node.flag("stop", False),
    )


def _parse_condition(node: Node, operands: Mapping[str, Operand]) -> Condition:
    if node.has("all"):
        return AllOf(_parse_conditions(node, "all", operands))
    if node.has("any"):
        return AnyOf(_parse_conditions(node, "any", operands))
    if node.has("at_least"):
        conditions = _parse_conditions(node, "of", operands)
        count = node.integer("at_least")
        if not 1 <= count <= len(conditions):
            raise node.fail("at_least", f"must be 1..{len(conditions)}")
        return AtLeast(count, conditions)
    name = node.text("q")
    operand = operands.get(name)
    if operand is None:
        raise node.fail("q", f"{name!r} is neither an item nor a context variable")
    op = node.text("op")
    return Comparison(name, op, check_operand(operand, op, node.data.get("value"), node.where))


def _parse_conditions(
    node: Node, key: str, operands: Mapping[str, Operand]
) -> tuple[Condition, ...]:
    conditions = tuple(_parse_condition(c, operands) for c in node.nodes(key))
    if not conditions:
        raise node.fail(key, "needs at least one condition")
    return conditions


def _localized(node: Node) -> Localized:
    return Localized(node.text("sv"), node.text("en"))


def _opt_localized(node: Node | None) -> Localized | None:
    return None if node is None else _localized(node)
