from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    """Assessments, instruments, question banks, attempts and the grading workflow."""

    name = "assessments"
    verbose_name = _("Assessments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from assessments.instruments import BUILTIN_INSTRUMENT_TYPES, instrument_types
        from assessments.questions.builtin import BUILTIN_QUESTION_TYPES
        from assessments.questions.types import question_types
        from assessments.widgets import BUILTIN_WIDGETS, widgets

        for question_type in BUILTIN_QUESTION_TYPES:
            question_types.register(question_type)
        for instrument_type in BUILTIN_INSTRUMENT_TYPES:
            instrument_types.register(instrument_type)
        for widget in BUILTIN_WIDGETS:
            widgets.register(widget)
