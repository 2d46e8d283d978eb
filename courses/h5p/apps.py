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
        # The project's re-scorer registry gets the core's built-in types here;
        # other apps add theirs with `courses.h5p.scoring.registry.register(cls)`
        # in their own ready().
        from courses.h5p.core.rescorers import register_builtin
        from courses.h5p.scoring import registry

        register_builtin(registry)
