"""Reads of the grading workflow for graders: one queue used by every surface.

A grader sees the submissions allocated to a university where they are an active
grader, and nothing else: any other submission answers 404. Graders only ever
see a candidate code; nothing here selects the trainee.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from assessments.grading.models import Mark, Submission, SubmissionState
from lms.models import Membership, Role

OPEN_STATES = (SubmissionState.UNMARKED, SubmissionState.IN_MARKING)


def _grader_universities(user: Any) -> QuerySet:
    return (
        Membership.objects.active()
        .filter(user=user, role=Role.GRADER)
        .values("organisation_id")
    )


def submission_list_for_grader(
    user: Any, *, state: str = "open", assessment_code: str = ""
) -> QuerySet[Submission]:
    """The grader's queue, oldest first (one query, whatever the backlog)."""
    if not user.is_authenticated:
        return Submission.objects.none()
    submissions = Submission.objects.filter(
        university_id__in=_grader_universities(user)
    ).select_related("assessment")
    if state == "open":
        submissions = submissions.filter(state__in=OPEN_STATES)
    elif state in SubmissionState.values:
        submissions = submissions.filter(state=state)
    if assessment_code:
        submissions = submissions.filter(assessment__code=assessment_code)
    return submissions.order_by("submitted_at", "pk")


def submission_get_for_grader(user: Any, candidate_code: str) -> Submission:
    """One submission of the grader's queue, with its answer (404 otherwise)."""
    submission = (
        submission_list_for_grader(user, state="all")
        .select_related(
            "answer__question_version__question__rubric", "answer__section__rubric"
        )
        .filter(candidate_code=candidate_code)
        .first()
    )
    if submission is None:
        raise Http404
    return submission


def mark_list_for_submission(submission: Submission) -> QuerySet[Mark]:
    return submission.marks.order_by("-version")
