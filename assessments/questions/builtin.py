"""The built-in question types (their `data` shapes are the contract with formats).

- single_choice: {"choices": [{"id", "text", "fraction" (-1..1), "feedback"}],
  "shuffle"}
- multiple_response: the same, plus "scoring": partial | all_or_nothing |
  right_minus_wrong; the response is a list of choice ids
- true_false: {"answer": bool, "feedback_true", "feedback_false"}
- short_answer: {"answers": [{"text", "fraction", "feedback"}], "match": exact |
  casefold | pattern} - a pattern uses Moodle's `*` wildcard; trainers' text is
  escaped, so no regular expression written by a person ever runs
- numeric: {"answers": [{"value", "tolerance", "fraction", "feedback"}]}; answers
  with a decimal comma ("3,14") are read the Indonesian way
- matching: {"pairs": [{"id", "prompt", "answer"}], "distractors": [...], "shuffle"}
- ordering: {"items": [{"id", "text"}]} listed in the right order
- essay: {"response_format", "min_words", "max_words", "grader_info",
  "response_template"}, marked by a person
"""

from __future__ import annotations

import random
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.questions.types import QuestionType, clamp_fraction


def _fraction(value: Any) -> Decimal | None:
    try:
        fraction = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return fraction if Decimal(-1) <= fraction <= Decimal(1) else None


