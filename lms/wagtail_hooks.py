"""Wagtail admin registrations of the core (the classes live in lms.viewsets)."""

from wagtail import hooks

from lms.viewsets import OrganisationViewSet


@hooks.register("register_admin_viewset")
def register_organisation_viewset() -> OrganisationViewSet:
    return OrganisationViewSet("organisations")
