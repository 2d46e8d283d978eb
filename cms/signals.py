"""Receivers that keep the courses domain in line with published pages.

They only translate a Wagtail event into one `courses` service call; the rules
live in `courses.services`.
"""

from __future__ import annotations

from wagtail.models import Page

from cms.models import CoursePage, ModulePage
from courses import services as course_services


def _course_page(page: Page) -> CoursePage | None:
    page = page.specific
    if isinstance(page, CoursePage):
        return page
    if isinstance(page, ModulePage):
        return CoursePage.objects.parent_of(page).first()
    return None


def on_page_published(sender: type, instance: Page, **kwargs: object) -> None:
    """A published course or module page resyncs its course (if the course is live)."""
    course_page = _course_page(instance)
    if course_page is not None and course_page.live:
        course_services.course_sync(spec=course_page.course_spec())


def on_page_unpublished(sender: type, instance: Page, **kwargs: object) -> None:
    """Unpublishing a course closes enrolment; a module is retired, progress kept."""
    page = instance.specific
    if isinstance(page, CoursePage):
        course_services.course_close(source_key=page.translation_key)
    elif isinstance(page, ModulePage):
        course_services.module_retire(source_key=page.translation_key)
