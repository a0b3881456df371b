"""What a completed triage hands over: the FHIR QuestionnaireResponse and the staff summary.

The response is the durable record of what was asked and answered, in the
language the patient saw, naming the exact questionnaire version as
``url|version`` (FHIR R4 ``QuestionnaireResponse.questionnaire``). The summary
is the compact Swedish line a nurse reads before taking the case
(auto-anamnesis): complaint, who, red flags, answers, and why this urgency.
"""

from __future__ import annotations

from collections.abc import Mapping

from chatserver.domain.urgency import SWEDISH_LABEL
from chatserver.triage.interface import AnswerValue, TriageContext
from chatserver.triage.questionnaire import Item, Questionnaire
from chatserver.triage.rules import Rule

# Free text is quoted in the summary up to this many characters; the whole text
# is in the QuestionnaireResponse.
SUMMARY_TEXT_CHARS = 300

ATTACHMENT_URN = "urn:chatserver:attachment:"


def questionnaire_response(
    questionnaire: Questionnaire, answers: Mapping[str, AnswerValue], language: str
) -> dict[str, object]:
    """FHIR R4 QuestionnaireResponse; the server adds subject, author and authored."""
    items: list[dict[str, object]] = [
        {
            "linkId": item.link_id,
            "text": item.text.get(language),
            "answer": [_answer(item, answers[item.link_id], language)],
        }
        for item in questionnaire.items
        if item.link_id in answers
    ]
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": questionnaire.canonical,
        "status": "completed",
        "language": language,
        "item": items,
    }


def _answer(item: Item, value: AnswerValue, language: str) -> dict[str, object]:
    if item.type == "boolean":
        return {"valueBoolean": value}
    if item.type == "integer":
        return {"valueInteger": value}
    if item.type == "decimal":
        return {"valueDecimal": value}
    if item.type == "choice":
        option = item.option(str(value))
        coding: dict[str, object] = {"code": value}
        if option is not None:
            if option.system:
                coding["system"] = option.system
            coding["display"] = option.display.get(language)
        return {"valueCoding": coding}
    if item.type == "attachment":
        return {"valueAttachment": {"url": f"{ATTACHMENT_URN}{value}"}}
    return {"valueString": value}


def staff_summary(
    complaint: str,
    questionnaire: Questionnaire,
    context: TriageContext,
    answers: Mapping[str, AnswerValue],
    decisive: Rule,
) -> str:
    """One compact Swedish paragraph for staff; always Swedish, whatever the patient chose."""
    parts = [f"{complaint}, {_who(context)}."]
    red_flags = [i for i in questionnaire.items if i.red_flag and i.link_id in answers]
    raised = [i.summary_label for i in red_flags if answers[i.link_id] is True]
    if raised:
        parts.append(f"RÖDA FLAGGOR: {', '.join(raised)}.")
    elif red_flags:
        parts.append("Inga röda flaggor.")
    details = [
        f"{item.summary_label}: {_swedish(item, answers[item.link_id])}"
        for item in questionnaire.items
        if not item.red_flag and item.link_id in answers
    ]
    if details:
        parts.append("; ".join(details) + ".")
    label = SWEDISH_LABEL[decisive.urgency]
    parts.append(f"Bedömning: {decisive.urgency.name} {label} – {decisive.reason}.")
    return " ".join(parts)


def _who(context: TriageContext) -> str:
    # Infants are described in months, as in NICE NG143 and BVC records.
    age = f"{context.age_months} mån" if context.age_years < 2 else f"{context.age_years} år"
    child = context.age_years < 18
    sex = {
        "female": "flicka" if child else "kvinna",
        "male": "pojke" if child else "man",
    }.get(context.sex or "")
    who = f"{age}, {sex}" if sex else age
    if context.on_behalf_of_child:
        who += " (vårdnadshavare svarar)"
    return who


def _swedish(item: Item, value: AnswerValue) -> str:
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if item.type == "decimal":
        return f"{float(value):g}".replace(".", ",")
    if item.type == "choice":
        option = item.option(str(value))
        return option.display.sv if option else str(value)
    if item.type == "attachment":
        return "bild bifogad"
    text = str(value)
    if item.type == "string":
        text = " ".join(text.split())
        if len(text) > SUMMARY_TEXT_CHARS:
            text = text[: SUMMARY_TEXT_CHARS - 1] + "…"
        return f"”{text}”"
    return text
