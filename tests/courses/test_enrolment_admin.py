"""Centre staff decide enrolment requests; the trainee sees the outcome."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from courses import services
from courses.models import Cohort, Course, Enrolment, EnrolmentState
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


def cohort_requests(course: Course, *, capacity: int, count: int) -> list[Enrolment]:
    """`count` requests for one cohort of `course` (a request may name its cohort)."""
    cohort = Cohort.objects.create(
        course=course,
        number="3",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 5),
        capacity=capacity,
    )
    requests = requests_for(course, count)
    Enrolment.objects.filter(pk__in=[r.pk for r in requests]).update(cohort=cohort)
    for request in requests:
        request.refresh_from_db()
    return requests


def test_approving_beyond_capacity_is_refused_naming_places_left_and_requests(
    staff_client, user_by_email
):
    course = approval_course(code="APR-CAP")
    requests = cohort_requests(course, capacity=2, count=3)
    cohort = requests[0].cohort
    # One place is taken by a trainee the centre put in the cohort.
    services.enrolment_cohort_add(
        trainee=user_by_email("peserta1.r3@lms.example"), cohort=cohort
    )
    staff = staff_client("penyelenggara.r3@lms.example")
    staff.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = staff.get(URL).content.decode()
    assert "1 place left" in page

    response = staff.post(
        URL, {"enrolment": [r.pk for r in requests], "decision": "approve"}, follow=True
    )
    text = response.content.decode()
    assert (
        f"{cohort} has 1 place left; these requests do not fit: Peminta 1, Peminta 2."
        in text
    )
    # All or nothing: not even the request that would have fitted is approved.
    assert set(
        Enrolment.objects.filter(pk__in=[r.pk for r in requests]).values_list(
            "state", flat=True
        )
    ) == {EnrolmentState.REQUESTED}

    response = staff.post(
        URL, {"enrolment": [requests[0].pk], "decision": "approve"}, follow=True
    )
    assert "1 request approved." in response.content.decode()
    assert "0 places left" in response.content.decode()

    # The single decision refuses too, and writes nothing.
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.enrolment_decide(
            enrolment=requests[1],
            approve=True,
            decided_by=user_by_email("penyelenggara.r3@lms.example"),
        )
    assert refused.value.messages == [
        f"{cohort} has 0 places left; these requests do not fit: Peminta 1."
    ]
    requests[1].refresh_from_db()
    assert requests[1].state == EnrolmentState.REQUESTED
    assert requests[1].decided_at is None

    # Declining is never limited by capacity.
    response = staff.post(
        URL,
        {"enrolment": [requests[1].pk], "decision": "decline", "reason": "Penuh"},
        follow=True,
    )
    assert "1 request declined." in response.content.decode()


def test_requests_without_cohort_are_not_limited(user_by_email):
    course = approval_course(code="APR-NOC")
    requests = requests_for(course, 3)
    decided = services.enrolment_decide_many(
        enrolments=requests,
        approve=True,
        decided_by=user_by_email("penyelenggara.r3@lms.example"),
    )
    assert {e.state for e in decided} == {EnrolmentState.ACTIVE}


QUERIES = 7
