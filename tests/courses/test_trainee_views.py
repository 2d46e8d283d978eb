"""What a trainee sees: catalogue, course page, module page, my courses."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cms.models import ModulePage
from courses import services
from courses.models import Course, ModuleProgress
from tests.courses.helpers import course_publish

pytestmark = pytest.mark.django_db

TRAINEE = "peserta1.r3@lms.example"


def _signed_in(client, user_by_email, email=TRAINEE):
    user = user_by_email(email)
    client.force_login(user)
    return user


def test_catalogue_filters_by_centre_province_and_search(client):
    course_publish(centre_code="R3", code="PKH-01")
    course_publish(centre_code="R2", code="TKSK-02")
    page = client.get(reverse("cms:catalogue"))
    assert b"PKH-01" in page.content and b"TKSK-02" in page.content
    by_centre = client.get(reverse("cms:catalogue"), {"centre": "R2"})
    assert b"TKSK-02" in by_centre.content and b"PKH-01" not in by_centre.content
    # Yogyakarta (34) is covered by Regional III.
    by_province = client.get(reverse("cms:catalogue"), {"province": "34"})
    assert b"PKH-01" in by_province.content and b"TKSK-02" not in by_province.content
    searched = client.get(reverse("cms:catalogue"), {"q": "TKSK"})
    assert b"TKSK-02" in searched.content and b"PKH-01" not in searched.content


def test_enrol_open_module_marks_viewed_and_course_shows_percent(client, user_by_email):
    trainee = _signed_in(client, user_by_email)
    page = course_publish(modules=2, total_jp=6)
    course = Course.objects.get(source_key=page.translation_key)
    response = client.post(reverse("cms:course_enrol", args=[course.pk]))
    assert response.status_code == 302
    first = ModulePage.objects.child_of(page).get(title="Modul 1")
    client.get(first.url)
    assert ModuleProgress.objects.get(enrolment__trainee=trainee).completed_at
    course_page = client.get(page.url)
    assert b'data-testid="course-percent">50 %' in course_page.content
    assert b'data-testid="continue"' in course_page.content


def test_done_next_then_full_completion_shows_jp(client, user_by_email):
    _signed_in(client, user_by_email)
    page = course_publish(modules=2, total_jp=6)
    course = Course.objects.get(source_key=page.translation_key)
    client.post(reverse("cms:course_enrol", args=[course.pk]))
    modules = list(course.modules.order_by("position"))
    response = client.post(
        reverse("cms:module_progress", args=[modules[0].pk]), {"next": "1"}
    )
    assert response.url == modules[1].url
    client.post(reverse("cms:module_progress", args=[modules[1].pk]), {"next": "1"})
    course_page = client.get(page.url)
    assert b'data-testid="course-percent">100 %' in course_page.content
    assert b"6 JP" in course_page.content


def test_beacon_position_is_where_continue_resumes(client, user_by_email):
    _signed_in(client, user_by_email)
    page = course_publish(modules=2, rule="time", min_seconds=600)
    course = Course.objects.get(source_key=page.translation_key)
    client.post(reverse("cms:course_enrol", args=[course.pk]))
    second = course.modules.get(position=2)
    client.get(second.url)
    response = client.post(
        reverse("cms:module_progress", args=[second.pk]),
        {"seconds": "40", "position": "b3"},
    )
    assert response.status_code == 204
    # 40 of 600 seconds: not complete, so "continue" goes back to where they were.
    course_page = client.get(page.url).content.decode()
    assert f'href="{second.url}#b3"' in course_page
    module_page = client.get(second.url).content.decode()
    assert '<script id="resume-position" type="application/json">"b3"</script>' in (
        module_page
    )


def test_progress_for_a_course_not_enrolled_is_refused(client, user_by_email):
    _signed_in(client, user_by_email)
    page = course_publish(modules=1)
    module = Course.objects.get(source_key=page.translation_key).modules.get()
    response = client.post(reverse("cms:module_progress", args=[module.pk]))
    assert response.status_code == 400
    assert not ModuleProgress.objects.exists()


def test_my_courses_lists_progress(client, user_by_email):
    trainee = _signed_in(client, user_by_email)
    page = course_publish(modules=3)
    course = Course.objects.get(source_key=page.translation_key)
    services.enrolment_self_enrol(trainee=trainee, course=course)
    services.module_progress_record(trainee=trainee, module=course.modules.first())
    response = client.get(reverse("cms:my_courses"))
    assert "1 dari 3 modul" in response.content.decode()  # Indonesian by default


def test_pages_stay_small(client, user_by_email):
    _signed_in(client, user_by_email)
    page = course_publish(modules=5)
    for url in (reverse("cms:catalogue"), page.url, reverse("cms:my_courses")):
        assert len(client.get(url).content) < 300 * 1024
