"""Wagtail admin viewsets of the site (registered in wagtail_hooks)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView
from wagtail.admin.viewsets.chooser import ChooserViewSet

from courses.h5p import selectors as h5p_selectors


class H5PScopedChooserMixin:
    """Only the contents of the editor's own centre (all for the central admin)."""

    def get_object_list(self):
        return h5p_selectors.content_list_for_staff(user=self.request.user).order_by(
            "title"
        )


class H5PChooseView(H5PScopedChooserMixin, ChooseView):
    pass


class H5PChooseResultsView(H5PScopedChooserMixin, ChooseResultsView):
    pass


class H5PContentChooserViewSet(ChooserViewSet):
    """Chooser for H5P contents in module bodies (uploads go through h5p_import)."""

    model = "h5p.H5PContent"
    icon = "form"
    choose_one_text = _("Choose H5P content")
    choose_another_text = _("Choose another H5P content")
    choose_view_class = H5PChooseView
    choose_results_view_class = H5PChooseResultsView
    creation_form_class = None


h5p_chooser_viewset = H5PContentChooserViewSet("h5p_chooser")
H5PContentChooserBlock = h5p_chooser_viewset.get_block_class(
    name="H5PContentChooserBlock", module_path="cms.viewsets"
)
