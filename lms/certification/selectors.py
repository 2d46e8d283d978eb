"""Reads of the certification path, scoped to who asks."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.evidence.models import EvidenceRecord
from lms.models import (
    CertificationScheme,
    CompetencyRecord,
    CompetencyUnit,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    SchemeUnit,
    User,
)
from lms.records.models import CompetencyOutcome
from lms.standards.models import SchemeStatus

from .models import (
    Appeal,
    AppealOutcome,
    ApplicationStatus,
    AssessorRecommendation,
    Certificate,
    CertificateKind,
    CertificateStatus,
    CertificateStatusChange,
    CertificationApplication,
    CommitteeDecision,
    ConflictOfInterestDeclaration,
    SelfAssessment,
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


def application_evidence_for_staff(
    *, application: CertificationApplication, person: User, role: str
) -> QuerySet[EvidenceRecord]:
    """The current evidence behind an application, for the body's assessor or
    committee member (``role``): the one selector both staff pages read.

    What a recommendation and a decision rest on: the applicant's evidence rows
    (not superseded) on the scheme's units, with unit, element and KUK. Someone
    who does not hold ``role`` today in the scheme's certification body, or the
    applicant reading their own application as staff, gets nothing.
    """
    if role not in (Role.ASSESSOR, Role.COMMITTEE) or (
        person.pk == application.trainee_id
    ):
        return EvidenceRecord.objects.none()
    # The role check is a subquery of the one read, not a query of its own.
    holds_role = Membership.objects.active().filter(
        user=person, role=role, organisation_id=application.scheme.owner_id
    )
    return (
        EvidenceRecord.objects.current()
        .filter(
            Exists(holds_role),
            trainee_id=application.trainee_id,
            unit__scheme_units__scheme_id=application.scheme_id,
        )
        .select_related("unit", "element", "criterion", "assessor")
        .order_by("unit__code", "-occurred_at", "-id")
    )


def application_evidence_for_assessor(
    *, application: CertificationApplication, assessor: User
) -> QuerySet[EvidenceRecord]:
    """The evidence an active assessor of the scheme's body sees (see above)."""
    return application_evidence_for_staff(
        application=application, person=assessor, role=Role.ASSESSOR
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


# --- pages: trainee record, queues, register, audit trail ----------------------


def _body_ids(user: User, roles: set[str]) -> QuerySet:
    """Organisations where the person holds one of ``roles`` today (a subquery)."""
    return (
        Membership.objects.active()
        .filter(user=user, role__in=roles)
        .values("organisation_id")
    )


def _is_central_admin(user: User) -> bool:
    return (
        Membership.objects.active().filter(user=user, role=Role.CENTRAL_ADMIN).exists()
    )


# Who reads a body's register and audit trails: its administrators and committee,
# and for the audit trail its assessors too; the central admin reads every body.
REGISTER_ROLES = frozenset({Role.CERTIFICATION_ADMIN, Role.COMMITTEE})
AUDIT_ROLES = REGISTER_ROLES | {Role.ASSESSOR}


@dataclass
class UnitStanding:
    """One unit on a trainee's record page: its outcome and the evidence behind it."""

    unit: CompetencyUnit
    record: CompetencyRecord | None
    evidence: list[EvidenceRecord] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return self.record.outcome if self.record else CompetencyOutcome.PENDING

    @property
    def outcome_label(self) -> str:
        return str(CompetencyOutcome(self.outcome).label)


@dataclass
class SchemeStanding:
    """A scheme the trainee applied for or holds, with its units in order."""

    scheme: CertificationScheme | None
    units: list[UnitStanding]
    applications: list[CertificationApplication] = field(default_factory=list)


@dataclass
class TraineeRecord:
    schemes: list[SchemeStanding]
    certificates: list[Certificate]


def trainee_record_get(trainee: User) -> TraineeRecord:
    """Everything the trainee's competency-record page shows, in 8 queries.

    Units of each scheme the person applied for (in scheme order), then of each
    active scheme covering a unit on their record that they have not applied
    for yet (where they can apply next), then any other unit they have a
    record on; for each unit the
    derived outcome (K, BK or pending) and the current evidence rows behind it;
    and their certificates. The number of queries does not depend on how many
    units, evidence rows or certificates there are.
    """
    records = {
        r.unit_id: r
        for r in CompetencyRecord.objects.filter(trainee=trainee).select_related(
            "unit__standard"
        )
    }
    evidence: dict[int, list[EvidenceRecord]] = defaultdict(list)
    for row in (
        EvidenceRecord.objects.current()
        .filter(trainee=trainee)
        .select_related("element", "criterion")
        .order_by("-occurred_at", "-id")
    ):
        evidence[row.unit_id].append(row)
    applications = list(
        CertificationApplication.objects.filter(trainee=trainee)
        .select_related("scheme")
        .prefetch_related(
            Prefetch(
                "scheme__scheme_units",
                queryset=SchemeUnit.objects.select_related("unit").order_by("position"),
            ),
            Prefetch(
                "decisions",
                queryset=CommitteeDecision.objects.current().prefetch_related(
                    Prefetch("appeals", queryset=Appeal.objects.order_by("-lodged_at"))
                ),
                to_attr="current_decisions",
            ),
        )
        .order_by("-submitted_at", "-id")
    )
    certificates = list(certificate_list_for_holder(trainee))
    schemes: dict[int, SchemeStanding] = {}

    def standing(scheme: CertificationScheme) -> SchemeStanding:
        units = [
            UnitStanding(
                unit=su.unit,
                record=records.get(su.unit_id),
                evidence=evidence.get(su.unit_id, []),
            )
            for su in scheme.scheme_units.all()
        ]
        return SchemeStanding(scheme=scheme, units=units)

    for application in applications:
        scheme = application.scheme
        if scheme.pk not in schemes:
            schemes[scheme.pk] = standing(scheme)
        schemes[scheme.pk].applications.append(application)
    # Active schemes covering a unit on the record, not applied for yet: where
    # the trainee can apply next (each is shown with its apply link).
    if records:
        for scheme in (
            CertificationScheme.objects.filter(
                status=SchemeStatus.ACTIVE, scheme_units__unit_id__in=records.keys()
            )
            .exclude(pk__in=schemes.keys())
            .distinct()
            .prefetch_related(
                Prefetch(
                    "scheme_units",
                    queryset=SchemeUnit.objects.select_related("unit").order_by(
                        "position"
                    ),
                )
            )
            .order_by("code")
        ):
            schemes[scheme.pk] = standing(scheme)
    shown = {u.unit.pk for s in schemes.values() for u in s.units}
    others = [
        UnitStanding(unit=r.unit, record=r, evidence=evidence.get(unit_id, []))
        for unit_id, r in sorted(
            records.items(),
            key=lambda item: (
                item[1].unit.standard.code,
                item[1].unit.position,
                item[1].unit.code,
            ),
        )
        if unit_id not in shown
    ]
    standings = list(schemes.values())
    if others:
        standings.append(SchemeStanding(scheme=None, units=others))
    return TraineeRecord(schemes=standings, certificates=certificates)


def certificate_get_for_holder(*, holder: User, pk: int) -> Certificate | None:
    """One of the person's own certificates (None for anybody else's)."""
    return certificate_list_for_holder(holder).filter(pk=pk).first()


def application_list_for_assessor(
    assessor: User,
) -> QuerySet[CertificationApplication]:
    """Open applications of the schemes owned by the bodies the person assesses for.

    With scheme, applicant and current recommendations, in the order they came
    in, at the same few queries however long the queue is.
    """
    return (
        CertificationApplication.objects.filter(
            scheme__owner_id__in=_body_ids(assessor, {Role.ASSESSOR}),
            status=ApplicationStatus.SUBMITTED,
        )
        .select_related("scheme", "trainee")
        .prefetch_related(
            Prefetch(
                "recommendations",
                queryset=AssessorRecommendation.objects.current().select_related(
                    "unit"
                ),
                to_attr="current_recommendations",
            ),
            Prefetch(
                "scheme__scheme_units",
                queryset=SchemeUnit.objects.order_by("position"),
                to_attr="ordered_units",
            ),
        )
        .order_by("submitted_at", "id")
    )


def _units_reviewed(path: str = "") -> list[Prefetch]:
    """An application's scheme units in order and its current recommendations,
    what a review page lists per unit; ``path`` leads to the application."""
    return [
        Prefetch(
            f"{path}scheme__scheme_units",
            queryset=SchemeUnit.objects.select_related("unit").order_by("position"),
            to_attr="ordered_units",
        ),
        Prefetch(
            f"{path}recommendations",
            queryset=AssessorRecommendation.objects.current().select_related(
                "assessor"
            ),
            to_attr="current_recommendations",
        ),
    ]


def _application_detail(applications: QuerySet) -> QuerySet:
    return applications.select_related("scheme__owner", "trainee").prefetch_related(
        *_units_reviewed(),
        Prefetch(
            "decisions",
            queryset=CommitteeDecision.objects.current()
            .select_related("decided_by", "certificate")
            .prefetch_related(
                # An upheld appeal sends the application back for assessment:
                # the assessor and the committee see why.
                Prefetch(
                    "appeals",
                    queryset=Appeal.objects.filter(
                        outcome=AppealOutcome.UPHELD
                    ).order_by("-decided_at"),
                    to_attr="upheld_appeals",
                )
            ),
            to_attr="current_decisions",
        ),
        Prefetch(
            "self_assessments",
            queryset=SelfAssessment.objects.select_related("element"),
        ),
    )


def application_get_for_assessor(
    *, assessor: User, pk: int
) -> CertificationApplication | None:
    """An application of a body the person assesses for (any status), or None."""
    return (
        _application_detail(
            CertificationApplication.objects.filter(
                scheme__owner_id__in=_body_ids(assessor, {Role.ASSESSOR})
            )
        )
        .filter(pk=pk)
        .first()
    )


def application_list_awaiting_decision(
    member: User,
) -> QuerySet[CertificationApplication]:
    """The committee queue: open applications with at least one recommendation."""
    return application_list_for_committee(member).filter(
        Exists(
            AssessorRecommendation.objects.filter(
                application=OuterRef("pk"), superseded_by__isnull=True
            )
        )
    )


def application_get_for_committee(
    *, member: User, pk: int
) -> CertificationApplication | None:
    """An application of a body the person decides for (any status), or None."""
    return (
        _application_detail(
            CertificationApplication.objects.filter(
                scheme__owner_id__in=_body_ids(member, {Role.COMMITTEE})
            )
        )
        .filter(pk=pk)
        .first()
    )


def conflict_declared(*, application: CertificationApplication, person: User) -> bool:
    """Whether the person has made any conflict-of-interest declaration on it."""
    return application.conflict_declarations.filter(declared_by=person).exists()


def register_bodies_for(user: User) -> QuerySet[Organisation]:
    """The certification bodies whose register the person may read."""
    bodies = Organisation.objects.filter(kind=OrganisationKind.CERTIFICATION_BODY)
    if _is_central_admin(user):
        return bodies.order_by("code")
    return bodies.filter(pk__in=_body_ids(user, REGISTER_ROLES)).order_by("code")


def certificate_list_for_register(
    user: User, *, query: str = "", status: str = ""
) -> QuerySet[Certificate]:
    """A body's register: its certificates, searched and filtered, newest first.

    ``query`` matches the number, the holder's name (as printed) or the scheme's
    code or title; ``status`` is the status people see, so "kedaluwarsa" finds
    the active certificates past their end date too. Nothing about the holder
    but the printed name is joined in (no NIK, no e-mail).
    """
    certificates = Certificate.objects.filter(
        body_id__in=register_bodies_for(user).values("pk")
    ).select_related("scheme", "body")
    query = query.strip()
    if query:
        certificates = certificates.filter(
            Q(number__icontains=query)
            | Q(holder_name__icontains=query)
            | Q(scheme__code__icontains=query)
            | Q(scheme__title__icontains=query)
        )
    today = timezone.localdate()
    if status == CertificateStatus.ACTIVE:
        certificates = certificates.filter(
            status=CertificateStatus.ACTIVE, valid_until__gte=today
        )
    elif status == CertificateStatus.EXPIRED:
        certificates = certificates.filter(
            Q(status=CertificateStatus.EXPIRED)
            | Q(status=CertificateStatus.ACTIVE, valid_until__lt=today)
        )
    elif status in (CertificateStatus.SUSPENDED, CertificateStatus.REVOKED):
        certificates = certificates.filter(status=status)
    return certificates.order_by("-issued_on", "-id")


def _audit_scope(user: User) -> Q:
    if _is_central_admin(user):
        return Q()
    return Q(scheme__owner_id__in=_body_ids(user, AUDIT_ROLES))


def application_get_for_audit(
    *, user: User, pk: int
) -> CertificationApplication | None:
    """An application whose audit trail the person may read, or None."""
    return (
        CertificationApplication.objects.filter(_audit_scope(user), pk=pk)
        .select_related("scheme__owner", "trainee")
        .first()
    )


def certificate_get_for_audit(*, user: User, pk: int) -> Certificate | None:
    """A certificate whose audit trail the person may read, or None."""
    return (
        Certificate.objects.filter(_audit_scope(user), pk=pk)
        .select_related("decision__application")
        .first()
    )


@dataclass(frozen=True)
class AuditEvent:
    """One line of an audit trail: when, what, who, and why."""

    at: Any
    kind: str
    what: str
    who: User | None
    why: str = ""


def application_audit_trail(application: CertificationApplication) -> list[AuditEvent]:
    """Every step on an application in time order (7 queries, whatever its length).

    Submission, conflict declarations, every recommendation and decision with
    their corrections (superseded rows included), appeals lodged and decided,
    and each status change of the certificate issued on it.
    """
    events = [
        AuditEvent(
            at=application.submitted_at,
            kind="submitted",
            what=_("Application submitted (%(purpose)s)")
            % {"purpose": application.get_purpose_display()},
            who=application.trainee,
        )
    ]
    for d in ConflictOfInterestDeclaration.objects.filter(
        application=application
    ).select_related("declared_by"):
        events.append(
            AuditEvent(
                at=d.declared_at,
                kind="conflict",
                what=_("Declared a conflict of interest")
                if d.has_conflict
                else _("Declared no conflict of interest"),
                who=d.declared_by,
                why=d.statement,
            )
        )
    for r in AssessorRecommendation.objects.filter(
        application=application
    ).select_related("unit", "assessor"):
        what = _("Recommended %(outcome)s on unit %(code)s") % {
            "outcome": r.outcome,
            "code": r.unit.code,
        }
        if r.correction_reason:
            what += " · " + _("correction: %(reason)s") % {
                "reason": r.correction_reason
            }
        events.append(
            AuditEvent(
                at=r.recorded_at,
                kind="recommendation",
                what=what,
                who=r.assessor,
                why=r.reasons,
            )
        )
    decisions = list(
        CommitteeDecision.objects.filter(application=application).select_related(
            "decided_by"
        )
    )
    for d in decisions:
        what = _("Decided %(outcome)s") % {"outcome": d.outcome}
        if d.correction_reason:
            what += " · " + _("correction: %(reason)s") % {
                "reason": d.correction_reason
            }
        events.append(
            AuditEvent(
                at=d.decided_at,
                kind="decision",
                what=what,
                who=d.decided_by,
                why=d.reasons,
            )
        )
    for a in Appeal.objects.filter(decision__in=decisions).select_related(
        "lodged_by", "decided_by"
    ):
        events.append(
            AuditEvent(
                at=a.lodged_at,
                kind="appeal",
                what=_("Appeal lodged"),
                who=a.lodged_by,
                why=a.grounds,
            )
        )
        if a.decided_at:
            events.append(
                AuditEvent(
                    at=a.decided_at,
                    kind="appeal",
                    what=_("Appeal decided: %(outcome)s")
                    % {"outcome": a.get_outcome_display()},
                    who=a.decided_by,
                    why=a.outcome_reasons,
                )
            )
    events += _status_events(
        CertificateStatusChange.objects.filter(
            certificate__decision__application=application
        )
    )
    events.sort(key=lambda e: e.at)
    return events


def certificate_audit_trail(certificate: Certificate) -> list[AuditEvent]:
    """A certificate's status history (a training certificate has no application)."""
    return _status_events(
        CertificateStatusChange.objects.filter(certificate=certificate)
    )


def _status_events(changes: QuerySet[CertificateStatusChange]) -> list[AuditEvent]:
    events = []
    for c in changes.select_related("certificate", "changed_by"):
        events.append(
            AuditEvent(
                at=c.changed_at,
                kind="status",
                what=_("Certificate %(number)s: %(old)s → %(new)s")
                % {
                    "number": c.certificate.number,
                    "old": c.get_from_status_display() or "–",
                    "new": c.get_to_status_display(),
                },
                who=c.changed_by,
                why=c.reason,
            )
        )
    events.sort(key=lambda e: e.at)
    return events


def certification_bodies_for(user: User, role: str) -> QuerySet[Organisation]:
    """The certification bodies where the person holds ``role`` today."""
    return Organisation.objects.filter(
        kind=OrganisationKind.CERTIFICATION_BODY, pk__in=_body_ids(user, {role})
    ).order_by("code")


# --- appeals (banding) and certificate status pages ------------------------------

# Who sees a body's appeals: its administrators and committee (only a committee
# member may decide one; the service says so when anyone else tries).
APPEAL_ROLES = REGISTER_ROLES


def application_get_for_appellant(
    *, trainee: User, pk: int
) -> CertificationApplication | None:
    """One of the person's own applications, with scheme, units, the current
    decision and its appeals (None for anybody else's), in 5 queries."""
    return (
        CertificationApplication.objects.filter(trainee=trainee, pk=pk)
        .select_related("scheme__owner")
        .prefetch_related(
            Prefetch(
                "scheme__scheme_units",
                queryset=SchemeUnit.objects.select_related("unit").order_by("position"),
                to_attr="ordered_units",
            ),
            Prefetch(
                "decisions",
                queryset=CommitteeDecision.objects.current().prefetch_related(
                    Prefetch(
                        "appeals",
                        queryset=Appeal.objects.select_related("decided_by").order_by(
                            "-lodged_at", "-id"
                        ),
                    )
                ),
                to_attr="current_decisions",
            ),
        )
        .first()
    )


def _appeals_for(user: User) -> QuerySet[Appeal]:
    return Appeal.objects.filter(
        decision__application__scheme__owner_id__in=_body_ids(user, APPEAL_ROLES)
    ).select_related(
        "decision__decided_by",
        "decision__application__scheme__owner",
        "decision__application__trainee",
        "lodged_by",
        "decided_by",
    )


def appeal_list_for_staff(user: User, *, pending: bool = True) -> QuerySet[Appeal]:
    """The appeals queue of the bodies the person administers or decides for.

    Pending appeals oldest first (``pending=False``: the decided ones, newest
    first), each with its decision, application, scheme and applicant joined in,
    so a page costs the same queries however long the queue is.
    """
    appeals = _appeals_for(user)
    if pending:
        return appeals.filter(outcome=AppealOutcome.PENDING).order_by("lodged_at", "id")
    return appeals.exclude(outcome=AppealOutcome.PENDING).order_by("-decided_at", "-id")


def appeal_get_for_staff(*, user: User, pk: int) -> Appeal | None:
    """One appeal of a body the person administers or decides for, or None.

    With the application's scheme units in order and its current
    recommendations (3 queries), what the page lists per unit.
    """
    return (
        _appeals_for(user)
        .filter(pk=pk)
        .prefetch_related(*_units_reviewed("decision__application__"))
        .first()
    )


def certificate_get_for_manager(*, user: User, pk: int) -> Certificate | None:
    """A certificate of a body whose register the person reads, with its status
    history (who, when, why) in time order; None for any other body's."""
    # The central admin reads every body's certificates; checked in the same
    # query (a subquery) rather than a query of its own.
    central = Membership.objects.active().filter(user=user, role=Role.CENTRAL_ADMIN)
    return (
        Certificate.objects.filter(
            Q(body_id__in=_body_ids(user, REGISTER_ROLES)) | Q(Exists(central)),
            body__kind=OrganisationKind.CERTIFICATION_BODY,
            pk=pk,
        )
        .select_related("scheme", "body", "holder")
        .prefetch_related(
            Prefetch(
                "status_changes",
                queryset=CertificateStatusChange.objects.select_related(
                    "changed_by"
                ).order_by("changed_at", "id"),
            )
        )
        .first()
    )


def certification_bodies_for_any(user: User, roles: Any) -> QuerySet[Organisation]:
    """The certification bodies where the person holds any of ``roles`` today."""
    return Organisation.objects.filter(
        kind=OrganisationKind.CERTIFICATION_BODY, pk__in=_body_ids(user, set(roles))
    ).order_by("code")


# The trainee's application (APL-01 with the APL-02 self-assessment) ----------------


def scheme_get_open_for_application(*, code: str) -> CertificationScheme | None:
    """An active scheme by code, with its units and their elements, in order."""
    return (
        CertificationScheme.objects.filter(code=code, status=SchemeStatus.ACTIVE)
        .prefetch_related(
            Prefetch(
                "scheme_units",
                queryset=SchemeUnit.objects.select_related("unit")
                .prefetch_related("unit__elements")
                .order_by("position"),
            )
        )
        .first()
    )


def training_jp_for(trainee: User) -> int:
    """JP of the person's completed training: the sum over their training
    certificates that are not revoked (each is issued once per completion)."""
    total = (
        Certificate.objects.filter(holder=trainee, kind=CertificateKind.TRAINING)
        .exclude(status=CertificateStatus.REVOKED)
        .aggregate(total=Sum("training_jp"))["total"]
    )
    return total or 0
