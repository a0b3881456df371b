"""The clinical vignette suite: the specification of the example content.

DOMAIN.md ("Triage as a medical device") asks for a suite of vignettes with
expected outcomes that runs on every content change. Each vignette in
vignettes.json is driven through a real session page by page; the report
counts exact matches, over-triage (more urgent than expected) and
under-triage (less urgent). Any mismatch fails, and under-triage of a case
marked ``red_flag`` is called out first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatserver.domain.urgency import Urgency
from chatserver.triage.fhir import create
from chatserver.triage.interface import Outcome
from tests.triage import builders

VIGNETTES = json.loads((Path(__file__).parent / "vignettes.json").read_text(encoding="utf-8"))
PLUGIN = create()
MIN_CASES = 100
MAX_PAGES = 50


@dataclass(frozen=True)
class Result:
    case: dict[str, Any]
    outcome: Outcome
    problems: tuple[str, ...]

    @property
    def expected(self) -> Urgency:
        return Urgency[self.case["expect"]["urgency"]]

    @property
    def kind(self) -> str:
        if self.outcome.urgency < self.expected:
            return "over"
        if self.outcome.urgency > self.expected:
            return "under"
        return "exact" if not self.problems else "wrong pool or disposition"


def run(case: dict[str, Any]) -> Result:
    defaults = VIGNETTES["defaults"][case["complaint"]]
    context = builders.context(**{**defaults["context"], **case.get("context", {})})
    answers = {**defaults["answers"], **case["answers"]}
    session = PLUGIN.start(context, case["complaint"])
    problems: list[str] = []
    asked: set[str] = set()
    for _ in range(MAX_PAGES):
        page = session.questions()
        if not page:
            break
        missing = [q.link_id for q in page if q.required and q.link_id not in answers]
        if missing:
            raise AssertionError(f"{case['id']}: the vignette does not answer {missing}")
        asked.update(q.link_id for q in page)
        session.answer({q.link_id: answers[q.link_id] for q in page if q.link_id in answers})
    outcome = session.outcome()
    assert outcome is not None, case["id"]
    unasked = set(case["answers"]) - asked
    if unasked and outcome.disposition != "call_112":  # only a 112 stop may cut questions short
        problems.append(f"answers never asked: {sorted(unasked)}")
    got = f"{outcome.disposition}/{outcome.pool}"
    expected = "{disposition}/{pool}".format(**case["expect"])
    if got != expected:
        problems.append(f"got {got}, expected {expected}")
    return Result(case, outcome, tuple(problems))


def report(results: list[Result]) -> str:
    counts = {kind: 0 for kind in ("exact", "over", "under", "wrong pool or disposition")}
    lines = []
    for result in results:
        counts[result.kind] += 1
        if result.kind != "exact":
            flag = " RED FLAG" if result.case.get("red_flag") else ""
            lines.append(
                f"  {result.case['id']}{flag}: {result.kind}-triage? got "
                f"{result.outcome.urgency.name} ({result.outcome.provenance.decisive_rule}), "
                f"expected {result.expected.name}; {'; '.join(result.problems)}"
            )
    self_care = sum(r.outcome.disposition == "self_care" for r in results)
    head = (
        f"vignettes: {len(results)}  exact: {counts['exact']}  over-triage: {counts['over']}  "
        f"under-triage: {counts['under']}  wrong pool/disposition: "
        f"{counts['wrong pool or disposition']}  self-care: {self_care}"
    )
    return "\n".join([head, *lines])


def test_vignettes(capsys: pytest.CaptureFixture[str]) -> None:
    cases = VIGNETTES["cases"]
    assert len(cases) >= MIN_CASES
    assert len({c["id"] for c in cases}) == len(cases), "vignette ids must be unique"
    assert {c["complaint"] for c in cases} == {code for code, _ in PLUGIN.complaints("sv")}
    results = [run(case) for case in cases]
    text = report(results)
    with capsys.disabled():
        print("\n" + text)
    dangerous = [r for r in results if r.kind == "under" and r.case.get("red_flag")]
    assert not dangerous, "under-triage of red-flag vignettes:\n" + text
    assert all(r.kind == "exact" for r in results), text


def test_report_counts_over_and_under_triage() -> None:
    case: dict[str, Any] = {
        "id": "x",
        "complaint": "other",
        "red_flag": True,
        "answers": {},
        "expect": {"urgency": "U4", "disposition": "queue", "pool": "nurse_1177"},
    }
    exact = run(case)
    assert exact.kind == "exact"
    under = run({**case, "expect": {**case["expect"], "urgency": "U2"}})
    over = run({**case, "expect": {**case["expect"], "urgency": "U6"}})
    assert (under.kind, over.kind) == ("under", "over")
    text = report([exact, under, over])
    assert "exact: 1  over-triage: 1  under-triage: 1" in text
    assert "x RED FLAG: under-triage?" in text
