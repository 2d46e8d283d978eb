"""Wagtail admin views of the cms app: reviewing a whole course at once."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView
from wagtail.admin.ui.menus.pages import PageMenuItem
from wagtail.admin.views.generic import WagtailAdminTemplateMixin

from cms import workflows
from cms.models import CoursePage

ACTIONS = {
    "submit": workflows.course_submit_for_review,
    "approve": workflows.course_approve,
}


class CourseReviewView(WagtailAdminTemplateMixin, TemplateView):
    """One course's pages with their review state; submit or approve them all.

    Only people who may edit the course page find it (others: 404, like
    Wagtail's own page views for another centre's pages).
    """

    template_name = "cms/admin/course_review.html"
    page_title = gettext_lazy("Review the whole course")
    header_icon = "tasks"

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.course = get_object_or_404(CoursePage, pk=kwargs["page_id"])
        if not self.course.permissions_for_user(request.user).can_edit():
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return self.course.get_admin_display_title()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        pages = workflows.course_review_pages(course=self.course)
        rows = []
        for page in reversed(pages):  # course first, then its modules
            state = page.current_workflow_state
            rows.append(
                {
                    "page": page,
                    "task": state.current_task_state.task.name
                    if state and state.current_task_state
                    else "",
                    "changed": not page.live or page.has_unpublished_changes,
                    "edit_url": reverse("wagtailadmin_pages:edit", args=[page.pk]),
                }
            )
        return super().get_context_data(rows=rows, course=self.course, **kwargs)

    def post(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponse:
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            raise Http404
        try:
            done = action(course=self.course, user=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(
                request,
                ngettext("%(count)d page done.", "%(count)d pages done.", len(done))
                % {"count": len(done)},
            )
        return redirect("cms_course_review", page_id=self.course.pk)


class CourseReviewMenuItem(PageMenuItem):
    """ "Review the whole course" in a course page's header and listing menus."""

    label = gettext_lazy("Review the whole course")
    icon_name = "tasks"
    url_name = "cms_course_review"
    priority = 25

    def is_shown(self, user: Any) -> bool:
        return issubclass(self.page.specific_class, CoursePage) and (
            self.page.permissions_for_user(user).can_edit()
        )
