"""The H5P screens of the Wagtail admin (menu item "H5P").

A listing of the contents of the person's centres (all of them for the central
admin), upload of a package, the content's settings (title, the performance
criteria (KUK) it gives evidence for, pass mark, grading method), deletion, and a
link to the trainer results page. Built on the assessment authoring classes
(`assessments.viewsets`): the same permission policy and scoped views, so
another centre's content answers 404 on every view (edit, delete, history,
usage). Every write goes through `courses.h5p.services`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.widgets.button import HeaderButton

from assessments.viewsets import (
    AuthoringViewSet,
    ScopedCreateView,
    ScopedEditView,
    ScopedIndexView,
)
from courses.h5p import forms, scoring, selectors, services
from courses.h5p.models import H5PContent


def _results_url(content: H5PContent) -> str:
    return reverse("h5p_staff:results", args=[content.uuid])


class VerifiedColumn(Column):
    """Whether the server can re-score the content (only then results are evidence)."""

    def get_value(self, instance: H5PContent) -> str:
        return _("Yes") if scoring.is_verifiable(instance) else _("No")


class UsesColumn(Column):
    """Pages embedding the content and assessments playing it (annotated counts)."""

    def get_value(self, instance: H5PContent) -> str:
        return _("%(pages)d pages, %(assessments)d assessments") % {
            "pages": instance.pages_count,
            "assessments": instance.assessments_count,
        }


class H5PIndexView(ScopedIndexView):
    def get_list_more_buttons(self, instance: H5PContent) -> list[Any]:
        from wagtail.admin.widgets.button import MenuItem

        buttons = super().get_list_more_buttons(instance)
        buttons.append(
            MenuItem(
                _("Results"),
                url=_results_url(instance),
                icon_name="table",
                priority=5,
            )
        )
        return buttons


class H5PUploadView(ScopedCreateView):
    """Upload: `services.content_import` decides; every refusal is on the form."""

    page_title = gettext_lazy("Upload H5P")
    success_message = gettext_lazy("Imported: %(object)s")

    def save_instance(self) -> H5PContent:
        instance = super().save_instance()
        # What the import did to shared library code, in words.
        result = self.form.result
        for folder in result.kept:
            messages.warning(
                self.request,
                _(
                    "%(folder)s is already installed with other files; the "
                    "installed library is kept."
                )
                % {"folder": folder},
            )
        for folder in result.upgraded:
            messages.info(
                self.request,
                _("Library %(folder)s upgraded.") % {"folder": folder},
            )
        for folder in result.installed:
            messages.info(
                self.request,
                _("Library %(folder)s installed.") % {"folder": folder},
            )
        return instance

    def get_success_url(self) -> str:
        # Straight to the settings, where the content is mapped to KUK.
        return reverse(self.edit_url_name, args=[self.object.pk])


class H5PSettingsView(ScopedEditView):
    page_title = gettext_lazy("H5P settings")

    def get_header_buttons(self) -> list[Any]:
        return [
            *super().get_header_buttons(),
            HeaderButton(
                _("Results"), url=_results_url(self.object), icon_name="table"
            ),
        ]


def _contents_listed(user: Any) -> QuerySet[H5PContent]:
    return selectors.content_list_for_admin(user=user)


def _contents_editable(user: Any) -> QuerySet[H5PContent]:
    from lms.selectors import user_is_central_admin

    if user_is_central_admin(user):
        return H5PContent.objects.select_related("centre", "main_library")
    return selectors.content_list_for_staff(user=user)


class H5PContentViewSet(AuthoringViewSet):
    """H5P contents of the person's centres: upload, settings, delete, results."""

    model = H5PContent
    icon = "media"
    menu_label = gettext_lazy("H5P")
    menu_order = 260
    add_to_admin_menu = True
    url_prefix = "h5p"
    index_view_class = H5PIndexView
    add_view_class = H5PUploadView
    edit_view_class = H5PSettingsView
    list_scope = staticmethod(_contents_listed)
    edit_scope = staticmethod(_contents_editable)
    centre_of = staticmethod(lambda content: content.centre_id)
    delete_service = staticmethod(
        lambda content: services.content_delete(content=content)
    )
    list_display = [
        "title",
        Column(
            "main_library", label=gettext_lazy("Main library"), accessor="main_library"
        ),
        Column("centre", label=gettext_lazy("Centre"), accessor="centre"),
        VerifiedColumn("verified", label=gettext_lazy("Verified scoring")),
        UsesColumn("uses", label=gettext_lazy("Used by")),
        DateColumn("created_at", label=gettext_lazy("Created")),
    ]
    search_fields = ["title"]

    def get_form_class(self, for_update: bool = False) -> type:
        return forms.H5PSettingsForm if for_update else forms.H5PUploadForm
