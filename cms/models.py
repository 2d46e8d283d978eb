"""Page types of the public site: home, regional centre, plain content page."""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    """The site's front page; lists the regional centres (BBPPKS)."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.CentrePage", "cms.StandardPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(
        self, request: HttpRequest, *args: object, **kwargs: object
    ) -> dict:
        context = super().get_context(request, *args, **kwargs)
        context["centre_pages"] = (
            CentrePage.objects.live()
            .public()
            .child_of(self)
            .select_related("organisation")
            .prefetch_related("organisation__provinces")
            .order_by("organisation__code")
        )
        return context


class CentrePage(Page):
    """A regional centre's own part of the site (its subtree in the admin).

    Each centre's trainers and admins may add, edit and publish only below their
    centre page; the permissions are set by `cms.services.centre_site_provision`.
    """

    organisation = models.OneToOneField(
        "lms.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("centre"),
        limit_choices_to={"kind": "centre"},
    )
    intro = RichTextField(_("introduction"), blank=True)
    address = models.TextField(_("address"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("organisation", permission="superuser"),
        FieldPanel("intro"),
        FieldPanel("address"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("centre page")


class StandardPage(Page):
    """A plain content page (about, contact, guides)."""

    body = RichTextField(_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    parent_page_types = ["cms.HomePage", "cms.CentrePage", "cms.StandardPage"]
    subpage_types = ["cms.StandardPage"]

    class Meta:
        verbose_name = _("standard page")
