"""Server-side re-scoring of H5P answers: a registry of re-scorers per content type.

A browser computes H5P scores and can be made to send any number. For the common
question types the server recomputes the score from the answer the player
reports in the xAPI statement's `result.response`, against the content's own
`content.json`. Response formats (learned from the content types' published
sources) use "[,]" between items:

- H5P.TrueFalse:    "true" or "false"
- H5P.MultiChoice:  indexes of the chosen answers in content.json order, "0[,]2"
- H5P.Blanks:       the text typed into each blank, in order, "Jakarta[,]1945"
- H5P.DragText:     the word dropped on each drop zone, in order ("" for empty)
- H5P.MarkTheWords: indexes of the marked words among all words of the text
- H5P.QuestionSet / H5P.Column: no response of their own; the score is the sum
  of their children's, each re-scored from the child's statement (keyed by
  subContentId). Children that do not score (text, image, video) are skipped.

A type missing here, or a composite with any scorable child missing here, raises
`NotRescorable`: its score then counts for training progress only.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

SEPARATOR = "[,]"
# Content types that never carry a score of their own.
NOT_SCORED = frozenset(
    {
        "H5P.AdvancedText",
        "H5P.Text",
        "H5P.Image",
        "H5P.Video",
        "H5P.Audio",
        "H5P.Link",
        "H5P.Table",
        "H5P.Accordion",
        "H5P.GuessTheAnswer",
    }
)


class NotRescorable(Exception):
    """The server cannot compute this score itself."""


@dataclass(frozen=True)
class Score:
    raw: Decimal
    max: Decimal


Rescorer = Callable[[Mapping[str, Any], str | None, Mapping[str, str]], Score]


class RescorerRegistry:
    """Re-scorers by H5P machine name; `register` refuses a second one for a name.

    A re-scorer is a callable `(params, response, child_responses) -> Score`:
    `params` is the content's (or sub-content's) parameters from content.json,
    `response` the statement's `result.response` (None if absent), and
    `child_responses` maps subContentId → response for composite types. It raises
    `NotRescorable` when it cannot decide.
    """

    def __init__(self) -> None:
        self._rescorers: dict[str, Rescorer] = {}

    def register(self, machine_name: str) -> Callable[[Rescorer], Rescorer]:
        def decorator(function: Rescorer) -> Rescorer:
            if machine_name in self._rescorers:
                raise ValueError(
                    f"a re-scorer for {machine_name} is already registered"
                )
            self._rescorers[machine_name] = function
            return function

        return decorator

    def machine_names(self) -> frozenset[str]:
        return frozenset(self._rescorers)

    def rescore(
        self,
        machine_name: str,
        params: Mapping[str, Any],
        response: str | None,
        child_responses: Mapping[str, str] | None = None,
    ) -> Score:
        rescorer = self._rescorers.get(machine_name)
        if rescorer is None:
            raise NotRescorable(machine_name)
        return rescorer(params, response, child_responses or {})


registry = RescorerRegistry()


def _items(response: str | None) -> list[str]:
    if response is None:
        raise NotRescorable("no response")
    return response.split(SEPARATOR) if response != "" else []


def _indexes(response: str | None, count: int) -> list[int]:
    indexes = []
    for item in _items(response):
        if not item.strip().isdigit() or int(item) >= count:
            raise NotRescorable(f"bad index {item!r}")
        indexes.append(int(item))
    if len(set(indexes)) != len(indexes):
        raise NotRescorable("an index is repeated")
    return indexes


def _text(value: str) -> str:
    """Plain text of an HTML fragment, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", " ", value))


@registry.register("H5P.TrueFalse")
def rescore_true_false(
    params: Mapping[str, Any], response: str | None, _c: Any
) -> Score:
    correct = str(params.get("correct", "")).lower()
    if correct not in ("true", "false") or response not in ("true", "false"):
        raise NotRescorable("true/false expected")
    return Score(Decimal(int(response == correct)), Decimal(1))


@registry.register("H5P.MultiChoice")
def rescore_multi_choice(
    params: Mapping[str, Any], response: str | None, _c: Any
) -> Score:
    answers = params.get("answers") or []
    if not answers:
        raise NotRescorable("no answers")
    behaviour = params.get("behaviour") or {}
    chosen = _indexes(response, len(answers))
    weight = lambda answer: Decimal(str(answer.get("weight", 1)))  # noqa: E731
    correct = [a for a in answers if a.get("correct")]
    single_answer = behaviour.get("type") == "single" or (
        behaviour.get("type", "auto") == "auto" and len(correct) == 1
    )
    score = sum(
        (weight(answers[i]) if answers[i].get("correct") else -weight(answers[i]))
        for i in chosen
    )
    score = max(Decimal(0), Decimal(score))
    full = sum((weight(a) for a in correct), Decimal(0))
    if behaviour.get("singlePoint") or single_answer:
        # One point for the whole question (H5P's "single point" and radio modes).
        needed = Decimal(str(behaviour.get("passPercentage", 100)))
        passed = full > 0 and score * 100 / full >= needed
        if single_answer and not behaviour.get("singlePoint"):
            passed = len(chosen) == 1 and bool(answers[chosen[0]].get("correct"))
        return Score(Decimal(int(passed)), Decimal(1))
    return Score(score, full)


