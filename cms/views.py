"""Trainee and staff course views: parse, call a service or selector, render."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)

from cms.models import CoursePage
from courses import exports, selectors, services
from courses.models import Course, Module
from lms.exports import export_logged
from lms.models import Province, TimeZone, User
from lms.selectors import user_is_staff_member


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    """Open courses by centre and province, with Wagtail search over course pages."""
    query = request.GET.get("q", "").strip()[:100]
    centre = request.GET.get("centre", "")
    province = request.GET.get("province", "")
    courses = selectors.course_list_for_catalogue(
        centre_code=centre, province_code=province
    )
    if query:
        # Search runs over the published pages; the catalogue lists their courses.
        keys = [
            page.translation_key
            for page in CoursePage.objects.live().public().search(query)
        ]
        courses = courses.filter(source_key__in=keys)
    return render(
        request,
        "cms/catalogue.html",
        {
            "courses": courses,
            "centres": selectors.centre_list_for_catalogue(),
            "provinces": Province.objects.order_by("code"),
            "query": query,
            "centre": centre,
            "province": province,
        },
    )


@login_required
@require_POST
def course_enrol(request: HttpRequest, course_id: int) -> HttpResponse:
    """Enrol the signed-in trainee (or ask for a place) and go back to the course."""
    course = get_object_or_404(Course, pk=course_id)
    try:
        enrolment = services.enrolment_self_enrol(trainee=request.user, course=course)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        if enrolment.state == "requested":
            messages.info(request, _("Your request was sent to the centre."))
        else:
            messages.success(request, _("You are enrolled."))
    return redirect(course.url or "cms:my_courses")


@login_required
@require_POST
def module_progress(request: HttpRequest, module_id: int) -> HttpResponse:
    """Record time and position (from the page's beacon) or "done, next" (a form)."""
    module = get_object_or_404(Module, pk=module_id)
    try:
        seconds = int(request.POST.get("seconds") or 0)
    except ValueError:
        seconds = -1
    try:
        services.module_progress_record(
            trainee=request.user,
            module=module,
            seconds=seconds,
            position=request.POST.get("position"),
        )
    except ValidationError as error:
        if request.POST.get("next"):
            for message in error.messages:
                messages.error(request, message)
            return redirect(module.url or "cms:my_courses")
        return HttpResponse(status=400)
    following = request.POST.get("next")
    if following:
        target = (
            Module.objects.filter(
                course_id=module.course_id,
                is_active=True,
                position__gt=module.position,
            )
            .order_by("position")
            .first()
        )
        return redirect((target or module.course).url or "cms:my_courses")
    return HttpResponse(status=204)


@login_required
@require_GET
def my_courses(request: HttpRequest) -> HttpResponse:
    """The trainee's dashboard: each course with progress and where to continue."""
    return render(
        request,
        "cms/my_courses.html",
        {"enrolments": selectors.enrolment_list_for_trainee(request.user)},
    )


def _staff(request: HttpRequest) -> None:
    if not user_is_staff_member(request.user):
        raise PermissionDenied


@login_required
@require_GET
def cohort_list(request: HttpRequest) -> HttpResponse:
    """Cohorts of the staff member's centre."""
    _staff(request)
    return render(
        request,
        "cms/staff/cohort_list.html",
        {"cohorts": selectors.cohort_list_for_staff(request.user)},
    )


@login_required
@require_GET
def cohort_roster(request: HttpRequest, cohort_id: int) -> HttpResponse:
    """One cohort's trainees and their progress; another centre's cohort is 404."""
    _staff(request)
    cohort = selectors.cohort_get_for_staff(user=request.user, cohort_id=cohort_id)
    rows = list(exports.roster_rows(user=request.user, cohort=cohort))
    return render(
        request,
        "cms/staff/cohort_roster.html",
        {"cohort": cohort, "header": rows[0], "rows": rows[1:]},
    )


@login_required
@require_GET
def cohort_roster_export(
    request: HttpRequest, cohort_id: int, file_format: str
) -> HttpResponse:
    """The roster as CSV or XLSX, from the same selector as the page."""
    _staff(request)
    cohort = selectors.cohort_get_for_staff(user=request.user, cohort_id=cohort_id)
    export_logged(
        user=request.user,
        name="cohort_roster",
        file_format=file_format,
        parameters={"cohort": cohort.pk, "course": cohort.course.code},
    )
    name = f"roster-{cohort.course.code}-{cohort.number}".replace(" ", "_")
    if file_format == "csv":
        body = exports.roster_csv(user=request.user, cohort=cohort)
        content_type = "text/csv; charset=utf-8"
    else:
        body = exports.roster_xlsx(user=request.user, cohort=cohort)
        content_type = (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def enrolment_requests(request: HttpRequest) -> HttpResponse:
    """Pending requests of the centre's courses; approve or decline one or many."""
    _staff(request)
    pending = selectors.enrolment_request_list_for_staff(request.user)
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("enrolment") if v.isdigit()]
        chosen = list(pending.filter(pk__in=ids))
        if len(chosen) != len(set(ids)):
            # Another centre's request (or one already decided) is not here.
            raise Http404
        decision = request.POST.get("decision")
        if decision not in ("approve", "decline"):
            return HttpResponse(status=400)
        try:
            decided = services.enrolment_decide_many(
                enrolments=chosen,
                approve=decision == "approve",
                decided_by=request.user,
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            if decision == "approve":
                text = ngettext(
                    "%(count)d request approved.",
                    "%(count)d requests approved.",
                    len(decided),
                )
            else:
                text = ngettext(
                    "%(count)d request declined.",
                    "%(count)d requests declined.",
                    len(decided),
                )
            messages.success(request, text % {"count": len(decided)})
        return redirect("cms:enrolment_requests")
    return render(request, "cms/staff/enrolment_requests.html", {"requests": pending})


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def cohort_edit(request: HttpRequest, cohort_id: int | None = None) -> HttpResponse:
    """Create (no id) or edit a cohort of one of the centre's courses."""
    _staff(request)
    cohort = None
    if cohort_id is not None:
        cohort = selectors.cohort_get_for_staff(user=request.user, cohort_id=cohort_id)
    courses = selectors.course_list_for_staff(request.user)
    course = cohort.course if cohort else None
    errors: dict[str, list[str]] = {}
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        if course is None:
            course_id = _int(request.POST.get("course", ""))
            course = courses.filter(pk=course_id).first() if course_id else None
            if course is None:
                raise Http404
        trainer_ids = [int(v) for v in request.POST.getlist("trainers") if v.isdigit()]
        try:
            cohort = services.cohort_save(
                course=course,
                cohort=cohort,
                number=request.POST.get("number", ""),
                starts_on=_date(request.POST.get("starts_on", "")),
                ends_on=_date(request.POST.get("ends_on", "")),
                time_zone=request.POST.get("time_zone", ""),
                capacity=_int(request.POST.get("capacity", "")),
                trainer_ids=trainer_ids,
            )
        except ValidationError as error:
            errors = error.message_dict
        else:
            messages.success(request, _("The cohort was saved."))
            return redirect("cms:cohort_roster", cohort.pk)
    trainers = selectors.trainer_list_for_staff(user=request.user, course=course)
    chosen = (
        {int(v) for v in request.POST.getlist("trainers") if v.isdigit()}
        if request.method == "POST"
        else set(cohort.trainers.values_list("pk", flat=True))
        if cohort
        else set()
    )
    return render(
        request,
        "cms/staff/cohort_form.html",
        {
            "cohort": cohort,
            "course": course,
            "courses": courses,
            "trainers": trainers,
            "chosen": chosen,
            "time_zones": TimeZone.choices,
            "values": values,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def cohort_trainee_add(request: HttpRequest, cohort_id: int) -> HttpResponse:
    """Put a trainee (by e-mail) in a cohort; capacity and course rules apply."""
    _staff(request)
    cohort = selectors.cohort_get_for_staff(user=request.user, cohort_id=cohort_id)
    email = request.POST.get("email", "").strip().lower()
    trainee = User.objects.filter(email__iexact=email).first() if email else None
    if trainee is None:
        messages.error(
            request, _("No person has the e-mail address %(email)s.") % {"email": email}
        )
    else:
        try:
            services.enrolment_cohort_add(
                trainee=trainee,
                cohort=cohort,
                added_by=request.user,
                role_type=request.POST.get("role_type", ""),
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("%(name)s was added to the cohort.") % {"name": trainee.full_name},
            )
    return redirect("cms:cohort_roster", cohort.pk)
