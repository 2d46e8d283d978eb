"""A course is submitted and approved as a whole: the course page and its modules."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import WorkflowState

from cms.models import CentrePage, CoursePage, ModulePage
from courses.models import Course
from tests.cms.test_workflow import (
    CENTRAL_ADMIN,
    R2_REVIEWER,
    R3_REVIEWER,
    R3_TRAINER,
)

pytestmark = pytest.mark.django_db


def course_with_modules(*, code: str = "WHOLE-01", modules: int = 3) -> CoursePage:
    """A never-published course page with `modules` draft module pages."""
    parent = CentrePage.objects.get(organisation__code="R3")
    course = parent.add_child(
        instance=CoursePage(
            title=f"Kursus {code}", slug=code.lower(), code=code, live=False
        )
    )
    course.save_revision()
    for index in range(1, modules + 1):
        module = course.add_child(
            instance=ModulePage(
                title=f"Modul {index}", slug=f"modul-{index}", jp=2, live=False
            )
        )
        module.save_revision()
    return CoursePage.objects.get(pk=course.pk)


def review_url(page: CoursePage) -> str:
    return reverse("cms_course_review", args=[page.pk])


def post(client, page: CoursePage, action: str) -> list[str]:
    client.cookies["django_language"] = "en"
    response = client.post(review_url(page), {"action": action}, follow=True)
    assert response.redirect_chain == [(review_url(page), 302)]
    return [str(m) for m in response.context["messages"]]


def in_review(page: CoursePage) -> int:
    ids = [str(page.pk), *(str(m.pk) for m in ModulePage.objects.child_of(page))]
    return WorkflowState.objects.filter(
        object_id__in=ids, status=WorkflowState.STATUS_IN_PROGRESS
    ).count()


def test_trainer_submits_the_whole_course_and_the_reviewer_publishes_it(staff_client):
    page = course_with_modules()
    trainer = staff_client(R3_TRAINER)
    # The editor's header offers the whole-course review.
    editor = trainer.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert review_url(page) in editor.content.decode()
    listing = trainer.get(review_url(page)).content.decode()
    assert "Modul 3" in listing
    assert post(trainer, page, "submit") == ["4 pages done."]
    assert in_review(page) == 4

    # The trainer cannot approve their own submission: named, nothing approved.
    messages = post(trainer, page, "approve")
    assert "You may not approve “Kursus WHOLE-01”." in messages
    assert in_review(page) == 4

    assert post(staff_client(R3_REVIEWER), page, "approve") == ["4 pages done."]
    page.refresh_from_db()
    assert page.live and in_review(page) == 0
    course = Course.objects.get(source_key=page.translation_key)
    assert list(course.modules.values_list("title", flat=True)) == [
        "Modul 1",
        "Modul 2",
        "Modul 3",
    ]
    # Nothing changed since: a second submission says so and starts nothing.
    assert post(trainer, page, "submit") == [
        "Nothing in this course waits to be submitted: every page is published "
        "or already under review."
    ]


def test_another_centres_reviewer_finds_no_such_page(staff_client):
    page = course_with_modules()
    other = staff_client(R2_REVIEWER)
    assert other.get(review_url(page)).status_code == 404
    assert other.post(review_url(page), {"action": "submit"}).status_code == 404
    assert in_review(page) == 0


def test_a_course_needing_central_review_waits_for_the_central_admin(staff_client):
    page = course_with_modules(code="WHOLE-02", modules=2)
    page.requires_central_review = True
    page.save_revision()
    from cms import workflows

    workflows.course_review_route_sync(page=page)
    post(staff_client(R3_TRAINER), page, "submit")
    assert post(staff_client(R3_REVIEWER), page, "approve") == ["3 pages done."]
    page.refresh_from_db()
    assert not page.live and in_review(page) == 3
    assert post(staff_client(CENTRAL_ADMIN), page, "approve") == ["3 pages done."]
    page.refresh_from_db()
    assert page.live and in_review(page) == 0
