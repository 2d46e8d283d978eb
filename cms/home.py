"""Each person's home after sign-in (`/saya/`): one panel per role they hold.

A trainee sees where to continue, what is due, released results, their
competency record and certificates (with those expiring soon); centre staff
their cohorts and what waits for them; graders their queue; the certification
body its applications, decisions and expiring certificates. Every panel reads
through the same role-scoped selectors as the full pages it links to, and runs
a fixed number of queries however much data lies behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from assessments import selectors as assessment_selectors
from assessments.grading import selectors as grading_selectors
from assessments.grading.models import SubmissionState
from assessments.models import AttemptState
from courses import selectors as course_selectors
from lms.certification import selectors as certification_selectors
from lms.certification.models import CertificateStatus
from lms.models import Certificate, Role
from lms.records.selectors import competency_record_list_for_trainee
from lms.selectors import user_roles

PANEL_SIZE = 5
EXPIRY_WINDOW_DAYS = 90
CENTRE_ROLES = {Role.TRAINER, Role.CENTRE_ADMIN}
CERTIFICATION_ROLES = {Role.ASSESSOR, Role.COMMITTEE, Role.CERTIFICATION_ADMIN}


@dataclass
class Home:
    """What `/saya/` shows; a panel is None when the person lacks the role."""

    trainee: dict[str, Any] | None = None
    centre: dict[str, Any] | None = None
    grader: dict[str, Any] | None = None
    certification: dict[str, Any] | None = None
    central: bool = False
    roles: set[str] = field(default_factory=set)


def _trainee_panel(user: Any) -> dict[str, Any]:
    today = timezone.localdate()
    attempts = assessment_selectors.attempt_list_for_trainee(user)
    now = timezone.now()
    certificates = list(
        certification_selectors.certificate_list_for_holder(user)[: PANEL_SIZE * 2]
    )
    outcomes = dict(
        competency_record_list_for_trainee(user)
        .order_by()
        .values_list("outcome")
        .annotate(n=Count("pk"))
    )
    return {
        "enrolments": list(
            course_selectors.enrolment_list_for_trainee(user)[:PANEL_SIZE]
        ),
        "due": list(
            assessment_selectors.assessment_list_for_trainee(user)
            .filter(Q(closes_at__isnull=True) | Q(closes_at__gte=now))
            .filter(Q(opens_at__isnull=True) | Q(opens_at__lte=now))
            .order_by("closes_at", "title")[:PANEL_SIZE]
        ),
        "open_attempts": list(
            attempts.filter(state=AttemptState.IN_PROGRESS)[:PANEL_SIZE]
        ),
        "results": list(
            attempts.filter(released_at__isnull=False).order_by("-released_at")[
                :PANEL_SIZE
            ]
        ),
        "outcomes": outcomes,
        "certificates": certificates,
        "expiring": [
            c
            for c in certificates
            if c.status == CertificateStatus.ACTIVE
            and c.valid_until
            and today <= c.valid_until <= today + timedelta(days=EXPIRY_WINDOW_DAYS)
        ],
    }


def _centre_panel(user: Any) -> dict[str, Any]:
    return {
        "cohorts": list(
            course_selectors.cohort_list_for_staff(user)
            .filter(ends_on__gte=timezone.localdate())
            .order_by("starts_on")[:PANEL_SIZE]
        ),
        "requests": course_selectors.enrolment_request_list_for_staff(user).count(),
        "assessments": assessment_selectors.assessment_list_for_staff(user).count(),
    }


def _grader_panel(user: Any) -> dict[str, Any]:
    counts = dict(
        grading_selectors.submission_list_for_grader(user, state="all")
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
    )
    return {
        "unmarked": counts.get(SubmissionState.UNMARKED, 0),
        "in_marking": counts.get(SubmissionState.IN_MARKING, 0),
        "oldest": grading_selectors.submission_list_for_grader(user, sort="oldest")
        .values_list("submitted_at", flat=True)
        .first(),
    }


def _certification_panel(user: Any, roles: set[str]) -> dict[str, Any]:
    today = timezone.localdate()
    panel: dict[str, Any] = {}
    if Role.ASSESSOR in roles:
        panel["to_recommend"] = certification_selectors.application_list_for_assessor(
            user
        ).count()
    if Role.COMMITTEE in roles:
        panel["to_decide"] = certification_selectors.application_list_awaiting_decision(
            user
        ).count()
    bodies = certification_selectors.register_bodies_for(user)
    panel["expiring"] = Certificate.objects.filter(
        body__in=bodies,
        status=CertificateStatus.ACTIVE,
        valid_until__gte=today,
        valid_until__lte=today + timedelta(days=EXPIRY_WINDOW_DAYS),
    ).count()
    return panel


def home_for(user: Any) -> Home:
    """The panels of one person's home (a fixed number of queries per panel)."""
    roles = user_roles(user)
    central = user.is_superuser or Role.CENTRAL_ADMIN in roles
    home = Home(roles=roles, central=central)
    if Role.TRAINEE in roles:
        home.trainee = _trainee_panel(user)
    if roles & CENTRE_ROLES:
        home.centre = _centre_panel(user)
    if Role.GRADER in roles:
        home.grader = _grader_panel(user)
    if roles & CERTIFICATION_ROLES:
        home.certification = _certification_panel(user, roles)
    return home


@login_required
@require_GET
def my_home(request: HttpRequest) -> HttpResponse:
    return render(request, "cms/my_home.html", {"home": home_for(request.user)})
