"""Pages of certification.

Public: the verification page and status lists anyone may open. Trainee: the
competency record with certificates and their downloads (`/rekam-kompetensi/`).
Staff (`/staf/sertifikasi/`, behind MFA like every staff path): the assessor and
committee queues, the body's register with its exports, and audit trails. Every
read goes through a selector scoped to who asks; anything out of scope is 404.
Every write goes through a service; a refusal is shown with all its reasons and
changes nothing.
"""

from __future__ import annotations

import json
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from openpyxl import Workbook

from lms.exports import csv_response, export_logged, neutralise
from lms.models import CompetencyUnit, Role

from . import selectors, services
from .credentials import certificate_credential, status_list_credential, verify_url
from .forms import (
    AppealDecisionForm,
    AppealForm,
    ApplicationForm,
    CertificateAction,
    CertificateStatusForm,
    ConflictDeclarationForm,
    DecisionForm,
    RecommendationForm,
    RegisterFilterForm,
)
from .models import (
    AppealOutcome,
    Certificate,
    CertificateStatus,
    CertificationApplication,
    UnitOutcome,
)
from .pdf import certificate_pdf
from .selectors import certificate_get_public

REGISTER_PAGE_SIZE = 25
QUEUE_PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- public ---------------------------------------------------------------------


@require_GET
def verify(request: HttpRequest, number: str) -> HttpResponse:
    """Show whether a certificate is valid, expired, suspended or revoked.

    Public (an employer scanning the QR code has no account). It shows only what
    the certificate itself shows: the holder's name with titles, scheme, units,
    dates and issuing body; never an e-mail address or NIK. Unknown numbers 404.
    """
    certificate = certificate_get_public(number=number)
    if certificate is None:
        raise Http404
    status = certificate.effective_status()
    response = render(
        request,
        "lms/certification/verify.html",
        {
            "certificate": certificate,
            "status": status,
            "status_label": certificate.effective_status_label(),
            "history": certificate.status_changes.all(),
        },
    )
    # A status must show at once after a suspension or revocation.
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def status_list(request: HttpRequest, body: str, purpose: str) -> HttpResponse:
    """A body's signed status list (revocation or suspension) for verifiers.

    Public and uncached: the credentials' ``credentialStatus`` entries point here,
    so a suspension or revocation must show on the next fetch.
    """
    document = status_list_credential(body_code=body, purpose=purpose)
    if document is None:
        raise Http404
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/vc+ld+json"
    response["Cache-Control"] = "no-store"
    return response


# --- trainee ----------------------------------------------------------------------

# A suspended or revoked certificate is not handed out as a document or credential.
_DOWNLOADABLE = {CertificateStatus.ACTIVE, CertificateStatus.EXPIRED}


def _file_stem(certificate: Certificate) -> str:
    return "sertifikat-" + "".join(
        ch if ch.isalnum() or ch in "-_" else "-" for ch in certificate.number
    )


@login_required
@require_GET
def competency_record(request: HttpRequest) -> HttpResponse:
    """The signed-in person's competency record (rekam kompetensi) and certificates.

    Units of each scheme with K / pending / BK and the evidence behind each;
    certificates with status, PDF and credential downloads, and the public
    verification link to share.
    """
    record = selectors.trainee_record_get(request.user)
    for certificate in record.certificates:
        certificate.share_url = verify_url(certificate)
        certificate.shown_status = certificate.effective_status()
        certificate.downloadable = certificate.shown_status in _DOWNLOADABLE
    return render(request, "lms/certification/competency_record.html", {"r": record})


def _own_certificate(request: HttpRequest, pk: int) -> Certificate:
    certificate = selectors.certificate_get_for_holder(holder=request.user, pk=pk)
    if certificate is None or certificate.effective_status() not in _DOWNLOADABLE:
        raise Http404
    return certificate


