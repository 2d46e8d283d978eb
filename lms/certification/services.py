"""Writes of the certification path: apply, recommend, decide, appeal, issue.

Every service checks everything first and raises one ValidationError naming every
problem; nothing is written then. Each runs in one transaction. Recommendations
and decisions are append-only: a correction is a new row with its reason, and the
row it replaces points to it.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from lms.evidence.models import EvidenceCategory, EvidenceOutcome, EvidenceRecord
from lms.models import (
    CertificationScheme,
    CompetencyElement,
    CompetencyRecord,
    CompetencyUnit,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from lms.records.models import CompetencyOutcome
from lms.standards.models import SchemeStatus

from .models import (
    Appeal,
    AppealOutcome,
    ApplicationPurpose,
    ApplicationStatus,
    AssessorRecommendation,
    Certificate,
    CertificateKind,
    CertificateSequence,
    CertificateStatus,
    CertificateStatusChange,
    CertificationApplication,
    CommitteeDecision,
    ConflictOfInterestDeclaration,
    SelfAssessment,
    UnitOutcome,
)

# `{body}` LSP code, `{scheme}` scheme code, `{year}` issue year, `{serial}` the
# body's next serial. The serial must appear: it is what makes numbers unique.
DEFAULT_NUMBER_FORMAT = "{body}/{scheme}/{year}/{serial:06d}"


def number_format() -> str:
    """The certificate number format (setting LMS_CERTIFICATE_NUMBER_FORMAT)."""
    return getattr(settings, "LMS_CERTIFICATE_NUMBER_FORMAT", DEFAULT_NUMBER_FORMAT)


@dataclass(frozen=True)
class SelfAssessmentAnswer:
    """One APL-02 line: the applicant's own judgement on one element."""

    element: CompetencyElement
    competent: bool
    note: str = ""


def _has_role(user: User, role: str, organisation: Organisation | None = None) -> bool:
    memberships = Membership.objects.active().filter(user=user, role=role)
    if organisation is not None:
        memberships = memberships.filter(organisation=organisation)
    return memberships.exists()


def _scheme_unit_ids(scheme: CertificationScheme) -> list[int]:
    return list(
        scheme.scheme_units.order_by("position").values_list("unit_id", flat=True)
    )


def _carried_over_ids(application: CertificationApplication) -> set[int]:
    """Units a recertification carries over (not assessed again); empty otherwise."""
    if application.purpose != ApplicationPurpose.RECERTIFICATION:
        return set()
    return set(application.carried_over_units.values_list("pk", flat=True))


