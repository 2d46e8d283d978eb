"""Courses in the HTTP API (`/api/v1/`): catalogue, my enrolments, cohort roster.

Thin: every endpoint calls the same selector as its HTML page.
"""

from __future__ import annotations

from allauth.headless.contrib.ninja.security import x_session_token_auth
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from ninja.security import django_auth

from lms.selectors import user_is_staff_member

from . import selectors

router = Router(tags=["courses"])
SIGNED_IN = [x_session_token_auth, django_auth]


class CourseOut(Schema):
    id: int
    code: str
    title: str
    centre: str
    delivery_mode: str
    total_jp: int
    enrolment_policy: str
    url: str


class EnrolmentOut(Schema):
    course_id: int
    course: str
    state: str
    cohort: str | None
    modules_done: int
    modules_total: int
    jp_earned: int | None


class RosterRowOut(Schema):
    full_name: str
    email: str
    state: str
    modules_done: int
    modules_required: int
    jp_earned: int | None


@router.get("/courses", response=list[CourseOut], auth=None)
def catalogue(
    request: HttpRequest, centre: str = "", province: str = ""
) -> list[dict[str, object]]:
    """Open courses, by centre code and/or province code (public)."""
    return [
        {
            "id": c.pk,
            "code": c.code,
            "title": c.title,
            "centre": c.centre.code,
            "delivery_mode": c.delivery_mode,
            "total_jp": c.total_jp,
            "enrolment_policy": c.enrolment_policy,
            "url": c.url,
        }
        for c in selectors.course_list_for_catalogue(
            centre_code=centre, province_code=province
        )
    ]


@router.get("/me/enrolments", response=list[EnrolmentOut], auth=SIGNED_IN)
def my_enrolments(request: HttpRequest) -> list[dict[str, object]]:
    """The signed-in trainee's enrolments with progress and JP earned."""
    rows = selectors.enrolment_list_for_trainee(request.user).select_related(
        "completion"
    )
    return [
        {
            "course_id": e.course_id,
            "course": str(e.course),
            "state": e.state,
            "cohort": e.cohort.number if e.cohort else None,
            "modules_done": e.modules_done,
            "modules_total": e.modules_total,
            "jp_earned": getattr(getattr(e, "completion", None), "jp_earned", None),
        }
        for e in rows
    ]


@router.get("/cohorts/{cohort_id}/roster", response=list[RosterRowOut], auth=SIGNED_IN)
def cohort_roster(request: HttpRequest, cohort_id: int) -> list[dict[str, object]]:
    """A cohort's trainees and progress (staff of its centre; others get 404)."""
    if not user_is_staff_member(request.user):
        raise HttpError(403, "Staff only")
    cohort = selectors.cohort_get_for_staff(user=request.user, cohort_id=cohort_id)
    total = selectors.module_required_count(cohort)
    return [
        {
            "full_name": e.trainee.full_name,
            "email": e.trainee.email,
            "state": e.state,
            "modules_done": e.modules_done,
            "modules_required": total,
            "jp_earned": getattr(getattr(e, "completion", None), "jp_earned", None),
        }
        for e in selectors.roster_list_for_staff(user=request.user, cohort=cohort)
    ]
