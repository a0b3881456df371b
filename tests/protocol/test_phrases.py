"""Placeholders in canned phrases: only the three the client fills in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from protocol.phrases import PLACEHOLDER, PLACEHOLDERS, placeholder_problem, unknown_placeholders

PLAIN = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=40)


@given(st.lists(st.one_of(PLAIN, st.sampled_from([f"{{{p}}}" for p in PLACEHOLDERS]))))
def test_known_placeholders_and_plain_text_pass(parts: list[str]) -> None:
    text = "".join(parts)
    assert placeholder_problem(text) is None
    assert len(PLACEHOLDER.findall(text)) == sum(
        p in {"{patient}", "{staff}", "{unit}"} for p in parts
    )


def test_unknown_ones_are_named_once_each_in_order() -> None:
    text = "Hej {namn}! {patient}, ring {enhet} {namn} {}"
    assert unknown_placeholders(text) == ["{namn}", "{enhet}", "{}"]
    problem = placeholder_problem(text)
    assert problem is not None and problem.startswith("unknown placeholder(s) {namn}, {enhet}, {}")
    assert "{patient}, {staff}, {unit}" in problem


def test_braces_that_are_not_placeholders_in_form_pass() -> None:
    # A lone brace or braces around spaced words are text, not a typo for a placeholder.
    assert placeholder_problem("Ring 1177 {om det blir värre} :-{") is None
