"""Recertification (sertifikasi ulang): the window and which units are assessed again.

A holder may apply for recertification in a scheme only while their certificate in
it is active and inside the window that opens ``LMS_RECERTIFICATION_WINDOW_DAYS``
(default 180) days before it expires. The application then asks only for the
units that need it: a unit whose latest verified evidence is older than the
unit's recency limit (stale), that stands BK or pending in the competency record
(failed), or that has no evidence at all. Every other unit carries over.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.evidence.models import EvidenceOutcome, EvidenceRecord
from lms.models import CertificationScheme, CompetencyRecord, CompetencyUnit, User
from lms.records.models import CompetencyOutcome

from .models import Certificate, CertificateKind, CertificateStatus

DEFAULT_WINDOW_DAYS = 180


def window_days() -> int:
    """Days before expiry the recertification window opens (setting)."""
    return int(
        getattr(settings, "LMS_RECERTIFICATION_WINDOW_DAYS", DEFAULT_WINDOW_DAYS)
    )


@dataclass
class UnitStanding:
    """Why a unit is assessed again, or that it carries over."""

    unit: CompetencyUnit
    reason: str  # "current", "stale", "failed" or "no_evidence"
    last_evidence_at: dt.datetime | None = None

    @property
    def carries_over(self) -> bool:
        return self.reason == "current"


@dataclass
class RenewalPlan:
    """The certificate being renewed and each scheme unit's standing."""

    certificate: Certificate
    window_opens: dt.date
    units: list[UnitStanding] = field(default_factory=list)

    @property
    def required(self) -> list[CompetencyUnit]:
        return [s.unit for s in self.units if not s.carries_over]

    @property
    def carried_over(self) -> list[CompetencyUnit]:
        return [s.unit for s in self.units if s.carries_over]


def _latest_certificate(
    holder: User, scheme: CertificationScheme
) -> Certificate | None:
    return (
        Certificate.objects.filter(
            holder=holder, scheme=scheme, kind=CertificateKind.COMPETENCY
        )
        .exclude(status=CertificateStatus.REVOKED)
        .order_by("-valid_until", "-id")
        .first()
    )


def unit_standings(
    *, holder: User, scheme: CertificationScheme, now: dt.datetime | None = None
) -> list[UnitStanding]:
    """Each unit of the scheme, in order, with whether it is still current.

    Three queries whatever the number of units: the units, the latest verified
    positive evidence per unit, and the holder's records.
    """
    now = now or timezone.now()
    units = list(
        CompetencyUnit.objects.filter(scheme_units__scheme=scheme).order_by(
            "scheme_units__position"
        )
    )
    latest = dict(
        EvidenceRecord.objects.current()
        .filter(
            trainee=holder,
            unit__in=units,
            verified=True,
            outcome__in=EvidenceOutcome.positive(),
        )
        .values("unit_id")
        .annotate(last=Max("occurred_at"))
        .values_list("unit_id", "last")
    )
    records = dict(
        CompetencyRecord.objects.filter(trainee=holder, unit__in=units).values_list(
            "unit_id", "outcome"
        )
    )
    standings = []
    for unit in units:
        last = latest.get(unit.pk)
        if records.get(unit.pk) != CompetencyOutcome.COMPETENT:
            reason = "failed" if unit.pk in records else "no_evidence"
        elif last is None:
            reason = "no_evidence"
        elif unit.evidence_recency_days and last < now - dt.timedelta(
            days=unit.evidence_recency_days
        ):
            reason = "stale"
        else:
            reason = "current"
        standings.append(UnitStanding(unit=unit, reason=reason, last_evidence_at=last))
    return standings


def renewal_plan(
    *, holder: User, scheme: CertificationScheme, today: dt.date | None = None
) -> tuple[RenewalPlan | None, list[str]]:
    """The plan of a recertification, or every reason it cannot start now.

    Returns ``(plan, [])`` when the holder has an active certificate of the
    scheme inside its window, else ``(None, problems)``.
    """
    today = today or timezone.localdate()
    certificate = _latest_certificate(holder, scheme)
    if certificate is None:
        return None, [_("Recertification needs an earlier certificate in this scheme.")]
    problems: list[str] = []
    opens = certificate.valid_until - dt.timedelta(days=window_days())
    status = certificate.effective_status(today)
    if status == CertificateStatus.EXPIRED:
        problems.append(
            _(
                "Certificate %(number)s expired on %(date)s; apply for certification "
                "instead of recertification."
            )
            % {"number": certificate.number, "date": certificate.valid_until}
        )
    elif status != CertificateStatus.ACTIVE:
        problems.append(
            _("Certificate %(number)s is %(status)s; it cannot be renewed now.")
            % {
                "number": certificate.number,
                "status": certificate.effective_status_label(today),
            }
        )
    elif today < opens:
        problems.append(
            _(
                "Recertification for certificate %(number)s opens on %(date)s, "
                "%(days)d days before it expires."
            )
            % {"number": certificate.number, "date": opens, "days": window_days()}
        )
    if problems:
        return None, problems
    plan = RenewalPlan(
        certificate=certificate,
        window_opens=opens,
        units=unit_standings(holder=holder, scheme=scheme),
    )
    return plan, []
