"""Small synthetic content for unit tests, so each test states only what it is about.

The shipped example content is tested by the vignettes; these builders make
minimal FHIR questionnaires, rule tables and catalogs (with the English
translations the loader demands filled in automatically).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chatserver.triage.content import load_content
from chatserver.triage.fhir import FhirTriagePlugin
from chatserver.triage.interface import Outcome, TriageContext
from chatserver.triage.questionnaire import RED_FLAG_CODE, RED_FLAG_SYSTEM, TRANSLATION_URL

Json = dict[str, Any]

URL = "urn:test:questionnaire:test"


def translation(english: str) -> Json:
    return {
        "extension": [
            {
                "url": TRANSLATION_URL,
                "extension": [
                    {"url": "lang", "valueCode": "en"},
                    {"url": "content", "valueString": english},
                ],
            }
        ]
    }


def option(code: str) -> Json:
    return {"valueCoding": {"code": code, "display": f"{code} sv", "_display": translation(code)}}


def item(link_id: str, item_type: str = "boolean", **extra: Any) -> Json:
    data: Json = {
        "linkId": link_id,
        "type": item_type,
        "text": f"{link_id}?",
        "_text": translation(f"{link_id} (en)?"),
    }
    if item_type == "choice" and "answerOption" not in extra:
        data["answerOption"] = [option("a"), option("b"), option("c")]
    data.update(extra)
    return data


def red(link_id: str) -> Json:
    return item(link_id, required=True, code=[{"system": RED_FLAG_SYSTEM, "code": RED_FLAG_CODE}])


def bounds(low: float, high: float, key: str = "valueInteger") -> list[Json]:
    return [
        {"url": "http://hl7.org/fhir/StructureDefinition/minValue", key: low},
        {"url": "http://hl7.org/fhir/StructureDefinition/maxValue", key: high},
    ]


def when(question: str, operator: str, **answer: Any) -> Json:
    return {"question": question, "operator": operator, **answer}


def questionnaire(items: Sequence[Json], version: str = "1.0.0", url: str = URL) -> Json:
    return {
        "resourceType": "Questionnaire",
        "url": url,
        "version": version,
        "title": "Test",
        "_title": translation("Test (en)"),
        "status": "draft",
        "description": "EXEMPEL – inte kliniskt validerat / EXAMPLE – not clinically validated.",
        "item": list(items),
    }


def rule(rule_id: str, when_: Json | None, urgency: str = "U4", **extra: Any) -> Json:
    disposition = {"U0": "call_112", "U6": "self_care"}.get(urgency, "queue")
    data: Json = {
        "id": rule_id,
        "urgency": urgency,
        "disposition": disposition,
        "pool": None if urgency == "U0" else "nurse_1177",
        "reason": f"skäl {rule_id}",
        "advice": {"sv": f"råd {rule_id}", "en": f"advice {rule_id}"},
    }
    if when_ is not None:
        data["when"] = when_
    data.update(extra)
    return data


def red_rule(link_id: str, urgency: str = "U1", **extra: Any) -> Json:
    return rule(
        f"r-{link_id}", {"q": link_id, "op": "=", "value": True}, urgency, red_flag=True, **extra
    )


def ruleset(
    rules: Sequence[Json],
    default: Json | None = None,
    version: str = "1.0.0",
    questionnaire_version: str = "1.0.0",
    **extra: Any,
) -> Json:
    data: Json = {
        "kind": "chatserver.triage.ruleset",
        "id": "test",
        "version": version,
        "questionnaire": f"{URL}|{questionnaire_version}",
        "disclaimer": {"sv": "EXEMPEL – sv", "en": "EXAMPLE – en"},
        "rules": list(rules),
        "default": default or rule("r-default", None, "U6"),
    }
    data.update(extra)
    return data


def catalog(version: str = "1.0.0", content_version: str = "1.0.0") -> Json:
    return {
        "kind": "chatserver.triage.catalog",
        "version": version,
        "complaints": [
            {
                "code": "test",
                "questionnaire": f"{URL}|{content_version}",
                "rules": f"test|{content_version}",
            }
        ],
    }


def write(directory: Path, name: str, data: Json) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def write_release(
    directory: Path,
    items: Sequence[Json],
    rules: Sequence[Json] = (),
    default: Json | None = None,
    version: str = "1.0.0",
) -> Path:
    """Questionnaire, rule table and catalog of one version, all named ``test``."""
    write(directory, f"test-{version}.json", questionnaire(items, version))
    write(directory, f"test-rules-{version}.json", ruleset(rules, default, version, version))
    write(directory, f"catalog-{version}.json", catalog(version, version))
    return directory


def plugin_for(
    directory: Path,
    items: Sequence[Json],
    rules: Sequence[Json] = (),
    default: Json | None = None,
) -> FhirTriagePlugin:
    write_release(directory, items, rules, default)
    return FhirTriagePlugin(load_content([directory]))


def context(
    age_years: int | None = None,
    age_months: int | None = None,
    sex: str | None = "female",
    entrance: str = "seek_care",
    on_behalf_of_child: bool = False,
    language: str = "sv",
) -> TriageContext:
    """A context where either age may be given and the other is derived."""
    if age_months is None:
        age_months = (35 if age_years is None else age_years) * 12
    if age_years is None:
        age_years = age_months // 12
    return TriageContext(age_years, age_months, sex, entrance, on_behalf_of_child, language)


def response_items(outcome: Outcome | None) -> list[Json]:
    """The QuestionnaireResponse items of an outcome (typed ``object`` in the interface)."""
    assert outcome is not None
    items = outcome.response["item"]
    assert isinstance(items, list)
    return items
