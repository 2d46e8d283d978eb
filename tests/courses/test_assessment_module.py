"""A module that embeds an assessment: the block, the link, "assessment passed"."""

from __future__ import annotations

import json

from assessments import services as assessment_services
from cms.models import ModulePage
from courses import services
from courses.models import Course, Module, ModuleProgress
from lms.models import Organisation
from tests.assessments.builders import quiz_make
from tests.courses.helpers import course_publish

TRAINEE = "peserta1.r3@lms.example"


def _course_with_quiz(pass_mark=60):
    quiz = quiz_make(
        centre=Organisation.objects.get(code="R3"), questions=5, pass_mark=pass_mark
    )
    page = course_publish(code="UJI-01", modules=1, rule="assessment")
    module_page = ModulePage.objects.child_of(page).get()
    module_page.body = json.dumps(
        [{"type": "assessment", "value": {"assessment": quiz.pk}}]
    )
    module_page.save_revision().publish()
    page.refresh_from_db()
    page.save_revision().publish()
    course = Course.objects.get(source_key=page.translation_key)
    return quiz, course, module_page


def test_module_page_shows_the_assessment_and_links_it(client, user_by_email):
    quiz, course, module_page = _course_with_quiz()
    module = Module.objects.get(course=course)
    assert list(module.assessments.all()) == [quiz]
    client.force_login(user_by_email(TRAINEE))
    body = client.get(module_page.url).content.decode()
    assert quiz.title in body
    assert f"/asesmen/{quiz.uuid}/" in body


def test_passing_the_assessment_completes_the_module_and_course(
    user_by_email, django_capture_on_commit_callbacks
):
    quiz, course, _page = _course_with_quiz(pass_mark=60)
    trainee = user_by_email(TRAINEE)
    enrolment = services.enrolment_self_enrol(trainee=trainee, course=course)
    module = Module.objects.get(course=course)

    # A failed first attempt (2 of 5) completes nothing.
    attempt = assessment_services.attempt_start(assessment=quiz, trainee=trainee)
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.attempt_submit(
            attempt=attempt,
            trainee=trainee,
            responses={1: True, 2: True, 3: False, 4: False, 5: False},
            idempotency_key="fail",
        )
    assert not ModuleProgress.objects.filter(
        enrolment=enrolment, module=module, completed_at__isnull=False
    ).exists()

    quiz.attempts_allowed = 0
    quiz.save(update_fields=["attempts_allowed"])
    attempt = assessment_services.attempt_start(assessment=quiz, trainee=trainee)
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.attempt_submit(
            attempt=attempt,
            trainee=trainee,
            responses=dict.fromkeys(range(1, 6), True),
            idempotency_key="pass",
        )
    progress = ModuleProgress.objects.get(enrolment=enrolment, module=module)
    assert progress.completed_at is not None
    enrolment.refresh_from_db()
    assert enrolment.state == "completed"


def test_assessment_chooser_offers_only_the_editors_centre(staff_client):
    own = quiz_make(centre=Organisation.objects.get(code="R3"), title="Kuis R3")
    other = quiz_make(centre=Organisation.objects.get(code="R2"), title="Kuis R2")
    body = (
        staff_client("pelatih.r3@lms.example").get("/admin/assessment_chooser/").content
    )
    assert own.title.encode() in body and other.title.encode() not in body
