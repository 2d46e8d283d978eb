"""Grading as the trainee meets it (the workflow itself: tests/grading/)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessments import services
from assessments.grading import services as grading
from assessments.grading.models import Submission, SubmissionState
from assessments.models import (
    Attempt,
    AttemptState,
    ReleaseRule,
    Rubric,
    RubricCriterion,
    RubricLevel,
)
from lms.models import Organisation
from tests.assessments.builders import centre_make, quiz_make, trainee_make

GRADER_A = "penilai.unhas@lms.example"
GRADER_B = "penilai.poltekesos@lms.example"
NAME = "Zulaikha Pratiwiningsih"
EMAIL = "zulaikha.pratiwi@lms.example"


@pytest.fixture
def centre(db):
    return centre_make("R3")


@pytest.fixture
def university_a(user_by_email):
    return user_by_email(GRADER_A).memberships.get(role="grader").organisation


@pytest.fixture
def trainee(centre):
    return trainee_make(centre, full_name=NAME, email=EMAIL)


def _rubric(centre, quiz):
    rubric = Rubric.objects.create(centre=centre, title="Rubrik esai")
    for position, title in enumerate(["Isi", "Bahasa"], start=1):
        row = RubricCriterion.objects.create(
            rubric=rubric, position=position, title=title
        )
        for level, points in enumerate([0, 3, 5], start=1):
            RubricLevel.objects.create(
                criterion=row,
                position=level,
                title=f"Tingkat {level}",
                descriptor=f"Deskripsi {level}",
                points=Decimal(points),
            )
    for item in quiz.sections.get().items.all():
        if item.question.kind == "essay":
            item.question.rubric = rubric
            item.question.save(update_fields=["rubric"])
    return rubric


def _essay_submission(centre, trainee, university, **quiz_fields) -> Submission:
    quiz = quiz_make(centre=centre, questions=1, essays=1, **quiz_fields)
    _rubric(centre, quiz)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee)
    services.attempt_submit(
        attempt=attempt,
        trainee=trainee,
        responses={1: True, 2: "Langkah pendampingan keluarga penerima manfaat."},
        idempotency_key=f"essay-{attempt.pk}",
    )
    submission = Submission.objects.get(attempt=attempt)
    grading.submissions_allocate(submissions=[submission], university=university)
    submission.refresh_from_db()
    return submission


def test_rubric_mark_grades_the_attempt_and_trainee_sees_feedback_on_release(
    client, centre, trainee, university_a, user_by_email
):
    submission = _essay_submission(
        centre, trainee, university_a, feedback_release=ReleaseRule.MANUAL
    )
    grader = user_by_email(GRADER_A)
    grading.submission_claim(submission=submission, grader=grader)
    submission.refresh_from_db()
    rubric = submission.answer.question_version.question.rubric
    levels = {
        str(c.pk): c.levels.order_by("-points").first().pk
        for c in rubric.criteria.all()
    }
    grading.mark_save(
        submission=submission,
        grader=grader,
        expected_version=submission.version,
        levels=levels,
        feedback="Uraian lengkap dan runtut.",
        final=True,
    )
    attempt = Attempt.objects.get(pk=submission.attempt_id)
    assert attempt.state == AttemptState.GRADED
    assert attempt.score == Decimal("11.00")  # 1 (true/false) + 5 + 5
    client.force_login(trainee)
    hidden = client.get(f"/asesmen/percobaan/{attempt.uuid}/hasil/")
    assert b"Uraian lengkap" not in hidden.content
    grading.attempts_release(
        attempts=[attempt], released_by=user_by_email("penyelenggara.r3@lms.example")
    )
    shown = client.get(f"/asesmen/percobaan/{attempt.uuid}/hasil/")
    assert b"Uraian lengkap dan runtut." in shown.content
    assert b"11 / 11" in shown.content
    submission.refresh_from_db()
    assert submission.state == SubmissionState.RELEASED


def test_allocation_only_to_a_university(centre, trainee, university_a):
    from django.core.exceptions import ValidationError

    submission = _essay_submission(centre, trainee, university_a)
    with pytest.raises(ValidationError):
        grading.submissions_allocate(
            submissions=[submission], university=Organisation.objects.get(code="R2")
        )
