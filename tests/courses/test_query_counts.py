"""Query counts do not grow with data: course page, module page, roster."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cms.models import ModulePage
from courses import services
from courses.models import Cohort, Course, Enrolment
from lms.models import User
from tests.courses.helpers import course_publish

pytestmark = pytest.mark.django_db

BUDGET = 10


def _count(client, url: str) -> int:
    client.get(url)  # warm caches (site root, session) the same way for both sizes
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _course_page_queries(client, trainee, modules: int, code: str) -> int:
    page = course_publish(code=code, modules=modules)
    course = Course.objects.get(source_key=page.translation_key)
    services.enrolment_self_enrol(trainee=trainee, course=course)
    for module in course.modules.order_by("position")[:2]:
        services.module_progress_record(trainee=trainee, module=module)
    return _count(client, page.url)


def test_course_page_same_queries_at_5_and_80_modules(client, user_by_email):
    trainee = user_by_email("peserta1.r3@lms.example")
    client.force_login(trainee)
    small = _course_page_queries(client, trainee, 5, "Q-5")
    large = _course_page_queries(client, trainee, 80, "Q-80")
    assert small == large <= BUDGET, (small, large)


def _module_page_queries(client, trainee, blocks: int, code: str) -> int:
    page = course_publish(code=code, modules=1)
    module_page = ModulePage.objects.child_of(page).get()
    body = []
    for index in range(blocks):
        if index % 2:
            body.append(("callout", {"kind": "tip", "text": f"<p>Catatan {index}</p>"}))
        else:
            body.append(("paragraph", f"<p>Paragraf {index}</p>"))
    module_page.body = body
    module_page.save_revision().publish()
    course = Course.objects.get(source_key=page.translation_key)
    services.enrolment_self_enrol(trainee=trainee, course=course)
    return _count(client, module_page.url)


def test_module_page_same_queries_at_3_and_40_blocks(client, user_by_email):
    trainee = user_by_email("peserta1.r3@lms.example")
    client.force_login(trainee)
    small = _module_page_queries(client, trainee, 3, "M-3")
    large = _module_page_queries(client, trainee, 40, "M-40")
    assert small == large <= BUDGET, (small, large)


def _roster_queries(client, trainees: int, number: str) -> int:
    page = course_publish(code=f"R-{number}", modules=3)
    course = Course.objects.get(source_key=page.translation_key)
    cohort = Cohort.objects.create(
        course=course,
        number=number,
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 12),
        capacity=trainees,
    )
    users = User.objects.bulk_create(
        User(email=f"t{number}-{i}@lms.example", full_name=f"Peserta {i}")
        for i in range(trainees)
    )
    Enrolment.objects.bulk_create(
        Enrolment(trainee=u, course=course, cohort=cohort) for u in users
    )
    return _count(client, reverse("cms:cohort_roster", args=[cohort.pk]))


def test_roster_same_queries_at_10_and_1000_trainees(staff_client):
    client = staff_client("pelatih.r3@lms.example")
    small = _roster_queries(client, 10, "X")
    large = _roster_queries(client, 1000, "M")
    assert small == large <= BUDGET, (small, large)