@transaction.atomic
def application_submit(
    *,
    trainee: User,
    scheme: CertificationScheme,
    purpose: str,
    self_assessment: Sequence[SelfAssessmentAnswer],
    training_jp: int | None = None,
) -> CertificationApplication:
    """Submit an application (APL-01) with its self-assessment (APL-02).

    Entry checks: the purpose is known; the scheme is active; the applicant is an
    active trainee; they have no open application for the scheme; recertification
    needs an earlier certificate in the scheme that was not revoked; the completed
    training reaches the scheme's minimum JP (``training_jp`` is reported by the
    caller, since training lives in an app above this one); the self-assessment
    answers every element of the scheme's units, once, and nothing else.
    """
    problems: list[str] = []
    if purpose not in ApplicationPurpose.values:
        problems.append(_("Unknown purpose %(value)s.") % {"value": purpose})
    if scheme.status != SchemeStatus.ACTIVE:
        problems.append(
            _("Scheme %(code)s is not open for applications.") % {"code": scheme.code}
        )
    if not _has_role(trainee, Role.TRAINEE):
        problems.append(_("Only an active trainee can apply for certification."))
    if CertificationApplication.objects.filter(
        trainee=trainee, scheme=scheme, status=ApplicationStatus.SUBMITTED
    ).exists():
        problems.append(
            _("There is already an open application for scheme %(code)s.")
            % {"code": scheme.code}
        )
    plan = None
    if purpose == ApplicationPurpose.RECERTIFICATION:
        # Imported here: renewal builds on this module's helpers.
        from .renewal import renewal_plan

        plan, renewal_problems = renewal_plan(holder=trainee, scheme=scheme)
        problems += renewal_problems
    if scheme.min_training_jp and (training_jp or 0) < scheme.min_training_jp:
        problems.append(
            _("The scheme needs %(need)d JP of completed training; %(have)d JP found.")
            % {"need": scheme.min_training_jp, "have": training_jp or 0}
        )
    unit_ids = _scheme_unit_ids(scheme)
    carried = {u.pk for u in plan.carried_over} if plan else set()
    expected = {
        e.pk: e
        for e in CompetencyElement.objects.filter(
            unit_id__in=[u for u in unit_ids if u not in carried]
        ).select_related("unit")
    }
    seen: set[int] = set()
    for answer in self_assessment:
        if answer.element.unit_id in carried:
            problems.append(
                _(
                    "Element %(element)s belongs to a unit carried over from the "
                    "certificate; it is not assessed again."
                )
                % {"element": answer.element}
            )
        elif answer.element.pk not in expected:
            problems.append(
                _("Element %(element)s is not part of scheme %(code)s.")
                % {"element": answer.element, "code": scheme.code}
            )
        elif answer.element.pk in seen:
            problems.append(
                _("Element %(element)s is answered twice.")
                % {"element": answer.element}
            )
        seen.add(answer.element.pk)
    for pk in sorted(set(expected) - seen):
        element = expected[pk]
        problems.append(
            _(
                "The self-assessment does not answer element %(number)d of unit "
                "%(code)s."
            )
            % {"number": element.number, "code": element.unit.code}
        )
    if problems:
        raise ValidationError(problems)
    application = CertificationApplication(
        trainee=trainee,
        scheme=scheme,
        purpose=purpose,
        renewal_of=plan.certificate if plan else None,
    )
    application.full_clean(validate_constraints=False)
    application.save()
    if plan and plan.carried_over:
        application.carried_over_units.set(plan.carried_over)
    SelfAssessment.objects.bulk_create(
        [
            SelfAssessment(
                application=application,
                element=a.element,
                competent=a.competent,
                note=a.note.strip(),
            )
            for a in self_assessment
        ]
    )
    return application


@transaction.atomic
def conflict_declare(
    *,
    application: CertificationApplication,
    person: User,
    has_conflict: bool,
    statement: str = "",
) -> ConflictOfInterestDeclaration:
    """Record a person's conflict-of-interest declaration on an application.

    A declared conflict needs a statement of what it is. Declarations are kept;
    a later one adds to the record, it does not replace it.
    """
    if has_conflict and not statement.strip():
        raise ValidationError(_("Describe the conflict of interest."))
    declaration = ConflictOfInterestDeclaration(
        application=application,
        declared_by=person,
        has_conflict=has_conflict,
        statement=statement.strip(),
    )
    declaration.full_clean()
    declaration.save()
    return declaration


def _conflict_problems(application: CertificationApplication, person: User) -> list:
    declarations = list(
        application.conflict_declarations.filter(declared_by=person).values_list(
            "has_conflict", flat=True
        )
    )
    if any(declarations):
        return [_("You declared a conflict of interest on this application.")]
    if not declarations:
        return [_("Declare whether you have a conflict of interest first.")]
    return []


def _upheld_appeal_at(application: CertificationApplication) -> dt.datetime | None:
    """When the latest upheld appeal on the application was decided, if any."""
    return (
        Appeal.objects.filter(
            decision__application=application, outcome=AppealOutcome.UPHELD
        )
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )


