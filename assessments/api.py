"""Assessments in the HTTP API (`/api/v1/`): every trainee action a phone app needs.

Start, autosave, submit (with an `Idempotency-Key` header, so an offline client
can retry safely) and results. The same services and selectors as the pages.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from allauth.headless.contrib.ninja.security import x_session_token_auth
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.security import django_auth

from assessments import results, selectors, services
from assessments.models import AnswerFile, Attempt, FinalisedBy

router = Router(tags=["assessments"])
SIGNED_IN = [x_session_token_auth, django_auth]


class AssessmentOut(Schema):
    uuid: uuid.UUID
    code: str
    title: str
    centre: str
    purpose: str
    opens_at: datetime | None
    closes_at: datetime | None
    time_limit_minutes: int | None
    attempts_allowed: int
    pass_mark: Decimal


class FileOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    sha256: str


def _file_out(found: AnswerFile) -> dict[str, Any]:
    return {
        "id": found.pk,
        "name": found.original_name,
        "size": found.size,
        "content_type": found.content_type,
        "sha256": found.sha256,
    }


class SlotOut(Schema):
    slot: int
    section: str
    kind: str
    text: str
    text_format: str
    points: Decimal
    answered_by_trainee: bool
    question: dict[str, Any]
    response: Any = None
    files: list[FileOut] = []


class AttemptOut(Schema):
    uuid: uuid.UUID
    assessment: uuid.UUID
    number: int
    state: str
    started_at: datetime
    deadline_at: datetime | None
    submitted_at: datetime | None
    finalised_by: str
    slots: list[SlotOut] | None = None


class ResultOut(Schema):
    attempt: uuid.UUID
    state: str
    released: bool
    score: Decimal | None = None
    score_max: Decimal | None = None
    percent: Decimal | None = None
    passed: bool | None = None
    feedback: dict[int, str] = {}
    late_answers: int


class ResponsesIn(Schema):
    responses: dict[int, Any]


class SubmitIn(Schema):
    responses: dict[int, Any] = {}


class ProblemsOut(Schema):
    detail: list[str]


def _attempt_out(attempt: Attempt, *, with_slots: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "uuid": attempt.uuid,
        "assessment": attempt.assessment.uuid,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": attempt.started_at,
        "deadline_at": attempt.deadline_at,
        "submitted_at": attempt.submitted_at,
        "finalised_by": attempt.finalised_by,
    }
    if with_slots:
        answers = selectors.answer_list_for_attempt(attempt)
        data["slots"] = [
            {
                "slot": s.slot,
                "section": s.section_title,
                "kind": s.kind,
                "text": s.text,
                "text_format": s.text_format,
                "points": s.points,
                "answered_by_trainee": s.answered_by_trainee,
                "question": s.public,
                "response": s.response,
                "files": [_file_out(f) for f in s.answer.files.all()],
            }
            for s in selectors.attempt_sheet(attempt, answers)
        ]
    return data


def _problems(error: ValidationError) -> tuple[int, dict[str, list[str]]]:
    return 422, {"detail": error.messages}


@router.get("/assessments", response=list[AssessmentOut], auth=SIGNED_IN)
def assessment_list(request: HttpRequest) -> list[dict[str, Any]]:
    """Assessments the signed-in trainee may sit."""
    return [
        {
            "uuid": a.uuid,
            "code": a.code,
            "title": a.title,
            "centre": a.centre.code,
            "purpose": a.purpose,
            "opens_at": a.opens_at,
            "closes_at": a.closes_at,
            "time_limit_minutes": a.time_limit_minutes,
            "attempts_allowed": a.attempts_allowed,
            "pass_mark": a.pass_mark,
        }
        for a in selectors.assessment_list_for_trainee(request.user)
    ]


@router.post(
    "/assessments/{assessment_uuid}/attempts",
    response={201: AttemptOut, 422: ProblemsOut},
    auth=SIGNED_IN,
)
def attempt_start(request: HttpRequest, assessment_uuid: uuid.UUID):
    """Start an attempt, or get the one already open (resume)."""
    assessment = selectors.assessment_get_for_trainee(request.user, assessment_uuid)
    try:
        attempt = services.attempt_start(assessment=assessment, trainee=request.user)
    except ValidationError as error:
        return _problems(error)
    return 201, _attempt_out(attempt, with_slots=True)


@router.get("/attempts/{attempt_uuid}", response=AttemptOut, auth=SIGNED_IN)
def attempt_get(request: HttpRequest, attempt_uuid: uuid.UUID):
    """An attempt with its questions (no correct answers) and saved responses."""
    attempt = selectors.attempt_get_for_trainee(request.user, attempt_uuid)
    return _attempt_out(attempt, with_slots=attempt.is_open)


@router.put(
    "/attempts/{attempt_uuid}/answers",
    response={200: AttemptOut, 409: ProblemsOut, 422: ProblemsOut},
    auth=SIGNED_IN,
    url_name="attempt_save",
)
def attempt_save(request: HttpRequest, attempt_uuid: uuid.UUID, payload: ResponsesIn):
    """Autosave responses by slot; after the deadline they are kept apart, ungraded."""
    attempt = selectors.attempt_get_for_trainee(request.user, attempt_uuid)
    try:
        attempt = services.answers_save(
            attempt=attempt, trainee=request.user, responses=payload.responses
        )
    except ValidationError as error:
        return _problems(error)
    except services.AttemptClosed:
        return 409, {"detail": [_("This attempt is already submitted.")]}
    return 200, _attempt_out(attempt, with_slots=False)


@router.post(
    "/attempts/{attempt_uuid}/files",
    response={201: FileOut, 409: ProblemsOut, 422: ProblemsOut},
    auth=SIGNED_IN,
    url_name="attempt_file_add",
)
def attempt_file_add(
    request: HttpRequest,
    attempt_uuid: uuid.UUID,
    slot: Form[int],
    file: File[UploadedFile],
):
    """Attach a file to an assignment slot (multipart: `slot`, `file`)."""
    attempt = selectors.attempt_get_for_trainee(request.user, attempt_uuid)
    try:
        found = services.answer_file_add(
            attempt=attempt, trainee=request.user, slot=slot, upload=file
        )
    except ValidationError as error:
        return _problems(error)
    except services.AttemptClosed:
        return 409, {"detail": [_("This attempt is already submitted.")]}
    return 201, _file_out(found)


@router.delete(
    "/attempts/{attempt_uuid}/files/{file_id}",
    response={204: None, 409: ProblemsOut, 422: ProblemsOut},
    auth=SIGNED_IN,
    url_name="attempt_file_remove",
)
def attempt_file_remove(request: HttpRequest, attempt_uuid: uuid.UUID, file_id: int):
    """Take a file off an open attempt."""
    attempt = selectors.attempt_get_for_trainee(request.user, attempt_uuid)
    try:
        services.answer_file_remove(
            attempt=attempt, trainee=request.user, file_id=file_id
        )
    except ValidationError as error:
        return _problems(error)
    except services.AttemptClosed:
        return 409, {"detail": [_("This attempt is already submitted.")]}
    return 204, None


@router.post(
    "/attempts/{attempt_uuid}/submit",
    response={200: ResultOut, 409: ProblemsOut, 422: ProblemsOut},
    auth=SIGNED_IN,
)
def attempt_submit(
    request: HttpRequest,
    attempt_uuid: uuid.UUID,
    payload: SubmitIn,
    idempotency_key: str = Header("", alias="Idempotency-Key"),
):
    """Submit once; repeating the call (same key) returns the same result."""
    attempt = selectors.attempt_get_for_trainee(request.user, attempt_uuid)
    try:
        attempt = services.attempt_submit(
            attempt=attempt,
            trainee=request.user,
            responses=payload.responses,
            idempotency_key=idempotency_key,
        )
    except ValidationError as error:
        return _problems(error)
    except services.SubmitKeyReused:
        raise HttpError(
            409, _("This Idempotency-Key was already used for another attempt.")
        ) from None
    # No person can have marked it yet: the answer needs no feedback lookup.
    return 200, _result_out(attempt, with_feedback=False)


def _result_out(attempt: Attempt, *, with_feedback: bool = True) -> dict[str, Any]:
    visible = results.result_visible(attempt)
    data: dict[str, Any] = {
        "attempt": attempt.uuid,
        "state": attempt.state,
        "released": visible,
        # Only an attempt closed at its deadline can have answers that came late.
        "late_answers": attempt.late_answers.count()
        if attempt.finalised_by == FinalisedBy.DEADLINE
        else 0,
    }
    if visible:
        data.update(
            score=attempt.score,
            score_max=attempt.score_max,
            percent=attempt.percent,
            passed=attempt.passed,
            feedback=selectors.feedback_for_attempt(attempt) if with_feedback else {},
        )
    return data


@router.get("/attempts/{attempt_uuid}/result", response=ResultOut, auth=SIGNED_IN)
def attempt_result(request: HttpRequest, attempt_uuid: uuid.UUID):
    """The result and feedback once released (otherwise only the state)."""
    attempt = selectors.attempt_get_for_trainee(request.user, attempt_uuid)
    return _result_out(attempt)
