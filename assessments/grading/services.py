"""Writes of the grading workflow: allocate, claim, mark (with a version), release.

Two graders saving the same submission at once: each save names the version it
started from, and the save is an `UPDATE … WHERE version = expected`. The second
one finds the version moved on and gets `MarkConflict` (HTTP 409), never an
overwrite. Every save is a new `Mark` row, so nothing a marker wrote is lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.grading.models import Mark, Submission, SubmissionState
from assessments.models import Attempt, RubricLevel
from assessments.results import answer_mark_final, attempt_release
from lms.models import Organisation, OrganisationKind, User

# A claim left alone this long lapses, so a submission is never stuck with
# someone who went home.
CLAIM_TIMEOUT = timedelta(hours=2)


class MarkConflict(Exception):
    """The submission changed since the marker loaded it (stale version)."""


def submissions_allocate(
    *, submissions: Iterable[Submission], university: Organisation
) -> int:
    """Allocate unmarked submissions to a university's graders."""
    if university.kind != OrganisationKind.UNIVERSITY:
        raise ValidationError([_("Submissions can only go to a university.")])
    ids = [s.pk for s in submissions]
    return Submission.objects.filter(pk__in=ids, state=SubmissionState.UNMARKED).update(
        university=university
    )


def submission_claim(*, submission: Submission, grader: User) -> Submission:
    """Take a submission for marking; refused while another grader holds it."""
    now = timezone.now()
    taken = Submission.objects.filter(
        Q(claimed_by__isnull=True)
        | Q(claimed_by=grader)
        | Q(claimed_at__lt=now - CLAIM_TIMEOUT),
        pk=submission.pk,
        state__in=[SubmissionState.UNMARKED, SubmissionState.IN_MARKING],
    ).update(
        claimed_by=grader,
        claimed_at=now,
        state=SubmissionState.IN_MARKING,
        version=F("version") + 1,
    )
    if not taken:
        raise MarkConflict(_("Another grader is marking this submission."))
    submission.refresh_from_db()
    return submission


def _rubric_score(
    submission: Submission, levels: Mapping[Any, Any]
) -> tuple[Decimal, dict[str, int], list[str]]:
    answer = submission.answer
    rubric = (
        answer.question_version.question.rubric
        if answer.question_version_id
        else answer.section.rubric
    )
    if rubric is None:
        return Decimal(0), {}, [_("This submission has no rubric; give a score.")]
    chosen: dict[str, int] = {}
    problems: list[str] = []
    total = Decimal(0)
    available = {
        level.pk: level
        for level in RubricLevel.objects.filter(criterion__rubric=rubric)
    }
    for criterion in rubric.criteria.all():
        raw = levels.get(str(criterion.pk), levels.get(criterion.pk))
        level = available.get(int(raw)) if str(raw or "").isdigit() else None
        if level is None or level.criterion_id != criterion.pk:
            problems.append(
                _("Choose a level for %(criterion)s.") % {"criterion": criterion.title}
            )
            continue
        chosen[str(criterion.pk)] = level.pk
        total += level.points
    return min(total, submission.points), chosen, problems


@transaction.atomic
def mark_save(
    *,
    submission: Submission,
    grader: User,
    expected_version: int,
    score: Any = None,
    levels: Mapping[Any, Any] | None = None,
    feedback: str = "",
    final: bool = False,
) -> Mark:
    """Save a mark (a draft, or the final one) against the version the grader saw.

    With a rubric the score is the sum of the chosen levels' points (capped at
    the submission's points); without one the grader gives the score. A final
    mark records the answer's score and grades the attempt when it was the last.
    """
    if submission.claimed_by_id not in (None, grader.pk):
        raise MarkConflict(_("Another grader is marking this submission."))
    problems: list[str] = []
    chosen: dict[str, int] = {}
    if levels:
        value, chosen, problems = _rubric_score(submission, levels)
    else:
        try:
            value = Decimal(str(score)).quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            value = Decimal(-1)
            problems.append(_("The score must be a number."))
        else:
            if value < 0 or value > submission.points:
                problems.append(
                    _("The score must be between 0 and %(points)s.")
                    % {"points": submission.points}
                )
    if submission.claimed_by_id is None:
        problems.append(_("Claim the submission before marking it."))
    if problems:
        raise ValidationError(problems)
    new_state = SubmissionState.MARKED if final else SubmissionState.IN_MARKING
    moved = Submission.objects.filter(
        pk=submission.pk,
        version=expected_version,
        claimed_by=grader,
        state=SubmissionState.IN_MARKING,
    ).update(
        version=F("version") + 1,
        state=new_state,
        final_score=value if final else None,
    )
    if not moved:
        raise MarkConflict(
            _("Someone saved this submission after you opened it; reload it.")
        )
    mark = Mark.objects.create(
        submission=submission,
        marker=grader,
        score=value,
        levels=chosen,
        feedback=feedback.strip(),
        final=final,
        version=expected_version + 1,
    )
    if final:
        answer_mark_final(answer=submission.answer, score=value)
    submission.refresh_from_db()
    return mark


def attempts_release(*, attempts: Iterable[Attempt], released_by: User) -> int:
    """Release every graded attempt given; their submissions become released."""
    released = 0
    for attempt in attempts:
        if attempt.state != "graded":
            continue
        attempt_release(attempt=attempt, released_by=released_by)
        Submission.objects.filter(attempt=attempt, state=SubmissionState.MARKED).update(
            state=SubmissionState.RELEASED, released_at=timezone.now()
        )
        released += 1
    return released
