"""Grading staff pages (`/staf/penilaian/`, behind MFA like every staff page).

Grader pages (queue, mark, downloads, marks sheets) show candidate codes only.
Centre pages (allocation, progress, release, overrides, appeals) are scoped to
the centres the person manages. Anything out of scope answers 404.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from assessments.grading import exports, forms, selectors, services
from assessments.grading.models import SubmissionState
from assessments.uploads import file_download, neutral_name
from lms.exports import export_logged


def _require_grader(request: HttpRequest) -> None:
    # Cached on the user for the request: the queue selector reuses it.
    if not selectors.grader_university_ids(request.user):
        raise Http404


def _queue_filters(request: HttpRequest) -> dict[str, str]:
    return {
        "state": request.GET.get("state", "open"),
        "assessment_code": request.GET.get("assessment", ""),
        "sort": request.GET.get("sort", "oldest"),
    }


@login_required
@require_http_methods(["GET"])
def queue(request: HttpRequest) -> HttpResponse:
    """The grader's queue: filter, sort, a page at a time (no count of the backlog)."""
    _require_grader(request)
    filters = _queue_filters(request)
    page = selectors.queue_page(
        selectors.submission_list_for_grader(request.user, **filters),
        page=request.GET.get("page", 1),
    )
    return render(
        request,
        "grading/queue.html",
        {
            "page": page,
            "filters": filters,
            "states": SubmissionState.choices,
            "sorts": list(selectors.SORTS),
        },
    )


@login_required
@require_http_methods(["GET"])
def next_submission(request: HttpRequest) -> HttpResponse:
    """Claim the oldest claimable submission and open it."""
    _require_grader(request)
    code = request.GET.get("assessment", "")
    for _attempt in range(3):  # another grader may take it first: try the next
        submission = selectors.submission_next_for_grader(
            request.user, assessment_code=code
        )
        if submission is None:
            messages.info(request, _("Nothing left to mark."))
            return redirect("grading:queue")
        try:
            services.submission_claim(submission=submission, grader=request.user)
        except services.MarkConflict:
            continue
        return redirect("grading:mark", code=submission.candidate_code)
    return redirect("grading:queue")


@login_required
@require_POST
def claim(request: HttpRequest, code: str) -> HttpResponse:
    _require_grader(request)
    submission = selectors.submission_get_for_grader(request.user, code)
    try:
        services.submission_claim(submission=submission, grader=request.user)
    except services.MarkConflict as conflict:
        messages.error(request, str(conflict))
    return redirect("grading:mark", code=code)


