"""The certification path: application → recommendation → decision → certificate."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from lms.certification import services
from lms.certification.models import (
    AppendOnlyError,
    ApplicationStatus,
    AssessorRecommendation,
    Certificate,
    CertificateSequence,
    CertificateStatus,
    CertificationApplication,
    CommitteeDecision,
)
from lms.certification.selectors import (
    application_evidence_for_assessor,
    application_list_for_committee,
)
from lms.certification.services import SelfAssessmentAnswer
from lms.models import (
    CompetencyElement,
    CompetencyRecord,
    Organisation,
    PerformanceCriterion,
    User,
)
from lms.records.services import unit_set_rollup
from lms.standards.services import scheme_activate, scheme_create
from tests.lms.lms_factories import make_standard, record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Messages are asserted in their English source; the default language is id.

    Pages follow the language switcher's cookie, so the client carries it too.
    """
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


TRAINEE = "peserta1.r3@lms.example"
ASSESSOR = "asesor.lsp@lms.example"
COMMITTEE = "komite.lsp@lms.example"
ADMIN = "admin.lsp@lms.example"


def make_scheme(*, units: int = 2, code: str | None = None, **extra):
    """An active scheme of LSP-KEMENSOS over a fresh synthetic standard."""
    standard = make_standard(units=units)
    scheme = scheme_create(
        code=code or f"SKM-{standard.code}",
        title=f"Skema {standard.code}",
        scheme_type="okupasi",
        owner=Organisation.objects.get(code="LSP-KEMENSOS"),
        units=list(standard.units.order_by("position")),
        **extra,
    )
    return scheme_activate(scheme=scheme)


def answers_for(scheme, *, competent: bool = True) -> list[SelfAssessmentAnswer]:
    elements = CompetencyElement.objects.filter(unit__scheme_units__scheme=scheme)
    return [SelfAssessmentAnswer(element=e, competent=competent) for e in elements]


def people() -> dict[str, User]:
    emails = {"trainee": TRAINEE, "assessor": ASSESSOR, "committee": COMMITTEE}
    emails["admin"] = ADMIN
    return {k: User.objects.get(email=v) for k, v in emails.items()}


def submit(scheme, trainee, **extra) -> CertificationApplication:
    return services.application_submit(
        trainee=trainee,
        scheme=scheme,
        purpose=extra.pop("purpose", "sertifikasi"),
        self_assessment=extra.pop("self_assessment", None) or answers_for(scheme),
        **extra,
    )


def recommend_all(application, assessor, outcome: str = "K") -> None:
    services.conflict_declare(
        application=application, person=assessor, has_conflict=False
    )
    for scheme_unit in application.scheme.scheme_units.select_related("unit"):
        services.recommendation_record(
            application=application,
            unit=scheme_unit.unit,
            outcome=outcome,
            reasons="Bukti observasi dan portofolio memadai.",
            assessor=assessor,
        )


def walk_to_certificate(*, trainee: User | None = None, scheme=None) -> Certificate:
    """Evidence → K records → recommendations → decision → certificate."""
    who = people()
    trainee = trainee or who["trainee"]
    scheme = scheme or make_scheme()
    for criterion in PerformanceCriterion.objects.filter(
        element__unit__scheme_units__scheme=scheme
    ).select_related("element__unit"):
        record(trainee=trainee, unit=criterion.element.unit, criterion=criterion)
    application = submit(scheme, trainee)
    recommend_all(application, who["assessor"])
    services.conflict_declare(
        application=application, person=who["committee"], has_conflict=False
    )
    decision = services.decision_record(
        application=application, decided_by=who["committee"], outcome="K"
    )
    return services.certificate_issue(decision=decision, issued_by=who["admin"])


def messages(exc: pytest.ExceptionInfo) -> str:
    return " | ".join(exc.value.messages)


# --- the walk and its outputs -------------------------------------------------