@login_required
@require_GET
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The holder's own certificate as a PDF, in the page's language."""
    certificate = _own_certificate(request, pk)
    language = "en" if translation.get_language() == "en" else "id"
    response = HttpResponse(
        certificate_pdf(certificate, language=language),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{_file_stem(certificate)}.pdf"'
    )
    return response


@login_required
@require_GET
def certificate_credential_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The holder's own signed Open Badges 3.0 credential (JSON)."""
    certificate = _own_certificate(request, pk)
    response = HttpResponse(
        json.dumps(certificate_credential(certificate), ensure_ascii=False, indent=2),
        content_type="application/vc+ld+json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{_file_stem(certificate)}.json"'
    )
    return response


# --- staff: shared ------------------------------------------------------------------


def _require_body_role(request: HttpRequest, role: str) -> list:
    bodies = list(selectors.certification_bodies_for(request.user, role))
    if not bodies:
        raise Http404
    return bodies


def _page(request: HttpRequest, rows: Any, size: int) -> Any:
    return Paginator(rows, size).get_page(request.GET.get("page"))


def _units_with_recommendations(
    application: CertificationApplication,
) -> list[dict[str, Any]]:
    current = {r.unit_id: r for r in application.current_recommendations}
    return [
        {"unit": su.unit, "recommendation": current.get(su.unit_id)}
        for su in application.scheme.ordered_units
    ]


