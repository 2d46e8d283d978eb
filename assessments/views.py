"""Trainee pages (`/asesmen/`) and the staff analysis page (`/staf/asesmen/`).

Thin: parse the form, call the same service or selector as the API, render. The
attempt page works without JavaScript (a plain form with "save" and "submit");
a small script adds autosave and the countdown when it can run.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import results, selectors, services, uploads
from assessments.grading import services as grading
from assessments.grading.models import AppealState
from assessments.instruments import instrument_types
from assessments.widgets import widgets
from lms.selectors import user_is_staff_member


@login_required
@require_GET
def assessment_list(request: HttpRequest) -> HttpResponse:
    """My assessments: what I may sit, and my attempts with their state."""
    return render(
        request,
        "assessments/assessment_list.html",
        {
            "assessments": selectors.assessment_list_for_trainee(request.user),
            "attempts": selectors.attempt_list_for_trainee(request.user)[:50],
        },
    )


@login_required
@require_GET
def assessment_detail(request: HttpRequest, assessment_uuid: uuid.UUID) -> HttpResponse:
    assessment = selectors.assessment_get_for_trainee(request.user, assessment_uuid)
    attempts = selectors.attempt_list_for_trainee(request.user).filter(
        assessment=assessment
    )
    return render(
        request,
        "assessments/assessment_detail.html",
        {
            "assessment": assessment,
            "attempts": attempts,
            "grade": selectors.assessment_grade_for_trainee(
                assessment=assessment, trainee=request.user
            ),
        },
    )


@login_required
@require_POST
def attempt_start(request: HttpRequest, assessment_uuid: uuid.UUID) -> HttpResponse:
    assessment = selectors.assessment_get_for_trainee(request.user, assessment_uuid)
    try:
        attempt = services.attempt_start(assessment=assessment, trainee=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("assessments:detail", assessment_uuid=assessment.uuid)
    return redirect("assessments:attempt", attempt_uuid=attempt.uuid)


def _posted_responses(request: HttpRequest, answers) -> dict[int, object]:
    responses: dict[int, object] = {}
    for answer in answers:
        kind = (
            answer.question_version.kind
            if answer.question_version is not None
            else answer.section.instrument
        )
        value = widgets.get(kind).parse(request.POST, f"slot-{answer.slot}")
        if value is not None:
            responses[answer.slot] = value
    return responses


def _attach_files(request: HttpRequest, attempt, answers) -> list[str]:
    """Store the files chosen for assignment slots; every refusal is returned."""
    problems: list[str] = []
    for answer in answers:
        for upload in request.FILES.getlist(f"slot-{answer.slot}-files"):
            try:
                services.answer_file_add(
                    attempt=attempt,
                    trainee=request.user,
                    slot=answer.slot,
                    upload=upload,
                )
            except ValidationError as error:
                problems.extend(error.messages)
    return problems


def _attempt_post(request: HttpRequest, attempt, answers):
    """Save (or submit) the posted answers and files; messages say what happened."""
    responses = _posted_responses(request, answers)
    removing = request.POST.get("remove_file", "")
    try:
        problems = _attach_files(request, attempt, answers)
        for problem in problems:
            messages.error(request, problem)
        if "submit" in request.POST and not problems and not removing:
            return services.attempt_submit(
                attempt=attempt,
                trainee=request.user,
                responses=responses,
                idempotency_key=request.POST.get("idempotency_key", ""),
            )
        attempt = services.answers_save(
            attempt=attempt, trainee=request.user, responses=responses
        )
        if removing and attempt.is_open:
            services.answer_file_remove(
                attempt=attempt,
                trainee=request.user,
                file_id=int(removing) if removing.isdigit() else 0,
            )
            messages.success(request, _("The file was removed."))
        elif attempt.is_open and "autosave" not in request.POST and not problems:
            messages.success(request, _("Your answers are saved."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    except services.AttemptClosed:
        attempt.refresh_from_db()
    except services.SubmitKeyReused:
        messages.error(request, _("This form was already used; reload the page."))
    return attempt


@login_required
@require_http_methods(["GET", "POST"])
def attempt_take(request: HttpRequest, attempt_uuid: uuid.UUID) -> HttpResponse:
    """The attempt page: answer, save, submit (the same services as the API)."""
    attempt = selectors.attempt_get_for_trainee(request.user, attempt_uuid)
    if not attempt.is_open:
        return redirect("assessments:result", attempt_uuid=attempt.uuid)
    answers = selectors.answer_list_for_attempt(attempt)
    if request.method == "POST":
        attempt = _attempt_post(request, attempt, answers)
        if not attempt.is_open:
            return redirect("assessments:result", attempt_uuid=attempt.uuid)
        return redirect("assessments:attempt", attempt_uuid=attempt.uuid)
    sheet = selectors.attempt_sheet(attempt, answers)
    for item in sheet:
        item.widget_template = widgets.get(item.kind).template_name
        item.initial = widgets.get(item.kind).initial(item.response)
        instrument = instrument_types.get(item.answer.section.instrument)
        if instrument.accepts_files:
            item.rules = uploads.rules_for(item.answer.section)
        item.extra = instrument.render_context(
            request=request, section=item.answer.section
        )
    seconds_left = None
    if attempt.deadline_at:
        seconds_left = max(
            0, int((attempt.deadline_at - timezone.now()).total_seconds())
        )
    return render(
        request,
        "assessments/attempt_take.html",
        {
            "attempt": attempt,
            "assessment": attempt.assessment,
            "sheet": sheet,
            "seconds_left": seconds_left,
            # One key per rendered form: a double tap on "submit" sends it twice.
            "idempotency_key": uuid.uuid4().hex,
        },
    )


@login_required
@require_GET
def attempt_result(request: HttpRequest, attempt_uuid: uuid.UUID) -> HttpResponse:
    """The result and feedback, once released under the assessment's rules."""
    attempt = selectors.attempt_get_for_trainee(request.user, attempt_uuid)
    visible = results.result_visible(attempt)
    review = results.review_visible(attempt)
    answers = selectors.answer_list_for_attempt(attempt) if visible else []
    appeals = list(attempt.appeals.order_by("created_at"))
    appeal_until = results.appeal_closes_at(attempt) if visible else None
    if visible:
        feedback = selectors.feedback_for_attempt(attempt)
        feedback_files = selectors.feedback_files_for_attempt(attempt)
        for answer in answers:
            answer.feedback_text = feedback.get(answer.slot, "")
            answer.feedback_files = feedback_files.get(answer.slot, [])
    return render(
        request,
        "assessments/attempt_result.html",
        {
            "attempt": attempt,
            "assessment": attempt.assessment,
            "visible": visible,
            "review": review,
            "answers": answers,
            "late_count": attempt.late_answers.count(),
            "files": selectors.answer_files_for_attempt(attempt),
            "appeals": appeals,
            "has_open_appeal": any(a.state == AppealState.OPEN for a in appeals),
            "appeal_until": appeal_until,
            "appeal_open_now": bool(appeal_until and timezone.now() <= appeal_until),
        },
    )


