"""Courses API: catalogue, my enrolments, roster scoped to the centre."""

from __future__ import annotations

import datetime

import pytest

from courses import services
from courses.models import Cohort, Course
from tests.courses.helpers import course_publish

pytestmark = pytest.mark.django_db


def test_catalogue_and_my_enrolments(client, user_by_email):
    page = course_publish(code="API-1", modules=2, total_jp=4)
    course = Course.objects.get(source_key=page.translation_key)
    listed = client.get("/api/v1/courses", {"centre": "R3"}).json()
    assert [c["code"] for c in listed] == ["API-1"]
    trainee = user_by_email("peserta1.r3@lms.example")
    services.enrolment_self_enrol(trainee=trainee, course=course)
    services.module_progress_record(trainee=trainee, module=course.modules.first())
    client.force_login(trainee)
    mine = client.get("/api/v1/me/enrolments").json()
    assert mine[0]["modules_done"] == 1 and mine[0]["modules_total"] == 2


def test_roster_api_is_scoped(staff_client, user_by_email):
    page = course_publish(code="API-2", modules=1)
    cohort = Cohort.objects.create(
        course=Course.objects.get(source_key=page.translation_key),
        number="II",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 2),
        capacity=5,
    )
    services.enrolment_cohort_add(
        trainee=user_by_email("peserta2.r3@lms.example"), cohort=cohort
    )
    url = f"/api/v1/cohorts/{cohort.pk}/roster"
    own = staff_client("pelatih.r3@lms.example").get(url)
    assert own.status_code == 200
    assert own.json()[0]["email"] == "peserta2.r3@lms.example"
    other = staff_client("pelatih.r2@lms.example").get(url)
    assert other.status_code == 404
