"""Questions read from (or written to) a file, before they touch the database.

The GIFT and Moodle XML readers both produce a `ParseResult`; each question's
`data` is in the shape its type in `assessments.questions.types` documents, so a
problem in the file and a problem in the definition are reported the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from assessments.questions.types import question_types

TEXT_FORMATS = ("html", "plain", "markdown")


@dataclass
class ParsedQuestion:
    """One question as a file describes it (no database identity)."""

    name: str
    text: str
    kind: str
    data: dict[str, Any]
    text_format: str = "html"
    points: Decimal = Decimal(1)
    general_feedback: str = ""
    tags: list[str] = field(default_factory=list)
    idnumber: str = ""
    category: str = ""
    # Where the question is in its file (its line, and its 1-based number among
    # the file's questions); not part of the question's content.
    line: int | None = field(default=None, compare=False)
    number: int | None = field(default=None, compare=False)


@dataclass
class QuestionProblem:
    """Every problem found with one question (index 0: the file as a whole)."""

    index: int
    line: int | None
    name: str
    messages: list[str]

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.name:
            where.append(f"'{self.name}'")
        place = f" ({', '.join(where)})" if where else ""
        head = f"Question {self.index}" if self.index else "File"
        return f"{head}{place}: " + " ".join(self.messages)


@dataclass
class ParseResult:
    """The questions a file holds and every problem found, all at once."""

    questions: list[ParsedQuestion] = field(default_factory=list)
    problems: list[QuestionProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def definition_problems(question: ParsedQuestion) -> list[str]:
    """What the question's type says is wrong with its definition."""
    try:
        question_type = question_types.get(question.kind)
    except LookupError as error:
        return [str(error)]
    return question_type.problems(question.data)


def letter_id(index: int) -> str:
    """Choice ids in file order: a, b, … z, aa, ab, … (formats carry no ids)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


_TAG = re.compile(r"<[^>]*>")


def name_from_text(text: str, *, limit: int = 40) -> str:
    """A question name made from its text, as Moodle does when a file has none."""
    plain = " ".join(_TAG.sub(" ", text).split())
    return plain[:limit].rstrip() or "?"