def test_trainee_walks_from_evidence_to_a_certificate():
    scheme = make_scheme(validity_months=36)
    certificate = walk_to_certificate(scheme=scheme)
    trainee = people()["trainee"]
    assert certificate.holder == trainee
    assert certificate.holder_name == trainee.name_with_titles
    assert certificate.number.startswith(f"LSP-KEMENSOS/{scheme.code}/")
    assert certificate.status == CertificateStatus.ACTIVE
    assert certificate.valid_until == services.add_months(certificate.issued_on, 36)
    assert [u["code"] for u in certificate.units] == [
        su.unit.code for su in scheme.scheme_units.order_by("position")
    ]
    assert certificate.decision.application.status == ApplicationStatus.DECIDED
    outcomes = CompetencyRecord.objects.filter(
        trainee=trainee, unit__scheme_units__scheme=scheme
    ).values_list("outcome", flat=True)
    assert list(outcomes) == ["K", "K"]
    history = list(certificate.status_changes.values_list("to_status", flat=True))
    assert history == ["aktif"]


def test_issuing_twice_for_one_decision_gives_the_same_certificate():
    certificate = walk_to_certificate()
    again = services.certificate_issue(
        decision=certificate.decision, issued_by=people()["admin"]
    )
    assert again.pk == certificate.pk
    assert Certificate.objects.filter(decision=certificate.decision).count() == 1


def test_serials_per_body_grow_and_are_never_reused():
    first = walk_to_certificate()
    second = walk_to_certificate(
        trainee=User.objects.get(email="peserta2.r3@lms.example")
    )
    assert second.serial == first.serial + 1
    assert second.number != first.number
    body = Organisation.objects.get(code="LSP-KEMENSOS")
    assert CertificateSequence.objects.get(body=body).last_value == second.serial


def test_a_refused_issue_does_not_consume_a_serial():
    first = walk_to_certificate()
    body = first.body
    who = people()
    scheme = make_scheme()
    application = submit(scheme, User.objects.get(email="peserta2.r3@lms.example"))
    recommend_all(application, who["assessor"], outcome="BK")
    services.conflict_declare(
        application=application, person=who["committee"], has_conflict=False
    )
    decision = services.decision_record(
        application=application, decided_by=who["committee"], outcome="BK"
    )
    with pytest.raises(ValidationError) as exc:
        services.certificate_issue(decision=decision, issued_by=who["admin"])
    assert "not K" in messages(exc)
    assert "is not recommended K" in messages(exc)
    assert CertificateSequence.objects.get(body=body).last_value == first.serial
    assert not Certificate.objects.filter(decision=decision).exists()


def test_number_format_is_configurable(settings):
    settings.LMS_CERTIFICATE_NUMBER_FORMAT = "SERT-{year}-{serial:05d}"
    certificate = walk_to_certificate()
    assert certificate.number == (
        f"SERT-{certificate.issued_on.year}-{certificate.serial:05d}"
    )


def test_certificate_refused_when_the_record_shows_a_bk_unit():
    who = people()
    scheme = make_scheme()
    unit = scheme.scheme_units.order_by("position").first().unit
    unit_set_rollup(unit=unit, method="latest")
    record(trainee=who["trainee"], unit=unit, outcome="not_met")
    application = submit(scheme, who["trainee"])
    recommend_all(application, who["assessor"])
    services.conflict_declare(
        application=application, person=who["committee"], has_conflict=False
    )
    decision = services.decision_record(
        application=application, decided_by=who["committee"], outcome="K"
    )
    with pytest.raises(ValidationError) as exc:
        services.certificate_issue(decision=decision, issued_by=who["admin"])
    assert f"Unit {unit.code} is BK" in messages(exc)
    assert not Certificate.objects.exists()


# --- applications -------------------------------------------------------------


def test_application_lists_every_entry_problem_at_once():
    who = people()
    scheme = make_scheme(min_training_jp=40)
    some = answers_for(scheme)[1:]
    with pytest.raises(ValidationError) as exc:
        services.application_submit(
            trainee=who["assessor"],
            scheme=scheme,
            purpose="sertifikasi_ulang",
            self_assessment=[*some, some[0]],
            training_jp=10,
        )
    text = messages(exc)
    assert "Only an active trainee" in text
    assert "Recertification needs an earlier certificate" in text
    assert "40 JP" in text
    assert "answered twice" in text
    assert "does not answer element" in text
    assert not CertificationApplication.objects.filter(scheme=scheme).exists()


