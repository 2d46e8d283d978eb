"""Wagtail hooks of the site: registrations only; the logic lives in its modules."""

from django.urls import path
from wagtail import hooks

from cms import workflows
from cms.admin_scope import scope_page_chooser, scope_page_explorer
from cms.admin_views import CourseReviewMenuItem, CourseReviewView

hooks.register("construct_page_chooser_queryset", scope_page_chooser)
hooks.register("construct_explorer_page_queryset", scope_page_explorer)

# Course content is published through the centre's workflow (cms.workflows).
hooks.register("before_create_page", workflows.hook_before_create_page)
hooks.register("before_edit_page", workflows.hook_before_edit_page)
hooks.register("before_bulk_action", workflows.hook_before_bulk_action)
hooks.register("before_unpublish_page", workflows.hook_before_unpublish_page)
hooks.register("after_create_page", workflows.hook_after_save_page)
hooks.register("after_edit_page", workflows.hook_after_save_page)
hooks.register("construct_page_action_menu", workflows.hook_construct_page_action_menu)


@hooks.register("register_admin_viewset")
def register_h5p_chooser():
    from cms.viewsets import h5p_chooser_viewset

    return h5p_chooser_viewset


@hooks.register("register_admin_viewset")
def register_assessment_chooser():
    from cms.viewsets import assessment_chooser_viewset

    return assessment_chooser_viewset


@hooks.register("register_admin_urls")
def register_course_review_url():
    return [
        path(
            "kursus/<int:page_id>/tinjauan/",
            CourseReviewView.as_view(),
            name="cms_course_review",
        )
    ]


@hooks.register("register_page_header_buttons")
def course_review_header_button(page, user, view_name, next_url=None):
    yield CourseReviewMenuItem(page=page)


@hooks.register("register_page_listing_more_buttons")
def course_review_listing_button(page, user, next_url=None):
    yield CourseReviewMenuItem(page=page)
