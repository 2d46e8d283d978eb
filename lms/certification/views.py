"""Public pages of certification: the verification page anyone may open."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .credentials import status_list_credential
from .selectors import certificate_get_public


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
