"""Wagtail admin registrations of the core (the classes live in lms.viewsets)."""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from lms.certification import admin_views
from lms.viewsets import OrganisationViewSet


@hooks.register("register_admin_viewset")
def register_organisation_viewset() -> OrganisationViewSet:
    return OrganisationViewSet("organisations")


# --- bulk issuing of certificates (certification background work) ---------------


@hooks.register("register_admin_urls")
def register_issuing_urls() -> list:
    urls = [path("", admin_views.issuing_runs, name="index")]
    return [
        path(
            "sertifikat/penerbitan/",
            include((urls, "certificate_issuing"), namespace="certificate_issuing"),
        )
    ]


class _IssuingMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return admin_views._bodies(request).exists()


@hooks.register("register_admin_menu_item")
def register_issuing_menu_item() -> MenuItem:
    return _IssuingMenuItem(
        _("Issuing certificates"),
        reverse("certificate_issuing:index"),
        icon_name="doc-full",
        order=900,
    )