def test_one_open_application_per_scheme_and_self_assessment_is_kept():
    who = people()
    scheme = make_scheme()
    application = submit(scheme, who["trainee"])
    assert application.self_assessments.count() == len(answers_for(scheme))
    with pytest.raises(ValidationError) as exc:
        submit(scheme, who["trainee"])
    assert "already an open application" in messages(exc)


def test_draft_scheme_refuses_applications():
    standard = make_standard()
    scheme = scheme_create(
        code="SKM-DRAFT",
        title="Draft",
        scheme_type="okupasi",
        owner=Organisation.objects.get(code="LSP-KEMENSOS"),
        units=list(standard.units.all()),
    )
    with pytest.raises(ValidationError) as exc:
        submit(scheme, people()["trainee"])
    assert "not open for applications" in messages(exc)


def test_recertification_accepted_with_an_earlier_certificate(settings):
    # Inside the renewal window (see test_certification_renewal.py for its rules).
    settings.LMS_RECERTIFICATION_WINDOW_DAYS = 5000
    certificate = walk_to_certificate()
    # Every unit's evidence is still current, so every unit carries over and
    # the self-assessment has nothing to answer.
    application = services.application_submit(
        trainee=certificate.holder,
        scheme=certificate.scheme,
        purpose="sertifikasi_ulang",
        self_assessment=[],
    )
    assert application.purpose == "sertifikasi_ulang"
    assert application.renewal_of == certificate
    assert application.carried_over_units.count() == len(certificate.units)


# --- recommendations ----------------------------------------------------------


def test_recommendation_rules():
    who = people()
    scheme = make_scheme()
    application = submit(scheme, who["trainee"])
    foreign_unit = make_standard(units=1).units.get()
    with pytest.raises(ValidationError) as exc:
        services.recommendation_record(
            application=application,
            unit=foreign_unit,
            outcome="X",
            reasons=" ",
            assessor=who["admin"],
        )
    text = messages(exc)
    assert "K or BK" in text
    assert "Give the reasons" in text
    assert "Only an active assessor" in text
    assert f"Unit {foreign_unit.code} is not part of scheme" in text
    assert "Declare whether you have a conflict" in text
    assert not AssessorRecommendation.objects.filter(application=application).exists()


def test_assessor_with_a_declared_conflict_cannot_recommend():
    who = people()
    application = submit(make_scheme(), who["trainee"])
    services.conflict_declare(
        application=application,
        person=who["assessor"],
        has_conflict=True,
        statement="Saudara kandung asesi.",
    )
    unit = application.scheme.scheme_units.first().unit
    with pytest.raises(ValidationError) as exc:
        services.recommendation_record(
            application=application,
            unit=unit,
            outcome="K",
            reasons="ok",
            assessor=who["assessor"],
        )
    assert "declared a conflict of interest" in messages(exc)


def test_correcting_a_recommendation_adds_a_row_and_keeps_the_old_one():
    who = people()
    application = submit(make_scheme(), who["trainee"])
    recommend_all(application, who["assessor"], outcome="BK")
    unit = application.scheme.scheme_units.first().unit
    with pytest.raises(ValidationError) as exc:
        services.recommendation_record(
            application=application,
            unit=unit,
            outcome="K",
            reasons="Bukti tambahan.",
            assessor=who["assessor"],
        )
    assert "say why it is corrected" in messages(exc)
    new = services.recommendation_record(
        application=application,
        unit=unit,
        outcome="K",
        reasons="Bukti tambahan.",
        assessor=who["assessor"],
        correction_reason="Portofolio tertinggal.",
    )
    rows = AssessorRecommendation.objects.filter(application=application, unit=unit)
    assert rows.count() == 2
    old = rows.exclude(pk=new.pk).get()
    assert old.superseded_by == new and old.outcome == "BK"
    with pytest.raises(AppendOnlyError):
        old.reasons = "rewritten"
        old.save()
    with pytest.raises(AppendOnlyError):
        rows.delete()


