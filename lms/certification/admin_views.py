"""Wagtail admin page for bulk issuing: start a run, follow its progress.

Registered in `lms.wagtail_hooks` under /admin/sertifikat/penerbitan/ (Wagtail
wraps it in its admin-access check; the MFA middleware covers /admin/). Only
people who issue for a certification body see the page; everyone else gets 404.
Runs are listed for the bodies the person issues for, newest first.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lms.models import Membership, Organisation, Role

from .issuing import issuing_run_start
from .models import IssuingRun

ISSUER_ROLES = (Role.CERTIFICATION_ADMIN, Role.COMMITTEE)


def _bodies(request: HttpRequest):
    return Organisation.objects.filter(
        pk__in=Membership.objects.active()
        .filter(user=request.user, role__in=ISSUER_ROLES)
        .values("organisation_id")
    )


def _runs_for(request: HttpRequest, bodies):
    return (
        IssuingRun.objects.filter(Q(started_by=request.user) | Q(body__in=bodies))
        .select_related("started_by", "body")
        .order_by("-created_at", "-id")
    )


@require_http_methods(["GET", "POST"])
def issuing_runs(request: HttpRequest) -> HttpResponse:
    """The runs with done/total, and a form to start one for a body."""
    bodies = list(_bodies(request))
    if not bodies:
        raise Http404
    if request.method == "POST":
        body = next(
            (b for b in bodies if str(b.pk) == request.POST.get("body", "")), None
        )
        try:
            run = issuing_run_start(started_by=request.user, body=body)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                _("Issuing run %(id)d started: %(total)d decision(s).")
                % {"id": run.pk, "total": run.total},
            )
        return redirect("certificate_issuing:index")
    runs = list(_runs_for(request, bodies)[:50])
    busy = any(r.state in ("queued", "running") for r in runs)
    return TemplateResponse(
        request,
        "lms/issuing/runs.html",
        {"runs": runs, "bodies": bodies, "refresh": busy},
    )