@transaction.atomic
def recommendation_record(
    *,
    application: CertificationApplication,
    unit: CompetencyUnit,
    outcome: str,
    reasons: str,
    assessor: User,
    correction_reason: str = "",
) -> AssessorRecommendation:
    """Record an assessor's K/BK recommendation on one unit (AK-02).

    The assessor holds an active assessor membership, is not the applicant, and has
    declared no conflict of interest on the application. A unit already
    recommended is corrected by a new row, which needs ``correction_reason``.
    After an upheld appeal the application is assessed again by someone who did
    not assess it before.
    """
    application = CertificationApplication.objects.select_for_update().get(
        pk=application.pk
    )
    problems: list[str] = []
    if outcome not in UnitOutcome.values:
        problems.append(_("The outcome must be K or BK."))
    if not reasons.strip():
        problems.append(_("Give the reasons for the recommendation."))
    if not _has_role(assessor, Role.ASSESSOR, application.scheme.owner):
        problems.append(
            _(
                "Only an active assessor of the scheme's certification body "
                "can recommend."
            )
        )
    if assessor.pk == application.trainee_id:
        problems.append(_("Applicants cannot assess themselves."))
    if application.status != ApplicationStatus.SUBMITTED:
        problems.append(_("The application is no longer open for assessment."))
    if unit.pk not in _scheme_unit_ids(application.scheme):
        problems.append(
            _("Unit %(code)s is not part of scheme %(scheme)s.")
            % {"code": unit.code, "scheme": application.scheme.code}
        )
    elif unit.pk in _carried_over_ids(application):
        problems.append(
            _("Unit %(code)s is carried over from the certificate; it is not assessed.")
            % {"code": unit.code}
        )
    problems += _conflict_problems(application, assessor)
    upheld = _upheld_appeal_at(application)
    if (
        upheld is not None
        and AssessorRecommendation.objects.filter(
            application=application, assessor=assessor, recorded_at__lte=upheld
        ).exists()
    ):
        problems.append(
            _(
                "An appeal against this application was upheld; another assessor "
                "assesses it again."
            )
        )
    current = (
        AssessorRecommendation.objects.current()
        .filter(application=application, unit=unit)
        .first()
    )
    if current is not None and not correction_reason.strip():
        problems.append(
            _("Unit %(code)s is already recommended; say why it is corrected.")
            % {"code": unit.code}
        )
    if problems:
        raise ValidationError(problems)
    new = AssessorRecommendation(
        application=application,
        unit=unit,
        outcome=outcome,
        reasons=reasons.strip(),
        assessor=assessor,
        correction_reason=correction_reason.strip() if current else "",
    )
    new.full_clean()
    new.save()
    if current is not None:
        # The one change the log allows: the old row points to its correction.
        AssessorRecommendation.objects.filter(pk=current.pk).update(superseded_by=new)
    return new


@transaction.atomic
def decision_record(
    *,
    application: CertificationApplication,
    decided_by: User,
    outcome: str,
    reasons: str = "",
    correction_reason: str = "",
) -> CommitteeDecision:
    """The certification body's decision on an application.

    Refused unless: the decider is an active committee member of the scheme's
    owner LSP; they declared no conflict of interest; they made no recommendation
    on this application (the assessor recommends, the body decides); every unit of
    the scheme has a current recommendation; a K decision has no unit recommended
    BK. A second decision is a correction and needs ``correction_reason``.
    """
    application = CertificationApplication.objects.select_for_update().get(
        pk=application.pk
    )
    scheme = application.scheme
    problems: list[str] = []
    if outcome not in UnitOutcome.values:
        problems.append(_("The outcome must be K or BK."))
    if not _has_role(decided_by, Role.COMMITTEE, scheme.owner):
        problems.append(
            _("Only a committee member of %(body)s can decide.")
            % {"body": scheme.owner}
        )
    if AssessorRecommendation.objects.filter(
        application=application, assessor=decided_by
    ).exists():
        problems.append(
            _("You made a recommendation on this application and cannot decide it.")
        )
    problems += _conflict_problems(application, decided_by)
    recommended = dict(
        AssessorRecommendation.objects.current()
        .filter(application=application)
        .values_list("unit_id", "outcome")
    )
    carried = _carried_over_ids(application)
    units = CompetencyUnit.objects.filter(
        pk__in=[u for u in _scheme_unit_ids(scheme) if u not in carried]
    ).order_by("code")
    for unit in units:
        if unit.pk not in recommended:
            problems.append(
                _("Unit %(code)s has no assessor recommendation.") % {"code": unit.code}
            )
        elif outcome == UnitOutcome.COMPETENT and recommended[unit.pk] != "K":
            problems.append(
                _("Unit %(code)s was recommended BK; the decision cannot be K.")
                % {"code": unit.code}
            )
    current = CommitteeDecision.objects.current().filter(application=application)
    current = current.first()
    if current is not None and not correction_reason.strip():
        problems.append(_("The application is already decided; say why it changes."))
    if current is not None and hasattr(current, "certificate"):
        problems.append(
            _(
                "A certificate was issued on this decision; suspend or revoke it "
                "instead."
            )
        )
    if application.status == ApplicationStatus.WITHDRAWN:
        problems.append(_("The application was withdrawn."))
    if problems:
        raise ValidationError(problems)
    decision = CommitteeDecision(
        application=application,
        outcome=outcome,
        reasons=reasons.strip(),
        decided_by=decided_by,
        correction_reason=correction_reason.strip() if current else "",
    )
    decision.full_clean(validate_constraints=False)
    decision.save()
    if current is not None:
        CommitteeDecision.objects.filter(pk=current.pk).update(superseded_by=decision)
    application.status = ApplicationStatus.DECIDED
    application.save(update_fields=["status"])
    return decision


