"""Reads of the certification path, scoped to who asks."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from lms.evidence.models import EvidenceRecord
from lms.models import Membership, Organisation, Role, User

from .models import (
    ApplicationStatus,
    AssessorRecommendation,
    Certificate,
    CertificateStatusChange,
    CertificationApplication,
    CommitteeDecision,
    UnitOutcome,
)


def certificate_get_public(*, number: str) -> Certificate | None:
    """A certificate by number for the public verification page (2 queries).

    Loads only what the page shows: scheme, issuing body and status history;
    nothing else about the holder is joined in.
    """
    return (
        Certificate.objects.filter(number=number)
        .select_related("scheme", "body")
        .prefetch_related(
            Prefetch(
                "status_changes",
                queryset=CertificateStatusChange.objects.order_by("changed_at", "id"),
            )
        )
        .first()
    )


def certificate_list_for_holder(holder: User) -> QuerySet[Certificate]:
    """A person's own certificates, newest first, with scheme and body."""
    return (
        Certificate.objects.filter(holder=holder)
        .select_related("scheme", "body")
        .order_by("-issued_on", "-id")
    )


def application_evidence_for_assessor(
    *, application: CertificationApplication, assessor: User
) -> QuerySet[EvidenceRecord]:
    """The current evidence behind an application, for an active assessor.

    What the assessor bases a recommendation on: the applicant's evidence rows
    (not superseded) on the scheme's units, with unit, element and KUK. Someone
    who is not an active assessor, or the applicant assessing themselves, gets
    nothing.
    """
    if (
        assessor.pk == application.trainee_id
        or not Membership.objects.active()
        .filter(user=assessor, role=Role.ASSESSOR)
        .exists()
    ):
        return EvidenceRecord.objects.none()
    return (
        EvidenceRecord.objects.current()
        .filter(
            trainee_id=application.trainee_id,
            unit__scheme_units__scheme_id=application.scheme_id,
        )
        .select_related("unit", "element", "criterion", "assessor")
        .order_by("unit__code", "-occurred_at", "-id")
    )


def application_list_for_committee(member: User) -> QuerySet[CertificationApplication]:
    """Open applications of the schemes owned by the LSPs the person decides for.

    Each comes with its scheme, applicant and current recommendations, so a queue
    page costs the same few queries however many applications there are.
    """
    bodies = (
        Membership.objects.active()
        .filter(user=member, role=Role.COMMITTEE)
        .values("organisation_id")
    )
    return (
        CertificationApplication.objects.filter(
            scheme__owner_id__in=bodies, status=ApplicationStatus.SUBMITTED
        )
        .select_related("scheme", "trainee")
        .prefetch_related(
            Prefetch(
                "recommendations",
                queryset=AssessorRecommendation.objects.current().select_related(
                    "unit"
                ),
                to_attr="current_recommendations",
            )
        )
        .order_by("submitted_at", "id")
    )


def decision_list_awaiting_certificate(
    *, body: Organisation | None = None
) -> QuerySet[CommitteeDecision]:
    """Current K decisions with no certificate yet (what a bulk issue works on).

    Ordered by decision id, so a run that stopped part-way resumes in the same
    order; decisions already issued drop out of the list by themselves.
    """
    decisions = CommitteeDecision.objects.current().filter(
        outcome=UnitOutcome.COMPETENT, certificate__isnull=True
    )
    if body is not None:
        decisions = decisions.filter(application__scheme__owner=body)
    return decisions.order_by("id")