def test_assessor_sees_the_evidence_the_applicant_does_not_get_other_peoples():
    who = people()
    scheme = make_scheme()
    unit = scheme.scheme_units.first().unit
    mine = record(trainee=who["trainee"], unit=unit)
    record(trainee=User.objects.get(email="peserta2.r3@lms.example"), unit=unit)
    application = submit(scheme, who["trainee"])
    seen = application_evidence_for_assessor(
        application=application, assessor=who["assessor"]
    )
    assert list(seen) == [mine]
    assert not application_evidence_for_assessor(
        application=application, assessor=who["trainee"]
    ).exists()
    assert not application_evidence_for_assessor(
        application=application, assessor=who["committee"]
    ).exists()


# --- decisions and appeals ------------------------------------------------------


def test_decision_without_every_recommendation_is_refused():
    who = people()
    application = submit(make_scheme(units=2), who["trainee"])
    services.conflict_declare(
        application=application, person=who["assessor"], has_conflict=False
    )
    first = application.scheme.scheme_units.order_by("position").first().unit
    services.recommendation_record(
        application=application,
        unit=first,
        outcome="K",
        reasons="ok",
        assessor=who["assessor"],
    )
    missing = application.scheme.scheme_units.order_by("position").last().unit
    with pytest.raises(ValidationError) as exc:
        services.decision_record(
            application=application, decided_by=who["committee"], outcome="K"
        )
    text = messages(exc)
    assert f"Unit {missing.code} has no assessor recommendation" in text
    assert "Declare whether you have a conflict" in text
    assert not CommitteeDecision.objects.filter(application=application).exists()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_only_the_owner_lsps_committee_decides_and_never_the_assessor():
    who = people()
    application = submit(make_scheme(), who["trainee"])
    recommend_all(application, who["assessor"])
    with pytest.raises(ValidationError) as exc:
        services.decision_record(
            application=application, decided_by=who["assessor"], outcome="K"
        )
    text = messages(exc)
    assert "Only a committee member" in text
    assert "cannot decide it" in text


def test_k_decision_refused_over_a_bk_recommendation():
    who = people()
    application = submit(make_scheme(), who["trainee"])
    recommend_all(application, who["assessor"], outcome="BK")
    services.conflict_declare(
        application=application, person=who["committee"], has_conflict=False
    )
    with pytest.raises(ValidationError) as exc:
        services.decision_record(
            application=application, decided_by=who["committee"], outcome="K"
        )
    assert "was recommended BK" in messages(exc)


def test_appeal_is_heard_by_someone_other_than_the_decider():
    who = people()
    application = submit(make_scheme(), who["trainee"])
    recommend_all(application, who["assessor"], outcome="BK")
    services.conflict_declare(
        application=application, person=who["committee"], has_conflict=False
    )
    decision = services.decision_record(
        application=application, decided_by=who["committee"], outcome="BK"
    )
    with pytest.raises(ValidationError) as exc:
        services.appeal_lodge(decision=decision, lodged_by=who["assessor"], grounds="")
    assert "Only the applicant" in messages(exc)
    appeal = services.appeal_lodge(
        decision=decision, lodged_by=who["trainee"], grounds="Asesmen tidak adil."
    )
    with pytest.raises(ValidationError) as exc:
        services.appeal_decide(
            appeal=appeal, decided_by=who["committee"], outcome="upheld", reasons="ok"
        )
    assert "cannot hear its appeal" in messages(exc)
    appeal.refresh_from_db()
    assert appeal.outcome == "pending"
    # A second committee member of the same LSP hears it.
    from lms.services import membership_grant, person_create

    other = person_create(email="komite2.lsp@lms.example", full_name="Komite Dua")
    membership_grant(
        user=other, organisation=application.scheme.owner, role="committee"
    )
    decided = services.appeal_decide(
        appeal=appeal, decided_by=other, outcome="rejected", reasons="Bukti kurang."
    )
    assert decided.outcome == "rejected" and decided.decided_by == other
    with pytest.raises(ValidationError) as exc:
        services.appeal_decide(
            appeal=appeal, decided_by=other, outcome="upheld", reasons="Ubah."
        )
    assert "already decided" in messages(exc)


