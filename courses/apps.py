from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    """Courses, modules, cohorts (angkatan), enrolment, progress and the H5P engine."""

    name = "courses"
    verbose_name = _("Courses")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from assessments.instruments import instrument_types
        from assessments.signals import attempt_graded
        from assessments.widgets import widgets
        from courses.instruments import H5PActivityInstrument, H5PActivityWidget
        from courses.receivers import on_attempt_graded

        instrument_types.register(H5PActivityInstrument)
        widgets.register(H5PActivityWidget)

        attempt_graded.connect(on_attempt_graded, dispatch_uid="courses_attempt_graded")
