"""The grading workflow in the HTTP API (`/api/v1/grading/`): queue, claim, mark.

Every response is anonymous: candidate codes, never the trainee's name, NIK or
email. A stale `version` on a mark gets 409, never an overwrite.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from allauth.headless.contrib.ninja.security import x_session_token_auth
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from assessments.grading import selectors, services
from assessments.grading.models import Submission

router = Router(tags=["grading"])
SIGNED_IN = [x_session_token_auth, django_auth]
PAGE_SIZE = 50


class SubmissionOut(Schema):
    candidate_code: str
    assessment: str
    assessment_title: str
    state: str
    version: int
    points: Decimal
    submitted_at: datetime
    claimed: bool


class SubmissionDetailOut(SubmissionOut):
    kind: str
    question: str
    response: Any = None
    rubric: list[dict[str, Any]] = []


class QueueOut(Schema):
    items: list[SubmissionOut]
    has_next: bool


class MarkIn(Schema):
    version: int
    score: Decimal | None = None
    levels: dict[str, int] = {}
    feedback: str = ""
    final: bool = False


class MarkOut(Schema):
    candidate_code: str
    version: int
    state: str
    score: Decimal
    final: bool


class ProblemsOut(Schema):
    detail: list[str]


def _out(submission: Submission) -> dict[str, Any]:
    return {
        "candidate_code": submission.candidate_code,
        "assessment": submission.assessment.code,
        "assessment_title": submission.assessment.title,
        "state": submission.state,
        "version": submission.version,
        "points": submission.points,
        "submitted_at": submission.submitted_at,
        "claimed": submission.claimed_by_id is not None,
    }


@router.get("/queue", response=QueueOut, auth=SIGNED_IN)
def queue(
    request: HttpRequest, state: str = "open", assessment: str = "", page: int = 1
):
    """The grader's queue, a page at a time (no count over the whole backlog)."""
    start = (max(page, 1) - 1) * PAGE_SIZE
    rows = list(
        selectors.submission_list_for_grader(
            request.user, state=state, assessment_code=assessment
        )[start : start + PAGE_SIZE + 1]
    )
    return {
        "items": [_out(s) for s in rows[:PAGE_SIZE]],
        "has_next": len(rows) > PAGE_SIZE,
    }


@router.get("/submissions/{code}", response=SubmissionDetailOut, auth=SIGNED_IN)
def submission_detail(request: HttpRequest, code: str):
    """One submission: the question, the answer and the rubric to mark with."""
    submission = selectors.submission_get_for_grader(request.user, code)
    answer = submission.answer
    version = answer.question_version
    rubric = version.question.rubric if version is not None else answer.section.rubric
    return {
        **_out(submission),
        "kind": version.kind if version is not None else answer.section.instrument,
        "question": version.text
        if version is not None
        else answer.section.instructions,
        "response": answer.response,
        "rubric": [
            {
                "id": c.pk,
                "title": c.title,
                "levels": [
                    {
                        "id": lv.pk,
                        "title": lv.title,
                        "points": str(lv.points),
                        "descriptor": lv.descriptor,
                    }
                    for lv in c.levels.all()
                ],
            }
            for c in (rubric.criteria.prefetch_related("levels") if rubric else [])
        ],
    }


@router.post(
    "/submissions/{code}/claim",
    response={200: SubmissionOut, 409: ProblemsOut},
    auth=SIGNED_IN,
)
def claim(request: HttpRequest, code: str):
    submission = selectors.submission_get_for_grader(request.user, code)
    try:
        submission = services.submission_claim(
            submission=submission, grader=request.user
        )
    except services.MarkConflict as conflict:
        return 409, {"detail": [str(conflict)]}
    return 200, _out(submission)


@router.post(
    "/submissions/{code}/mark",
    response={200: MarkOut, 409: ProblemsOut, 422: ProblemsOut},
    auth=SIGNED_IN,
)
def mark(request: HttpRequest, code: str, payload: MarkIn):
    """Save a draft or final mark against the version the grader loaded."""
    submission = selectors.submission_get_for_grader(request.user, code)
    try:
        saved = services.mark_save(
            submission=submission,
            grader=request.user,
            expected_version=payload.version,
            score=payload.score,
            levels=payload.levels,
            feedback=payload.feedback,
            final=payload.final,
        )
    except services.MarkConflict as conflict:
        return 409, {"detail": [str(conflict)]}
    except ValidationError as error:
        return 422, {"detail": error.messages}
    return 200, {
        "candidate_code": submission.candidate_code,
        "version": submission.version,
        "state": submission.state,
        "score": saved.score,
        "final": saved.final,
    }
