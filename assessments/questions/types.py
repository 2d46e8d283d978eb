"""The question-type registry: how each kind is defined, shown, answered and graded.

A `QuestionVersion` stores its definition as JSON (`data`) in the shape its type
documents; the type checks a definition (`problems`), checks a trainee's answer
(`response_problems`), grades it as a fraction 0..1 (`grade`; None when a person
marks it), and gives the browser only what it may see (`public_data`: never the
correct answers). Built-in types are registered in `AssessmentsConfig.ready()`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from django.utils.translation import gettext

FOUR_PLACES = Decimal("0.0001")


def clamp_fraction(value: Decimal | float | int) -> Decimal:
    """A fraction limited to 0..1 and quantised to four places."""
    fraction = min(max(Decimal(str(value)), Decimal(0)), Decimal(1))
    return fraction.quantize(FOUR_PLACES, ROUND_HALF_UP)


class QuestionType:
    """The interface every registered question type meets."""

    kind: ClassVar[str]
    label: ClassVar[Any]
    manual: ClassVar[bool] = False

    def problems(self, data: dict[str, Any]) -> list[str]:
        """Every problem with a definition ([] when valid)."""
        return []

    def response_problems(self, data: dict[str, Any], response: Any) -> list[str]:
        """Problems with the shape of a trainee's answer ([] when acceptable)."""
        return []

    def grade(self, data: dict[str, Any], response: Any) -> Decimal | None:
        """The fraction 0..1 earned; None when a person must mark it."""
        raise NotImplementedError

    def public_data(
        self, data: dict[str, Any], *, rng: random.Random
    ) -> dict[str, Any]:
        """What the trainee's browser may see (no answers, fractions or notes)."""
        return {}

    def feedback(self, data: dict[str, Any], response: Any) -> str:
        """Feedback on the given answer, shown when review is released."""
        return ""


class QuestionTypeRegistry:
    """Question types by kind; `register()` refuses a second type of the same kind."""

    def __init__(self) -> None:
        self._types: dict[str, QuestionType] = {}

    def register(self, cls: type[QuestionType]) -> type[QuestionType]:
        if cls.kind in self._types:
            raise ValueError(f"Question type {cls.kind!r} is already registered.")
        self._types[cls.kind] = cls()
        return cls

    def get(self, kind: str) -> QuestionType:
        try:
            return self._types[kind]
        except KeyError:
            raise LookupError(
                gettext("Unknown question type %(kind)s.") % {"kind": kind}
            ) from None

    def kinds(self) -> list[str]:
        return list(self._types)

    def __contains__(self, kind: object) -> bool:
        return kind in self._types

    def __iter__(self) -> Iterator[QuestionType]:
        return iter(self._types.values())


question_types = QuestionTypeRegistry()
