"""H5P.TrueFalse ("True/False Question").

Response: "true" or "false", the option the trainee chose; "" when unanswered.
Correct answer: content.json `correct`, the string "true" or "false" (the player
defaults to "true"). One point.

Source: h5p/h5p-true-false, scripts/h5p-true-false.js (1.8),
`addResponseToXAPI`: response = isCorrect ? getCorrectAnswer() : getWrongAnswer(),
left empty when getCurrentState().answer is undefined; MAX_SCORE = 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from courses.h5p.core.rescoring import NotRescorable, Rescorer, Score


class TrueFalseRescorer(Rescorer):
    """One point when the chosen option is the correct one."""

    machine_name = "H5P.TrueFalse"

    def rescore(
        self,
        params: Mapping[str, Any],
        response: str | None,
        children: Mapping[str, str],
    ) -> Score:
        """See the module docstring."""
        correct = params.get("correct", "true")
        if correct not in ("true", "false"):
            raise NotRescorable("correct must be 'true' or 'false'")
        if response is None or response == "":
            return Score.of(0, 1)
        if response not in ("true", "false"):
            raise NotRescorable("the response must be 'true' or 'false'")
        return Score.of(1 if response == correct else 0, 1)
