"""Every trainee and staff page passes axe-core: no serious or critical violation.

One world is built (transactional browser tests flush after each test, so one
test walks the whole list rather than rebuilding the world per page); every page
of PAGES is opened by the person who uses it and checked, and the failure lists
every violation of every page at once.
"""

from __future__ import annotations

import datetime as dt

import pytest

from assessments import services as assessment_services
from assessments.models import Attempt
from courses.models import Cohort, Course, Enrolment
from courses.services import enrolment_self_enrol
from lms.models import Organisation, User
from tests.assessments.builders import all_true, quiz_make
from tests.courses.helpers import course_publish
from tests.e2e.a11y import axe_violations
from tests.e2e.conftest import new_page, sign_in
from tests.e2e.test_journey import staff_context
from tests.grading.factories import essay_submission, university_of
from tests.lms.test_certification import (
    make_scheme,
    people,
    recommend_all,
    submit,
    walk_to_certificate,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TRAINEE = "peserta1.r3@lms.example"
CENTRE_ADMIN = "penyelenggara.r3@lms.example"
TRAINER = "pelatih.r3@lms.example"
GRADER = "penilai.unhas@lms.example"
ASSESSOR = "asesor.lsp@lms.example"
COMMITTEE = "komite.lsp@lms.example"
CERT_ADMIN = "admin.lsp@lms.example"
CENTRAL_ADMIN = "admin.pusat@lms.example"
ANONYMOUS = ""

# (who opens it, path template). Placeholders are filled from the world below.
PAGES: list[tuple[str, str]] = [
    (ANONYMOUS, "/accounts/login/"),
    (ANONYMOUS, "/verify/{certificate_number}/"),
    (TRAINEE, "/saya/"),
    (TRAINEE, "/kursus/"),
    (TRAINEE, "/kursus/saya/"),
    (TRAINEE, "{course_url}"),
    (TRAINEE, "{module_url}"),
    (TRAINEE, "/asesmen/"),
    (TRAINEE, "/asesmen/{quiz_uuid}/"),
    (TRAINEE, "/asesmen/percobaan/{attempt_uuid}/hasil/"),
    (TRAINEE, "/rekam-kompetensi/"),
    (CENTRAL_ADMIN, "/staf/dasbor/"),
    (CENTRE_ADMIN, "/staf/dasbor/"),
    (CENTRE_ADMIN, "/staf/kursus/pendaftaran/"),
    (CENTRE_ADMIN, "/staf/kursus/angkatan/"),
    (CENTRE_ADMIN, "/staf/kursus/angkatan/{cohort_id}/"),
    (CENTRE_ADMIN, "/staf/penilaian/pusat/R3/"),
    (CENTRE_ADMIN, "/staf/asesmen/"),
    (TRAINER, "/staf/h5p/unggah/"),
    (GRADER, "/staf/penilaian/"),
    (GRADER, "/staf/penilaian/naskah/{candidate_code}/"),
    (ASSESSOR, "/staf/sertifikasi/asesor/"),
    (ASSESSOR, "/staf/sertifikasi/asesor/{application_id}/"),
    (COMMITTEE, "/staf/sertifikasi/komite/"),
    (COMMITTEE, "/staf/sertifikasi/komite/{application_id}/"),
    (CERT_ADMIN, "/staf/sertifikasi/register/"),
]


def build_world() -> dict[str, str]:
    """A certificate, a course with a cohort, a result, an essay, an application."""
    centre = Organisation.objects.get(code="R3")
    trainee = User.objects.get(email=TRAINEE)
    certificate = walk_to_certificate(trainee=trainee)

    course_page = course_publish(centre_code="R3", code="A11Y-1", modules=2)
    course = Course.objects.get(source_key=course_page.translation_key)
    enrolment_self_enrol(trainee=trainee, course=course)
    cohort = Cohort.objects.create(
        course=course,
        number="A11Y",
        starts_on=dt.date(2026, 1, 5),
        ends_on=dt.date(2026, 1, 30),
        capacity=30,
    )
    Enrolment.objects.filter(trainee=trainee, course=course).update(cohort=cohort)
    module_page = course_page.get_children().first().specific

    quiz = quiz_make(centre=centre, questions=2, title="Kuis Aksesibilitas")
    attempt = assessment_services.attempt_start(assessment=quiz, trainee=trainee)
    assessment_services.attempt_submit(
        attempt=attempt,
        trainee=trainee,
        responses=all_true(attempt),
        idempotency_key=f"a11y-{attempt.pk}",
    )

    submission = essay_submission(
        centre,
        User.objects.get(email="peserta3.r3@lms.example"),
        university_of(GRADER),
    )

    application = submit(
        make_scheme(units=1), User.objects.get(email="peserta2.r3@lms.example")
    )
    recommend_all(application, people()["assessor"])
    return {
        "certificate_number": certificate.number,
        "course_url": course_page.url,
        "module_url": module_page.url,
        "quiz_uuid": str(quiz.uuid),
        "attempt_uuid": str(Attempt.objects.get(assessment=quiz).uuid),
        "cohort_id": str(cohort.pk),
        "candidate_code": submission.candidate_code,
        "application_id": str(application.pk),
    }


def test_every_trainee_and_staff_page_passes_axe(browser, live_server, demo_accounts):
    world = build_world()
    report: list[str] = []
    by_person: dict[str, list[str]] = {}
    for person, template in PAGES:
        by_person.setdefault(person, []).append(template.format(**world))
    for person, paths in by_person.items():
        if person == TRAINEE:
            context, page = new_page(browser, phone=True)
            sign_in(page, live_server, TRAINEE)
        elif person == ANONYMOUS:
            context, page = new_page(browser)
        else:
            context, page = staff_context(browser, live_server, person)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response is not None and response.status < 400, (person, path)
            for violation in axe_violations(page):
                nodes = "; ".join(" ".join(n["target"]) for n in violation["nodes"])
                report.append(
                    f"{person or 'anonymous'} {path}: [{violation['impact']}] "
                    f"{violation['id']} ({violation['help']}) at {nodes}"
                )
        context.close()
    assert not report, "\n".join(report)
