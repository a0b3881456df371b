"""FHIR R4 Questionnaire: the subset triage content uses, parsed strictly.

Content is a medical device's input, so anything this engine would not honour
is refused at load rather than silently ignored: nested items and groups,
``repeats``, ``initial``, ``answerValueSet``, item types other than boolean,
choice, integer, decimal, string and attachment.

Conventions on top of FHIR (README.md):

- the primary language is Swedish; every patient-facing text carries an English
  translation in the standard translation extension on ``_text``/``_display``;
- a red-flag item has ``code: [{"system": "urn:chatserver:triage", "code":
  "red-flag"}]`` and must be a required boolean without ``enableWhen``, so it
  is always asked, and asked first;
- ``urn:chatserver:triage:summary-label`` (valueString) is a short Swedish
  label for the staff summary;
- numbers are bounded by the standard ``minValue``/``maxValue`` extensions.

``enableWhen`` follows FHIR: an item is enabled when all (``enableBehavior``
"all", the default) or any of its conditions hold. Two restrictions keep the
engine simple and safe: a condition may only refer to an item earlier in the
list (no cycles), and ``exists`` may only test for ``true``. With answers final
once given, and a comparison against a missing answer false, every condition
is then *monotone*: once true it stays true as answers are added. That is what
lets a rule stop a triage early and what makes red flags impossible to undo.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

from chatserver.triage.errors import ContentError
from chatserver.triage.interface import (
    QUESTION_TYPES,
    AnswerValue,
    Option,
    Question,
    QuestionType,
)
from chatserver.triage.jsonshape import Node

TRANSLATION_URL = "http://hl7.org/fhir/StructureDefinition/translation"
MIN_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/minValue"
MAX_VALUE_URL = "http://hl7.org/fhir/StructureDefinition/maxValue"
SUMMARY_LABEL_URL = "urn:chatserver:triage:summary-label"
RED_FLAG_SYSTEM = "urn:chatserver:triage"
RED_FLAG_CODE = "red-flag"

OPERATORS = ("exists", "=", "!=", ">", "<", ">=", "<=")
ORDERING = (">", "<", ">=", "<=")

VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
LINK_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")

# Keys that would change what is asked or how; refused rather than ignored.
UNSUPPORTED_ITEM_KEYS = ("item", "initial", "answerValueSet", "enableWhenExpression")

# FHIR enableWhen answer[x] → the item types it may be compared with.
ANSWER_KEYS: dict[str, tuple[str, ...]] = {
    "answerBoolean": ("boolean",),
    "answerInteger": ("integer", "decimal"),
    "answerDecimal": ("integer", "decimal"),
    "answerString": ("string",),
    "answerCoding": ("choice",),
}


@dataclass(frozen=True, slots=True)
class Localized:
    """A text in Swedish (the content's primary language) and English."""

    sv: str
    en: str

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.sv


@dataclass(frozen=True, slots=True)
class Operand:
    """What can be compared with a value: an item's answer or a context variable."""

    type: str
    codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AnswerOption:
    code: str
    system: str | None
    display: Localized


@dataclass(frozen=True, slots=True)
class EnableWhen:
    question: str
    operator: str
    value: AnswerValue


@dataclass(frozen=True, slots=True)
class Item:
    """One question of the questionnaire, in both languages."""

    link_id: str
    type: QuestionType
    text: Localized
    summary_label: str
    required: bool = False
    red_flag: bool = False
    options: tuple[AnswerOption, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    enable_when: tuple[EnableWhen, ...] = ()
    enable_any: bool = False

    @property
    def operand(self) -> Operand:
        return Operand(self.type, tuple(o.code for o in self.options))

    def option(self, code: str) -> AnswerOption | None:
        return next((o for o in self.options if o.code == code), None)

    def question(self, language: str) -> Question:
        return Question(
            link_id=self.link_id,
            text=self.text.get(language),
            type=self.type,
            options=tuple(Option(o.code, o.display.get(language)) for o in self.options),
            required=self.required,
            min=self.min,
            max=self.max,
            max_length=self.max_length,
            red_flag=self.red_flag,
        )


@dataclass(frozen=True)
class Questionnaire:
    """A parsed, immutable questionnaire version; ``sha256`` is of its file."""

    url: str
    version: str
    title: Localized
    description: str
    items: tuple[Item, ...]
    sha256: str
    source: str
    by_link_id: Mapping[str, Item] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_link_id", {item.link_id: item for item in self.items})

    @property
    def canonical(self) -> str:
        """``url|version``, the FHIR way to name one version of a questionnaire."""
        return f"{self.url}|{self.version}"

    def is_enabled(self, item: Item, answers: Mapping[str, AnswerValue]) -> bool:
        if not item.enable_when:
            return True
        results = (compare(c.operator, answers.get(c.question), c.value) for c in item.enable_when)
        return any(results) if item.enable_any else all(results)


def compare(operator: str, actual: AnswerValue | None, expected: AnswerValue) -> bool:
    """FHIR enableWhen semantics, shared by the rule table.

    A missing answer makes every comparison false except ``exists`` (whose
    expected value is always ``true`` in loaded content, see module docs).
    """
    if operator == "exists":
        return (actual is not None) == expected
    if actual is None:
        return False
    if operator == "=":
        return actual == expected
    if operator == "!=":
        return actual != expected
    if isinstance(actual, bool) or isinstance(expected, bool):
        return False
    if not isinstance(actual, int | float) or not isinstance(expected, int | float):
        return False
    if operator == ">":
        return actual > expected
    if operator == "<":
        return actual < expected
    if operator == ">=":
        return actual >= expected
    return actual <= expected


def check_operand(operand: Operand, operator: str, value: object, where: str) -> AnswerValue:
    """Refuse a comparison that could never be meaningful for ``operand``'s type."""
    if operator not in OPERATORS:
        raise ContentError(f"{where}: unknown operator {operator!r}")
    if operator == "exists":
        if value is not True:
            # exists=false would make conditions non-monotone (module docs).
            raise ContentError(f"{where}: 'exists' may only test for true")
        return True
    kind = operand.type
    if kind == "attachment":
        raise ContentError(f"{where}: an attachment can only be tested with 'exists'")
    if kind in ("integer", "decimal"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ContentError(f"{where}: expected a number to compare with")
        if not math.isfinite(value):
            raise ContentError(f"{where}: expected a finite number")
        return value
    if operator in ORDERING:
        raise ContentError(f"{where}: {operator!r} only compares numbers")
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ContentError(f"{where}: expected true or false")
        return value
    if not isinstance(value, str):
        raise ContentError(f"{where}: expected a string")
    if kind == "choice" and value not in operand.codes:
        raise ContentError(f"{where}: {value!r} is not one of the options {operand.codes}")
    return value


def parse_questionnaire(data: object, *, sha256: str, source: str) -> Questionnaire:
    node = Node.of(data, source)
    if node.data.get("resourceType") != "Questionnaire":
        raise node.fail("resourceType", "expected 'Questionnaire'")
    version = node.text("version")
    if not VERSION_RE.match(version):
        raise node.fail("version", "expected MAJOR.MINOR.PATCH")
    language = node.opt_text("language")
    if language not in (None, "sv"):
        raise node.fail("language", "the primary language of content is 'sv'")
    items: list[Item] = []
    for item_node in node.nodes("item"):
        item = _parse_item(item_node, items)
        if any(earlier.link_id == item.link_id for earlier in items):
            raise item_node.fail("linkId", f"duplicate linkId {item.link_id!r}")
        items.append(item)
    if not items:
        raise node.fail("item", "a questionnaire needs at least one item")
    return Questionnaire(
        url=node.text("url"),
        version=version,
        title=_localized(node, "title"),
        description=node.text("description"),
        items=tuple(items),
        sha256=sha256,
        source=source,
    )


def _parse_item(node: Node, earlier: list[Item]) -> Item:
    link_id = node.text("linkId")
    if not LINK_ID_RE.match(link_id):
        raise node.fail("linkId", "letters, digits, '_', '.', '-'; at most 64")
    item_type = node.text("type")
    if item_type not in QUESTION_TYPES:
        raise node.fail("type", f"{item_type!r} is not supported; use one of {QUESTION_TYPES}")
    for key in UNSUPPORTED_ITEM_KEYS:
        if node.has(key):
            raise node.fail(key, "not supported by this engine")
    if node.flag("repeats", False):
        raise node.fail("repeats", "repeating items are not supported")
    extensions = {e.text("url"): e for e in node.nodes("extension", optional=True)}
    label = extensions.get(SUMMARY_LABEL_URL)
    options = tuple(_parse_option(o) for o in node.nodes("answerOption", optional=True))
    codes = [o.code for o in options]
    if (item_type == "choice") != bool(options):
        raise node.fail("answerOption", "choice items, and only they, need answerOption")
    if len(set(codes)) != len(codes):
        raise node.fail("answerOption", "duplicate option codes")
    low = _bound(extensions.get(MIN_VALUE_URL), item_type, node)
    high = _bound(extensions.get(MAX_VALUE_URL), item_type, node)
    if low is not None and high is not None and low > high:
        raise node.fail("extension", "minValue is above maxValue")
    max_length = node.opt_integer("maxLength")
    if max_length is not None and (item_type != "string" or max_length < 1):
        raise node.fail("maxLength", "only a positive maxLength on string items")
    conditions = tuple(
        _parse_enable_when(c, earlier) for c in node.nodes("enableWhen", optional=True)
    )
    behavior = node.opt_text("enableBehavior")
    if len(conditions) > 1 and behavior not in ("all", "any"):
        raise node.fail("enableBehavior", "'all' or 'any' is required with several enableWhen")
    text = _localized(node, "text")
    item = Item(
        link_id=link_id,
        type=cast("QuestionType", item_type),  # checked against QUESTION_TYPES above
        text=text,
        summary_label=label.text("valueString") if label else text.sv,
        required=node.flag("required", False),
        red_flag=any(_is_red_flag(c) for c in node.nodes("code", optional=True)),
        options=options,
        min=low,
        max=high,
        max_length=max_length,
        enable_when=conditions,
        enable_any=behavior == "any",
    )
    if item.red_flag and (item.type != "boolean" or not item.required or item.enable_when):
        raise node.fail("code", "a red-flag item must be a required boolean without enableWhen")
    return item


def _is_red_flag(code: Node) -> bool:
    return code.opt_text("system") == RED_FLAG_SYSTEM and code.text("code") == RED_FLAG_CODE


def _parse_option(node: Node) -> AnswerOption:
    coding = node.node("valueCoding")
    return AnswerOption(
        code=coding.text("code"),
        system=coding.opt_text("system"),
        display=_localized(coding, "display"),
    )


def _bound(extension: Node | None, item_type: str, item: Node) -> float | None:
    if extension is None:
        return None
    if item_type not in ("integer", "decimal"):
        raise item.fail("extension", "minValue/maxValue only on integer and decimal items")
    if item_type == "integer":
        return extension.integer("valueInteger")
    return extension.number("valueDecimal")


def _parse_enable_when(node: Node, earlier: list[Item]) -> EnableWhen:
    question = node.text("question")
    target = next((i for i in earlier if i.link_id == question), None)
    if target is None:
        raise node.fail("question", f"{question!r} is not an earlier item")
    operator = node.text("operator")
    keys = [k for k in node.data if k.startswith("answer")]
    if len(keys) != 1 or keys[0] not in ANSWER_KEYS:
        raise node.fail("answer[x]", f"exactly one of {tuple(ANSWER_KEYS)}")
    key = keys[0]
    if operator != "exists" and target.type not in ANSWER_KEYS[key]:
        raise node.fail(key, f"does not fit the {target.type} item {question!r}")
    raw = node.node(key).text("code") if key == "answerCoding" else node.data[key]
    value = check_operand(target.operand, operator, raw, f"{node.where}.{key}")
    return EnableWhen(question, operator, value)


def _localized(node: Node, key: str) -> Localized:
    swedish = node.text(key)
    english: str | None = None
    element = node.opt_node(f"_{key}")
    for extension in element.nodes("extension", optional=True) if element else []:
        if extension.text("url") != TRANSLATION_URL:
            continue
        parts = {p.text("url"): p for p in extension.nodes("extension")}
        if "lang" not in parts or "content" not in parts:
            raise extension.fail("extension", "a translation needs 'lang' and 'content'")
        if parts["lang"].text("valueCode") == "en":
            english = parts["content"].text("valueString")
    if english is None:
        raise node.fail(f"_{key}", "missing the English translation extension (lang 'en')")
    return Localized(swedish, english)
