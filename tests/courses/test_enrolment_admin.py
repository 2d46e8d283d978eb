"""Centre staff decide enrolment requests; the trainee sees the outcome."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from courses import services
from courses.models import Course, Enrolment, EnrolmentState
from lms.models import User
from tests.courses.helpers import course_publish

URL = "/staf/kursus/pendaftaran/"


def approval_course(centre: str = "R3", code: str = "APR-01") -> Course:
    page = course_publish(centre_code=centre, code=code, modules=1, policy="approval")
    return Course.objects.get(source_key=page.translation_key)


def requests_for(course: Course, count: int) -> list[Enrolment]:
    users = User.objects.bulk_create(
        User(
            email=f"minta{course.code.lower()}{i}@lms.example", full_name=f"Peminta {i}"
        )
        for i in range(count)
    )
    users = list(User.objects.filter(email__in=[u.email for u in users]))
    return [services.enrolment_self_enrol(trainee=u, course=course) for u in users]


def test_reviewer_approves_and_declines_many_trainee_sees_outcome(
    staff_client, client, user_by_email
):
    course = approval_course()
    trainee = user_by_email("peserta1.r3@lms.example")
    mine = services.enrolment_self_enrol(trainee=trainee, course=course)
    others = requests_for(course, 2)
    staff = staff_client("penyelenggara.r3@lms.example")
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = staff.get(URL)
    assert page.status_code == 200
    assert trainee.full_name in page.content.decode()

    # A decline without a reason changes nothing and says why.
    response = staff.post(
        URL, {"enrolment": [mine.pk], "decision": "decline"}, follow=True
    )
    assert "Give a reason when declining a request." in response.content.decode()
    mine.refresh_from_db()
    assert mine.state == EnrolmentState.REQUESTED

    response = staff.post(
        URL,
        {"enrolment": [mine.pk], "decision": "decline", "reason": "Kuota penuh"},
        follow=True,
    )
    assert "1 request declined." in response.content.decode()
    response = staff.post(
        URL, {"enrolment": [e.pk for e in others], "decision": "approve"}, follow=True
    )
    assert "2 requests approved." in response.content.decode()
    assert {
        e.state for e in Enrolment.objects.filter(pk__in=[o.pk for o in others])
    } == {EnrolmentState.ACTIVE}

    client.force_login(trainee)
    text = client.get(reverse("cms:my_courses")).content.decode()
    assert "Kuota penuh" in text


def test_other_centres_requests_are_404_and_not_listed(staff_client):
    course = approval_course()
    (request,) = requests_for(course, 1)
    staff = staff_client("penyelenggara.r2@lms.example")
    assert request.trainee.full_name not in staff.get(URL).content.decode()
    response = staff.post(URL, {"enrolment": [request.pk], "decision": "approve"})
    assert response.status_code == 404
    request.refresh_from_db()
    assert request.state == EnrolmentState.REQUESTED


def test_trainee_gets_403(client, user_by_email):
    client.force_login(user_by_email("peserta1.r3@lms.example"))
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("size", [3, 60])
def test_request_list_query_count_is_constant(
    staff_client, django_assert_num_queries, size
):
    course = approval_course(code=f"APR-{size}")
    requests_for(course, size)
    staff = staff_client("pelatih.r3@lms.example")
    staff.get(URL)  # warm caches (session, site)
    with django_assert_num_queries(QUERIES):
        response = staff.get(URL)
    assert response.content.decode().count('name="enrolment"') == size


QUERIES = 7
