"""Each person lands on a home with one panel per role, at constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import totp_enrol

pytestmark = pytest.mark.django_db

TRAINEE = "peserta1.r3@lms.example"
TRAINER = "pelatih.r3@lms.example"
GRADER = "penilai.unhas@lms.example"
ASSESSOR = "asesor.lsp@lms.example"
COMMITTEE = "komite.lsp@lms.example"
CENTRAL = "admin.pusat@lms.example"


def home_of(client, user_by_email, email):
    user = user_by_email(email)
    totp_enrol(user)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/saya/")
    assert response.status_code == 200
    return response.content.decode(), len(queries)


@pytest.mark.parametrize(
    ("email", "shown", "hidden"),
    [
        (TRAINEE, ["home-trainee"], ["home-centre", "home-grader", "home-central"]),
        (TRAINER, ["home-centre"], ["home-trainee", "home-grader"]),
        (GRADER, ["home-grader"], ["home-trainee", "home-centre"]),
        (ASSESSOR, ["home-certification"], ["home-trainee", "home-grader"]),
        (COMMITTEE, ["home-certification"], ["home-trainee", "home-centre"]),
        (CENTRAL, ["home-central"], ["home-trainee", "home-grader"]),
    ],
)
def test_each_role_sees_its_own_panels(client, user_by_email, email, shown, hidden):
    page, _queries = home_of(client, user_by_email, email)
    for testid in shown:
        assert f'data-testid="{testid}"' in page, testid
    for testid in hidden:
        assert f'data-testid="{testid}"' not in page, testid


def test_sign_in_lands_on_the_home(client):
    from cms.demo import DEMO_PASSWORD

    response = client.post(
        "/accounts/login/", {"login": TRAINEE, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/saya/"


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/saya/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_trainee_home_runs_the_same_queries_with_more_data(client, user_by_email):
    from assessments import services as assessment_services
    from tests.assessments.builders import all_true, quiz_make

    trainee = user_by_email(TRAINEE)
    _page, before = home_of(client, user_by_email, TRAINEE)
    for n in range(4):
        quiz = quiz_make(questions=2)
        attempt = assessment_services.attempt_start(assessment=quiz, trainee=trainee)
        if n % 2:
            assessment_services.attempt_submit(
                attempt=attempt,
                trainee=trainee,
                responses=all_true(attempt),
                idempotency_key=f"home-{n}",
            )
    page, after = home_of(client, user_by_email, TRAINEE)
    assert 'data-testid="home-results"' in page
    assert before == after


def english_home(client, user_by_email, email) -> str:
    client.cookies["django_language"] = "en"
    page, _queries = home_of(client, user_by_email, email)
    return page


def test_the_centre_panel_counts_waiting_enrolment_requests(client, user_by_email):
    from courses import services as course_services
    from courses.models import Course
    from tests.courses.helpers import course_publish

    page = english_home(client, user_by_email, TRAINER)
    assert "0 enrolment requests wait for a decision." in page

    course_publish(code="HOME-REQ", policy="approval")
    course = Course.objects.get(code="HOME-REQ")
    course_services.enrolment_self_enrol(trainee=user_by_email(TRAINEE), course=course)
    page = english_home(client, user_by_email, TRAINER)
    assert "1 enrolment request waits for a decision." in page
    # Another centre's trainer does not see R3's request.
    page = english_home(client, user_by_email, "pelatih.r2@lms.example")
    assert "0 enrolment requests wait for a decision." in page


def test_the_trainee_panel_lists_the_course_and_the_due_quiz(client, user_by_email):
    from courses import services as course_services
    from courses.models import Course
    from tests.assessments.builders import quiz_make
    from tests.courses.helpers import course_publish

    course_publish(code="HOME-OPEN")
    course_services.enrolment_self_enrol(
        trainee=user_by_email(TRAINEE), course=Course.objects.get(code="HOME-OPEN")
    )
    quiz = quiz_make(questions=1)
    page = english_home(client, user_by_email, TRAINEE)
    assert "Kursus HOME-OPEN" in page
    assert quiz.title in page
