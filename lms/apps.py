"""App configs of the core, and our swap of Wagtail's users app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class LmsConfig(AppConfig):
    """The core: people, organisations, roles; later standards, evidence, records."""

    name = "lms"
    verbose_name = _("LMS core")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the module registers the built-in roll-up methods; other
        # apps add theirs with `lms.records.rollup.registry.register`.
        from lms.records import rollup  # noqa: F401


class LmsWagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's users admin with forms for our user model (no first/last name)."""

    user_viewset = "lms.viewsets.UserViewSet"
