"""H5P.MultiChoice ("Multiple Choice").

Response: the indexes of the chosen answers, in content.json order (the player
maps shuffled positions back to the original order), joined by "[,]": "0[,]2";
"" when nothing was chosen.

Scoring, as the player does it (behaviour defaults in brackets):
- `behaviour.type` ["auto"]: "single" (radio buttons) when exactly one answer is
  correct or type is "single"; otherwise several may be chosen.
- single answer: 1 point if the chosen answer is correct, else 0; max 1.
- several answers: each chosen correct answer adds its weight [1], each chosen
  wrong one subtracts its weight, never below 0; choosing nothing when no answer
  is correct earns the question's weight. Max = the sum of correct weights.
- `behaviour.singlePoint` [true in the player; the editor writes false unless
  ticked]: with several answers, 1 point if the percentage above reaches
  `behaviour.passPercentage` [100], else 0; max 1.

A question `weight` other than 1 is not something the editor writes and the
player treats it inconsistently, so such content is not re-scored.

Source: h5p/h5p-multi-choice, js/multichoice.js (1.14 and 1.16): `calcScore`,
`calculateMaxScore`, `getMaxScore`, `addResponseToXAPI` (response built from
params.userAnswers through idMap), the single-answer branch of `toggleCheck`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from courses.h5p.core.rescorers._text import behaviour_of, indexes, number
from courses.h5p.core.rescoring import NotRescorable, Rescorer, Score, split_response


class MultiChoiceRescorer(Rescorer):
    """Points for chosen correct answers, minus points for chosen wrong ones."""

    machine_name = "H5P.MultiChoice"

    def rescore(
        self,
        params: Mapping[str, Any],
        response: str | None,
        children: Mapping[str, str],
    ) -> Score:
        """See the module docstring."""
        answers = params.get("answers")
        if not isinstance(answers, list) or not answers:
            raise NotRescorable("no answers")
        if not all(isinstance(answer, Mapping) for answer in answers):
            raise NotRescorable("an answer is not an object")
        if "weight" in params and number(params["weight"], "weight") != 1:
            raise NotRescorable("a question weight other than 1")
        behaviour = behaviour_of(params)
        correct = [bool(answer.get("correct")) for answer in answers]
        weights = [number(answer.get("weight", 1), "weight") for answer in answers]
        if any(weight < 0 for weight in weights):
            raise NotRescorable("a negative answer weight")
        kind = behaviour.get("type", "auto")
        if kind == "auto":
            single = correct.count(True) == 1
        elif kind in ("single", "multi"):
            single = kind == "single"
        else:
            raise NotRescorable(f"unknown question type {kind!r}")

        chosen = indexes(split_response(response) or [], len(answers))
        if single:
            if len(chosen) > 1:
                raise NotRescorable("several answers to a single-answer question")
            return Score.of(1 if chosen and correct[chosen[0]] else 0, 1)

        blank_is_correct = not any(correct)
        full = (
            Decimal(1)
            if blank_is_correct
            else sum(
                (w for w, c in zip(weights, correct, strict=True) if c), Decimal(0)
            )
        )
        raw = sum(
            (weights[i] if correct[i] else -weights[i] for i in chosen), Decimal(0)
        )
        raw = max(raw, Decimal(0))
        if not chosen and blank_is_correct:
            raw = Decimal(1)
        if behaviour.get("singlePoint", True):
            needed = number(behaviour.get("passPercentage", 100), "passPercentage")
            # The player divides by the full score; 0 gives NaN there, i.e. 0.
            passed = full > 0 and raw * 100 / full >= needed
            return Score.of(1 if passed else 0, 1)
        return Score(raw, full)