def test_correcting_a_decision_keeps_the_first_one():
    who = people()
    application = submit(make_scheme(), who["trainee"])
    recommend_all(application, who["assessor"])
    services.conflict_declare(
        application=application, person=who["committee"], has_conflict=False
    )
    first = services.decision_record(
        application=application, decided_by=who["committee"], outcome="BK"
    )
    with pytest.raises(ValidationError):
        services.decision_record(
            application=application, decided_by=who["committee"], outcome="K"
        )
    second = services.decision_record(
        application=application,
        decided_by=who["committee"],
        outcome="K",
        correction_reason="Salah pilih.",
    )
    first.refresh_from_db()
    assert first.superseded_by == second and first.outcome == "BK"
    with pytest.raises(ValidationError) as exc:
        services.certificate_issue(decision=first, issued_by=who["admin"])
    assert "replaced" in messages(exc)


def test_committee_queue_query_count_does_not_grow():
    who = people()
    scheme = make_scheme()

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            rows = list(application_list_for_committee(who["committee"]))
            for row in rows:
                _ = (
                    row.scheme.code,
                    row.trainee.full_name,
                    row.current_recommendations,
                )
        return len(ctx.captured_queries), len(rows)

    application = submit(scheme, who["trainee"])
    recommend_all(application, who["assessor"])
    small, n_small = count()
    for email in ("peserta2.r3@lms.example", "peserta3.r3@lms.example"):
        recommend_all(submit(scheme, User.objects.get(email=email)), who["assessor"])
    large, n_large = count()
    assert (n_small, n_large) == (1, 3)
    assert small == large


# --- status -------------------------------------------------------------------


def test_suspend_reinstate_revoke_leave_a_history():
    certificate = walk_to_certificate()
    admin = people()["admin"]
    with pytest.raises(ValidationError) as exc:
        services.certificate_suspend(certificate=certificate, by=admin, reason=" ")
    assert "Give the reason" in messages(exc)
    services.certificate_suspend(certificate=certificate, by=admin, reason="Audit.")
    services.certificate_reinstate(certificate=certificate, by=admin, reason="Selesai.")
    services.certificate_revoke(certificate=certificate, by=admin, reason="Pemalsuan.")
    with pytest.raises(ValidationError) as exc:
        services.certificate_reinstate(certificate=certificate, by=admin, reason="x")
    assert "cannot become" in messages(exc)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    history = list(
        certificate.status_changes.values_list("from_status", "to_status", "reason")
    )
    assert history[1:] == [
        ("aktif", "dibekukan", "Audit."),
        ("dibekukan", "aktif", "Selesai."),
        ("aktif", "dicabut", "Pemalsuan."),
    ]
    with pytest.raises(AppendOnlyError):
        certificate.delete()


def test_only_the_issuing_body_changes_a_certificate():
    certificate = walk_to_certificate()
    with pytest.raises(ValidationError) as exc:
        services.certificate_revoke(
            certificate=certificate, by=people()["assessor"], reason="x"
        )
    assert "Only" in messages(exc)


def test_expiry_is_computed_from_the_date():
    certificate = walk_to_certificate()
    assert certificate.effective_status() == "aktif"
    after = certificate.valid_until + dt.timedelta(days=1)
    assert certificate.effective_status(after) == "kedaluwarsa"
    services.certificate_revoke(
        certificate=certificate, by=people()["admin"], reason="Dicabut."
    )
    certificate.refresh_from_db()
    assert certificate.effective_status(after) == "dicabut"


def test_add_months_clamps_to_the_end_of_the_month():
    assert services.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert services.add_months(dt.date(2026, 11, 28), 36) == dt.date(2029, 11, 28)


# --- the public verification page -------------------------------------------------


def test_verification_page_shows_status_and_minimum_personal_data(client):
    certificate = walk_to_certificate()
    holder = certificate.holder
    holder.title_prefix, holder.title_suffix = "Dr.", "S.Sos."
    holder.save()
    url = f"/verify/{certificate.number}/"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "This certificate is valid." in text
    # The holder's name as printed on the certificate (snapshot at issue).
    assert certificate.holder_name in text
    assert certificate.scheme.title in text
    assert certificate.body.name in text
    for unit in certificate.units:
        assert unit["code"] in text
    assert holder.email not in text
    assert holder.profile.nik() not in text
    assert page["Cache-Control"] == "no-store"


