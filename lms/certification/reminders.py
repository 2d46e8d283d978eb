"""Certificate upkeep: expiry and reminders before it, run daily (task or cron).

Expiry goes through the same status-change path as suspension and revocation, so
the history shows when a certificate became kedaluwarsa; nothing is deleted.

Reminders go out, for competency and training certificates alike (both
expire), 90, 60, 30 and 7 days before expiry (``LMS_CERTIFICATE_REMINDER_
DAYS``) to the holder and to the administrators of the holder's centre. Each is
claimed by inserting a `CertificateReminder` row (unique per certificate and
threshold) and committing it *before* the e-mail is sent, so two runs, even at the
same time, send it once. A missed day is caught up with one reminder: the nearest
threshold the certificate has reached, never the ones it passed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.models import Membership, Role, User

from .credentials import verify_url
from .models import Certificate, CertificateReminder, CertificateStatus
from .renewal import window_days
from .services import certificate_expire

logger = logging.getLogger(__name__)
DEFAULT_THRESHOLDS = (90, 60, 30, 7)


def thresholds() -> tuple[int, ...]:
    """Days before expiry a reminder goes out, largest first."""
    days = getattr(settings, "LMS_CERTIFICATE_REMINDER_DAYS", DEFAULT_THRESHOLDS)
    return tuple(sorted({int(d) for d in days}, reverse=True))


def threshold_due(days_left: int) -> int | None:
    """The reminder a certificate with ``days_left`` should have had last.

    The smallest threshold not below ``days_left``: at 59 days it is the 60-day
    reminder (the 90-day one is passed over, not sent late).
    """
    reached = [t for t in thresholds() if days_left <= t]
    return min(reached) if reached and days_left >= 0 else None


@dataclass
class UpkeepReport:
    expired: int = 0
    reminders_sent: int = 0
    reminders_failed: int = 0
    already_claimed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def certificates_expire(*, today: dt.date | None = None) -> int:
    """Mark every stored-aktif certificate past its valid-until date kedaluwarsa.

    One transaction per certificate (its row locked), so a failure later keeps
    what was done, and a second run finds nothing left. Returns how many expired.
    """
    today = today or timezone.localdate()
    ids = list(
        Certificate.objects.filter(
            status=CertificateStatus.ACTIVE, valid_until__lt=today
        ).values_list("pk", flat=True)
    )
    expired = 0
    for certificate in Certificate.objects.filter(pk__in=ids).iterator():
        try:
            certificate_expire(certificate=certificate, today=today)
        except ValidationError:
            continue  # changed meanwhile (suspended, or expired by another run)
        expired += 1
    return expired


def _centre_admin_emails(holders: set[int]) -> dict[int, list[str]]:
    """Per holder, the e-mails of the active admins of the centres they train at."""
    centres: dict[int, set[int]] = {}
    for user_id, org_id in (
        Membership.objects.active()
        .filter(user_id__in=holders, role=Role.TRAINEE)
        .values_list("user_id", "organisation_id")
    ):
        centres.setdefault(user_id, set()).add(org_id)
    admins: dict[int, set[str]] = {}
    for org_id, email in (
        Membership.objects.active()
        .filter(
            organisation_id__in={o for s in centres.values() for o in s},
            role=Role.CENTRE_ADMIN,
            user__is_active=True,
        )
        .values_list("organisation_id", "user__email")
    ):
        admins.setdefault(org_id, set()).add(email)
    return {
        user_id: sorted({e for o in orgs for e in admins.get(o, ())})
        for user_id, orgs in centres.items()
    }


def _claim(certificate: Certificate, threshold: int) -> CertificateReminder | None:
    """Insert and commit the reminder row; None when another run holds it."""
    try:
        with transaction.atomic():
            return CertificateReminder.objects.create(
                certificate=certificate,
                threshold_days=threshold,
                valid_until=certificate.valid_until,
            )
    except IntegrityError:
        return None


def _message(certificate: Certificate, days_left: int, language: str) -> tuple:
    with translation.override(language):
        subject = _("Your certificate %(number)s expires in %(days)d days") % {
            "number": certificate.number,
            "days": days_left,
        }
        if certificate.is_training:
            # A training certificate has no recertification path: the trainee
            # takes the course (or its refresher) again.
            body = _(
                "Training certificate %(number)s (%(course)s) of %(holder)s is "
                "valid until %(date)s, %(days)d days from today.\n\n"
                "Status: %(url)s"
            ) % {
                "number": certificate.number,
                "course": certificate.subject_title,
                "holder": certificate.holder_name,
                "date": certificate.valid_until.strftime("%d-%m-%Y"),
                "days": days_left,
                "url": verify_url(certificate),
            }
            return subject, body
        body = _(
            "Certificate %(number)s (%(scheme)s) of %(holder)s is valid until "
            "%(date)s, %(days)d days from today.\n\n"
            "Recertification can be applied for from %(opens)s. Status: %(url)s"
        ) % {
            "number": certificate.number,
            "scheme": certificate.subject_title,
            "holder": certificate.holder_name,
            "date": certificate.valid_until.strftime("%d-%m-%Y"),
            "days": days_left,
            "opens": (
                certificate.valid_until - dt.timedelta(days=window_days())
            ).strftime("%d-%m-%Y"),
            "url": verify_url(certificate),
        }
    return subject, body


def reminders_send(*, today: dt.date | None = None) -> UpkeepReport:
    """Send the reminders due today (see module docstring); returns the counts.

    Queries: the candidates with their holders and the reminders they already
    have, the centre admins, then per reminder one insert, the e-mail and one
    update: nothing is looped over that does not need a message.
    """
    today = today or timezone.localdate()
    report = UpkeepReport()
    horizon = today + dt.timedelta(days=max(thresholds(), default=0))
    candidates = list(
        # Both kinds expire (training certificates after
        # LMS_TRAINING_CERTIFICATE_VALIDITY_MONTHS), so both are reminded.
        Certificate.objects.filter(
            status=CertificateStatus.ACTIVE,
            valid_until__gte=today,
            valid_until__lte=horizon,
        )
        .select_related("holder", "scheme", "body")
        .order_by("valid_until", "pk")
    )
    claimed = set(
        CertificateReminder.objects.filter(certificate__in=candidates).values_list(
            "certificate_id", "threshold_days"
        )
    )
    due = []
    for certificate in candidates:
        days_left = (certificate.valid_until - today).days
        threshold = threshold_due(days_left)
        if threshold is not None and (certificate.pk, threshold) not in claimed:
            due.append((certificate, threshold, days_left))
    admins = _centre_admin_emails({c.holder_id for c, _t, _d in due})
    for certificate, threshold, days_left in due:
        reminder = _claim(certificate, threshold)
        if reminder is None:
            report.already_claimed += 1
            continue
        holder: User = certificate.holder
        recipients = [holder.email, *admins.get(holder.pk, [])]
        try:
            language = getattr(holder, "language", "") or settings.LANGUAGE_CODE
            subject, body = _message(certificate, days_left, language)
            send_mail(subject, body, None, [holder.email])
            staff = admins.get(holder.pk, [])
            if staff:
                subject, body = _message(certificate, days_left, settings.LANGUAGE_CODE)
                send_mail(subject, body, None, staff)
        except Exception as exc:  # the claim stays: at most once, never twice
            logger.exception("Reminder %s could not be sent", reminder.pk)
            CertificateReminder.objects.filter(pk=reminder.pk).update(
                error=str(exc)[:2000], recipients=recipients
            )
            report.reminders_failed += 1
            continue
        CertificateReminder.objects.filter(pk=reminder.pk).update(
            sent_at=timezone.now(), recipients=recipients
        )
        report.reminders_sent += 1
    return report


def certificate_upkeep(*, today: dt.date | None = None) -> UpkeepReport:
    """The daily run: expire what is past its date, then send due reminders."""
    today = today or timezone.localdate()
    expired = certificates_expire(today=today)
    report = reminders_send(today=today)
    report.expired = expired
    return report