def _mark_context(request: HttpRequest, submission: Any, **extra: Any) -> dict:
    marks = list(selectors.mark_list_for_grader(request.user, submission))
    mine = marks[0] if marks and marks[0].role == submission.marking_role else None
    chosen = (
        {lv.rubric_criterion_id: lv.level_id for lv in mine.levels.all()}
        if (mine)
        else {}
    )
    return {
        "submission": submission,
        "answer": submission.answer,
        "question": submission.answer.question_version,
        "files": list(submission.answer.files.all()),
        "feedback_files": list(
            submission.feedback_files.filter(uploaded_by=request.user)
        ),
        "rubric_rows": selectors.submission_rubric_rows(submission),
        "mine": mine,
        "chosen": chosen,
        "holding": submission.claimed_by_id == request.user.pk,
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def mark(request: HttpRequest, code: str) -> HttpResponse:
    """Mark one submission: the answer, the rubric grid, feedback text and files."""
    _require_grader(request)
    submission = selectors.submission_get_for_grader(request.user, code)
    if request.method == "GET":
        return render(request, "grading/mark.html", _mark_context(request, submission))
    levels = {
        key.removeprefix("level-"): value
        for key, value in request.POST.items()
        if key.startswith("level-")
    }
    final = request.POST.get("action") == "complete"
    try:
        expected = int(request.POST.get("version", "0"))
    except ValueError:
        expected = 0
    try:
        services.mark_save(
            submission=submission,
            grader=request.user,
            expected_version=expected,
            score=request.POST.get("score") or None,
            levels=levels,
            feedback=request.POST.get("feedback", ""),
            final=final,
            upload=request.FILES.get("feedback_file"),
        )
    except services.MarkConflict as conflict:
        submission = selectors.submission_get_for_grader(request.user, code)
        context = _mark_context(request, submission, problems=[str(conflict)])
        return render(request, "grading/mark.html", context, status=409)
    except ValidationError as error:
        submission = selectors.submission_get_for_grader(request.user, code)
        context = _mark_context(request, submission, problems=error.messages)
        return render(request, "grading/mark.html", context, status=422)
    messages.success(request, _("Mark completed.") if final else _("Draft saved."))
    if final:
        return redirect("grading:queue")
    return redirect("grading:mark", code=code)


@login_required
@require_http_methods(["GET"])
def answer_file(request: HttpRequest, code: str, file_id: int) -> FileResponse:
    """An answer's file, named after the candidate code (never the original name)."""
    _require_grader(request)
    submission, found = selectors.answer_file_get_for_grader(
        request.user, code, file_id
    )
    name = neutral_name(f"{submission.candidate_code}-{found.pk}", found.original_name)
    return file_download(found.file, name=name)


@login_required
@require_http_methods(["GET"])
def feedback_file(request: HttpRequest, code: str, file_id: int) -> FileResponse:
    _require_grader(request)
    submission, found = selectors.feedback_file_get_for_grader(
        request.user, code, file_id
    )
    name = neutral_name(
        f"{submission.candidate_code}-umpan-balik-{found.pk}", found.original_name
    )
    return file_download(found.file, name=name)


@login_required
@require_http_methods(["GET"])
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The grader's queue (same filters as the page) as a marks sheet."""
    _require_grader(request)
    filters = _queue_filters(request)
    export_logged(
        user=request.user,
        name="grading_queue",
        file_format=fmt,
        parameters={key: str(value) for key, value in filters.items()},
    )
    submissions = selectors.submission_list_for_grader(
        request.user, **filters
    ).iterator(chunk_size=1000)
    if fmt == "xlsx":
        return exports.queue_xlsx(submissions)
    return exports.queue_csv(submissions)


@login_required
@require_http_methods(["GET", "POST"])
def marks_import(request: HttpRequest) -> HttpResponse:
    """Upload a marked sheet: every row checked first; all saved, or nothing."""
    _require_grader(request)
    form = forms.MarksImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            rows = exports.marks_sheet_read(form.cleaned_data["file"])
            codes = [r.candidate_code.strip() for r in rows]
            visible = {
                s.candidate_code: s
                for s in selectors.submission_list_for_grader(
                    request.user, state="all"
                ).filter(candidate_code__in=codes)
            }
            saved = services.marks_import(
                grader=request.user, rows=rows, visible=visible
            )
        except ValidationError as error:
            problems = error.messages
        except services.MarkConflict as conflict:
            problems = [str(conflict)]
        else:
            messages.success(request, _("%(n)s marks saved.") % {"n": saved})
            return redirect("grading:queue")
    status = 422 if problems else 200
    return render(
        request,
        "grading/import.html",
        {"form": form, "problems": problems},
        status=status,
    )


# Centre pages ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def centre_list(request: HttpRequest) -> HttpResponse:
    centres = list(selectors.centre_list_for_staff(request.user))
    if not centres:
        raise Http404
    if len(centres) == 1:
        return redirect("grading:centre", code=centres[0].code)
    return render(request, "grading/centre_list.html", {"centres": centres})


def _centre_context(request: HttpRequest, centre: Any, **extra: Any) -> dict:
    return {
        "centre": centre,
        "progress": selectors.marking_progress(centre),
        "allocation_form": forms.AllocationForm(),
        "manual_form": forms.ManualAllocationForm(),
        "assignment_form": forms.AssignmentForm(),
        "unallocated": selectors.submission_list_for_centre(request.user, centre=centre)
        .filter(university__isnull=True, state=SubmissionState.UNMARKED)
        .order_by("submitted_at", "pk")[:50],
        "assessments": centre.assessments.order_by("code"),
        "appeals": selectors.appeal_list_for_centre(request.user, centre=centre)[:50],
        "graded": selectors.submission_list_for_centre(request.user, centre=centre)
        .filter(state__in=("marked", "moderated", "released"))
        .select_related("attempt")
        .order_by("-pk")[:50],
        **extra,
    }


@login_required
@require_http_methods(["GET"])
def centre(request: HttpRequest, code: str) -> HttpResponse:
    """A centre's marking: progress per university, allocation, release, appeals."""
    found = selectors.centre_get_for_staff(request.user, code)
    return render(request, "grading/centre.html", _centre_context(request, found))


@login_required
@require_POST
def allocate(request: HttpRequest, code: str) -> HttpResponse:
    found = selectors.centre_get_for_staff(request.user, code)
    form = forms.AllocationForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        try:
            result = services.submissions_allocate_balanced(
                universities=list(form.cleaned_data["universities"]),
                allocated_by=request.user,
                centre=found,
                context=form.cleaned_data["context"],
                assessment_id=form.cleaned_data["assessment"],
            )
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(
                request, _("%(n)s submissions allocated.") % {"n": result.total}
            )
            return redirect("grading:centre", code=code)
    else:
        problems = [e for errors in form.errors.values() for e in errors]
    context = _centre_context(request, found, problems=problems, allocation_form=form)
    return render(request, "grading/centre.html", context, status=422)


@login_required
@require_POST
def allocate_manual(request: HttpRequest, code: str) -> HttpResponse:
    """Allocate the listed submissions of this centre to one university."""
    found = selectors.centre_get_for_staff(request.user, code)
    form = forms.ManualAllocationForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        codes = form.cleaned_data["codes"]
        chosen = list(
            selectors.submission_list_for_centre(request.user, centre=found).filter(
                candidate_code__in=codes
            )
        )
        unknown = sorted(set(codes) - {s.candidate_code for s in chosen})
        problems = [
            _("Unknown candidate code: %(code)s.") % {"code": c} for c in unknown
        ]
        if not problems:
            try:
                count = services.submissions_allocate(
                    submissions=chosen,
                    university=form.cleaned_data["university"],
                    allocated_by=request.user,
                )
            except ValidationError as error:
                problems = error.messages
            else:
                messages.success(
                    request, _("%(n)s submissions allocated.") % {"n": count}
                )
                return redirect("grading:centre", code=code)
    else:
        problems = [e for errors in form.errors.values() for e in errors]
    context = _centre_context(request, found, problems=problems, manual_form=form)
    return render(request, "grading/centre.html", context, status=422)


@login_required
@require_POST
def assign(request: HttpRequest, code: str) -> HttpResponse:
    """Name the grader for one marker role of a submission of this centre."""
    found = selectors.centre_get_for_staff(request.user, code)
    form = forms.AssignmentForm(request.POST)
    problems: list[str] = []
    if form.is_valid():
        submission = (
            selectors.submission_list_for_centre(request.user, centre=found)
            .filter(candidate_code=form.cleaned_data["code"].strip())
            .first()
        )
        grader = selectors.user_get_by_email(form.cleaned_data["grader"])
        if submission is None:
            problems.append(
                _("Unknown candidate code: %(code)s.")
                % {"code": form.cleaned_data["code"]}
            )
        if grader is None:
            problems.append(_("No account has this email address."))
        if not problems:
            try:
                services.marker_assign(
                    submission=submission,
                    grader=grader,
                    role=form.cleaned_data["role"],
                    assigned_by=request.user,
                )
            except ValidationError as error:
                problems = error.messages
            else:
                messages.success(request, _("Grader assigned."))
                return redirect("grading:centre", code=code)
    else:
        problems = [e for errors in form.errors.values() for e in errors]
    context = _centre_context(request, found, problems=problems, assignment_form=form)
    return render(request, "grading/centre.html", context, status=422)


@login_required
@require_POST
def release(request: HttpRequest, code: str) -> HttpResponse:
    found = selectors.centre_get_for_staff(request.user, code)
    form = forms.ReleaseForm(request.POST)
    assessment_id = form.cleaned_data["assessment"] if form.is_valid() else None
    if assessment_id and not found.assessments.filter(pk=assessment_id).exists():
        raise Http404
    count = services.submissions_release(
        centre=found, released_by=request.user, assessment_id=assessment_id
    )
    messages.success(request, _("%(n)s results released.") % {"n": count})
    return redirect("grading:centre", code=code)


@login_required
@require_http_methods(["GET", "POST"])
def override(request: HttpRequest, attempt_uuid: Any) -> HttpResponse:
    """Change a graded attempt's score, with a reason (the original is kept)."""
    attempt = selectors.attempt_get_for_centre_staff(request.user, attempt_uuid)
    form = forms.OverrideForm(request.POST or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.attempt_score_override(
                attempt=attempt,
                new_score=form.cleaned_data["new_score"],
                reason=form.cleaned_data["reason"],
                changed_by=request.user,
            )
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(request, _("Score changed."))
            return redirect(
                reverse("grading:override", kwargs={"attempt_uuid": attempt.uuid})
            )
    return render(
        request,
        "grading/override.html",
        {
            "attempt": attempt,
            "form": form,
            "problems": problems,
            "overrides": attempt.overrides.select_related("changed_by"),
        },
        status=422 if problems else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """Review a trainee's appeal and decide it."""
    found = selectors.appeal_get_for_centre(request.user, pk)
    form = forms.AppealDecisionForm(request.POST or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        new_score: Decimal | None = form.cleaned_data["new_score"]
        try:
            services.appeal_decide(
                appeal=found,
                reviewer=request.user,
                upheld=form.cleaned_data["upheld"],
                outcome=form.cleaned_data["outcome"],
                new_score=new_score,
            )
        except ValidationError as error:
            problems = error.messages
        else:
            messages.success(request, _("Appeal decided."))
            return redirect("grading:appeal", pk=found.pk)
    return render(
        request,
        "grading/appeal.html",
        {"appeal": found, "form": form, "problems": problems},
        status=422 if problems else 200,
    )
