"""Recertification: a window before expiry; only stale or failed units are assessed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from lms.certification import services
from lms.certification.models import CertificationApplication
from lms.certification.renewal import renewal_plan
from lms.certification.services import SelfAssessmentAnswer
from lms.models import CompetencyElement, CompetencyRecord, PerformanceCriterion
from tests.lms.lms_factories import record
from tests.lms.test_certification import (
    make_scheme,
    people,
    recommend_all,
    submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def certificate_expiring_in(days: int, *, units: int = 3, evidence_age_days=None):
    """A certificate of a fresh 36-month scheme that expires ``days`` from today.

    ``evidence_age_days`` maps a unit's position (0-based) to how old its
    evidence is; the others get evidence from an hour ago.
    """
    who = people()
    scheme = make_scheme(units=units, validity_months=36)
    ages = evidence_age_days or {}
    order = {su.unit_id: i for i, su in enumerate(scheme.scheme_units.all())}
    now = timezone.now()
    for criterion in PerformanceCriterion.objects.filter(
        element__unit__scheme_units__scheme=scheme
    ).select_related("element__unit"):
        age = ages.get(order[criterion.element.unit_id])
        record(
            trainee=who["trainee"],
            unit=criterion.element.unit,
            criterion=criterion,
            occurred_at=now - dt.timedelta(days=age) if age else None,
        )
    application = submit(scheme, who["trainee"])
    recommend_all(application, who["assessor"])
    services.conflict_declare(
        application=application, person=who["committee"], has_conflict=False
    )
    decision = services.decision_record(
        application=application, decided_by=who["committee"], outcome="K"
    )
    today = timezone.localdate()
    valid_until = today + dt.timedelta(days=days)
    issued_on = services.add_months(valid_until, -36)
    return services.certificate_issue(
        decision=decision, issued_by=who["admin"], issued_on=issued_on
    )


def units_of(certificate):
    return [su.unit for su in certificate.scheme.scheme_units.order_by("position")]


def answers(units) -> list[SelfAssessmentAnswer]:
    return [
        SelfAssessmentAnswer(element=e, competent=True)
        for e in CompetencyElement.objects.filter(unit__in=units)
    ]


def test_recertification_before_the_window_is_refused_with_every_problem(settings):
    settings.LMS_RECERTIFICATION_WINDOW_DAYS = 180
    certificate = certificate_expiring_in(200, units=2)
    certificate.scheme.min_training_jp = 40
    certificate.scheme.save()
    with pytest.raises(ValidationError) as exc:
        services.application_submit(
            trainee=certificate.holder,
            scheme=certificate.scheme,
            purpose="sertifikasi_ulang",
            self_assessment=[],
            training_jp=0,
        )
    text = " | ".join(exc.value.messages)
    opens = certificate.valid_until - dt.timedelta(days=180)
    assert f"opens on {opens}" in text and "180 days before it expires" in text
    assert "40 JP" in text
    assert (
        CertificationApplication.objects.filter(
            scheme=certificate.scheme, purpose="sertifikasi_ulang"
        ).count()
        == 0
    )


def test_window_length_is_a_setting(settings):
    certificate = certificate_expiring_in(200, units=1)
    settings.LMS_RECERTIFICATION_WINDOW_DAYS = 210
    plan, problems = renewal_plan(holder=certificate.holder, scheme=certificate.scheme)
    assert problems == [] and plan.certificate == certificate


def test_expired_or_suspended_certificates_cannot_be_renewed():
    certificate = certificate_expiring_in(100, units=1)
    later = certificate.valid_until + dt.timedelta(days=1)
    _plan, problems = renewal_plan(
        holder=certificate.holder, scheme=certificate.scheme, today=later
    )
    assert "expired on" in problems[0] and "apply for certification" in problems[0]
    services.certificate_suspend(
        certificate=certificate, by=people()["admin"], reason="Audit"
    )
    _plan, problems = renewal_plan(holder=certificate.holder, scheme=certificate.scheme)
    assert "is Suspended (dibekukan)" in problems[0]


def test_only_stale_and_failed_units_are_asked_current_ones_carry_over():
    certificate = certificate_expiring_in(100, units=3, evidence_age_days={0: 400})
    stale, failed, current = units_of(certificate)
    stale.evidence_recency_days = 365
    stale.save()
    CompetencyRecord.objects.filter(trainee=certificate.holder, unit=failed).update(
        outcome="BK"
    )
    holder, scheme = certificate.holder, certificate.scheme

    # Answering a carried-over unit is refused, along with what is missing.
    with pytest.raises(ValidationError) as exc:
        services.application_submit(
            trainee=holder,
            scheme=scheme,
            purpose="sertifikasi_ulang",
            self_assessment=answers([current]),
        )
    text = " | ".join(exc.value.messages)
    assert "carried over from the certificate" in text
    assert f"unit {stale.code}" in text and f"unit {failed.code}" in text
    assert not CertificationApplication.objects.filter(
        scheme=scheme, purpose="sertifikasi_ulang"
    ).exists()

    application = services.application_submit(
        trainee=holder,
        scheme=scheme,
        purpose="sertifikasi_ulang",
        self_assessment=answers([stale, failed]),
    )
    assert application.renewal_of == certificate
    assert list(application.carried_over_units.all()) == [current]

    who = people()
    services.conflict_declare(
        application=application, person=who["assessor"], has_conflict=False
    )
    with pytest.raises(ValidationError, match="carried over"):
        services.recommendation_record(
            application=application,
            unit=current,
            outcome="K",
            reasons="Masih berlaku.",
            assessor=who["assessor"],
        )
    for unit in (stale, failed):
        services.recommendation_record(
            application=application,
            unit=unit,
            outcome="K",
            reasons="Bukti baru memadai.",
            assessor=who["assessor"],
        )
    # The reassessment brought the failed unit back to K.
    CompetencyRecord.objects.filter(trainee=holder, unit=failed).update(outcome="K")
    services.conflict_declare(
        application=application, person=who["committee"], has_conflict=False
    )
    decision = services.decision_record(
        application=application, decided_by=who["committee"], outcome="K"
    )
    renewed = services.certificate_issue(decision=decision, issued_by=who["admin"])
    assert renewed.pk != certificate.pk
    assert [u["code"] for u in renewed.units] == [stale.code, failed.code, current.code]
