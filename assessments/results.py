"""Results of attempts: grading, release, overrides, and evidence into `lms`.

An attempt is graded once every slot has a score (the machine's on submit, a
person's through the grading workflow). Its result then becomes evidence per
mapped performance criterion (KUK) through `lms.evidence.services`, in a
background task queued when the transaction commits, so a submit stays within its
query budget and a retried task adds nothing (the evidence log is idempotent by
key).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.models import (
    Answer,
    AppendOnlyError,
    Attempt,
    AttemptOverride,
    AttemptState,
    ReleaseRule,
)
from assessments.signals import attempt_graded
from lms.models import User

CENTS = Decimal("0.01")


def fraction_score(fraction: Decimal, points: Decimal) -> Decimal:
    """Points earned for a fraction of a slot, to the cent."""
    return (Decimal(fraction) * Decimal(points)).quantize(CENTS, ROUND_HALF_UP)


def _percent(score: Decimal, score_max: Decimal) -> Decimal:
    if not score_max:
        return Decimal(0)
    return (Decimal(score) * 100 / Decimal(score_max)).quantize(CENTS, ROUND_HALF_UP)


def attempt_grade(
    *, attempt: Attempt, answers: Sequence[Answer], now: datetime | None = None
) -> Attempt:
    """Total an attempt whose every slot is scored; queue its evidence."""
    now = now or timezone.now()
    score = sum((a.score or Decimal(0) for a in answers), start=Decimal(0))
    attempt.score = score.quantize(CENTS)
    attempt.percent = _percent(attempt.score, attempt.score_max)
    attempt.passed = attempt.percent >= attempt.assessment.pass_mark
    attempt.state = AttemptState.GRADED
    attempt.graded_at = now
    if attempt.submitted_at is None:
        attempt.submitted_at = now
    if attempt.assessment.feedback_release == ReleaseRule.IMMEDIATELY:
        attempt.released_at = now
    attempt.save(
        update_fields=[
            "state",
            "submitted_at",
            "finalised_by",
            "submit_key",
            "score",
            "percent",
            "passed",
            "graded_at",
            "released_at",
        ]
    )
    attempt_id = attempt.pk
    transaction.on_commit(lambda: _enqueue_evidence(attempt_id))
    transaction.on_commit(lambda: _notify_graded(attempt))
    return attempt


def _notify_graded(attempt: Attempt) -> None:
    attempt_graded.send(sender=Attempt, attempt=attempt)


def _enqueue_evidence(attempt_id: int) -> None:
    from assessments.tasks import attempt_evidence_record

    attempt_evidence_record.enqueue(attempt_id)


@transaction.atomic
def answer_mark_final(*, answer: Answer, score: Decimal) -> Attempt:
    """Record a person's final mark for one answer; grade the attempt when complete.

    A mark is given once: changing it later is an override of the attempt with a
    reason (`attempt_override`), never a silent edit.
    """
    answer = Answer.objects.select_for_update().get(pk=answer.pk)
    if answer.score is not None:
        raise AppendOnlyError(_("This answer already has its final mark."))
    score = Decimal(score).quantize(CENTS)
    if score < 0 or score > answer.points:
        raise ValidationError(
            [
                _("The mark must be between 0 and %(points)s.")
                % {"points": answer.points}
            ]
        )
    answer.score = score
    answer.fraction = (
        (score / answer.points).quantize(Decimal("0.0001"))
        if (answer.points)
        else Decimal(0)
    )
    answer.save(update_fields=["score", "fraction"])
    attempt = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("assessment")
        .get(pk=answer.attempt_id)
    )
    answers = list(attempt.answers.all())
    if attempt.state == AttemptState.SUBMITTED and all(
        a.score is not None for a in answers
    ):
        attempt_grade(attempt=attempt, answers=answers)
    return attempt


def attempt_release(*, attempt: Attempt, released_by: User) -> Attempt:
    """Make a graded attempt's result and feedback visible to its trainee."""
    if attempt.state != AttemptState.GRADED:
        raise ValidationError([_("Only a graded attempt can be released.")])
    if attempt.released_at is None:
        attempt.released_at = timezone.now()
        attempt.save(update_fields=["released_at"])
    return attempt


@transaction.atomic
def attempt_override(
    *,
    attempt: Attempt,
    new_score: Decimal,
    reason: str,
    changed_by: User,
    source: str = "override",
) -> AttemptOverride:
    """Change a graded attempt's score, keeping who, when, the old score and why."""
    attempt = (
        Attempt.objects.select_for_update(of=("self",))
        .select_related("assessment")
        .get(pk=attempt.pk)
    )
    problems = []
    if not (reason or "").strip():
        problems.append(_("A reason is required to change a score."))
    if attempt.state != AttemptState.GRADED:
        problems.append(_("Only a graded attempt's score can be changed."))
    try:
        new_score = Decimal(str(new_score)).quantize(CENTS)
    except ArithmeticError:
        problems.append(_("The new score must be a number."))
    else:
        if new_score < 0 or new_score > attempt.score_max:
            problems.append(
                _("The new score must be between 0 and %(max)s.")
                % {"max": attempt.score_max}
            )
    if problems:
        raise ValidationError(problems)
    old_score, old_passed = attempt.score, attempt.passed
    attempt.score = new_score
    attempt.percent = _percent(new_score, attempt.score_max)
    attempt.passed = attempt.percent >= attempt.assessment.pass_mark
    attempt.save(update_fields=["score", "percent", "passed"])
    override = AttemptOverride.objects.create(
        attempt=attempt,
        old_score=old_score,
        new_score=new_score,
        old_passed=old_passed,
        new_passed=attempt.passed,
        reason=reason.strip(),
        source=source,
        changed_by=changed_by,
    )
    attempt_id, override_id = attempt.pk, override.pk
    transaction.on_commit(lambda: _enqueue_correction(attempt_id, override_id))
    transaction.on_commit(lambda: _notify_graded(attempt))
    return override


def _enqueue_correction(attempt_id: int, override_id: int) -> None:
    from assessments.tasks import attempt_evidence_correct

    attempt_evidence_correct.enqueue(attempt_id, override_id)


def result_visible(attempt: Attempt, *, now: datetime | None = None) -> bool:
    """Whether the trainee may see the attempt's result and feedback now."""
    if attempt.state != AttemptState.GRADED:
        return False
    if attempt.released_at is not None:
        return True
    assessment = attempt.assessment
    if assessment.feedback_release == ReleaseRule.AFTER_CLOSE:
        return bool(
            assessment.closes_at and (now or timezone.now()) >= assessment.closes_at
        )
    return False


def appeal_closes_at(attempt: Attempt) -> datetime | None:
    """When the trainee's time to appeal a released result ends (None if unreleased)."""
    if attempt.state != AttemptState.GRADED or attempt.released_at is None:
        return None
    return attempt.released_at + timedelta(days=settings.LMS_APPEAL_DAYS)


def review_visible(attempt: Attempt, *, now: datetime | None = None) -> bool:
    """Whether the trainee may review answers with the correct ones shown."""
    if not result_visible(attempt, now=now):
        return False
    rule = attempt.assessment.review_release
    if rule == ReleaseRule.IMMEDIATELY:
        return True
    if rule == ReleaseRule.AFTER_CLOSE:
        closes = attempt.assessment.closes_at
        return bool(closes and (now or timezone.now()) >= closes)
    return attempt.released_at is not None