def appeal_days() -> int:
    """Days after a decision in which the applicant may appeal (banding).

    ``LMS_CERTIFICATION_APPEAL_DAYS`` when set, else the training appeal window
    ``LMS_APPEAL_DAYS`` (14), so one setting serves both unless a body needs two.
    """
    return int(
        getattr(
            settings,
            "LMS_CERTIFICATION_APPEAL_DAYS",
            getattr(settings, "LMS_APPEAL_DAYS", 14),
        )
    )


def appeal_deadline(decision: CommitteeDecision) -> dt.datetime:
    """The last moment an appeal against ``decision`` may be lodged."""
    return decision.decided_at + dt.timedelta(days=appeal_days())


@transaction.atomic
def appeal_lodge(
    *,
    decision: CommitteeDecision,
    lodged_by: User,
    grounds: str,
    now: dt.datetime | None = None,
) -> Appeal:
    """The applicant appeals (banding, AK-04) against the current BK decision.

    Refused unless the person is the applicant, the decision is BK and the
    current one,
    the grounds are given, no appeal against it is pending, and it is lodged
    within ``appeal_days()`` of the decision. The decision row is locked first,
    so a double submit finds the first appeal pending and is refused.
    """
    decision = (
        CommitteeDecision.objects.select_for_update()
        .select_related("application")
        .get(pk=decision.pk)
    )
    problems: list[str] = []
    if lodged_by.pk != decision.application.trainee_id:
        problems.append(_("Only the applicant can appeal against the decision."))
    if decision.outcome != UnitOutcome.NOT_YET_COMPETENT:
        # A K decision gives the applicant everything they asked for.
        problems.append(_("Only a BK (not yet competent) decision can be appealed."))
    if decision.superseded_by_id is not None:
        problems.append(
            _("This decision was replaced; appeal against the current one.")
        )
    if not grounds.strip():
        problems.append(_("Give the grounds of the appeal."))
    if decision.appeals.filter(outcome=AppealOutcome.PENDING).exists():
        problems.append(_("An appeal against this decision is already pending."))
    deadline = appeal_deadline(decision)
    if (now or timezone.now()) > deadline:
        problems.append(
            _(
                "The time to appeal ended on %(date)s, %(days)s days after the "
                "decision."
            )
            % {
                "date": date_format(timezone.localtime(deadline), "j F Y"),
                "days": appeal_days(),
            }
        )
    if problems:
        raise ValidationError(problems)
    appeal = Appeal(decision=decision, lodged_by=lodged_by, grounds=grounds.strip())
    appeal.full_clean()
    appeal.save()
    return appeal