def test_verification_page_follows_suspension_revocation_and_expiry(client, settings):
    certificate = walk_to_certificate()
    admin = people()["admin"]
    url = f"/verify/{certificate.number}/"
    services.certificate_suspend(certificate=certificate, by=admin, reason="Audit.")
    assert "This certificate is suspended." in client.get(url).content.decode()
    services.certificate_revoke(certificate=certificate, by=admin, reason="Palsu.")
    assert "This certificate has been revoked." in client.get(url).content.decode()
    # Expiry needs no job: a certificate past its date reads as expired.
    other = walk_to_certificate(
        trainee=User.objects.get(email="peserta2.r3@lms.example")
    )
    Certificate.objects.filter(pk=other.pk).update(
        issued_on=dt.date(2020, 1, 1), valid_until=dt.date(2023, 1, 1)
    )
    page = client.get(f"/verify/{other.number}/").content.decode()
    assert "This certificate has expired." in page


def test_unknown_number_is_404(client):
    assert client.get("/verify/LSP-KEMENSOS/NOPE/2026/999999/").status_code == 404


def test_verification_page_query_count_does_not_grow(
    client, django_assert_max_num_queries
):
    certificate = walk_to_certificate()
    admin = people()["admin"]
    url = f"/verify/{certificate.number}/"
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(3):
        services.certificate_suspend(certificate=certificate, by=admin, reason="a")
        services.certificate_reinstate(certificate=certificate, by=admin, reason="b")
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(small.captured_queries) == len(large.captured_queries) <= 4


# --- the database-level guard (PostgreSQL) ------------------------------------------

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the database-level guard is a PostgreSQL trigger (set DATABASE_URL)",
)


@postgres_only
def test_database_refuses_rewriting_decisions_and_history():
    from django.db import DatabaseError, transaction

    certificate = walk_to_certificate()
    decision = certificate.decision
    recommendation = AssessorRecommendation.objects.filter(
        application=decision.application
    ).first()
    statements = [
        ("UPDATE lms_committeedecision SET outcome = 'BK' WHERE id = %s", decision.pk),
        ("DELETE FROM lms_committeedecision WHERE id = %s", decision.pk),
        (
            "UPDATE lms_assessorrecommendation SET reasons = 'x' WHERE id = %s",
            recommendation.pk,
        ),
        ("DELETE FROM lms_certificate WHERE id = %s", certificate.pk),
        (
            "UPDATE lms_certificatestatuschange SET reason = 'x' "
            "WHERE certificate_id = %s",
            certificate.pk,
        ),
    ]
    for sql, pk in statements:
        with pytest.raises(DatabaseError), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [pk])
    # The services' own changes still pass: a correction and a status change.
    services.certificate_suspend(
        certificate=certificate, by=people()["admin"], reason="Audit."
    )


# --- bulk issue -----------------------------------------------------------------------


def decided(*, trainee: User, scheme, outcome: str = "K") -> CommitteeDecision:
    who = people()
    application = submit(scheme, trainee)
    recommend_all(application, who["assessor"], outcome=outcome)
    services.conflict_declare(
        application=application, person=who["committee"], has_conflict=False
    )
    return services.decision_record(
        application=application, decided_by=who["committee"], outcome=outcome
    )


def test_issue_certificates_is_idempotent_and_reports_progress():
    import io

    from django.core.management import call_command
    from django.core.management.base import CommandError

    scheme = make_scheme()
    first = decided(trainee=people()["trainee"], scheme=scheme)
    second = decided(
        trainee=User.objects.get(email="peserta2.r3@lms.example"), scheme=scheme
    )
    out = io.StringIO()
    call_command("issue_certificates", "--by", ADMIN, stdout=out)
    assert "[2/2]" in out.getvalue() and "Issued 2, refused 0." in out.getvalue()
    assert Certificate.objects.filter(decision__in=[first, second]).count() == 2
    out = io.StringIO()
    call_command("issue_certificates", "--by", ADMIN, stdout=out)
    assert "0 decision(s) awaiting" in out.getvalue()
    assert Certificate.objects.filter(decision__in=[first, second]).count() == 2
    third = decided(
        trainee=User.objects.get(email="peserta3.r3@lms.example"), scheme=scheme
    )
    # An assessor cannot start an issuing run at all (refused before any work).
    with pytest.raises(CommandError, match="Only a certification body"):
        call_command("issue_certificates", "--by", ASSESSOR, stdout=io.StringIO())
    assert not Certificate.objects.filter(decision=third).exists()


