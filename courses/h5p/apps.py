from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class H5PConfig(AppConfig):
    """The H5P engine's Django layer: library and content stores, player, xAPI.

    A sub-app of `courses` with its own label and migrations, so the engine can be
    read (and tested) as one piece; the plain-Python core lives in `core/`.
    """

    name = "courses.h5p"
    label = "h5p"
    verbose_name = _("H5P")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing the module registers the built-in re-scorers; other apps add
        # theirs with `courses.h5p.core.scores.registry.register(machine_name)`.
        from courses.h5p.core import scores  # noqa: F401