@login_required
@require_GET
def staff_analysis(request: HttpRequest, assessment_uuid: uuid.UUID) -> HttpResponse:
    """Item analysis and learning gain for the centre's trainers and admins."""
    assessment = selectors.assessment_get_for_staff(request.user, assessment_uuid)
    return render(
        request,
        "assessments/staff_analysis.html",
        {
            "assessment": assessment,
            "items": selectors.item_analysis(assessment=assessment),
            "gain": selectors.learning_gain(post_test=assessment),
        },
    )


@login_required
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    """The centre's assessments with their attempt counts (staff only)."""
    if not user_is_staff_member(request.user):
        raise Http404
    return render(
        request,
        "assessments/staff_list.html",
        {"assessments": selectors.assessment_list_for_staff(request.user)},
    )


@login_required
@require_GET
def answer_file(request: HttpRequest, attempt_uuid: uuid.UUID, file_id: int):
    """A file the trainee attached to their own attempt, under its own name."""
    _attempt, found = selectors.answer_file_get_for_trainee(
        request.user, attempt_uuid, file_id
    )
    return uploads.file_download(found.file, name=found.original_name)


@login_required
@require_GET
def feedback_file(request: HttpRequest, attempt_uuid: uuid.UUID, file_id: int):
    """A marker's feedback file, once the result is released to the trainee."""
    attempt, found = selectors.feedback_file_get_for_trainee(
        request.user, attempt_uuid, file_id
    )
    if not results.result_visible(attempt):
        raise Http404
    name = uploads.neutral_name(f"umpan-balik-{found.pk}", found.original_name)
    return uploads.file_download(found.file, name=name)


@login_required
@require_POST
def attempt_appeal(request: HttpRequest, attempt_uuid: uuid.UUID) -> HttpResponse:
    """The trainee appeals (banding) against a released result, with a reason."""
    attempt = selectors.attempt_get_for_trainee(request.user, attempt_uuid)
    try:
        grading.appeal_open(
            attempt=attempt, trainee=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your appeal is sent; the centre will review it."))
    return redirect("assessments:result", attempt_uuid=attempt.uuid)
