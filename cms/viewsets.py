"""Wagtail admin viewsets of the site (registered in wagtail_hooks)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView
from wagtail.admin.viewsets.chooser import ChooserViewSet

from assessments import selectors as assessment_selectors
from courses.h5p import selectors as h5p_selectors


class ScopedChooserMixin:
    """Only what the editor's own centre owns (all for the central admin).

    `objects_for(user)` is the role-scoped selector the rest of the site uses, so
    a page editor can never embed another centre's object.
    """

    @staticmethod
    def objects_for(user: Any) -> QuerySet:
        raise NotImplementedError

    def get_object_list(self) -> QuerySet:
        return self.objects_for(self.request.user)


def _h5p_for(user: Any) -> QuerySet:
    return h5p_selectors.content_list_for_staff(user=user).order_by("title")


class H5PChooseView(ScopedChooserMixin, ChooseView):
    objects_for = staticmethod(_h5p_for)


class H5PChooseResultsView(ScopedChooserMixin, ChooseResultsView):
    objects_for = staticmethod(_h5p_for)


class H5PContentChooserViewSet(ChooserViewSet):
    """Chooser for H5P contents in module bodies (uploads go through h5p_import)."""

    model = "h5p.H5PContent"
    icon = "form"
    choose_one_text = _("Choose H5P content")
    choose_another_text = _("Choose another H5P content")
    choose_view_class = H5PChooseView
    choose_results_view_class = H5PChooseResultsView
    creation_form_class = None


def _assessments_for(user: Any) -> QuerySet:
    return assessment_selectors.assessment_list_for_staff(user).order_by("code")


class AssessmentChooseView(ScopedChooserMixin, ChooseView):
    objects_for = staticmethod(_assessments_for)


class AssessmentChooseResultsView(ScopedChooserMixin, ChooseResultsView):
    objects_for = staticmethod(_assessments_for)


class AssessmentChooserViewSet(ChooserViewSet):
    """Chooser for assessments in module bodies (the centre's own only)."""

    model = "assessments.Assessment"
    icon = "tasks"
    choose_one_text = _("Choose an assessment")
    choose_another_text = _("Choose another assessment")
    choose_view_class = AssessmentChooseView
    choose_results_view_class = AssessmentChooseResultsView
    creation_form_class = None


h5p_chooser_viewset = H5PContentChooserViewSet("h5p_chooser")
H5PContentChooserBlock = h5p_chooser_viewset.get_block_class(
    name="H5PContentChooserBlock", module_path="cms.viewsets"
)
assessment_chooser_viewset = AssessmentChooserViewSet("assessment_chooser")
AssessmentChooserBlock = assessment_chooser_viewset.get_block_class(
    name="AssessmentChooserBlock", module_path="cms.viewsets"
)