def _starred(text: str) -> list[str]:
    """The `*…*` parts of a Blanks/DragText text, in order, without the stars."""
    return re.findall(r"\*([^*]+)\*", text)


def _edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(row[j - 1] + 1, rows[i - 1][j] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[i - 2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _blank_correct(
    typed: str, solutions: list[str], behaviour: Mapping[str, Any]
) -> bool:
    typed = typed.strip()
    if behaviour.get("caseSensitive") is not True:
        typed = typed.lower()
        solutions = [s.lower() for s in solutions]
    for solution in solutions:
        if typed == solution:
            return True
        if behaviour.get("acceptSpellingErrors") is True:
            # The tolerance H5P.Blanks applies: 2 edits for long words, 1 for short.
            distance = _edit_distance(typed, solution)
            if (len(solution) > 9 and distance <= 2) or (
                len(solution) > 3 and distance <= 1
            ):
                return True
    return False


@registry.register("H5P.Blanks")
def rescore_blanks(params: Mapping[str, Any], response: str | None, _c: Any) -> Score:
    blanks = []
    for question in params.get("questions") or []:
        for part in _starred(str(question)):
            solution = part.split(":", 1)[0]  # ":" starts a tip
            blanks.append([html.unescape(s).strip() for s in solution.split("/")])
    if not blanks:
        raise NotRescorable("no blanks")
    typed = _items(response)
    if len(typed) != len(blanks):
        raise NotRescorable("one answer per blank expected")
    behaviour = params.get("behaviour") or {}
    right = sum(
        _blank_correct(t, s, behaviour) for t, s in zip(typed, blanks, strict=True)
    )
    return Score(Decimal(right), Decimal(len(blanks)))


def _drag_answer(part: str) -> str:
    # Tip (":…"), correct feedback ("\+…") and wrong feedback ("\-…") are not answers.
    text = re.split(r":|\\\+|\\-", part, maxsplit=1)[0]
    return text.rstrip()


@registry.register("H5P.DragText")
def rescore_drag_text(
    params: Mapping[str, Any], response: str | None, _c: Any
) -> Score:
    zones = [_drag_answer(p) for p in _starred(str(params.get("textField", "")))]
    if not zones:
        raise NotRescorable("no drop zones")
    dropped = _items(response)
    if len(dropped) != len(zones):
        raise NotRescorable("one item per drop zone expected")
    right = sum(d == z for d, z in zip(dropped, zones, strict=True))
    return Score(Decimal(right), Decimal(len(zones)))


@registry.register("H5P.MarkTheWords")
def rescore_mark_the_words(
    params: Mapping[str, Any], response: str | None, _c: Any
) -> Score:
    words = _text(str(params.get("textField", ""))).split()
    answers = {i for i, word in enumerate(words) if re.search(r"\*[^*]+\*", word)}
    if not answers:
        raise NotRescorable("no words to mark")
    marked = set(_indexes(response, len(words)))
    score = max(0, len(marked & answers) - len(marked - answers))
    return Score(Decimal(score), Decimal(len(answers)))


def _machine_name(library: Any) -> str:
    return str(library or "").split(" ")[0]


def _composite(
    children: list[Mapping[str, Any]], child_responses: Mapping[str, str]
) -> Score:
    raw = total = Decimal(0)
    scored = 0
    for child in children:
        name = _machine_name(child.get("library"))
        if name in NOT_SCORED:
            continue
        sub_id = str(child.get("subContentId", ""))
        if sub_id not in child_responses:
            raise NotRescorable(f"no answer for {name} {sub_id}")
        score = registry.rescore(
            name, child.get("params") or {}, child_responses[sub_id]
        )
        raw += score.raw
        total += score.max
        scored += 1
    if not scored:
        raise NotRescorable("nothing scorable inside")
    return Score(raw, total)


@registry.register("H5P.QuestionSet")
def rescore_question_set(
    params: Mapping[str, Any], _r: Any, children: Mapping[str, str]
) -> Score:
    return _composite(list(params.get("questions") or []), children)


@registry.register("H5P.Column")
def rescore_column(
    params: Mapping[str, Any], _r: Any, children: Mapping[str, str]
) -> Score:
    items = [item.get("content") or {} for item in params.get("content") or []]
    return _composite(items, children)
