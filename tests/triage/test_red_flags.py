"""Properties over the shipped content with random patients and random answers.

The safety property of DOMAIN.md: no later answer can lower the urgency a red
flag set. For every red-flag question of every complaint, answering it "yes"
gives an outcome at least as urgent as that red flag's rule, whatever the
context and the other answers. Also: any random walk completes with a valid
outcome, and a snapshot taken anywhere restores to the same session.
"""

from __future__ import annotations

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatserver.domain.urgency import Urgency
from chatserver.triage.engine import FhirSession
from chatserver.triage.fhir import create
from chatserver.triage.interface import AnswerValue, Outcome, Question, TriageContext
from tests.triage import builders

PLUGIN = create()
COMPLAINTS = [code for code, _ in PLUGIN.complaints("sv")]
RED_FLAGS = [
    (c, link_id, floor) for c in COMPLAINTS for link_id, floor in PLUGIN.red_flags(c).items()
]
MAX_PAGES = 50  # far more than any questionnaire has; a loop guard


@st.composite
def contexts(draw: st.DrawFn) -> TriageContext:
    months = draw(st.integers(min_value=0, max_value=110 * 12))
    return TriageContext(
        age_years=months // 12,
        age_months=months,
        sex=draw(st.sampled_from(["female", "male", None])),
        entrance=draw(st.sampled_from(["seek_care", "vc_nurse", "bvc"])),
        on_behalf_of_child=draw(st.booleans()),
        language=draw(st.sampled_from(["sv", "en"])),
    )


def answers_for(question: Question) -> st.SearchStrategy[AnswerValue | None]:
    """A valid answer, or None (left blank) for an optional question."""
    strategy: st.SearchStrategy[AnswerValue]
    if question.type == "boolean":
        strategy = st.booleans()
    elif question.type == "choice":
        strategy = st.sampled_from([o.code for o in question.options])
    elif question.type == "integer":
        low = int(question.min) if question.min is not None else 0
        high = int(question.max) if question.max is not None else 1000
        strategy = st.integers(min_value=low, max_value=high)
    elif question.type == "decimal":
        strategy = st.floats(
            min_value=question.min, max_value=question.max, allow_nan=False, allow_infinity=False
        )
    else:
        limit = min(question.max_length or 40, 40)
        strategy = st.text(alphabet=string.ascii_letters + "åäö", min_size=1, max_size=limit)
    return strategy if question.required else st.none() | strategy


def walk(session: FhirSession, data: st.DataObject, fixed: dict[str, AnswerValue]) -> Outcome:
    for _ in range(MAX_PAGES):
        page = session.questions()
        if not page:
            break
        reply: dict[str, AnswerValue] = {}
        for question in page:
            value = (
                fixed[question.link_id]
                if question.link_id in fixed
                else data.draw(answers_for(question))
            )
            if value is not None:
                reply[question.link_id] = value
        session.answer(reply)
    outcome = session.outcome()
    assert outcome is not None
    return outcome


@pytest.mark.parametrize(
    ("complaint", "link_id", "floor"), RED_FLAGS, ids=[link_id for _, link_id, _ in RED_FLAGS]
)
@settings(max_examples=30, deadline=None)
@given(data=st.data(), context=contexts())
def test_a_red_flag_answered_yes_is_never_lowered(
    complaint: str, link_id: str, floor: Urgency, data: st.DataObject, context: TriageContext
) -> None:
    outcome = walk(PLUGIN.start(context, complaint), data, {link_id: True})
    assert outcome.urgency <= floor, (complaint, link_id, outcome.provenance)
    assert link_id in {i["linkId"] for i in builders.response_items(outcome)}


def test_every_complaint_has_red_flags() -> None:
    assert {c for c, _, _ in RED_FLAGS} == set(COMPLAINTS)
    assert len(RED_FLAGS) >= 25


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    complaint=st.sampled_from(COMPLAINTS),
    context=contexts(),
    cut=st.integers(min_value=0, max_value=5),
)
def test_random_walks_complete_and_restore_anywhere(
    data: st.DataObject, complaint: str, context: TriageContext, cut: int
) -> None:
    session = PLUGIN.start(context, complaint)
    for _ in range(cut):
        page = session.questions()
        if not page:
            break
        reply = {q.link_id: v for q in page if (v := data.draw(answers_for(q))) is not None}
        session.answer(reply)
    restored = PLUGIN.restore(json.loads(json.dumps(session.snapshot())))
    assert restored.snapshot() == session.snapshot()
    assert restored.questions() == session.questions()
    outcome = walk(restored, data, {})
    assert outcome.provenance.decisive_rule in outcome.provenance.rules_fired
    marker = "EXAMPLE – not clinically validated" if context.language == "en" else "EXEMPEL"
    assert marker in outcome.advice.split("\n\n")[-1]
    assert outcome.summary.endswith(".")
    json.dumps(outcome.response)
