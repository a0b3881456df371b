"""The case state machine: walk the TRANSITIONS table (h11's _state.py habit).

Every listed (state, action) pair works through Case.apply, every other pair
raises TransitionError, every state can be reached from triage, every open
case can still be closed, and the module docstring (the diagram people read)
names every action the table knows.
"""

from __future__ import annotations

import re
from collections import deque

import pytest

from chatserver.domain import cases
from chatserver.domain.cases import (
    OPEN_STATES,
    TRANSITIONS,
    Case,
    CaseState,
    TransitionError,
    next_state,
)
from chatserver.domain.urgency import Urgency

ACTIONS = sorted({action for _, action in TRANSITIONS})
LISTED = sorted(TRANSITIONS.items())
UNLISTED = sorted(
    (state, action)
    for state in CaseState
    for action in ACTIONS
    if (state, action) not in TRANSITIONS
)


def case_in(state: CaseState) -> Case:
    return Case(
        id="c1",
        room="c1",
        patient_id="p1",
        actor_id="p1",
        entrance="seek_care",
        pool="nurse_1177",
        state=state,
        urgency=Urgency.U3,
        complaint="ont i magen",
        created=1_000,
    )


def reachable(start: CaseState) -> set[CaseState]:
    seen = {start}
    todo = deque([start])
    while todo:
        state = todo.popleft()
        for (src, _), dst in TRANSITIONS.items():
            if src is state and dst not in seen:
                seen.add(dst)
                todo.append(dst)
    return seen


@pytest.mark.parametrize(("pair", "target"), LISTED, ids=[f"{s}-{a}" for (s, a), _ in LISTED])
def test_listed_transition_works(pair: tuple[CaseState, str], target: CaseState) -> None:
    state, action = pair
    before = case_in(state)
    after = before.apply(action, assignee="s1")
    assert after.state is target
    assert after.assignee == "s1"
    # A snapshot: the old case is untouched, every other field carried over.
    assert before.state is state
    assert before.assignee is None
    assert (after.id, after.room, after.pool, after.created) == ("c1", "c1", "nurse_1177", 1_000)
    assert next_state(state, action) is target


@pytest.mark.parametrize(("state", "action"), UNLISTED, ids=[f"{s}-{a}" for s, a in UNLISTED])
def test_unlisted_transition_is_refused(state: CaseState, action: str) -> None:
    with pytest.raises(TransitionError) as err:
        case_in(state).apply(action)
    assert err.value.state is state
    assert err.value.action == action
    assert str(state) in str(err.value)


def test_unknown_action_is_refused() -> None:
    with pytest.raises(TransitionError, match="cannot fly"):
        next_state(CaseState.queued, "fly")


def test_unlisted_pairs_are_many() -> None:
    """The walk above covers the whole product of states and actions."""
    assert len(LISTED) + len(UNLISTED) == len(CaseState) * len(ACTIONS)
    assert len(UNLISTED) > len(LISTED)


def test_every_state_is_reachable_from_triage() -> None:
    assert reachable(CaseState.triage) == set(CaseState)


@pytest.mark.parametrize("state", sorted(OPEN_STATES))
def test_an_open_case_can_always_be_closed(state: CaseState) -> None:
    assert CaseState.closed in reachable(state)


def test_closed_cases_can_be_continued() -> None:
    assert reachable(CaseState.closed) >= {CaseState.reopened, CaseState.queued}


def test_ends_of_triage() -> None:
    """112 is a dead end; self-care leads on only if the patient asks for a person."""
    assert reachable(CaseState.referred_112) == {CaseState.referred_112}
    assert {a for s, a in TRANSITIONS if s is CaseState.self_care} == {"ask_person"}


def test_is_open() -> None:
    for state in CaseState:
        assert case_in(state).is_open is (state in OPEN_STATES)
    assert not case_in(CaseState.closed).is_open


def test_every_target_is_a_state_and_every_key_is_a_pair() -> None:
    for (state, action), target in TRANSITIONS.items():
        assert isinstance(state, CaseState)
        assert isinstance(target, CaseState)
        assert re.fullmatch(r"[a-z0-9_]+", action)


def test_docstring_mentions_every_action() -> None:
    doc = cases.__doc__
    assert doc is not None
    words = set(re.findall(r"[a-z0-9_]+", doc))
    missing = [action for action in ACTIONS if action not in words]
    assert not missing, f"the diagram in cases.py does not mention {missing}"


def test_docstring_mentions_every_state() -> None:
    doc = cases.__doc__
    assert doc is not None
    words = set(re.findall(r"[a-z0-9_]+", doc))
    # referred_112 is drawn as its action, refer_112 (a dead end).
    missing = [
        s.value for s in CaseState if s.value not in words and s is not CaseState.referred_112
    ]
    assert not missing, f"the diagram in cases.py does not mention {missing}"
