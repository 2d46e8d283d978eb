"""Attempts: the server clock decides, submits are idempotent, answers are final."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import override

from assessments import results, services
from assessments.grading.models import Submission, SubmissionState
from assessments.models import (
    AppendOnlyError,
    Attempt,
    AttemptOverride,
    AttemptState,
    FinalisedBy,
    LateAnswer,
    ReleaseRule,
)
from lms.evidence.models import EvidenceRecord
from tests.assessments.builders import (
    all_true,
    centre_make,
    criterion_make,
    quiz_make,
    trainee_make,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with override("en"):
        yield


@pytest.fixture
def centre():
    return centre_make("R3")


@pytest.fixture
def trainee(centre):
    return trainee_make(centre, full_name="Siti Aminah Testperson")


def test_start_freezes_layout_and_deadline_and_resumes(centre, trainee):
    quiz = quiz_make(centre=centre, questions=4, time_limit_minutes=30)
    now = timezone.now()
    attempt = services.attempt_start(assessment=quiz, trainee=trainee, now=now)
    assert attempt.deadline_at == now + timedelta(minutes=30)
    assert [slot["slot"] for slot in attempt.layout] == [1, 2, 3, 4]
    assert attempt.answers.count() == 4
    again = services.attempt_start(assessment=quiz, trainee=trainee)
    assert again.pk == attempt.pk
    assert Attempt.objects.filter(assessment=quiz, trainee=trainee).count() == 1


def test_deadline_is_capped_by_closing_time(centre, trainee):
    now = timezone.now()
    quiz = quiz_make(
        centre=centre, time_limit_minutes=60, closes_at=now + timedelta(minutes=10)
    )
    attempt = services.attempt_start(assessment=quiz, trainee=trainee, now=now)
    assert attempt.deadline_at == quiz.closes_at


def test_start_names_every_problem(centre, trainee):
    now = timezone.now()
    quiz = quiz_make(
        centre=centre,
        status="draft",
        opens_at=now + timedelta(days=1),
        closes_at=now + timedelta(days=2),
    )
    with pytest.raises(ValidationError) as caught:
        services.attempt_start(assessment=quiz, trainee=trainee, now=now)
    assert caught.value.messages == [
        "This assessment is not open.",
        "This assessment has not opened yet.",
    ]
    assert not Attempt.objects.filter(assessment=quiz).exists()


def test_attempts_allowed_is_enforced(centre, trainee):
    quiz = quiz_make(centre=centre, questions=1, attempts_allowed=1)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee)
    services.attempt_submit(attempt=attempt, trainee=trainee, idempotency_key="k1")
    with pytest.raises(ValidationError, match="all 1 attempts"):
        services.attempt_start(assessment=quiz, trainee=trainee)


def test_double_submit_gives_one_attempt_and_one_grade(centre, trainee):
    quiz = quiz_make(centre=centre, questions=3)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee)
    responses = all_true(attempt)
    first = services.attempt_submit(
        attempt=attempt, trainee=trainee, responses=responses, idempotency_key="abc"
    )
    # The same key again, and a second tap with a new key but wrong answers.
    second = services.attempt_submit(
        attempt=attempt, trainee=trainee, responses=responses, idempotency_key="abc"
    )
    third = services.attempt_submit(
        attempt=attempt,
        trainee=trainee,
        responses=dict.fromkeys(responses, False),
        idempotency_key="other",
    )
    assert first.pk == second.pk == third.pk
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED
    assert attempt.score == Decimal("3.00")
    assert attempt.percent == Decimal("100.00")
    assert attempt.submit_key == "abc"
    assert Attempt.objects.filter(assessment=quiz, trainee=trainee).count() == 1


def test_submit_after_deadline_keeps_in_time_answers_only(centre, trainee):
    quiz = quiz_make(centre=centre, questions=2, time_limit_minutes=10)
    started = timezone.now() - timedelta(minutes=20)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee, now=started)
    # Slot 1 answered (correctly) in time; then the trainee goes silent.
    services.answers_save(
        attempt=attempt,
        trainee=trainee,
        responses={1: True},
        now=started + timedelta(minutes=5),
    )
    # Past the deadline and the 60 s grace: both answers arrive, both correct.
    services.attempt_submit(
        attempt=attempt,
        trainee=trainee,
        responses={1: False, 2: True},
        idempotency_key="late",
        now=started + timedelta(minutes=11, seconds=5),
    )
    attempt.refresh_from_db()
    assert attempt.finalised_by == FinalisedBy.DEADLINE
    assert attempt.score == Decimal("1.00")  # slot 1 as saved in time, slot 2 blank
    answers = {a.slot: a for a in attempt.answers.all()}
    assert answers[1].response is True
    assert answers[2].response is None
    late = LateAnswer.objects.filter(attempt=attempt).order_by("slot")
    assert [(a.slot, a.response) for a in late] == [(1, False), (2, True)]


def test_submit_within_grace_counts(centre, trainee):
    quiz = quiz_make(centre=centre, questions=1, time_limit_minutes=10)
    started = timezone.now() - timedelta(minutes=11)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee, now=started)
    services.attempt_submit(
        attempt=attempt,
        trainee=trainee,
        responses={1: True},
        idempotency_key="grace",
        now=started + timedelta(minutes=10, seconds=30),
    )
    attempt.refresh_from_db()
    assert attempt.finalised_by == FinalisedBy.TRAINEE
    assert attempt.score == Decimal("1.00")


def test_overdue_attempts_are_closed_with_saved_answers(centre, trainee):
    quiz = quiz_make(centre=centre, questions=2, time_limit_minutes=5)
    started = timezone.now() - timedelta(minutes=30)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee, now=started)
    services.answers_save(
        attempt=attempt, trainee=trainee, responses={2: True}, now=started
    )
    assert services.attempts_close_overdue() == 1
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.GRADED
    assert attempt.finalised_by == FinalisedBy.DEADLINE
    assert attempt.score == Decimal("1.00")


def test_bad_responses_are_all_named_and_nothing_saved(centre, trainee):
    quiz = quiz_make(centre=centre, questions=2)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee)
    with pytest.raises(ValidationError) as caught:
        services.answers_save(
            attempt=attempt, trainee=trainee, responses={99: True, "x": 1, 1: True}
        )
    assert len(caught.value.messages) == 2
    assert all("Unknown question" in m for m in caught.value.messages)
    assert not attempt.answers.filter(response__isnull=False).exists()


def test_saving_into_a_submitted_attempt_is_refused(centre, trainee):
    quiz = quiz_make(centre=centre, questions=1)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee)
    services.attempt_submit(
        attempt=attempt, trainee=trainee, responses={1: True}, idempotency_key="s"
    )
    with pytest.raises(services.AttemptClosed):
        services.answers_save(attempt=attempt, trainee=trainee, responses={1: False})
    assert attempt.answers.get().response is True


def test_another_trainee_cannot_use_an_attempt(centre, trainee):
    quiz = quiz_make(centre=centre, questions=1)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee)
    intruder = trainee_make(centre)
    with pytest.raises(ValidationError):
        services.attempt_submit(
            attempt=attempt, trainee=intruder, responses={1: False}, idempotency_key="i"
        )
    attempt.refresh_from_db()
    assert attempt.is_open


def test_essay_opens_a_submission_and_a_final_mark_grades(centre, trainee):
    quiz = quiz_make(centre=centre, questions=2, essays=1)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee)
    services.attempt_submit(
        attempt=attempt,
        trainee=trainee,
        responses={**all_true(attempt), 3: "Saya mendampingi keluarga."},
        idempotency_key="essay",
    )
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.SUBMITTED
    submission = Submission.objects.get(attempt=attempt)
    assert submission.state == SubmissionState.UNMARKED
    assert submission.points == Decimal("10.00")
    assert submission.candidate_code.startswith("K-")
    graded = results.answer_mark_final(answer=submission.answer, score=Decimal("7"))
    assert graded.state == AttemptState.GRADED
    assert graded.score == Decimal("9.00")
    assert graded.score_max == Decimal("12.00")
    with pytest.raises(AppendOnlyError):
        results.answer_mark_final(answer=submission.answer, score=Decimal("10"))


def test_manual_release_hides_the_result_until_released(centre, trainee, user_by_email):
    quiz = quiz_make(centre=centre, questions=1, feedback_release=ReleaseRule.MANUAL)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee)
    services.attempt_submit(
        attempt=attempt, trainee=trainee, responses={1: True}, idempotency_key="r"
    )
    attempt.refresh_from_db()
    assert not results.result_visible(attempt)
    staff = user_by_email("penyelenggara.r3@lms.example")
    results.attempt_release(attempt=attempt, released_by=staff)
    assert results.result_visible(attempt)


def test_override_needs_a_reason_and_keeps_the_original(centre, trainee, user_by_email):
    quiz = quiz_make(centre=centre, questions=2)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee)
    services.attempt_submit(
        attempt=attempt, trainee=trainee, responses={1: True}, idempotency_key="o"
    )
    staff = user_by_email("penyelenggara.r3@lms.example")
    with pytest.raises(ValidationError, match="A reason is required"):
        results.attempt_override(
            attempt=attempt, new_score=Decimal(2), reason="  ", changed_by=staff
        )
    attempt.refresh_from_db()
    assert attempt.score == Decimal("1.00")
    assert not AttemptOverride.objects.filter(attempt=attempt).exists()

    row = results.attempt_override(
        attempt=attempt,
        new_score=Decimal(2),
        reason="Kunci jawaban soal 2 keliru.",
        changed_by=staff,
    )
    attempt.refresh_from_db()
    assert attempt.score == Decimal("2.00")
    assert attempt.passed is True
    assert (row.old_score, row.new_score, row.old_passed) == (
        Decimal("1.00"),
        Decimal("2.00"),
        False,
    )
    assert row.changed_by == staff


def test_graded_attempt_becomes_evidence_per_criterion(
    centre, trainee, django_capture_on_commit_callbacks
):
    criterion = criterion_make()
    quiz = quiz_make(centre=centre, questions=2, pass_mark=50)
    for item in quiz.sections.get().items.all():
        item.question.criteria.add(criterion)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee)
    with django_capture_on_commit_callbacks(execute=True):
        services.attempt_submit(
            attempt=attempt, trainee=trainee, responses={1: True}, idempotency_key="e"
        )
    evidence = EvidenceRecord.objects.get(trainee=trainee, criterion=criterion)
    assert evidence.outcome == "met"  # 1 of 2 = 50 %, pass mark 50 %
    assert (evidence.score, evidence.score_max) == (Decimal("1.000"), Decimal("2.000"))
    assert evidence.verified is True
    assert str(attempt.uuid) in evidence.source_uri


def test_close_overdue_attempts_command(centre, trainee):
    from io import StringIO

    from django.core.management import call_command

    quiz = quiz_make(centre=centre, questions=1, time_limit_minutes=1)
    started = timezone.now() - timedelta(minutes=10)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee, now=started)
    out = StringIO()
    call_command("close_overdue_attempts", stdout=out)
    assert out.getvalue().strip() == "1"
    attempt.refresh_from_db()
    assert attempt.finalised_by == FinalisedBy.DEADLINE
