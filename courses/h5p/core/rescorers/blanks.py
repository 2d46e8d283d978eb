"""H5P.Blanks ("Fill in the Blanks").

Content: `questions` is a list of HTML texts in which each blank is written
between asterisks: `*answer*`, alternatives separated by "/" (`*Jakarta/DKI*`),
and a tip after ":" (`*1945:the year*`). Entities in answers are decoded.

Response: what the trainee typed into each blank, in order, joined by "[,]":
"Jakarta[,]1945" (an empty blank gives an empty item).

Scoring: 1 point per blank whose trimmed input equals one of its alternatives;
`behaviour.caseSensitive` [true] decides whether letter case matters, and
`behaviour.acceptSpellingErrors` [false] also accepts answers within a small
Damerau-Levenshtein distance (2 edits for answers longer than 9 characters, 1
for answers longer than 3), exactly as the player's rule. Max = number of blanks.

Source: h5p/h5p-blanks, js/blanks.js (`handleBlanks`, `parseSolution`,
`getxAPIResponse` = getCurrentState().join('[,]'), `getScore`) and js/cloze.js
(`correct`, `getUserAnswer`), versions 1.12 (the sample package) and 1.14;
the distance from H5P.TextUtilities 1.3 `computeLevenshteinDistance(a, b, true)`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from courses.h5p.core.rescorers._text import behaviour_of, js_trim
from courses.h5p.core.rescoring import NotRescorable, Rescorer, Score, split_response

# Non-overlapping *...* pairs, left to right; "**" is not a blank.
_BLANK = re.compile(r"\*([^*]*)\*")


def blank_solutions(params: Mapping[str, Any]) -> list[list[str]]:
    """The accepted answers of every blank, in the order the player numbers them."""
    questions = params.get("questions")
    if not isinstance(questions, list):
        raise NotRescorable("questions is not a list")
    blanks = []
    for question in questions:
        if not question:
            continue  # the player drops empty questions
        if not isinstance(question, str):
            raise NotRescorable("a question is not text")
        for match in _BLANK.finditer(question):
            inner = match.group(1)
            if not inner:
                continue
            solution = inner.split(":", 1)[0]  # ":" starts the tip
            blanks.append(
                [js_trim(html.unescape(js_trim(part))) for part in solution.split("/")]
            )
    return blanks


def edit_distance(first: str, second: str) -> int:
    """Optimal-string-alignment distance, as H5P.TextUtilities computes it."""
    if first == second:
        return 0
    if not first or not second:
        return len(first) or len(second)
    previous2: list[int] = []
    previous = list(range(len(second) + 1))
    for i in range(1, len(first) + 1):
        current = [i] + [0] * len(second)
        for j in range(1, len(second) + 1):
            cost = 0 if first[i - 1] == second[j - 1] else 1
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost
            )
            if (
                i > 1
                and j > 1
                and first[i - 1] == second[j - 2]
                and first[i - 2] == second[j - 1]
            ):
                current[j] = min(current[j], previous2[j - 2] + cost)
        previous2, previous = previous, current
    return previous[-1]


def _accepted(typed: str, solutions: list[str], behaviour: Mapping[str, Any]) -> bool:
    if behaviour.get("caseSensitive", True) is not True:
        typed = typed.lower()
        solutions = [solution.lower() for solution in solutions]
    tolerant = behaviour.get("acceptSpellingErrors") is True
    for solution in solutions:
        if tolerant:
            distance = edit_distance(typed, solution)
            if (len(solution) > 9 and distance <= 2) or (
                len(solution) > 3 and distance <= 1
            ):
                return True
        if typed == solution:
            return True
    return False


class BlanksRescorer(Rescorer):
    """One point per blank filled with an accepted answer."""

    machine_name = "H5P.Blanks"

    def rescore(
        self,
        params: Mapping[str, Any],
        response: str | None,
        children: Mapping[str, str],
    ) -> Score:
        """See the module docstring."""
        blanks = blank_solutions(params)
        if not blanks:
            raise NotRescorable("no blanks")
        behaviour = behaviour_of(params)
        items = split_response(response)
        if items is None:
            items = [""] * len(blanks)
        if len(items) != len(blanks):
            raise NotRescorable(f"{len(items)} answers for {len(blanks)} blanks")
        right = sum(
            _accepted(js_trim(typed.replace("&nbsp;", " ")), solutions, behaviour)
            for typed, solutions in zip(items, blanks, strict=True)
        )
        return Score.of(right, len(blanks))
