"""Builders for grading tests: rubrics, essay and assignment submissions, graders.

Essay submissions go through the real `attempt_submit`; assignment submissions
(with uploaded files) are built row by row, as `attempt_submit` would leave them.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from assessments import services as assessment_services
from assessments.grading import services as grading
from assessments.grading.models import Submission
from assessments.models import (
    Answer,
    AnswerFile,
    Assessment,
    AssessmentStatus,
    Attempt,
    AttemptState,
    Rubric,
    RubricCriterion,
    RubricLevel,
    Section,
)
from lms.models import Organisation, User
from lms.services import membership_grant, profile_set_nik
from tests.assessments.builders import quiz_make, trainee_make
from tests.factories import UserFactory, totp_enrol, valid_nik

GRADER_A = "penilai.unhas@lms.example"
GRADER_B = "penilai.poltekesos@lms.example"
CENTRE_ADMIN = "penyelenggara.r3@lms.example"
CENTRAL_ADMIN = "admin.pusat@lms.example"
# A trainee whose name, email and NIK must never reach a grader.
NAME = "Zulaikha Pratiwiningsih Anggraeni"
EMAIL = "zulaikha.anggraeni@lms.example"
ORIGINAL_FILE_NAME = "Tugas_Zulaikha_Anggraeni_NIK.pdf"

_serial = itertools.count(1)


def university_of(email: str) -> Organisation:
    user = User.objects.get(email=email)
    return user.memberships.get(role="grader").organisation


def grader_make(university: Organisation) -> User:
    """Another active grader of a university (TOTP enrolled)."""
    user = UserFactory()
    membership_grant(user=user, organisation=university, role="grader")
    totp_enrol(user)
    return user


def client_for(user: User) -> Client:
    totp_enrol(user)
    client = Client()
    client.force_login(user)
    return client


def secret_trainee(centre: Organisation) -> tuple[User, str]:
    """A trainee with a distinctive name, email and NIK; returns (user, nik)."""
    trainee = trainee_make(centre, full_name=NAME, email=EMAIL)
    nik = valid_nik("32")
    profile_set_nik(user=trainee, nik=nik)
    return trainee, nik


def rubric_make(centre: Organisation, *, points=(0, 3, 5), rows=("Isi", "Bahasa")):
    """A rubric: each row has levels worth `points` (a 2×3 grid, max 10)."""
    rubric = Rubric.objects.create(centre=centre, title=f"Rubrik {next(_serial)}")
    for position, title in enumerate(rows, start=1):
        row = RubricCriterion.objects.create(
            rubric=rubric, position=position, title=title
        )
        for level, value in enumerate(points, start=1):
            RubricLevel.objects.create(
                criterion=row,
                position=level,
                title=f"Tingkat {level}",
                descriptor=f"Deskriptor {title} {level}",
                points=Decimal(value),
            )
    return rubric


def levels_for(rubric: Rubric, *points: int) -> dict[str, int]:
    """{criterion id: level id} choosing, row by row, the level worth `points`
    (fewer points than rows leave the last rows unchosen, as in a draft)."""
    rows = rubric.criteria.order_by("position")
    return {
        str(c.pk): c.levels.get(points=value).pk
        for c, value in zip(rows, points, strict=False)
    }


def essay_submission(
    centre: Organisation,
    trainee: User,
    university: Organisation | None,
    *,
    context: str = "",
    **quiz_fields,
) -> Submission:
    """A submitted essay-only attempt (10 points, with a rubric) and its submission."""
    quiz = quiz_make(centre=centre, questions=0, essays=1, **quiz_fields)
    rubric = rubric_make(centre)
    question = quiz.sections.get().items.get().question
    question.rubric = rubric
    question.save(update_fields=["rubric"])
    attempt = assessment_services.attempt_start(
        assessment=quiz, trainee=trainee, context=context
    )
    assessment_services.attempt_submit(
        attempt=attempt,
        trainee=trainee,
        responses={1: "Tiga langkah pendampingan keluarga penerima manfaat."},
        idempotency_key=f"grading-{attempt.pk}",
    )
    submission = Submission.objects.get(attempt=attempt)
    if university is not None:
        grading.submissions_allocate(submissions=[submission], university=university)
    submission.refresh_from_db()
    return submission


def assignment_submission(
    centre: Organisation, trainee: User, university: Organisation | None
) -> Submission:
    """A submitted assignment (a file upload, marked with the section's rubric)."""
    n = next(_serial)
    assessment = Assessment.objects.create(
        centre=centre,
        code=f"TUGAS-{n}",
        title=f"Tugas {n}",
        status=AssessmentStatus.PUBLISHED,
    )
    section = Section.objects.create(
        assessment=assessment,
        position=1,
        instrument="assignment",
        instructions="Unggah rencana pendampingan.",
        points=10,
        rubric=rubric_make(centre),
    )
    now = timezone.now()
    attempt = Attempt.objects.create(
        assessment=assessment,
        trainee=trainee,
        number=1,
        seed=1,
        started_at=now,
        submitted_at=now,
        state=AttemptState.SUBMITTED,
        score_max=10,
    )
    answer = Answer.objects.create(
        attempt=attempt,
        slot=1,
        section=section,
        response={"note": "Terlampir."},
        points=10,
        needs_marking=True,
    )
    upload = AnswerFile(
        answer=answer,
        original_name=ORIGINAL_FILE_NAME,
        size=11,
        sha256="0" * 64,
        content_type="application/pdf",
    )
    upload.file.save(ORIGINAL_FILE_NAME, ContentFile(b"%PDF-1.4 ok"), save=False)
    upload.save()
    submission = Submission.objects.create(
        answer=answer,
        attempt=attempt,
        assessment=assessment,
        centre=centre,
        points=10,
        submitted_at=now,
    )
    if university is not None:
        grading.submissions_allocate(submissions=[submission], university=university)
    submission.refresh_from_db()
    return submission
