"""The H5P activity as an assessment instrument (registered in `CoursesConfig.ready`).

`assessments` knows nothing of H5P (DESIGN.md §2): this module, one layer up,
adds the instrument type and its widget to the assessments registries. A section
names its content by id in `Section.config["h5p_content"]`; the trainee plays it
inside the attempt page, and on submit the slot's score is the trainee's
server-verified H5P result for that content within the attempt's time (the
content's grading method picks among several plays). A claimed score the server
could not confirm counts nothing, so only content types the server can re-score
may be used.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assessments.instruments import InstrumentType
from assessments.widgets import QuestionWidget

if TYPE_CHECKING:
    from django.http import HttpRequest

    from assessments.models import Answer, Attempt, QuestionVersion, Section
    from courses.h5p.models import H5PContent

H5P_INSTRUMENT = "h5p"
FOUR_PLACES = Decimal("0.0001")


def _content_id(section: Section) -> int | None:
    value = (section.config or {}).get("h5p_content")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _content(section: Section) -> H5PContent | None:
    from courses.h5p.models import H5PContent

    content_id = _content_id(section)
    if content_id is None:
        return None
    return (
        H5PContent.objects.select_related("main_library").filter(pk=content_id).first()
    )


class H5PActivityInstrument(InstrumentType):
    """An H5P exercise played in the attempt, scored from server-verified results."""

    kind = H5P_INSTRUMENT
    label = _("H5P activity")

    def problems(self, section: Section) -> list[str]:
        from courses.h5p import scoring

        problems = []
        if section.points <= 0:
            problems.append(gettext("An H5P activity needs points above zero."))
        if _content_id(section) is None:
            problems.append(gettext("Choose the H5P content of the activity."))
            return problems
        content = _content(section)
        if content is None:
            problems.append(gettext("The chosen H5P content does not exist."))
        elif content.centre_id != section.assessment.centre_id:
            problems.append(
                gettext("The H5P content belongs to another centre's collection.")
            )
        elif not scoring.is_verifiable(content):
            problems.append(
                gettext(
                    "The server cannot check the answers of %(library)s, so its "
                    "results cannot count in an assessment."
                )
                % {"library": content.main_library.machine_name}
            )
        return problems

    def response_problems(
        self, *, version: QuestionVersion | None, response: Any
    ) -> list[str]:
        if response is not None:
            return [gettext("An H5P activity is answered in its player.")]
        return []

    def auto_fraction(
        self, *, answer: Answer, version: QuestionVersion | None, attempt: Attempt
    ) -> Decimal | None:
        from courses.h5p.models import GradingMethod, H5PAttempt

        content = _content(answer.section)
        if content is None:
            return Decimal(0)
        plays = H5PAttempt.objects.filter(
            user_id=attempt.trainee_id,
            content=content,
            verified=True,
            max__gt=0,
            finished_at__gte=attempt.started_at,
            finished_at__lte=attempt.submitted_at or timezone.now(),
        ).annotate(ratio=F("raw") / F("max"))
        if content.grading_method == GradingMethod.AVERAGE:
            ratios = list(plays.values_list("ratio", flat=True))
            if not ratios:
                return Decimal(0)
            fraction = sum(Decimal(r) for r in ratios) / len(ratios)
        else:
            order = {
                GradingMethod.HIGHEST: ["-ratio", "-finished_at"],
                GradingMethod.LAST: ["-finished_at", "-pk"],
                GradingMethod.FIRST: ["finished_at", "pk"],
            }[content.grading_method]
            fraction = plays.order_by(*order).values_list("ratio", flat=True).first()
            if fraction is None:
                return Decimal(0)
        return min(Decimal(1), Decimal(fraction)).quantize(FOUR_PLACES)

    def render_context(self, *, request: HttpRequest, section: Section) -> dict:
        from courses.h5p.player import embed_context

        content = _content(section)
        if content is None:
            return {}
        return embed_context(request=request, content=content)


class H5PActivityWidget(QuestionWidget):
    """The player frame in the attempt page; the answer travels as xAPI, not a field."""

    kind = H5P_INSTRUMENT
    template_name = "h5p/assessment_slot.html"

    def parse(self, post: Any, prefix: str) -> Any:
        return None