def test_verification_page_is_indonesian_by_default(client, settings):
    certificate = walk_to_certificate()
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    page = client.get(f"/verify/{certificate.number}/").content.decode()
    assert '<html lang="id">' in page
    assert "This certificate is valid." not in page


def test_a_k_decision_cannot_be_appealed_through_the_service():
    who = people()
    decision = decided(trainee=who["trainee"], scheme=make_scheme(), outcome="K")
    with pytest.raises(ValidationError) as exc:
        services.appeal_lodge(decision=decision, lodged_by=who["trainee"], grounds="")
    text = messages(exc)
    # Every reason at once: the outcome and the missing grounds.
    assert "Only a BK (not yet competent) decision can be appealed." in text
    assert "Give the grounds of the appeal." in text
    assert not decision.appeals.exists()


def appeal_heard(who, outcome: str):
    """A one-unit application decided BK, appealed, and the appeal decided."""
    from lms.services import membership_grant, person_create

    decision = decided(
        trainee=who["trainee"], scheme=make_scheme(units=1), outcome="BK"
    )
    application = decision.application
    appeal = services.appeal_lodge(
        decision=decision, lodged_by=who["trainee"], grounds="Bukti esai terlewat."
    )
    hearer = person_create(email="komite2.lsp@lms.example", full_name="Komite Dua")
    membership_grant(
        user=hearer, organisation=application.scheme.owner, role="committee"
    )
    services.appeal_decide(
        appeal=appeal, decided_by=hearer, outcome=outcome, reasons="Dipertimbangkan."
    )
    application.refresh_from_db()
    return application, decision


def test_an_upheld_appeal_sends_the_application_to_another_assessor():
    from lms.services import membership_grant, person_create

    who = people()
    application, decision = appeal_heard(who, "upheld")
    assert application.status == ApplicationStatus.SUBMITTED
    scheme = application.scheme
    unit = scheme.units.get()

    # The assessor whose recommendation was appealed does not assess it again.
    with pytest.raises(ValidationError) as exc:
        services.recommendation_record(
            application=application,
            unit=unit,
            outcome="K",
            reasons="Lihat lagi.",
            assessor=who["assessor"],
            correction_reason="Banding diterima.",
        )
    assert "another assessor assesses it again" in messages(exc)
    second = person_create(email="asesor2.lsp@lms.example", full_name="Asesor Dua")
    membership_grant(
        user=second,
        organisation=scheme.owner,
        role="assessor",
        registration_number="MET.000.002",
    )
    services.conflict_declare(
        application=application, person=second, has_conflict=False
    )
    services.recommendation_record(
        application=application,
        unit=unit,
        outcome="K",
        reasons="Esai memenuhi KUK.",
        assessor=second,
        correction_reason="Banding diterima; asesmen ulang.",
    )
    # The committee decides again, as a correction of the decision appealed.
    new = services.decision_record(
        application=application,
        decided_by=who["committee"],
        outcome="K",
        correction_reason="Banding diterima.",
    )
    decision.refresh_from_db()
    assert decision.superseded_by == new and new.outcome == "K"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DECIDED


def test_a_rejected_appeal_leaves_the_decision_closed():
    who = people()
    application, _decision = appeal_heard(who, "rejected")
    assert application.status == ApplicationStatus.DECIDED
    with pytest.raises(ValidationError) as exc:
        services.recommendation_record(
            application=application,
            unit=application.scheme.units.get(),
            outcome="K",
            reasons="x",
            assessor=who["assessor"],
            correction_reason="y",
        )
    assert "no longer open for assessment" in messages(exc)
