from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    """Everything Wagtail-facing: pages, blocks, templates, admin menus, demo data."""

    name = "cms"
    verbose_name = _("Site")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.signals import page_published, page_unpublished

        from cms import signals

        page_published.connect(
            signals.on_page_published, dispatch_uid="cms-course-sync"
        )
        page_unpublished.connect(
            signals.on_page_unpublished, dispatch_uid="cms-course-close"
        )
