"""Certificate upkeep: expiry through the status path, reminders once per threshold."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import translation

from lms.certification import reminders
from lms.certification.models import (
    CertificateReminder,
    CertificateStatus,
    CertificateStatusChange,
)
from lms.certification.services import certificate_suspend
from tests.lms.test_certification import people, walk_to_certificate

pytestmark = pytest.mark.django_db

CENTRE_ADMIN = "penyelenggara.r3@lms.example"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def recipients() -> list[list[str]]:
    return [m.to for m in mail.outbox]


def test_expiry_marks_kedaluwarsa_with_history_and_nothing_deleted():
    certificate = walk_to_certificate()
    day_after = certificate.valid_until + dt.timedelta(days=1)
    # On its last day it is still valid.
    assert reminders.certificates_expire(today=certificate.valid_until) == 0
    assert reminders.certificate_upkeep(today=day_after).expired == 1
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.EXPIRED
    history = list(
        certificate.status_changes.values_list("from_status", "to_status", "changed_by")
    )
    assert history == [
        ("", "aktif", people()["admin"].pk),
        ("aktif", "kedaluwarsa", None),
    ]
    # A second run changes nothing and adds no row.
    assert reminders.certificates_expire(today=day_after) == 0
    assert certificate.status_changes.count() == 2


def test_a_suspended_certificate_stays_suspended_past_its_date():
    certificate = walk_to_certificate()
    certificate_suspend(certificate=certificate, by=people()["admin"], reason="Audit")
    reminders.certificates_expire(today=certificate.valid_until + dt.timedelta(days=3))
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.SUSPENDED
    assert not CertificateStatusChange.objects.filter(
        certificate=certificate, to_status="kedaluwarsa"
    ).exists()


def test_reminders_go_to_holder_and_centre_admins_once_per_threshold():
    certificate = walk_to_certificate()
    holder = certificate.holder
    at_90 = certificate.valid_until - dt.timedelta(days=90)
    report = reminders.certificate_upkeep(today=at_90)
    assert report.reminders_sent == 1
    assert recipients() == [[holder.email], [CENTRE_ADMIN]]
    assert certificate.number in mail.outbox[0].subject
    assert "90" in mail.outbox[0].subject
    # Run twice the same day, and the next day: nothing more.
    reminders.certificate_upkeep(today=at_90)
    reminders.certificate_upkeep(today=at_90 + dt.timedelta(days=1))
    assert len(mail.outbox) == 2
    # At 60, 30 and 7 days one more each, then none at 5 days.
    for days in (60, 30, 7, 5):
        reminders.certificate_upkeep(
            today=certificate.valid_until - dt.timedelta(days=days)
        )
    assert len(mail.outbox) == 2 + 3 * 2
    rows = CertificateReminder.objects.filter(certificate=certificate)
    assert sorted(rows.values_list("threshold_days", flat=True)) == [7, 30, 60, 90]
    assert all(r.sent_at and r.recipients[0] == holder.email for r in rows)


def test_a_missed_day_is_caught_up_with_one_reminder_not_two():
    certificate = walk_to_certificate()
    report = reminders.reminders_send(
        today=certificate.valid_until - dt.timedelta(days=59)
    )
    assert report.reminders_sent == 1
    assert [m.to for m in mail.outbox] == [[certificate.holder.email], [CENTRE_ADMIN]]
    assert " 59 " in mail.outbox[0].subject  # "59 days" / "59 hari"
    assert list(
        CertificateReminder.objects.filter(certificate=certificate).values_list(
            "threshold_days", flat=True
        )
    ) == [60]


def test_a_run_that_loses_the_claim_to_a_concurrent_run_sends_nothing(monkeypatch):
    certificate = walk_to_certificate()
    today = certificate.valid_until - dt.timedelta(days=30)
    original = reminders._centre_admin_emails

    def other_run_claims_first(holders):
        # Between this run's read and its insert, another run inserts the row.
        CertificateReminder.objects.create(
            certificate=certificate,
            threshold_days=30,
            valid_until=certificate.valid_until,
        )
        return original(holders)

    monkeypatch.setattr(reminders, "_centre_admin_emails", other_run_claims_first)
    report = reminders.reminders_send(today=today)
    assert (report.reminders_sent, report.already_claimed) == (0, 1)
    assert mail.outbox == []
    assert CertificateReminder.objects.filter(certificate=certificate).count() == 1


def test_a_failed_send_keeps_the_claim_and_is_not_retried(monkeypatch):
    certificate = walk_to_certificate()
    today = certificate.valid_until - dt.timedelta(days=7)

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(reminders, "send_mail", broken)
    assert reminders.reminders_send(today=today).reminders_failed == 1
    row = CertificateReminder.objects.get(certificate=certificate)
    assert row.sent_at is None and "SMTP down" in row.error
    monkeypatch.undo()
    assert reminders.reminders_send(today=today).reminders_sent == 0
    assert mail.outbox == []


def test_reminders_skip_suspended_and_revoked_certificates():
    certificate = walk_to_certificate()
    certificate_suspend(certificate=certificate, by=people()["admin"], reason="Audit")
    reminders.reminders_send(today=certificate.valid_until - dt.timedelta(days=7))
    assert mail.outbox == []


def test_command_for_cron_prints_what_it_did():
    certificate = walk_to_certificate()
    out = io.StringIO()
    day = (certificate.valid_until - dt.timedelta(days=30)).isoformat()
    call_command("send_certificate_reminders", "--date", day, stdout=out)
    assert "reminders sent 1" in out.getvalue()
    out = io.StringIO()
    call_command("send_certificate_reminders", "--date", day, stdout=out)
    assert "reminders sent 0" in out.getvalue()
    assert len(mail.outbox) == 2


def test_the_background_task_does_the_same_work():
    from lms.certification.tasks import certificate_upkeep_task

    certificate = walk_to_certificate()
    day = certificate.valid_until + dt.timedelta(days=1)
    result = certificate_upkeep_task.enqueue(day.isoformat())
    assert result.return_value["expired"] == 1
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.EXPIRED
