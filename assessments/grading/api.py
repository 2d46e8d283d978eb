"""The grading workflow in the HTTP API (`/api/v1/grading/`).

Graders: queue, one submission, claim, mark (draft, with `version`), complete,
feedback files. Trainees: appeal a released result. The same selectors and
services as the staff pages. Every grader response is anonymous: candidate codes,
never the trainee's name, NIK or email. A stale `version` gets 409, never an
overwrite; another university's submission gets 404.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from allauth.headless.contrib.ninja.security import x_session_token_auth
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.security import django_auth

from assessments.grading import selectors, services
from assessments.grading.models import Submission
from assessments.selectors import attempt_get_for_trainee

router = Router(tags=["grading"])
SIGNED_IN = [x_session_token_auth, django_auth]


class SubmissionOut(Schema):
    candidate_code: str
    assessment: str
    assessment_title: str
    state: str
    marker_role: str
    version: int
    points: Decimal
    submitted_at: datetime
    claimed: bool
    claimed_by_me: bool


class LevelOut(Schema):
    id: int
    title: str
    points: Decimal
    descriptor: str


class CriterionOut(Schema):
    id: int
    title: str
    levels: list[LevelOut]


class FileOut(Schema):
    id: int
    size: int
    url: str


class SubmissionDetailOut(SubmissionOut):
    kind: str
    question: str
    response: Any = None
    files: list[FileOut] = []
    rubric: list[CriterionOut] = []


class QueueOut(Schema):
    items: list[SubmissionOut]
    page: int
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
    marker_role: str
    score: Decimal
    final: bool


class FeedbackOut(Schema):
    id: int
    size: int


class ProblemsOut(Schema):
    detail: list[str]


class AppealIn(Schema):
    attempt: uuid.UUID
    reason: str


class AppealOut(Schema):
    id: int
    attempt: uuid.UUID
    state: str
    created_at: datetime


def _out(submission: Submission, user: Any) -> dict[str, Any]:
    return {
        "candidate_code": submission.candidate_code,
        "assessment": submission.assessment.code,
        "assessment_title": submission.assessment.title,
        "state": submission.state,
        "marker_role": submission.marking_role,
        "version": submission.version,
        "points": submission.points,
        "submitted_at": submission.submitted_at,
        "claimed": submission.claimed_by_id is not None,
        "claimed_by_me": submission.claimed_by_id == user.pk,
    }


@router.get("/queue", response=QueueOut, auth=SIGNED_IN)
def queue(
    request: HttpRequest,
    state: str = "open",
    assessment: str = "",
    sort: str = "oldest",
    page: int = 1,
):
    """The grader's queue, a page at a time (no count over the whole backlog)."""
    found = selectors.queue_page(
        selectors.submission_list_for_grader(
            request.user, state=state, assessment_code=assessment, sort=sort
        ),
        page=page,
    )
    return {
        "items": [_out(s, request.user) for s in found.items],
        "page": found.page,
        "has_next": found.has_next,
    }


@router.get("/submissions/{code}", response=SubmissionDetailOut, auth=SIGNED_IN)
def submission_detail(request: HttpRequest, code: str):
    """One submission: the question, the answer, its files and the rubric."""
    submission = selectors.submission_get_for_grader(request.user, code)
    answer = submission.answer
    version = answer.question_version
    return {
        **_out(submission, request.user),
        "kind": version.kind if version is not None else answer.section.instrument,
        "question": version.text
        if version is not None
        else answer.section.instructions,
        "response": answer.response,
        "files": [
            {
                "id": f.pk,
                "size": f.size,
                "url": f"/staf/penilaian/naskah/{code}/berkas/{f.pk}/",
            }
            for f in answer.files.all()
        ],
        "rubric": [
            {
                "id": c.pk,
                "title": c.title,
                "levels": [
                    {
                        "id": lv.pk,
                        "title": lv.title,
                        "points": lv.points,
                        "descriptor": lv.descriptor,
                    }
                    for lv in c.levels.all()
                ],
            }
            for c in selectors.submission_rubric_rows(submission)
        ],
    }


@router.post(
    "/submissions/{code}/claim",
    response={200: SubmissionOut, 409: ProblemsOut},
    auth=SIGNED_IN,
)
def claim(request: HttpRequest, code: str):
    """Take the submission for marking (409 while another grader holds it)."""
    submission = selectors.submission_get_for_grader(request.user, code)
    try:
        submission = services.submission_claim(
            submission=submission, grader=request.user
        )
    except services.MarkConflict as conflict:
        return Status(409, {"detail": [str(conflict)]})
    return Status(200, _out(submission, request.user))


def _save(request: HttpRequest, code: str, payload: MarkIn, *, final: bool):
    submission = selectors.submission_get_for_grader(request.user, code)
    try:
        saved = services.mark_save(
            submission=submission,
            grader=request.user,
            expected_version=payload.version,
            score=payload.score,
            levels=payload.levels,
            feedback=payload.feedback,
            final=final,
        )
    except services.MarkConflict as conflict:
        return Status(409, {"detail": [str(conflict)]})
    except ValidationError as error:
        return Status(422, {"detail": error.messages})
    submission.refresh_from_db()
    return Status(
        200,
        {
            "candidate_code": submission.candidate_code,
            "version": submission.version,
            "state": submission.state,
            "marker_role": saved.role,
            "score": saved.score,
            "final": saved.final,
        },
    )


@router.post(
    "/submissions/{code}/mark",
    response={200: MarkOut, 409: ProblemsOut, 422: ProblemsOut},
    auth=SIGNED_IN,
)
def mark(request: HttpRequest, code: str, payload: MarkIn):
    """Save a draft (or, with `final`, complete) against the version loaded."""
    return _save(request, code, payload, final=payload.final)


@router.post(
    "/submissions/{code}/complete",
    response={200: MarkOut, 409: ProblemsOut, 422: ProblemsOut},
    auth=SIGNED_IN,
)
def complete(request: HttpRequest, code: str, payload: MarkIn):
    """Complete the mark (rubric: one level per criterion)."""
    return _save(request, code, payload, final=True)


@router.post(
    "/submissions/{code}/feedback",
    response={201: FeedbackOut, 422: ProblemsOut},
    auth=SIGNED_IN,
)
def feedback(request: HttpRequest, code: str, file: File[UploadedFile]):
    """Attach a feedback file (the grader must hold the submission)."""
    submission = selectors.submission_get_for_grader(request.user, code)
    try:
        added = services.feedback_file_add(
            submission=submission, grader=request.user, upload=file
        )
    except ValidationError as error:
        return Status(422, {"detail": error.messages})
    return Status(201, {"id": added.pk, "size": added.size})


@router.post("/appeals", response={201: AppealOut, 422: ProblemsOut}, auth=SIGNED_IN)
def appeal_create(request: HttpRequest, payload: AppealIn):
    """A trainee appeals (banding) against their own released result."""
    attempt = attempt_get_for_trainee(request.user, payload.attempt)
    try:
        appeal = services.appeal_open(
            attempt=attempt, trainee=request.user, reason=payload.reason
        )
    except ValidationError as error:
        return Status(422, {"detail": error.messages})
    return Status(
        201,
        {
            "id": appeal.pk,
            "attempt": attempt.uuid,
            "state": appeal.state,
            "created_at": appeal.created_at,
        },
    )