@transaction.atomic
def appeal_decide(
    *, appeal: Appeal, decided_by: User, outcome: str, reasons: str
) -> Appeal:
    """Decide an appeal once: upheld or rejected, with reasons.

    Upheld, the application is open for assessment again (see
    ``recommendation_record``); rejected, the decision stands.

    The decider is a committee member of the scheme's LSP who took no decision
    on the application (neither the one appealed against nor an earlier one it
    corrected), made no recommendation on it, is not the applicant and declared
    no conflict of interest on it.
    """
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("decision__application__scheme__owner")
        .get(pk=appeal.pk)
    )
    decision = appeal.decision
    application = decision.application
    problems: list[str] = []
    if outcome not in (AppealOutcome.UPHELD, AppealOutcome.REJECTED):
        problems.append(_("The outcome must be upheld or rejected."))
    if appeal.outcome != AppealOutcome.PENDING:
        problems.append(_("This appeal was already decided."))
    if not reasons.strip():
        problems.append(_("Give the reasons for the outcome."))
    if not _has_role(decided_by, Role.COMMITTEE, application.scheme.owner):
        problems.append(
            _("Only a committee member of %(body)s can decide.")
            % {"body": application.scheme.owner}
        )
    if (
        decided_by.pk == decision.decided_by_id
        or CommitteeDecision.objects.filter(
            application=application, decided_by=decided_by
        ).exists()
    ):
        problems.append(_("The person who took the decision cannot hear its appeal."))
    if decided_by.pk == application.trainee_id:
        problems.append(_("You cannot decide an appeal on your own application."))
    if application.conflict_declarations.filter(
        declared_by=decided_by, has_conflict=True
    ).exists():
        problems.append(_("You declared a conflict of interest on this application."))
    if AssessorRecommendation.objects.filter(
        application=application, assessor=decided_by
    ).exists():
        problems.append(
            _("You made a recommendation on this application and cannot decide it.")
        )
    if problems:
        raise ValidationError(problems)
    appeal.outcome = outcome
    appeal.outcome_reasons = reasons.strip()
    appeal.decided_by = decided_by
    appeal.decided_at = timezone.now()
    appeal.full_clean()
    appeal.save(
        update_fields=["outcome", "outcome_reasons", "decided_by", "decided_at"]
    )
    if outcome == AppealOutcome.UPHELD:
        # Banding diterima: the application goes back to assessment. Another
        # assessor recommends again (as corrections of the current rows) and the
        # committee decides again (a correction of the decision appealed).
        application.status = ApplicationStatus.SUBMITTED
        application.save(update_fields=["status"])
    return appeal


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (31 Jan → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _next_serial(body: Organisation, *, count: int = 1) -> int:
    """Take ``count`` consecutive serials of the body; the first one back.

    One ``UPDATE … RETURNING`` moves the body's counter and locks its row until
    the transaction ends, so a whole batch is numbered in one statement; serials
    are never reused (a rolled-back batch gives its range back with the rest of
    its work, a committed one keeps it). Gaps are allowed, duplicates are not:
    the unique (body, serial) constraint stays the last word.
    """
    table = connection.ops.quote_name(CertificateSequence._meta.db_table)
    sql = (
        f"UPDATE {table} SET last_value = last_value + %s "
        "WHERE body_id = %s RETURNING last_value"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [count, body.pk])
        row = cursor.fetchone()
        if row is None:
            # First serial of this body: create the counter (a concurrent first
            # issuer may win; then the row exists all the same) and take again.
            CertificateSequence.objects.bulk_create(
                [CertificateSequence(body=body)], ignore_conflicts=True
            )
            cursor.execute(sql, [count, body.pk])
            row = cursor.fetchone()
    return int(row[0]) - count + 1


def _certificate_problems(
    *,
    decision: CommitteeDecision,
    units: Sequence[CompetencyUnit],
    carried: set[int],
    recommended: dict[int, str],
    records: dict[int, str],
    appeal_pending: bool,
    may_issue: bool,
) -> list[str]:
    """Every reason a decision cannot get its certificate (facts loaded by the
    caller: `certificate_issue` for one decision, bulk issuing for a batch)."""
    problems: list[str] = []
    if decision.superseded_by_id is not None:
        problems.append(_("This decision was replaced by a later one."))
    if decision.outcome != UnitOutcome.COMPETENT:
        problems.append(_("The decision is not K (competent)."))
    if appeal_pending:
        problems.append(_("An appeal against this decision is pending."))
    if not may_issue:
        owner = decision.application.scheme.owner
        problems.append(
            _("Only %(body)s can issue its certificates.") % {"body": owner}
        )
    for unit in units:
        if unit.pk in carried:
            pass  # still current from the renewed certificate
        elif recommended.get(unit.pk) != UnitOutcome.COMPETENT:
            problems.append(
                _("Unit %(code)s is not recommended K.") % {"code": unit.code}
            )
        if records.get(unit.pk) == CompetencyOutcome.NOT_YET_COMPETENT:
            problems.append(
                _("Unit %(code)s is BK in the holder's competency record.")
                % {"code": unit.code}
            )
    return problems


# Foreign keys of a new certificate come from rows just read in the same
# transaction, so `full_clean` need not look each one up again (one query per
# key per certificate was a large share of bulk issuing).
_CERTIFICATE_FK_FIELDS = ["decision", "holder", "scheme", "body", "training_evidence"]


def _certificate_new(
    *,
    decision: CommitteeDecision,
    units: Sequence[CompetencyUnit],
    serial: int,
    issued_on: dt.date,
) -> Certificate:
    """The unsaved, validated certificate of a decision with its serial."""
    application = decision.application
    scheme, holder = application.scheme, application.trainee
    certificate = Certificate(
        number=number_format().format(
            body=scheme.owner.code,
            scheme=scheme.code,
            year=issued_on.year,
            serial=serial,
        ),
        serial=serial,
        decision=decision,
        holder=holder,
        holder_name=holder.name_with_titles,
        scheme=scheme,
        body=scheme.owner,
        units=[{"code": u.code, "version": u.version, "title": u.title} for u in units],
        issued_on=issued_on,
        valid_until=add_months(issued_on, scheme.validity_months),
    )
    certificate.full_clean(
        exclude=_CERTIFICATE_FK_FIELDS,
        validate_constraints=False,
        validate_unique=False,
    )
    return certificate


def _certificate_issued_change(
    certificate: Certificate, issued_by: User
) -> CertificateStatusChange:
    """The first history row of a competency certificate (unsaved)."""
    return CertificateStatusChange(
        certificate=certificate,
        from_status="",
        to_status=CertificateStatus.ACTIVE,
        reason=_("Issued on decision %(id)d.") % {"id": certificate.decision_id},
        changed_by=issued_by,
    )


@transaction.atomic
def certificate_issue(
    *,
    decision: CommitteeDecision,
    issued_by: User,
    issued_on: dt.date | None = None,
) -> Certificate:
    """Issue the certificate of a K decision; idempotent per decision.

    The decision row is locked first, so a repeated or concurrent run finds the
    certificate the first one issued and returns it; a crashed run rolled back
    everything, the serial included. Refused when the decision is BK or was
    replaced, when an appeal against it is pending, or when any scheme unit is
    recommended BK or stands BK in the holder's competency record. Bulk issuing
    (`lms.certification.issuing.certificate_issue_batch`) applies the same
    checks to a whole batch with a constant number of queries.
    """
    decision = (
        CommitteeDecision.objects.select_for_update()
        .select_related("application__scheme__owner", "application__trainee")
        .get(pk=decision.pk)
    )
    existing = Certificate.objects.filter(decision=decision).first()
    if existing is not None:
        return existing
    application = decision.application
    scheme, holder = application.scheme, application.trainee
    units = list(
        CompetencyUnit.objects.filter(scheme_units__scheme=scheme).order_by(
            "scheme_units__position"
        )
    )
    problems = _certificate_problems(
        decision=decision,
        units=units,
        carried=_carried_over_ids(application),
        recommended=dict(
            AssessorRecommendation.objects.current()
            .filter(application=application)
            .values_list("unit_id", "outcome")
        ),
        records=dict(
            CompetencyRecord.objects.filter(trainee=holder, unit__in=units).values_list(
                "unit_id", "outcome"
            )
        ),
        appeal_pending=decision.appeals.filter(outcome=AppealOutcome.PENDING).exists(),
        may_issue=_has_role(issued_by, Role.CERTIFICATION_ADMIN, scheme.owner)
        or _has_role(issued_by, Role.COMMITTEE, scheme.owner),
    )
    if problems:
        raise ValidationError(problems)
    issued_on = issued_on or timezone.localdate()
    certificate = _certificate_new(
        decision=decision,
        units=units,
        serial=_next_serial(scheme.owner),
        issued_on=issued_on,
    )
    # The one-to-one on the decision is the database's guarantee of one
    # certificate per decision; the lock above only makes the race rare.
    certificate.save()
    _certificate_issued_change(certificate, issued_by).save()
    return certificate


# Which stored statuses each action may start from.
_TRANSITIONS = {
    CertificateStatus.EXPIRED: {CertificateStatus.ACTIVE},
    CertificateStatus.SUSPENDED: {CertificateStatus.ACTIVE},
    CertificateStatus.REVOKED: {CertificateStatus.ACTIVE, CertificateStatus.SUSPENDED},
    CertificateStatus.ACTIVE: {CertificateStatus.SUSPENDED},
}


def may_manage_certificates(user: User, body: Organisation) -> bool:
    """Whether a person acts for the issuing body: the LSP's administrators and
    committee for competency certificates, the centre's administrators (and the
    central admin) for a centre's training certificates."""
    if body.kind == OrganisationKind.CENTRE:
        return _has_role(user, Role.CENTRE_ADMIN, body) or _has_role(
            user, Role.CENTRAL_ADMIN
        )
    return _has_role(user, Role.CERTIFICATION_ADMIN, body) or _has_role(
        user, Role.COMMITTEE, body
    )


@transaction.atomic
def _certificate_change(
    *,
    certificate: Certificate,
    to_status: str,
    by: User | None,
    reason: str,
    today: dt.date | None = None,
) -> Certificate:
    """Change a stored status with its history row; ``by=None`` is the system
    (only for expiry, which needs no one's judgement)."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    problems: list[str] = []
    if not reason.strip():
        problems.append(_("Give the reason for the change."))
    if by is None:
        if to_status != CertificateStatus.EXPIRED:
            problems.append(_("Only expiry happens without a person."))
        elif certificate.valid_until >= (today or timezone.localdate()):
            problems.append(
                _("Certificate %(number)s is valid until %(date)s.")
                % {"number": certificate.number, "date": certificate.valid_until}
            )
    elif not may_manage_certificates(by, certificate.body):
        problems.append(
            _("Only %(body)s can change its certificates.") % {"body": certificate.body}
        )
    if certificate.status not in _TRANSITIONS[to_status]:
        problems.append(
            _("A certificate that is %(now)s cannot become %(new)s.")
            % {
                "now": certificate.get_status_display(),
                "new": CertificateStatus(to_status).label,
            }
        )
    if problems:
        raise ValidationError(problems)
    CertificateStatusChange.objects.create(
        certificate=certificate,
        from_status=certificate.status,
        to_status=to_status,
        reason=reason.strip(),
        changed_by=by,
    )
    certificate.status = to_status
    certificate.save(update_fields=["status"])
    return certificate


def certificate_expire(
    *, certificate: Certificate, today: dt.date | None = None
) -> Certificate:
    """Mark a certificate past its valid-until date as kedaluwarsa (by the system).

    Only a stored aktif certificate expires; a suspended or revoked one keeps
    that status. Leaves a status-change row like every other change.
    """
    return _certificate_change(
        certificate=certificate,
        to_status=CertificateStatus.EXPIRED,
        by=None,
        reason=_("Valid until %(date)s; expired.")
        % {"date": certificate.valid_until.isoformat()},
        today=today,
    )


def certificate_suspend(
    *, certificate: Certificate, by: User, reason: str
) -> Certificate:
    """Suspend (bekukan) an active certificate, with who and why."""
    return _certificate_change(
        certificate=certificate,
        to_status=CertificateStatus.SUSPENDED,
        by=by,
        reason=reason,
    )


def certificate_revoke(
    *, certificate: Certificate, by: User, reason: str
) -> Certificate:
    """Revoke (cabut) an active or suspended certificate; final."""
    return _certificate_change(
        certificate=certificate,
        to_status=CertificateStatus.REVOKED,
        by=by,
        reason=reason,
    )


def certificate_reinstate(
    *, certificate: Certificate, by: User, reason: str
) -> Certificate:
    """Lift a suspension; a revoked certificate is never reinstated."""
    return _certificate_change(
        certificate=certificate,
        to_status=CertificateStatus.ACTIVE,
        by=by,
        reason=reason,
    )


# --- training certificates (sertifikat pelatihan) ------------------------------------

# Like DEFAULT_NUMBER_FORMAT, with `{body}` the centre's code and `{course}` the
# course's key; "PEL" keeps training numbers apart from competency numbers.
DEFAULT_TRAINING_NUMBER_FORMAT = "{body}/PEL/{year}/{serial:06d}"
COMPLETION_KEY_PREFIX = "course-completion:"


def training_number_format() -> str:
    """The training number format (LMS_TRAINING_CERTIFICATE_NUMBER_FORMAT)."""
    return getattr(
        settings,
        "LMS_TRAINING_CERTIFICATE_NUMBER_FORMAT",
        DEFAULT_TRAINING_NUMBER_FORMAT,
    )


def training_key_for(evidence: EvidenceRecord) -> str:
    """The completion an evidence row belongs to.

    Courses write one training row per target unit with the key
    ``course-completion:<enrolment>:<unit>``; every row of one completion shares
    ``course-completion:<enrolment>``, which is what a certificate is unique on.
    """
    key = evidence.idempotency_key
    if key.startswith(COMPLETION_KEY_PREFIX) and key.count(":") >= 2:
        return key.rsplit(":", 1)[0]
    return key


@transaction.atomic
def training_certificate_issue(
    *,
    evidence: EvidenceRecord,
    jp: int,
    centre: Organisation,
    issued_by: User | None,
    issued_on: dt.date | None = None,
) -> Certificate:
    """Issue the training certificate of a course completion; idempotent.

    ``issued_by`` is the centre's administrator issuing by hand, or None when
    the courses app issues it itself the moment the course is completed
    (`courses.services.course_completion_check`): the completion, checked by the
    server, is then the authority, and the history row names no person.

    ``evidence`` is one of the completion's training evidence rows (category
    training, outcome completed, verified, current); ``jp`` is the JP earned,
    reported by the caller as training lives in an app above this one. The
    certificate lists the units of every training row of the same completion.
    One certificate per completion is held by the unique ``training_key``: a
    repeated or concurrent issue returns the first certificate.
    """
    key = training_key_for(evidence)
    existing = Certificate.objects.filter(training_key=key).first()
    if existing is not None:
        return existing
    problems: list[str] = []
    if evidence.category != EvidenceCategory.TRAINING:
        problems.append(_("The evidence is not a training record."))
    if evidence.outcome != EvidenceOutcome.COMPLETED:
        problems.append(_("The evidence does not record a completed course."))
    if not evidence.verified:
        problems.append(_("The evidence was not verified by the server."))
    if evidence.superseded_by_id is not None:
        problems.append(_("The evidence was corrected by a later record."))
    if jp <= 0:
        problems.append(_("The JP earned must be more than zero."))
    if centre.kind != OrganisationKind.CENTRE:
        problems.append(_("Training certificates are issued by a training centre."))
    elif issued_by is not None and not may_manage_certificates(issued_by, centre):
        problems.append(
            _("Only %(body)s can issue its certificates.") % {"body": centre}
        )
    if problems:
        raise ValidationError(problems)
    rows = EvidenceRecord.objects.current().filter(
        trainee_id=evidence.trainee_id,
        category=EvidenceCategory.TRAINING,
        idempotency_key__startswith=f"{key}:",
    )
    unit_ids = set(rows.values_list("unit_id", flat=True)) | {evidence.unit_id}
    units = CompetencyUnit.objects.filter(pk__in=unit_ids).order_by("code")
    holder = evidence.trainee
    issued_on = issued_on or timezone.localdate()
    months = getattr(settings, "LMS_TRAINING_CERTIFICATE_VALIDITY_MONTHS", 60)
    course = evidence.source_uri.rsplit(":", 1)[-1]
    try:
        # Serial and row together: a lost race rolls the serial back as well.
        with transaction.atomic():
            serial = _next_serial(centre)
            certificate = Certificate(
                kind=CertificateKind.TRAINING,
                number=training_number_format().format(
                    body=centre.code, course=course, year=issued_on.year, serial=serial
                ),
                serial=serial,
                holder=holder,
                holder_name=holder.name_with_titles,
                body=centre,
                training_key=key,
                training_evidence=evidence,
                course_title=evidence.source_title,
                training_jp=jp,
                units=[
                    {"code": u.code, "version": u.version, "title": u.title}
                    for u in units
                ],
                issued_on=issued_on,
                valid_until=add_months(issued_on, months),
            )
            certificate.full_clean(validate_constraints=False, validate_unique=False)
            certificate.save()
    except IntegrityError:
        existing = Certificate.objects.filter(training_key=key).first()
        if existing is None:
            raise
        return existing
    CertificateStatusChange.objects.create(
        certificate=certificate,
        from_status="",
        to_status=CertificateStatus.ACTIVE,
        reason=_("Issued on completion of %(course)s (%(jp)d JP).")
        % {"course": evidence.source_title, "jp": jp},
        changed_by=issued_by,
    )
    return certificate
