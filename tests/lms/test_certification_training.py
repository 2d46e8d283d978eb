"""Training certificates (sertifikat pelatihan): issued on a course completion."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from courses import services as course_services
from courses.models import Course, CourseCompletion
from lms.certification import services
from lms.certification.credentials import certificate_credential, credential_verify
from lms.certification.models import Certificate, CertificateKind, CertificateStatus
from lms.certification.pdf import certificate_pdf
from lms.evidence.models import EvidenceRecord
from lms.models import Organisation, User
from tests.courses.helpers import course_publish, unit_make
from tests.lms.lms_factories import record
from tests.lms.test_certification import walk_to_certificate
from tests.lms.test_certification_pdf import pdf_text

pytestmark = pytest.mark.django_db

TRAINEE = "peserta1.r3@lms.example"
CENTRE_ADMIN = "penyelenggara.r3@lms.example"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def completed_course(*, units: int = 2, jp: int = 12):
    """A trainee completes a published R3 course through the courses services.

    Returns the completion and its training evidence rows (one per target unit).
    """
    trainee = User.objects.get(email=TRAINEE)
    page = course_publish(modules=2, total_jp=jp)
    for i in range(units):
        page.units.add(unit_make(code=f"J.620100.9{i:02d}.01"))
    page.save_revision().publish()
    course = Course.objects.get(source_key=page.translation_key)
    course_services.enrolment_self_enrol(trainee=trainee, course=course)
    for module in course.modules.all():
        course_services.module_progress_record(trainee=trainee, module=module)
    completion = CourseCompletion.objects.get(enrolment__trainee=trainee)
    rows = list(
        EvidenceRecord.objects.filter(trainee=trainee, category="training").order_by(
            "unit__code"
        )
    )
    return completion, rows


def issue(row, jp: int = 12, by: str = CENTRE_ADMIN, centre: str = "R3"):
    return services.training_certificate_issue(
        evidence=row,
        jp=jp,
        centre=Organisation.objects.get(code=centre),
        issued_by=User.objects.get(email=by),
    )


def test_a_completed_course_gets_one_training_certificate_with_its_jp():
    completion, rows = completed_course(units=2, jp=12)
    assert len(rows) == 2
    certificate = issue(rows[0], jp=completion.jp_earned)
    assert certificate.kind == CertificateKind.TRAINING
    assert certificate.number.startswith(f"R3/PEL/{timezone.localdate().year}/")
    assert certificate.training_jp == 12
    assert certificate.course_title == rows[0].source_title
    assert certificate.holder.email == TRAINEE
    assert [u["code"] for u in certificate.units] == [r.unit.code for r in rows]
    assert certificate.decision is None and certificate.scheme is None
    assert certificate.status_changes.get().to_status == "aktif"
    # The other unit's row is the same completion: the same certificate.
    assert issue(rows[1]) == certificate
    assert Certificate.objects.filter(kind="pelatihan").count() == 1


def test_training_numbers_have_their_own_sequence_and_format(settings):
    competency = walk_to_certificate()
    settings.LMS_TRAINING_CERTIFICATE_NUMBER_FORMAT = "PEL-{body}-{serial:04d}"
    _completion, rows = completed_course(units=1)
    training = issue(rows[0])
    assert training.number == f"PEL-R3-{training.serial:04d}"
    assert training.body.code == "R3" and competency.body.code == "LSP-KEMENSOS"


def test_refusals_list_every_problem_and_write_nothing():
    trainee = User.objects.get(email=TRAINEE)
    assessment = record(trainee=trainee, unit=unit_make())
    with pytest.raises(ValidationError) as exc:
        issue(assessment, jp=0, by="penyelenggara.r2@lms.example")
    text = " | ".join(exc.value.messages)
    assert "not a training record" in text
    assert "does not record a completed course" in text
    assert "JP earned must be more than zero" in text
    assert "Only BBPPKS" in text or "Only " in text
    with pytest.raises(ValidationError, match="issued by a training centre"):
        issue(assessment, centre="LSP-KEMENSOS", by="admin.lsp@lms.example")
    assert not Certificate.objects.filter(holder=trainee).exists()


def test_pdf_credential_and_verification_page_serve_training_certificates(client):
    _completion, rows = completed_course(units=1, jp=30)
    certificate = issue(rows[0], jp=30)
    pdf = certificate_pdf(certificate, language="en")
    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF") and "TRAINING CERTIFICATE" in text
    assert "30 JP" in text
    credential = certificate_credential(certificate)
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Course"
    assert "30 JP" in achievement["description"]
    assert credential_verify(credential) == []
    page = client.get(f"/verify/{certificate.number}/")
    assert page.status_code == 200
    assert certificate.holder_name in page.content.decode()


def test_same_status_rules_by_the_centre_not_by_the_lsp():
    _completion, rows = completed_course(units=1)
    certificate = issue(rows[0])
    with pytest.raises(ValidationError, match="Only"):
        services.certificate_suspend(
            certificate=certificate,
            by=User.objects.get(email="admin.lsp@lms.example"),
            reason="Salah",
        )
    admin = User.objects.get(email=CENTRE_ADMIN)
    services.certificate_revoke(certificate=certificate, by=admin, reason="Salah data")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    assert credential_verify(certificate_credential(certificate)) != []


def test_the_database_holds_one_certificate_per_completion():
    _completion, rows = completed_course(units=1)
    certificate = issue(rows[0])
    twin = Certificate(
        kind="pelatihan",
        number="DUPLIKAT-1",
        serial=certificate.serial + 1000,
        holder=certificate.holder,
        holder_name=certificate.holder_name,
        body=certificate.body,
        training_key=certificate.training_key,
        training_jp=1,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_pages_show_a_training_certificate_by_its_course(client):
    """Verification and the holder's record name the course and its JP (a
    training certificate has no scheme or application)."""
    _completion, rows = completed_course(units=1, jp=30)
    certificate = issue(rows[0], jp=30)
    page = client.get(f"/verify/{certificate.number}/").content.decode()
    assert "30 JP" in page and certificate.course_title in page
    holder = User.objects.get(email=TRAINEE)
    client.force_login(holder)
    record_page = client.get("/rekam-kompetensi/").content.decode()
    assert certificate.number in record_page
    assert certificate.course_title in record_page


def test_completing_a_course_issues_its_training_certificate_once():
    """The courses app issues the certificate as the course completes; checking
    the completion again (or issuing by hand) never makes a second one."""
    completion, rows = completed_course(units=2, jp=12)
    certificate = Certificate.objects.get(kind="pelatihan", holder__email=TRAINEE)
    assert certificate.training_jp == completion.jp_earned == 12
    assert certificate.body.code == "R3"
    assert [u["code"] for u in certificate.units] == [r.unit.code for r in rows]
    assert certificate.issued_on == timezone.localdate(completion.completed_at)
    change = certificate.status_changes.get()
    assert change.to_status == "aktif" and change.changed_by is None
    assert course_services.course_completion_check(enrolment=completion.enrolment)
    assert issue(rows[1]) == certificate
    assert (
        Certificate.objects.filter(kind="pelatihan", holder__email=TRAINEE).count() == 1
    )


def test_a_course_without_target_units_completes_without_a_certificate():
    completion, rows = completed_course(units=0, jp=12)
    assert completion is not None and rows == []
    assert not Certificate.objects.filter(kind="pelatihan").exists()


def test_training_certificates_get_expiry_reminders(mailoutbox):
    """Training certificates expire too, so they are reminded before it, with
    the course named and no recertification advice."""
    import datetime as dt

    from lms.certification.reminders import reminders_send

    _completion, _rows = completed_course(units=1, jp=12)
    certificate = Certificate.objects.get(kind="pelatihan", holder__email=TRAINEE)
    today = certificate.valid_until - dt.timedelta(days=30)
    report = reminders_send(today=today)
    assert report.reminders_sent == 1
    mine = [m for m in mailoutbox if m.to == [TRAINEE]]
    assert len(mine) == 1
    assert certificate.number in mine[0].body
    assert certificate.course_title in mine[0].body
    assert reminders_send(today=today).reminders_sent == 0
