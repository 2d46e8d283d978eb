"""Grading: blind, scoped to the grader's university, conflicts not overwrites."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments import services
from assessments.grading import services as grading
from assessments.grading.models import Mark, Submission, SubmissionState
from assessments.models import (
    Answer,
    Attempt,
    AttemptState,
    ReleaseRule,
    Rubric,
    RubricCriterion,
    RubricLevel,
)
from lms.models import Organisation
from lms.services import profile_set_nik
from tests.assessments.builders import centre_make, quiz_make, trainee_make
from tests.factories import valid_nik

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
def university_b(user_by_email):
    return user_by_email(GRADER_B).memberships.get(role="grader").organisation


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


def test_two_graders_saving_the_same_submission_one_gets_409(
    client, centre, trainee, university_a, user_by_email, staff_client
):
    from lms.services import membership_grant

    submission = _essay_submission(centre, trainee, university_a)
    second = trainee_make(centre)  # any account, made a grader of university A
    membership_grant(user=second, organisation=university_a, role="grader")
    first = user_by_email(GRADER_A)
    grading.submission_claim(submission=submission, grader=first)
    submission.refresh_from_db()
    version = submission.version

    first_client = staff_client(GRADER_A)
    url = f"/api/v1/grading/submissions/{submission.candidate_code}/mark"
    ok = first_client.post(
        url,
        {"version": version, "score": "4", "feedback": "Cukup."},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    # The other grader's save started from the same version: refused.
    from django.test import Client

    from tests.factories import totp_enrol

    totp_enrol(second)
    other = Client()
    other.force_login(second)
    stale = other.post(
        url,
        {"version": version, "score": "9"},
        content_type="application/json",
    )
    assert stale.status_code == 409
    submission.refresh_from_db()
    assert [m.score for m in Mark.objects.filter(submission=submission)] == [
        Decimal("4.00")
    ]
    # Same grader, stale version (a second tab): also a conflict.
    again = first_client.post(
        url, {"version": version, "score": "5"}, content_type="application/json"
    )
    assert again.status_code == 409


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


def test_incomplete_rubric_names_every_missing_criterion(
    centre, trainee, university_a, user_by_email
):
    from django.core.exceptions import ValidationError

    submission = _essay_submission(centre, trainee, university_a)
    grader = user_by_email(GRADER_A)
    grading.submission_claim(submission=submission, grader=grader)
    submission.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        grading.mark_save(
            submission=submission,
            grader=grader,
            expected_version=submission.version,
            levels={"0": 1},
            final=True,
        )
    assert len(caught.value.messages) == 2
    assert not Mark.objects.filter(submission=submission).exists()


def test_other_university_gets_404_everywhere(
    centre, trainee, university_a, staff_client
):
    submission = _essay_submission(centre, trainee, university_a)
    client = staff_client(GRADER_B)
    code = submission.candidate_code
    for method, url in [
        ("get", f"/api/v1/grading/submissions/{code}"),
        ("post", f"/api/v1/grading/submissions/{code}/claim"),
        ("post", f"/api/v1/grading/submissions/{code}/mark"),
    ]:
        response = getattr(client, method)(
            url, {"version": 1, "score": "1"}, content_type="application/json"
        )
        assert response.status_code == 404, url
    queue = client.get("/api/v1/grading/queue").json()
    assert code not in json.dumps(queue)
    submission.refresh_from_db()
    assert submission.claimed_by_id is None


def test_grader_responses_never_name_the_trainee(
    centre, trainee, university_a, staff_client
):
    nik = valid_nik("32")
    profile_set_nik(user=trainee, nik=nik)
    submission = _essay_submission(centre, trainee, university_a)
    client = staff_client(GRADER_A)
    code = submission.candidate_code
    bodies = [
        client.get("/api/v1/grading/queue").content,
        client.get(f"/api/v1/grading/submissions/{code}").content,
        client.post(f"/api/v1/grading/submissions/{code}/claim").content,
    ]
    submission.refresh_from_db()
    bodies.append(
        client.post(
            f"/api/v1/grading/submissions/{code}/mark",
            {"version": submission.version, "score": "3"},
            content_type="application/json",
        ).content
    )
    assert code.encode() in bodies[0]
    for body in bodies:
        for secret in (NAME, EMAIL, nik, NAME.split()[0]):
            assert secret.encode() not in body


@pytest.mark.parametrize("backlog", [100, 100_000])
def test_grader_queue_queries_do_not_grow(
    backlog, centre, trainee, university_a, staff_client
):
    quiz = quiz_make(centre=centre, questions=0, essays=1)
    section = quiz.sections.get()
    now = timezone.now()
    attempt = Attempt.objects.create(
        assessment=quiz,
        trainee=trainee,
        number=1,
        seed=1,
        started_at=now,
        submitted_at=now,
        state=AttemptState.SUBMITTED,
    )
    Answer.objects.bulk_create(
        [
            Answer(attempt=attempt, slot=i, section=section, points=10)
            for i in range(1, backlog + 1)
        ],
        batch_size=1000,
    )
    answer_ids = Answer.objects.filter(attempt=attempt).values_list("pk", flat=True)
    Submission.objects.bulk_create(
        [
            Submission(
                answer_id=answer_id,
                attempt=attempt,
                assessment=quiz,
                centre=centre,
                university=university_a,
                candidate_code=f"K-{answer_id:08X}",
                points=10,
                submitted_at=now,
            )
            for answer_id in answer_ids.iterator()
        ],
        batch_size=1000,
    )
    client = staff_client(GRADER_A)
    client.get("/api/v1/grading/queue")  # warm the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/grading/queue")
    assert response.status_code == 200
    body = response.json()
    assert len(body["items"]) == 50
    assert body["has_next"] is True
    assert len(queries) <= 8, [q["sql"][:100] for q in queries]
    QUEUE_QUERIES[backlog] = len(queries)
    if len(QUEUE_QUERIES) == 2:
        assert QUEUE_QUERIES[100] == QUEUE_QUERIES[100_000]


QUEUE_QUERIES: dict[int, int] = {}


def test_allocation_only_to_a_university(centre, trainee, university_a):
    from django.core.exceptions import ValidationError

    submission = _essay_submission(centre, trainee, university_a)
    with pytest.raises(ValidationError):
        grading.submissions_allocate(
            submissions=[submission], university=Organisation.objects.get(code="R2")
        )