@login_required
@require_POST
def conflict_declare(request: HttpRequest, pk: int) -> HttpResponse:
    """Declare (no) conflict of interest on an application, as assessor or member."""
    as_committee = request.POST.get("as") == "komite"
    if as_committee:
        application = selectors.application_get_for_committee(
            member=request.user, pk=pk
        )
        target = "certification_staff:committee_application"
    else:
        application = selectors.application_get_for_assessor(
            assessor=request.user, pk=pk
        )
        target = "certification_staff:assessor_application"
    if application is None:
        raise Http404
    form = ConflictDeclarationForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(target, pk=pk)
    try:
        services.conflict_declare(
            application=application,
            person=request.user,
            has_conflict=form.cleaned_data["has_conflict"],
            statement=form.cleaned_data["statement"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your declaration was recorded."))
    return redirect(target, pk=pk)


# --- staff: assessor ----------------------------------------------------------------


@login_required
@require_GET
def assessor_queue(request: HttpRequest) -> HttpResponse:
    """Open applications of the bodies the person assesses for, oldest first."""
    _require_body_role(request, Role.ASSESSOR)
    page = _page(
        request,
        selectors.application_list_for_assessor(request.user),
        QUEUE_PAGE_SIZE,
    )
    return render(request, "lms/certification/assessor_queue.html", {"page": page})


def _units_with_evidence(
    application: CertificationApplication, person: Any, role: str
) -> list[dict[str, Any]]:
    """Each unit with its current recommendation and the evidence behind it,
    read through the one selector the assessor's and committee's pages share."""
    evidence: dict[int, list] = defaultdict(list)
    for row in selectors.application_evidence_for_staff(
        application=application, person=person, role=role
    ):
        evidence[row.unit_id].append(row)
    units = _units_with_recommendations(application)
    for unit in units:
        unit["evidence"] = evidence.get(unit["unit"].pk, [])
    return units


def _assessor_context(
    request: HttpRequest, application: CertificationApplication, **extra: Any
) -> dict[str, Any]:
    return {
        "application": application,
        "units": _units_with_evidence(application, request.user, Role.ASSESSOR),
        "self_assessments": application.self_assessments.all(),
        "declared": selectors.conflict_declared(
            application=application, person=request.user
        ),
        "conflict_form": ConflictDeclarationForm(),
        "is_applicant": application.trainee_id == request.user.pk,
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def assessor_application(request: HttpRequest, pk: int) -> HttpResponse:
    """One application: evidence per unit, and a K/BK recommendation form per unit."""
    _require_body_role(request, Role.ASSESSOR)
    application = selectors.application_get_for_assessor(assessor=request.user, pk=pk)
    if application is None:
        raise Http404
    template = "lms/certification/assessor_application.html"
    if request.method == "GET":
        return render(request, template, _assessor_context(request, application))
    form = RecommendationForm(request.POST)
    unit_ids = {su.unit_id for su in application.scheme.ordered_units}
    problems: list[str] = []
    if not form.is_valid():
        problems = _form_problems(form)
    elif form.cleaned_data["unit"] not in unit_ids:
        problems = [_("That unit is not part of this application's scheme.")]
    else:
        try:
            services.recommendation_record(
                application=application,
                unit=CompetencyUnit.objects.get(pk=form.cleaned_data["unit"]),
                outcome=form.cleaned_data["outcome"],
                reasons=form.cleaned_data["reasons"],
                assessor=request.user,
                correction_reason=form.cleaned_data["correction_reason"],
            )
        except ValidationError as error:
            problems = error.messages
    if problems:
        context = _assessor_context(
            request,
            application,
            problems=problems,
            failed_unit=form.data.get("unit"),
            failed_form=form,
        )
        return render(request, template, context, status=422)
    messages.success(request, _("Recommendation recorded."))
    return redirect("certification_staff:assessor_application", pk=pk)


# --- staff: committee ---------------------------------------------------------------


@login_required
@require_GET
def committee_queue(request: HttpRequest) -> HttpResponse:
    """Open applications with recommendations, waiting for the body's decision."""
    _require_body_role(request, Role.COMMITTEE)
    page = _page(
        request,
        selectors.application_list_awaiting_decision(request.user),
        QUEUE_PAGE_SIZE,
    )
    for application in page.object_list:
        application.recommended_units = len(application.current_recommendations)
    return render(request, "lms/certification/committee_queue.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def committee_application(request: HttpRequest, pk: int) -> HttpResponse:
    """One application: the recommendations per unit and the decision form."""
    _require_body_role(request, Role.COMMITTEE)
    application = selectors.application_get_for_committee(member=request.user, pk=pk)
    if application is None:
        raise Http404
    template = "lms/certification/committee_application.html"
    form = DecisionForm(request.POST or None)
    problems: list[str] = []
    if request.method == "POST":
        problems = _form_write(
            form,
            lambda data: services.decision_record(
                application=application,
                decided_by=request.user,
                outcome=data["outcome"],
                reasons=data["reasons"],
                correction_reason=data["correction_reason"],
            ),
        )
        if not problems:
            messages.success(request, _("Decision recorded."))
            return redirect("certification_staff:committee_application", pk=pk)
    context = {
        "application": application,
        "units": _units_with_evidence(application, request.user, Role.COMMITTEE),
        "decision": (application.current_decisions or [None])[0],
        "declared": selectors.conflict_declared(
            application=application, person=request.user
        ),
        "conflict_form": ConflictDeclarationForm(),
        "form": form,
        "problems": problems,
    }
    return render(request, template, context, status=422 if problems else 200)


# --- staff: register and exports ----------------------------------------------------


def _register_filters(request: HttpRequest) -> tuple[RegisterFilterForm, dict]:
    form = RegisterFilterForm(request.GET or None)
    filters = {"query": "", "status": ""}
    if form.is_valid():
        filters = {
            "query": form.cleaned_data["q"],
            "status": form.cleaned_data["status"],
        }
    return form, filters


@login_required
@require_GET
def register(request: HttpRequest) -> HttpResponse:
    """The certificates of the person's body: search, filter, a page at a time."""
    bodies = list(selectors.register_bodies_for(request.user))
    if not bodies:
        raise Http404
    form, filters = _register_filters(request)
    page = _page(
        request,
        selectors.certificate_list_for_register(request.user, **filters),
        REGISTER_PAGE_SIZE,
    )
    for certificate in page.object_list:
        certificate.shown_status_label = certificate.effective_status_label()
        certificate.shown_status = certificate.effective_status()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "lms/certification/register.html",
        {
            "bodies": bodies,
            "form": form,
            "page": page,
            "query_string": query.urlencode(),
        },
    )


def register_header() -> list[str]:
    return [
        _("Certificate number"),
        _("Holder"),
        _("Scheme code"),
        _("Scheme"),
        _("Certification body"),
        _("Issue date"),
        _("Valid until"),
        _("Status"),
        _("Units"),
    ]


def register_rows(certificates: Any) -> Iterator[list[Any]]:
    """One row per certificate: what the certificate shows, never a NIK or e-mail."""
    for c in certificates:
        yield [
            c.number,
            c.holder_name,
            c.subject_code,
            c.subject_title,
            c.body.code,
            c.issued_on.isoformat(),
            c.valid_until.isoformat(),
            c.effective_status_label(),
            "; ".join(unit["code"] for unit in c.units),
        ]


def _xlsx_response(filename: str, header: list[str], rows: Iterator) -> FileResponse:
    # openpyxl's write-only mode keeps rows in a temporary file, not in memory;
    # the finished workbook is then streamed from disk in blocks.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=str(_("Register"))[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([neutralise(cell) for cell in row])
    spool = tempfile.TemporaryFile()
    book.save(spool)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX)


@login_required
@require_GET
def register_export(request: HttpRequest, file_format: str) -> HttpResponse:
    """The register (same filters as the page) as CSV or XLSX, logged first."""
    bodies = list(selectors.register_bodies_for(request.user))
    if not bodies:
        raise Http404
    _form, filters = _register_filters(request)
    export_logged(
        user=request.user,
        name="certificate_register",
        file_format=file_format,
        parameters={**filters, "bodies": [b.code for b in bodies]},
    )
    certificates = selectors.certificate_list_for_register(
        request.user, **filters
    ).iterator(chunk_size=1000)
    rows = register_rows(certificates)
    filename = f"register-sertifikat.{file_format}"
    if file_format == "xlsx":
        return _xlsx_response(filename, register_header(), rows)
    return csv_response(filename=filename, header=register_header(), rows=rows)


# --- staff: audit trail -------------------------------------------------------------


def _audit(
    request: HttpRequest,
    application: CertificationApplication | None,
    certificate: Certificate | None,
) -> HttpResponse:
    return render(
        request,
        "lms/certification/audit_trail.html",
        {
            "application": application,
            "certificate": certificate,
            "events": selectors.application_audit_trail(application)
            if application is not None
            else selectors.certificate_audit_trail(certificate),
        },
    )


@login_required
@require_GET
def application_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """Every step on an application, in time order, with who and why."""
    application = selectors.application_get_for_audit(user=request.user, pk=pk)
    if application is None:
        raise Http404
    return _audit(request, application, None)


@login_required
@require_GET
def certificate_audit(request: HttpRequest, pk: int) -> HttpResponse:
    """The audit trail of the application a certificate was issued on."""
    certificate = selectors.certificate_get_for_audit(user=request.user, pk=pk)
    if certificate is None:
        raise Http404
    # A training certificate has no application: its trail is its status history.
    application = (
        selectors.application_get_for_audit(
            user=request.user, pk=certificate.decision.application_id
        )
        if certificate.decision_id
        else None
    )
    return _audit(request, application, certificate)


# --- appeals (banding) --------------------------------------------------------------


def _form_problems(form: Any) -> list[str]:
    return [str(e) for errors in form.errors.values() for e in errors]


def _form_write(form: Any, write: Callable[[dict[str, Any]], object]) -> list[str]:
    """Check the form, then hand its data to a service write.

    Returns every problem, the form's or else the service's refusals; empty
    once written. Nothing is written while the form has problems.
    """
    if not form.is_valid():
        return _form_problems(form)
    try:
        write(form.cleaned_data)
    except ValidationError as error:
        return error.messages
    return []


def _appeal_state(application: CertificationApplication) -> dict[str, Any]:
    """What the appellant's page needs: the current decision, its appeals, the
    deadline, and whether the form is offered at all."""
    decision = (application.current_decisions or [None])[0]
    appeals = list(decision.appeals.all()) if decision else []
    deadline = services.appeal_deadline(decision) if decision else None
    return {
        "application": application,
        "decision": decision,
        "appeals": appeals,
        "deadline": deadline,
        "appeal_days": services.appeal_days(),
        "may_appeal": decision is not None
        and decision.outcome == UnitOutcome.NOT_YET_COMPETENT
        and not any(a.outcome == AppealOutcome.PENDING for a in appeals)
        and deadline is not None
        and timezone.now() <= deadline,
    }


@login_required
@require_http_methods(["GET", "POST"])
def appeal_lodge(request: HttpRequest, pk: int) -> HttpResponse:
    """The applicant's appeal (banding) against the decision on their application.

    Offered on a BK decision within the appeal window while no appeal is pending;
    every refusal comes back with all its reasons and nothing is written.
    """
    application = selectors.application_get_for_appellant(trainee=request.user, pk=pk)
    if application is None:
        raise Http404
    state = _appeal_state(application)
    form = AppealForm(request.POST if request.method == "POST" else None)
    problems: list[str] = []
    if request.method == "POST":
        decision = state["decision"]
        if decision is None:
            problems.append(_("This application has no decision to appeal against."))
        if not form.is_valid():
            problems += _form_problems(form)
        if not problems:
            # The service checks the rest (BK only, the window, a pending appeal)
            # and names every refusal at once.
            try:
                services.appeal_lodge(
                    decision=decision,
                    lodged_by=request.user,
                    grounds=form.cleaned_data["grounds"],
                )
            except ValidationError as error:
                problems = error.messages
            else:
                messages.success(
                    request,
                    _("Your appeal was lodged; the certification body will decide it."),
                )
                return redirect("competency:appeal", pk=pk)
    return render(
        request,
        "lms/certification/appeal_lodge.html",
        {**state, "form": form, "problems": problems},
        status=422 if problems else 200,
    )


@login_required
@require_GET
def appeal_queue(request: HttpRequest) -> HttpResponse:
    """Pending appeals of the person's bodies (oldest first), then recent outcomes."""
    _require_body_role_any(request, selectors.APPEAL_ROLES)
    page = _page(
        request, selectors.appeal_list_for_staff(request.user), QUEUE_PAGE_SIZE
    )
    decided = selectors.appeal_list_for_staff(request.user, pending=False)[
        :QUEUE_PAGE_SIZE
    ]
    return render(
        request,
        "lms/certification/appeal_queue.html",
        {"page": page, "decided": decided},
    )


@login_required
@require_http_methods(["GET", "POST"])
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One appeal with the decision, its units and evidence, and the outcome form.

    Any committee member of the body may open it; the service refuses the member
    who took the decision (or recommended on the application) with its reasons.
    """
    appeal = selectors.appeal_get_for_staff(user=request.user, pk=pk)
    if appeal is None:
        raise Http404
    form = AppealDecisionForm(request.POST if request.method == "POST" else None)
    problems: list[str] = []
    if request.method == "POST":
        problems = _form_write(
            form,
            lambda data: services.appeal_decide(
                appeal=appeal,
                decided_by=request.user,
                outcome=data["outcome"],
                reasons=data["reasons"],
            ),
        )
        if not problems:
            messages.success(request, _("The appeal was decided."))
            return redirect("certification_staff:appeal_detail", pk=pk)
    application = appeal.decision.application
    return render(
        request,
        "lms/certification/appeal_detail.html",
        {
            # What the decision rested on: each unit's recommendation and, for a
            # committee member of the body, the evidence (the selector decides).
            "units": _units_with_evidence(application, request.user, Role.COMMITTEE),
            "appeal": appeal,
            "decision": appeal.decision,
            "application": application,
            "form": form,
            "problems": problems,
            "is_pending": appeal.outcome == AppealOutcome.PENDING,
            "is_decider": appeal.decision.decided_by_id == request.user.pk,
        },
        status=422 if problems else 200,
    )


def _require_body_role_any(request: HttpRequest, roles: Any) -> None:
    # One query whichever of the roles the person holds.
    if not selectors.certification_bodies_for_any(request.user, roles).exists():
        raise Http404


# --- staff: one certificate and its status ------------------------------------------

_ACTIONS = {
    CertificateAction.SUSPEND: services.certificate_suspend,
    CertificateAction.REVOKE: services.certificate_revoke,
    CertificateAction.REINSTATE: services.certificate_reinstate,
}


@login_required
@require_http_methods(["GET", "POST"])
def certificate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A certificate of the person's body: details, status history, and for the
    body's administrators the suspend / revoke / reinstate actions.

    A change takes two posts: the first checks the form and asks to confirm,
    the second (``confirm``) calls the service. Another body's certificate is 404.
    """
    certificate = selectors.certificate_get_for_manager(user=request.user, pk=pk)
    if certificate is None:
        raise Http404
    form = CertificateStatusForm(request.POST if request.method == "POST" else None)
    problems: list[str] = []
    confirming = False
    if request.method == "POST":
        if not form.is_valid():
            problems = _form_problems(form)
        elif not form.cleaned_data["confirm"]:
            confirming = True
        else:
            action = _ACTIONS[CertificateAction(form.cleaned_data["action"])]
            try:
                action(
                    certificate=certificate,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                problems = error.messages
            else:
                messages.success(request, _("The certificate's status was changed."))
                return redirect("certification_staff:certificate_detail", pk=pk)
    return render(
        request,
        "lms/certification/certificate_detail.html",
        {
            "certificate": certificate,
            "status": certificate.effective_status(),
            "status_label": certificate.effective_status_label(),
            "history": certificate.status_changes.all(),
            "may_manage": services.may_manage_certificates(
                request.user, certificate.body
            ),
            "form": form,
            "confirming": confirming,
            "action_label": CertificateAction(form.cleaned_data["action"]).label
            if confirming
            else "",
            "problems": problems,
            "verify_url": verify_url(certificate),
        },
        status=422 if problems else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def application_apply(request: HttpRequest, code: str) -> HttpResponse:
    """Apply for certification in a scheme (APL-01) with the self-assessment (APL-02).

    Every element of the scheme's units is answered on the page; the entry checks
    (purpose, active trainee, no open application, training JP, recertification)
    are the service's, and every refusal is shown at once with nothing written.
    """
    scheme = selectors.scheme_get_open_for_application(code=code)
    if scheme is None:
        raise Http404
    form = ApplicationForm(
        request.POST if request.method == "POST" else None, scheme=scheme
    )
    problems: list[str] = []
    training_jp = selectors.training_jp_for(request.user)
    if request.method == "POST":
        problems = _form_write(
            form,
            lambda data: services.application_submit(
                trainee=request.user,
                scheme=scheme,
                purpose=data["purpose"],
                self_assessment=[
                    services.SelfAssessmentAnswer(element=element, competent=ok)
                    for element, ok in form.answers()
                ],
                training_jp=training_jp,
            ),
        )
        if not problems:
            messages.success(
                request,
                _("Your application was submitted; an assessor will review it."),
            )
            return redirect("competency:record")
    return render(
        request,
        "lms/certification/application_apply.html",
        {
            "scheme": scheme,
            "form": form,
            "problems": problems,
            "training_jp": training_jp,
        },
        status=422 if problems else 200,
    )