def _not_object(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return [_("The definition must be a JSON object.")]
    return []


def _entries(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The list under `key`, keeping only objects (the rest is reported apart)."""
    value = data.get(key) if isinstance(data, dict) else None
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _entry_problems(data: dict[str, Any], key: str, label: str) -> list[str]:
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [
        _("%(what)s %(n)d is not an object.") % {"what": label, "n": number}
        for number, entry in enumerate(value, start=1)
        if not isinstance(entry, dict)
    ]


def _choice_problems(data: dict[str, Any], *, minimum: int = 2) -> list[str]:
    if problems := _not_object(data):
        return problems
    choices = data.get("choices")
    if not isinstance(choices, list) or len(choices) < minimum:
        return [_("At least %(n)d choices are needed.") % {"n": minimum}]
    seen: set[str] = set()
    for number, choice in enumerate(choices, start=1):
        if not isinstance(choice, dict):
            problems.append(_("Choice %(n)d is not an object.") % {"n": number})
            continue
        choice_id = str(choice.get("id", "")).strip()
        if not choice_id:
            problems.append(_("Choice %(n)d has no id.") % {"n": number})
        elif choice_id in seen:
            problems.append(_("Choice id %(id)s is used twice.") % {"id": choice_id})
        seen.add(choice_id)
        if not str(choice.get("text", "")).strip():
            problems.append(_("Choice %(n)d has no text.") % {"n": number})
        if _fraction(choice.get("fraction", 0)) is None:
            problems.append(
                _("Choice %(n)d has a weight outside -100 %% to 100 %%.")
                % {"n": number}
            )
    return problems


def _public_choices(data: dict[str, Any], rng: random.Random) -> list[dict[str, str]]:
    choices = [{"id": str(c["id"]), "text": str(c["text"])} for c in data["choices"]]
    if data.get("shuffle", True):
        rng.shuffle(choices)
    return choices


def _choice_feedback(data: dict[str, Any], chosen: set[str]) -> str:
    return "\n".join(
        str(c.get("feedback", ""))
        for c in data.get("choices", [])
        if str(c.get("id")) in chosen and c.get("feedback")
    )


class SingleChoiceType(QuestionType):
    kind = "single_choice"
    label = gettext_lazy("Single choice")

    def problems(self, data: dict[str, Any]) -> list[str]:
        problems = _choice_problems(data)
        if not problems and not any(
            _fraction(c.get("fraction", 0)) == 1 for c in data["choices"]
        ):
            problems.append(_("One choice must be fully right (100 %)."))
        return problems

    def response_problems(self, data: dict[str, Any], response: Any) -> list[str]:
        ids = {str(c["id"]) for c in data.get("choices", [])}
        if not isinstance(response, str) or response not in ids:
            return [_("Choose one of the offered answers.")]
        return []

    def grade(self, data: dict[str, Any], response: Any) -> Decimal:
        for choice in data.get("choices", []):
            if str(choice["id"]) == response:
                return clamp_fraction(choice.get("fraction", 0))
        return clamp_fraction(0)

    def public_data(
        self, data: dict[str, Any], *, rng: random.Random
    ) -> dict[str, Any]:
        return {"choices": _public_choices(data, rng)}

    def feedback(self, data: dict[str, Any], response: Any) -> str:
        return _choice_feedback(
            data, {response} if isinstance(response, str) else set()
        )


class MultipleResponseType(QuestionType):
    kind = "multiple_response"
    label = gettext_lazy("Multiple response")
    SCORING = ("partial", "all_or_nothing", "right_minus_wrong")

    def problems(self, data: dict[str, Any]) -> list[str]:
        if problems := _not_object(data):
            return problems
        problems = _choice_problems(data)
        if data.get("scoring", "partial") not in self.SCORING:
            problems.append(
                _("Unknown scoring rule %(rule)s.") % {"rule": data["scoring"]}
            )
        if problems:
            return problems
        positive = sum(
            (f for c in data["choices"] if (f := _fraction(c.get("fraction", 0))) > 0),
            start=Decimal(0),
        )
        if positive == 0:
            problems.append(_("At least one choice must be right."))
        elif data.get("scoring", "partial") == "partial" and abs(
            positive - 1
        ) > Decimal("0.01"):
            problems.append(_("The weights of the right choices must add up to 100 %."))
        return problems

    def response_problems(self, data: dict[str, Any], response: Any) -> list[str]:
        ids = {str(c["id"]) for c in data.get("choices", [])}
        if not isinstance(response, list) or not all(
            isinstance(r, str) and r in ids for r in response
        ):
            return [_("Choose among the offered answers.")]
        return []

    def grade(self, data: dict[str, Any], response: Any) -> Decimal:
        chosen = {str(r) for r in response} if isinstance(response, list) else set()
        weights = {
            str(c["id"]): Decimal(str(c.get("fraction", 0))) for c in data["choices"]
        }
        right = {cid for cid, weight in weights.items() if weight > 0}
        rule = data.get("scoring", "partial")
        if rule == "all_or_nothing":
            return clamp_fraction(1 if chosen == right else 0)
        if rule == "right_minus_wrong":
            hits = len(chosen & right) - len(chosen - right)
            return clamp_fraction(Decimal(hits) / len(right) if right else 0)
        return clamp_fraction(
            sum((weights.get(c, 0) for c in chosen), start=Decimal(0))
        )

    def public_data(
        self, data: dict[str, Any], *, rng: random.Random
    ) -> dict[str, Any]:
        return {"choices": _public_choices(data, rng)}

    def feedback(self, data: dict[str, Any], response: Any) -> str:
        chosen = {str(r) for r in response} if isinstance(response, list) else set()
        return _choice_feedback(data, chosen)


def _boolean(response: Any) -> bool | None:
    if isinstance(response, bool):
        return response
    if isinstance(response, str) and response.lower() in {"true", "false"}:
        return response.lower() == "true"
    return None


class TrueFalseType(QuestionType):
    kind = "true_false"
    label = gettext_lazy("True or false")

    def problems(self, data: dict[str, Any]) -> list[str]:
        if problems := _not_object(data):
            return problems
        if not isinstance(data.get("answer"), bool):
            return [_("The right answer must be true or false.")]
        return []

    def response_problems(self, data: dict[str, Any], response: Any) -> list[str]:
        return [] if _boolean(response) is not None else [_("Answer true or false.")]

    def grade(self, data: dict[str, Any], response: Any) -> Decimal:
        return clamp_fraction(1 if _boolean(response) == data["answer"] else 0)

    def feedback(self, data: dict[str, Any], response: Any) -> str:
        given = _boolean(response)
        if given is None:
            return ""
        return str(data.get("feedback_true" if given else "feedback_false", ""))


def _normalise(text: str) -> str:
    return " ".join(str(text).split())


def _short_answer_matches(expected: str, given: str, rule: str) -> bool:
    expected, given = _normalise(expected), _normalise(given)
    if rule == "exact":
        return expected == given
    if rule == "pattern":
        # Moodle's wildcard: `*` is any text; everything else is matched literally.
        regex = ".*".join(re.escape(part) for part in expected.casefold().split("*"))
        return re.fullmatch(regex, given.casefold()) is not None
    return expected.casefold() == given.casefold()


def _best(answers: list[dict[str, Any]], matches) -> dict[str, Any] | None:
    found = [a for a in answers if matches(a)]
    return (
        max(found, key=lambda a: Decimal(str(a.get("fraction", 0)))) if found else None
    )


class ShortAnswerType(QuestionType):
    kind = "short_answer"
    label = gettext_lazy("Short answer")
    RULES = ("exact", "casefold", "pattern")

    def problems(self, data: dict[str, Any]) -> list[str]:
        if problems := _not_object(data):
            return problems
        answers = data.get("answers")
        if not isinstance(answers, list) or not answers:
            return [_("At least one accepted answer is needed.")]
        problems = _entry_problems(data, "answers", _("Answer"))
        answers = _entries(data, "answers")
        if data.get("match", "casefold") not in self.RULES:
            problems.append(
                _("Unknown matching rule %(rule)s.") % {"rule": data["match"]}
            )
        for number, answer in enumerate(answers, start=1):
            if not _normalise(answer.get("text", "")):
                problems.append(_("Answer %(n)d has no text.") % {"n": number})
            if _fraction(answer.get("fraction", 0)) is None:
                problems.append(
                    _("Answer %(n)d has a weight outside -100 %% to 100 %%.")
                    % {"n": number}
                )
        if not problems and not any(
            _fraction(a.get("fraction", 0)) == 1 for a in answers
        ):
            problems.append(_("One accepted answer must be fully right (100 %)."))
        return problems

    def response_problems(self, data: dict[str, Any], response: Any) -> list[str]:
        if not isinstance(response, str) or len(response) > 500:
            return [_("The answer must be text of at most 500 characters.")]
        return []

    def _match(self, data: dict[str, Any], response: Any) -> dict[str, Any] | None:
        if not isinstance(response, str):
            return None
        rule = data.get("match", "casefold")
        return _best(
            data["answers"],
            lambda a: _short_answer_matches(a["text"], response, rule),
        )

    def grade(self, data: dict[str, Any], response: Any) -> Decimal:
        best = self._match(data, response)
        return clamp_fraction(best.get("fraction", 0) if best else 0)

    def feedback(self, data: dict[str, Any], response: Any) -> str:
        best = self._match(data, response)
        return str(best.get("feedback", "")) if best else ""


def parse_number(value: Any) -> Decimal | None:
    """A number from JSON or from text, accepting the Indonesian decimal comma."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip().replace(" ", "").replace("\u00a0", "")
        if "," in text and "." in text:
            # "1.234,5" (Indonesian) or "1,234.5": the last mark is the decimal one.
            decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
            thousands = "." if decimal_mark == "," else ","
            text = text.replace(thousands, "").replace(decimal_mark, ".")
        elif "," in text:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


class NumericType(QuestionType):
    kind = "numeric"
    label = gettext_lazy("Numeric")

    def problems(self, data: dict[str, Any]) -> list[str]:
        if problems := _not_object(data):
            return problems
        answers = data.get("answers")
        if not isinstance(answers, list) or not answers:
            return [_("At least one accepted answer is needed.")]
        problems = _entry_problems(data, "answers", _("Answer"))
        for number, answer in enumerate(_entries(data, "answers"), start=1):
            if parse_number(answer.get("value")) is None:
                problems.append(_("Answer %(n)d has no number.") % {"n": number})
            tolerance = parse_number(answer.get("tolerance", 0))
            if tolerance is None or tolerance < 0:
                problems.append(
                    _("Answer %(n)d has a negative or missing tolerance.")
                    % {"n": number}
                )
            if _fraction(answer.get("fraction", 0)) is None:
                problems.append(
                    _("Answer %(n)d has a weight outside -100 %% to 100 %%.")
                    % {"n": number}
                )
        return problems

    def response_problems(self, data: dict[str, Any], response: Any) -> list[str]:
        return [] if parse_number(response) is not None else [_("Enter a number.")]

    def _match(self, data: dict[str, Any], response: Any) -> dict[str, Any] | None:
        given = parse_number(response)
        if given is None:
            return None
        return _best(
            data["answers"],
            lambda a: (
                abs(given - parse_number(a["value"]))
                <= parse_number(a.get("tolerance", 0))
            ),
        )

    def grade(self, data: dict[str, Any], response: Any) -> Decimal:
        best = self._match(data, response)
        return clamp_fraction(best.get("fraction", 0) if best else 0)

    def feedback(self, data: dict[str, Any], response: Any) -> str:
        best = self._match(data, response)
        return str(best.get("feedback", "")) if best else ""


class MatchingType(QuestionType):
    kind = "matching"
    label = gettext_lazy("Matching")

    def problems(self, data: dict[str, Any]) -> list[str]:
        if problems := _not_object(data):
            return problems
        pairs = data.get("pairs")
        if not isinstance(pairs, list) or len(pairs) < 2:
            return [_("At least two pairs are needed.")]
        problems = _entry_problems(data, "pairs", _("Pair"))
        pairs = _entries(data, "pairs")
        distractors = data.get("distractors", [])
        if not isinstance(distractors, list) or not all(
            isinstance(d, str) for d in distractors
        ):
            problems.append(_("The distractors must be a list of texts."))
        ids = [str(p.get("id", "")) for p in pairs]
        if len(set(ids)) != len(ids) or "" in ids:
            problems.append(_("Every pair needs its own id."))
        for number, pair in enumerate(pairs, start=1):
            if not _normalise(pair.get("prompt", "")) or not _normalise(
                pair.get("answer", "")
            ):
                problems.append(
                    _("Pair %(n)d needs a prompt and an answer.") % {"n": number}
                )
        return problems

    def response_problems(self, data: dict[str, Any], response: Any) -> list[str]:
        ids = {str(p["id"]) for p in data.get("pairs", [])}
        if (
            not isinstance(response, dict)
            or not set(response) <= ids
            or not all(isinstance(v, str) for v in response.values())
        ):
            return [_("Match the offered items.")]
        return []

    def grade(self, data: dict[str, Any], response: Any) -> Decimal:
        response = response if isinstance(response, dict) else {}
        pairs = data["pairs"]
        right = sum(
            1
            for p in pairs
            if _normalise(response.get(str(p["id"]), "")) == _normalise(p["answer"])
        )
        return clamp_fraction(Decimal(right) / len(pairs))

    def public_data(
        self, data: dict[str, Any], *, rng: random.Random
    ) -> dict[str, Any]:
        pairs = [
            {"id": str(p["id"]), "prompt": str(p["prompt"])} for p in data["pairs"]
        ]
        options = sorted(
            {str(p["answer"]) for p in data["pairs"]}
            | {str(d) for d in data.get("distractors", [])}
        )
        if data.get("shuffle", True):
            rng.shuffle(pairs)
        rng.shuffle(options)
        return {"pairs": pairs, "options": options}


class OrderingType(QuestionType):
    kind = "ordering"
    label = gettext_lazy("Ordering")

    def problems(self, data: dict[str, Any]) -> list[str]:
        if problems := _not_object(data):
            return problems
        items = data.get("items")
        if not isinstance(items, list) or len(items) < 2:
            return [_("At least two items are needed.")]
        problems = _entry_problems(data, "items", _("Item"))
        items = _entries(data, "items")
        ids = [str(i.get("id", "")) for i in items]
        if len(set(ids)) != len(ids) or "" in ids:
            problems.append(_("Every item needs its own id."))
        if any(not _normalise(i.get("text", "")) for i in items):
            problems.append(_("Every item needs a text."))
        return problems

    def response_problems(self, data: dict[str, Any], response: Any) -> list[str]:
        ids = [str(i["id"]) for i in data.get("items", [])]
        if not isinstance(response, list) or sorted(map(str, response)) != sorted(ids):
            return [_("Put every item in order, each once.")]
        return []

    def grade(self, data: dict[str, Any], response: Any) -> Decimal:
        ids = [str(i["id"]) for i in data["items"]]
        given = [str(r) for r in response] if isinstance(response, list) else []
        right = sum(1 for a, b in zip(ids, given, strict=False) if a == b)
        return clamp_fraction(Decimal(right) / len(ids))

    def public_data(
        self, data: dict[str, Any], *, rng: random.Random
    ) -> dict[str, Any]:
        items = [{"id": str(i["id"]), "text": str(i["text"])} for i in data["items"]]
        rng.shuffle(items)
        return {"items": items}


class EssayType(QuestionType):
    kind = "essay"
    label = gettext_lazy("Essay")
    manual = True

    def problems(self, data: dict[str, Any]) -> list[str]:
        if problems := _not_object(data):
            return problems
        for key in ("min_words", "max_words"):
            value = data.get(key, 0)
            if not isinstance(value, int) or value < 0:
                problems.append(_("%(key)s must be a whole number.") % {"key": key})
        if (
            not problems
            and data.get("max_words")
            and data.get("min_words", 0) > data["max_words"]
        ):
            problems.append(_("The minimum word count is above the maximum."))
        return problems

    def response_problems(self, data: dict[str, Any], response: Any) -> list[str]:
        if not isinstance(response, str):
            return [_("The answer must be text.")]
        if len(response) > 50_000:
            return [_("The answer is longer than 50,000 characters.")]
        return []

    def grade(self, data: dict[str, Any], response: Any) -> Decimal | None:
        return None

    def public_data(
        self, data: dict[str, Any], *, rng: random.Random
    ) -> dict[str, Any]:
        return {
            "response_format": data.get("response_format", "text"),
            "min_words": data.get("min_words", 0),
            "max_words": data.get("max_words", 0),
            "response_template": data.get("response_template", ""),
        }


BUILTIN_QUESTION_TYPES: tuple[type[QuestionType], ...] = (
    SingleChoiceType,
    MultipleResponseType,
    TrueFalseType,
    ShortAnswerType,
    NumericType,
    MatchingType,
    OrderingType,
    EssayType,
)
