"""Builders for assessment tests: a centre, a trainee, a published quiz.

Self-sufficient (they create their own organisations when the demo world is not
loaded), so transactional tests that flush the database can use them too.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from assessments.models import (
    Assessment,
    AssessmentStatus,
    Question,
    QuestionBank,
    QuestionVersion,
    Section,
    SectionItem,
)
from lms.models import Membership, Organisation, OrganisationKind, Role, User
from tests.factories import UserFactory

_serial = itertools.count(1)


def centre_make(code: str = "R3") -> Organisation:
    centre, _ = Organisation.objects.get_or_create(
        code=code,
        defaults={
            "kind": OrganisationKind.CENTRE,
            "name": f"BBPPKS {code}",
            "short_name": f"BBPPKS {code}",
        },
    )
    return centre


def trainee_make(centre: Organisation, **kwargs) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.get_or_create(user=user, organisation=centre, role=Role.TRAINEE)
    return user


def version_make(
    bank: QuestionBank, kind: str, data: dict, *, text: str = "", points=1
) -> QuestionVersion:
    n = next(_serial)
    question = Question.objects.create(bank=bank, name=f"Soal {n}", kind=kind)
    version = QuestionVersion.objects.create(
        question=question,
        number=1,
        kind=kind,
        text=text or f"Pertanyaan nomor {n}?",
        data=data,
        points=Decimal(points),
    )
    question.current_version = version
    question.save(update_fields=["current_version"])
    return version


def true_false(answer: bool = True) -> dict:
    return {"answer": answer, "feedback_true": "", "feedback_false": ""}


def single_choice() -> dict:
    return {
        "choices": [
            {"id": "a", "text": "Benar", "fraction": 1.0, "feedback": "Tepat."},
            {"id": "b", "text": "Salah", "fraction": 0.0, "feedback": ""},
            {"id": "c", "text": "Ragu", "fraction": 0.0, "feedback": ""},
        ],
        "shuffle": True,
    }


def essay() -> dict:
    return {
        "response_format": "text",
        "min_words": 0,
        "max_words": 0,
        "grader_info": "Cari tiga langkah pendampingan.",
        "response_template": "",
    }


def quiz_make(
    *,
    centre: Organisation | None = None,
    questions: int = 5,
    essays: int = 0,
    status: str = AssessmentStatus.PUBLISHED,
    **fields,
) -> Assessment:
    """A published quiz: `questions` true/false items (answer True), then essays."""
    centre = centre or centre_make()
    n = next(_serial)
    assessment = Assessment.objects.create(
        centre=centre,
        code=fields.pop("code", f"KUIS-{n}"),
        title=fields.pop("title", f"Kuis {n}"),
        status=status,
        **fields,
    )
    bank = QuestionBank.objects.create(centre=centre, title=f"Bank {n}")
    section = Section.objects.create(
        assessment=assessment, position=1, title="Bagian A", instrument="quiz"
    )
    position = itertools.count(1)
    for _ in range(questions):
        version = version_make(bank, "true_false", true_false(True))
        SectionItem.objects.create(
            section=section, position=next(position), question=version.question
        )
    for _ in range(essays):
        version = version_make(bank, "essay", essay(), points=10)
        SectionItem.objects.create(
            section=section, position=next(position), question=version.question
        )
    return assessment


def all_true(attempt) -> dict[int, bool]:
    """Correct responses for every true/false slot of an attempt."""
    return {
        answer.slot: True
        for answer in attempt.answers.select_related("question_version")
        if answer.question_version and answer.question_version.kind == "true_false"
    }


def criterion_make(code: str = "J.620100.077.01"):
    """A KUK 1.1 under a fresh test unit."""
    from lms.models import CompetencyElement, PerformanceCriterion
    from tests.courses.helpers import unit_make

    unit = unit_make(code)
    element = CompetencyElement.objects.create(
        unit=unit, number=1, title="Melakukan pendampingan"
    )
    return PerformanceCriterion.objects.create(
        element=element, number="1.1", position=1, text="Keluarga diidentifikasi"
    )
