"""App configs of the core, and our swap of Wagtail's users app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class LmsConfig(AppConfig):
    """The core: people, organisations, roles; later standards, evidence, records."""

    name = "lms"
    verbose_name = _("LMS core")
    default_auto_field = "django.db.models.BigAutoField"


class LmsWagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's users admin with forms for our user model (no first/last name)."""

    user_viewset = "lms.viewsets.UserViewSet"
