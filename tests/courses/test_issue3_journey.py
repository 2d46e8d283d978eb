"""Issue 3, first "done when" item, as one story: build, review, learn, stay private.

The other tests prove each step alone; this one chains them so the hand-offs
(review → domain rows → enrolment → completion) are proven together.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cms.models import CoursePage
from courses.models import Cohort, Course, CourseCompletion
from tests.cms.test_course_review import course_with_modules, post
from tests.cms.test_workflow import R3_REVIEWER, R3_TRAINER

pytestmark = pytest.mark.django_db

TRAINEE = "peserta1.r3@lms.example"
R2_TRAINER = "pelatih.r2@lms.example"


def test_r3_course_built_reviewed_completed_and_invisible_to_r2(
    client, staff_client, user_by_email
):
    page = course_with_modules(code="JRN-03", modules=3)
    page.total_jp = 6
    page.save_revision()
    assert post(staff_client(R3_TRAINER), page, "submit") == ["4 pages done."]
    assert post(staff_client(R3_REVIEWER), page, "approve") == ["4 pages done."]
    page = CoursePage.objects.get(pk=page.pk)
    assert page.live
    course = Course.objects.get(source_key=page.translation_key)
    cohort = Cohort.objects.create(
        course=course,
        number="I",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 5),
        capacity=10,
    )

    trainee = user_by_email(TRAINEE)
    client.force_login(trainee)
    assert client.post(reverse("cms:course_enrol", args=[course.pk])).status_code == 302
    for module in course.modules.order_by("position"):
        response = client.post(
            reverse("cms:module_progress", args=[module.pk]), {"next": "1"}
        )
        assert response.status_code == 302
    course_page = client.get(page.url).content.decode()
    assert 'data-testid="course-percent">100 %' in course_page
    completion = CourseCompletion.objects.get(enrolment__trainee=trainee)
    assert completion.jp_earned == 6
    assert "6 JP" in course_page

    # A Regional II trainer: not in the admin, its search, the staff listings or
    # the API.
    other = staff_client(R2_TRAINER)
    assert (
        other.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).status_code == 404
    )
    assert (
        other.post(reverse("wagtailadmin_pages:edit", args=[page.pk])).status_code
        == 404
    )
    search = other.get("/admin/pages/search/?q=JRN-03", follow=True)
    assert "Kursus JRN-03" not in search.content.decode()
    assert "JRN-03" not in other.get(reverse("cms:cohort_list")).content.decode()
    assert "JRN-03" not in other.get(reverse("cms:cohort_create")).content.decode()
    assert other.get(reverse("cms:cohort_roster", args=[cohort.pk])).status_code == 404
    assert other.get(f"/api/v1/cohorts/{cohort.pk}/roster").status_code == 404
