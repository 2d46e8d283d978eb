"""Certification pages: the trainee's record, the queues, the register, audit trails.

Each test walks the page a person would use and checks what they would notice:
what is shown, what is downloaded, what was recorded, and what is refused.
"""

from __future__ import annotations

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from lms.certification import services
from lms.certification.models import (
    AssessorRecommendation,
    Certificate,
    CommitteeDecision,
)
from lms.models import ExportLog, Organisation, PerformanceCriterion, Role, User
from lms.services import membership_grant, person_create
from tests.factories import valid_nik
from tests.lms.lms_factories import record
from tests.lms.test_certification import (
    ADMIN,
    ASSESSOR,
    COMMITTEE,
    TRAINEE,
    make_scheme,
    people,
    recommend_all,
    submit,
    walk_to_certificate,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

RECORD = "/rekam-kompetensi/"
ASSESSOR_QUEUE = "/staf/sertifikasi/asesor/"
COMMITTEE_QUEUE = "/staf/sertifikasi/komite/"
REGISTER = "/staf/sertifikasi/register/"


def with_evidence(scheme, trainee: User) -> None:
    for criterion in PerformanceCriterion.objects.filter(
        element__unit__scheme_units__scheme=scheme
    ).select_related("element__unit"):
        record(trainee=trainee, unit=criterion.element.unit, criterion=criterion)


def new_trainee(*, full_name: str, nik: str = "") -> User:
    user = person_create(
        email=f"{abs(hash(full_name)) % 10**8}@lms.example",
        full_name=full_name,
        nik=nik,
    )
    membership_grant(
        user=user, organisation=Organisation.objects.get(code="R3"), role=Role.TRAINEE
    )
    return user


def body_staff(code: str, role: str, email: str) -> User:
    """A person with ``role`` in another certification body ``code``."""
    body, _ = Organisation.objects.get_or_create(
        code=code,
        defaults={"name": f"LSP {code}", "kind": "certification_body"},
    )
    user = person_create(email=email, full_name=f"Staf {code}")
    membership_grant(
        user=user, organisation=body, role=role, registration_number="MET.1"
    )
    return user


# --- the trainee's record -------------------------------------------------------


def test_trainee_sees_units_evidence_and_certificate(sign_in):
    certificate = walk_to_certificate()
    client = sign_in(TRAINEE)
    page = client.get(RECORD).content.decode()
    assert certificate.number in page
    for unit in certificate.units:
        assert unit["code"] in page
    assert "Competent (Kompeten)" in page
    assert "Observasi praktik" in page  # the evidence's source title
    assert "Direct (L)" in page
    # The share link is the public verification URL, in a copy-friendly field.
    assert 'readonly value="http' in page
    assert f"/verify/{certificate.number}/" in page


def test_trainee_downloads_own_pdf_and_credential(sign_in):
    certificate = walk_to_certificate()
    client = sign_in(TRAINEE)
    pdf = client.get(f"{RECORD}sertifikat/{certificate.pk}/unduh.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert certificate.number.encode() in pdf.content
    credential = client.get(f"{RECORD}sertifikat/{certificate.pk}/kredensial.json")
    document = json.loads(credential.content)
    assert "OpenBadgeCredential" in document["type"]
    assert document["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert "attachment" in credential["Content-Disposition"]


def test_someone_elses_certificate_is_404_and_not_listed(sign_in):
    certificate = walk_to_certificate()
    client = sign_in("peserta2.r3@lms.example")
    for tail in ("unduh.pdf", "kredensial.json"):
        url = f"{RECORD}sertifikat/{certificate.pk}/{tail}"
        assert client.get(url).status_code == 404
    assert certificate.number not in client.get(RECORD).content.decode()
    # Staff of the body do not download it from here either: it is the holder's.
    assert (
        sign_in(ADMIN).get(f"{RECORD}sertifikat/{certificate.pk}/unduh.pdf").status_code
        == 404
    )


def test_a_suspended_certificate_is_shown_but_not_handed_out(sign_in):
    certificate = walk_to_certificate()
    services.certificate_suspend(
        certificate=certificate, by=people()["admin"], reason="Pemeriksaan ulang."
    )
    client = sign_in(TRAINEE)
    page = client.get(RECORD).content.decode()
    assert "Suspended (dibekukan)" in page
    assert "cannot be downloaded" in page
    url = f"{RECORD}sertifikat/{certificate.pk}/unduh.pdf"
    assert client.get(url).status_code == 404


# --- assessor and committee -------------------------------------------------------


def test_assessor_records_k_on_the_page_and_the_committee_decides(sign_in):
    who = people()
    scheme = make_scheme()
    with_evidence(scheme, who["trainee"])
    application = submit(scheme, who["trainee"])
    client = sign_in(ASSESSOR)

    queue = client.get(ASSESSOR_QUEUE).content.decode()
    assert who["trainee"].full_name in queue
    detail_url = f"{ASSESSOR_QUEUE}{application.pk}/"
    detail = client.get(detail_url).content.decode()
    assert "Observasi praktik" in detail  # the evidence per unit
    assert 'data-testid="conflict-form"' in detail

    response = client.post(
        f"/staf/sertifikasi/permohonan/{application.pk}/konflik/",
        {"as": "asesor", "has_conflict": "no"},
    )
    assert response.status_code == 302
    assert 'data-testid="conflict-form"' not in client.get(detail_url).content.decode()
    units = [su.unit for su in scheme.scheme_units.order_by("position")]
    for unit in units:
        response = client.post(
            detail_url,
            {"unit": unit.pk, "outcome": "K", "reasons": "Observasi memadai."},
        )
        assert response.status_code == 302, response.content.decode()
    assert list(
        AssessorRecommendation.objects.current()
        .filter(application=application)
        .values_list("outcome", flat=True)
    ) == ["K", "K"]

    committee = sign_in(COMMITTEE)
    queue = committee.get(COMMITTEE_QUEUE).content.decode()
    assert who["trainee"].full_name in queue
    assert f"{units[0].code}: K" in queue
    committee.post(
        f"/staf/sertifikasi/permohonan/{application.pk}/konflik/",
        {"as": "komite", "has_conflict": "no"},
    )
    decide_url = f"{COMMITTEE_QUEUE}{application.pk}/"
    response = committee.post(decide_url, {"outcome": "K", "reasons": "Lengkap."})
    assert response.status_code == 302, response.content.decode()
    decision = CommitteeDecision.objects.get(application=application)
    assert (decision.outcome, decision.decided_by) == ("K", who["committee"])
    page = committee.get(decide_url).content.decode()
    assert 'data-testid="decision"' in page and "Lengkap." in page
    # Decided: it leaves both queues.
    assert (
        who["trainee"].full_name not in committee.get(COMMITTEE_QUEUE).content.decode()
    )
    assert detail_url not in sign_in(ASSESSOR).get(ASSESSOR_QUEUE).content.decode()


def test_an_assessor_with_a_conflict_is_refused_and_nothing_changes(sign_in):
    who = people()
    scheme = make_scheme()
    application = submit(scheme, who["trainee"])
    client = sign_in(ASSESSOR)
    client.post(
        f"/staf/sertifikasi/permohonan/{application.pk}/konflik/",
        {"as": "asesor", "has_conflict": "yes", "statement": "Saudara kandung."},
    )
    unit = scheme.scheme_units.first().unit
    response = client.post(
        f"{ASSESSOR_QUEUE}{application.pk}/",
        {"unit": unit.pk, "outcome": "K", "reasons": "Memadai."},
    )
    assert response.status_code == 422
    assert "You declared a conflict of interest on this application." in (
        response.content.decode()
    )
    assert not AssessorRecommendation.objects.filter(application=application).exists()


def test_the_refusal_is_shown_in_indonesian_by_default(client, sign_in, settings):
    who = people()
    scheme = make_scheme()
    application = submit(scheme, who["trainee"])
    services.conflict_declare(
        application=application,
        person=who["assessor"],
        has_conflict=True,
        statement="Tetangga.",
    )
    sign_in(ASSESSOR)
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    unit = scheme.scheme_units.first().unit
    with translation.override("id"):
        response = client.post(
            f"{ASSESSOR_QUEUE}{application.pk}/",
            {"unit": unit.pk, "outcome": "K", "reasons": "Memadai."},
        )
    assert response.status_code == 422
    assert "Anda menyatakan konflik kepentingan pada permohonan ini." in (
        response.content.decode()
    )


def test_an_assessor_cannot_assess_their_own_application(sign_in):
    applicant = new_trainee(full_name="Asesor Merangkap Peserta")
    membership_grant(
        user=applicant,
        organisation=Organisation.objects.get(code="LSP-KEMENSOS"),
        role=Role.ASSESSOR,
        registration_number="MET.000.1",
    )
    scheme = make_scheme()
    application = submit(scheme, applicant)
    services.conflict_declare(
        application=application, person=applicant, has_conflict=False
    )
    client = sign_in(applicant.email)
    page = client.get(f"{ASSESSOR_QUEUE}{application.pk}/").content.decode()
    assert "your own application" in page
    response = client.post(
        f"{ASSESSOR_QUEUE}{application.pk}/",
        {"unit": scheme.scheme_units.first().unit_id, "outcome": "K", "reasons": "x"},
    )
    assert response.status_code == 422
    assert "Applicants cannot assess themselves." in response.content.decode()
    assert not AssessorRecommendation.objects.filter(application=application).exists()


def test_the_member_who_recommended_cannot_decide(sign_in):
    who = people()
    membership_grant(
        user=who["committee"],
        organisation=Organisation.objects.get(code="LSP-KEMENSOS"),
        role=Role.ASSESSOR,
        registration_number="MET.000.2",
    )
    scheme = make_scheme()
    application = submit(scheme, who["trainee"])
    recommend_all(application, who["committee"])
    client = sign_in(COMMITTEE)
    response = client.post(
        f"{COMMITTEE_QUEUE}{application.pk}/", {"outcome": "K", "reasons": "Ok."}
    )
    assert response.status_code == 422
    assert (
        "You made a recommendation on this application and cannot decide it."
        in response.content.decode()
    )
    assert not CommitteeDecision.objects.filter(application=application).exists()


# --- register and exports ---------------------------------------------------------


def test_register_finds_by_number_holder_and_status(sign_in):
    first = walk_to_certificate()
    second = walk_to_certificate(
        trainee=User.objects.get(email="peserta2.r3@lms.example")
    )
    services.certificate_suspend(
        certificate=second, by=people()["admin"], reason="Aduan masyarakat."
    )
    client = sign_in(ADMIN)
    page = client.get(REGISTER, {"q": first.number}).content.decode()
    assert first.number in page and second.number not in page
    name = second.holder_name.split()[0]
    page = client.get(REGISTER, {"q": name}).content.decode()
    assert second.number in page
    page = client.get(REGISTER, {"status": "dibekukan"}).content.decode()
    assert second.number in page and first.number not in page
    page = client.get(REGISTER, {"status": "aktif"}).content.decode()
    assert first.number in page and second.number not in page


@pytest.fixture
def risky_certificate():
    """A certificate whose holder's name looks like a spreadsheet formula."""
    nik = valid_nik("32")
    trainee = new_trainee(full_name='=HYPERLINK("http://evil.example","x")', nik=nik)
    return walk_to_certificate(trainee=trainee), nik, trainee


def test_csv_export_is_neutralised_without_nik_and_logged(sign_in, risky_certificate):
    certificate, nik, trainee = risky_certificate
    client = sign_in(ADMIN)
    response = client.get("/staf/sertifikasi/register/ekspor.csv", {"q": "HYPERLINK"})
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert certificate.number in text
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
    assert nik not in text and trainee.email not in text
    log = ExportLog.objects.latest("pk")
    assert (log.user.email, log.name, log.file_format) == (
        ADMIN,
        "certificate_register",
        "csv",
    )
    assert log.parameters["query"] == "HYPERLINK"


def test_xlsx_export_is_neutralised_without_nik_and_logged(sign_in, risky_certificate):
    certificate, nik, _trainee = risky_certificate
    client = sign_in(ADMIN)
    response = client.get("/staf/sertifikasi/register/ekspor.xlsx")
    assert response.streaming
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [c for row in book.active.iter_rows(values_only=True) for c in row]
    assert certificate.number in cells
    assert cells.count("'" + certificate.holder_name) == 1
    assert not any(isinstance(c, str) and c.startswith("=") for c in cells)
    assert not any(nik in str(c) for c in cells)
    assert ExportLog.objects.filter(
        name="certificate_register", file_format="xlsx"
    ).exists()


# --- scoping ----------------------------------------------------------------------


def test_another_bodys_staff_find_nothing(sign_in):
    certificate = walk_to_certificate()
    application = certificate.decision.application
    other_admin = body_staff("LSP-LAIN", Role.CERTIFICATION_ADMIN, "admin@lain.example")
    body_staff("LSP-LAIN", Role.COMMITTEE, "komite@lain.example")
    body_staff("LSP-LAIN", Role.ASSESSOR, "asesor@lain.example")
    client = sign_in(other_admin.email)
    assert certificate.number not in client.get(REGISTER).content.decode()
    for url in (
        f"/staf/sertifikasi/sertifikat/{certificate.pk}/riwayat/",
        f"/staf/sertifikasi/permohonan/{application.pk}/riwayat/",
    ):
        assert client.get(url).status_code == 404
    client = sign_in("komite@lain.example")
    assert client.get(f"{COMMITTEE_QUEUE}{application.pk}/").status_code == 404
    response = client.post(
        f"{COMMITTEE_QUEUE}{application.pk}/", {"outcome": "BK", "reasons": "x"}
    )
    assert response.status_code == 404
    client = sign_in("asesor@lain.example")
    assert client.get(f"{ASSESSOR_QUEUE}{application.pk}/").status_code == 404
    # A trainer of a centre has no certification pages at all.
    client = sign_in("pelatih.r3@lms.example")
    for url in (REGISTER, ASSESSOR_QUEUE, COMMITTEE_QUEUE):
        assert client.get(url).status_code == 404


def test_staff_pages_need_mfa(client):
    client.force_login(User.objects.get(email=ADMIN))
    response = client.get(REGISTER)
    assert response.status_code == 302
    assert "/accounts/2fa/totp/activate/" in response["Location"]


# --- audit trail ------------------------------------------------------------------


def test_audit_trail_lists_every_step_in_time_order(sign_in):
    certificate = walk_to_certificate()
    admin = people()["admin"]
    services.certificate_suspend(certificate=certificate, by=admin, reason="Aduan A.")
    services.certificate_reinstate(certificate=certificate, by=admin, reason="Clear B.")
    page = (
        sign_in(ADMIN)
        .get(f"/staf/sertifikasi/sertifikat/{certificate.pk}/riwayat/")
        .content.decode()
    )
    steps = [
        "Application submitted",
        "Declared no conflict of interest",
        "Recommended K on unit",
        "Bukti observasi dan portofolio memadai.",
        "Decided K",
        "Issued on decision",
        "Aduan A.",
        "Clear B.",
    ]
    positions = [page.index(step) for step in steps]
    assert positions == sorted(positions)
    assert people()["committee"].full_name in page


# --- constant query counts ----------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_register_query_count_does_not_grow(sign_in, django_assert_num_queries):
    trainees = User.objects.filter(
        email__startswith="peserta", email__endswith="r3@lms.example"
    )
    walk_to_certificate()
    client = sign_in(ADMIN)
    small = _queries(client, REGISTER)
    scheme = make_scheme()
    for trainee in trainees.exclude(email=TRAINEE)[:2]:
        walk_to_certificate(trainee=trainee, scheme=scheme)
    assert Certificate.objects.count() >= 3
    with django_assert_num_queries(small):
        assert client.get(REGISTER).status_code == 200
    assert small <= 12


def test_trainee_record_query_count_does_not_grow(sign_in, django_assert_num_queries):
    walk_to_certificate()
    client = sign_in(TRAINEE)
    small = _queries(client, RECORD)
    walk_to_certificate(scheme=make_scheme(units=3))
    walk_to_certificate(scheme=make_scheme(units=1))
    with django_assert_num_queries(small):
        page = client.get(RECORD)
    assert page.content.decode().count("Download PDF") == 3
    assert small <= 12


def test_queue_query_counts_do_not_grow(sign_in, django_assert_num_queries):
    who = people()
    scheme = make_scheme()
    first = submit(scheme, who["trainee"])
    recommend_all(first, who["assessor"])
    assessor, committee = sign_in(ASSESSOR), None
    small_assessor = _queries(assessor, ASSESSOR_QUEUE)
    committee = sign_in(COMMITTEE)
    small_committee = _queries(committee, COMMITTEE_QUEUE)
    for email in ("peserta2.r3@lms.example", "peserta3.r3@lms.example"):
        application = submit(scheme, User.objects.get(email=email))
        recommend_all(application, who["assessor"])
    submit(make_scheme(units=3), User.objects.get(email="peserta1.r1@lms.example"))
    with django_assert_num_queries(small_committee):
        page = committee.get(COMMITTEE_QUEUE)
    assert page.content.decode().count(f"{COMMITTEE_QUEUE}") >= 3
    assessor = sign_in(ASSESSOR)
    with django_assert_num_queries(small_assessor):
        page = assessor.get(ASSESSOR_QUEUE)
    assert page.content.decode().count(f"{ASSESSOR_QUEUE}") >= 4
    assert max(small_assessor, small_committee) <= 12


def test_application_pages_query_counts_do_not_grow(sign_in, django_assert_num_queries):
    """The assessor's and committee's application pages, with few or many units."""
    who = people()
    counts = []
    for units in (1, 4):
        scheme = make_scheme(units=units)
        with_evidence(scheme, who["trainee"])
        application = submit(scheme, who["trainee"])
        recommend_all(application, who["assessor"])
        counts.append(
            (
                _queries(sign_in(ASSESSOR), f"{ASSESSOR_QUEUE}{application.pk}/"),
                _queries(sign_in(COMMITTEE), f"{COMMITTEE_QUEUE}{application.pk}/"),
                _queries(
                    sign_in(ADMIN),
                    f"/staf/sertifikasi/permohonan/{application.pk}/riwayat/",
                ),
            )
        )
    assert counts[0] == counts[1], counts


def test_an_assessor_of_another_organisation_cannot_recommend(db):
    """An assessor membership at a university does not reach the LSP's schemes."""
    from django.core.exceptions import ValidationError

    from lms.certification import services
    from lms.models import User
    from tests.lms.test_certification import walk_to_certificate

    certificate = walk_to_certificate()
    application = certificate.decision.application
    outsider = User.objects.get(email="asesor.unhas@lms.example")
    with pytest.raises(ValidationError):
        services.recommendation_record(
            application=application,
            assessor=outsider,
            unit=application.scheme.units.first(),
            outcome="K",
            reasons="Bukti lengkap.",
        )
