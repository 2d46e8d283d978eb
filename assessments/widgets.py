"""How each question type appears in the HTML attempt page and is read back from it.

The API takes responses as JSON in the shape `assessments.questions` defines; the
HTML page posts plain form fields (no JavaScript needed on a slow phone), and a
widget turns them into that same shape. One widget per question kind, looked up
in a registry like every other extension point; a kind without a widget falls
back to a text box.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from django.http import QueryDict


class QuestionWidget:
    """Renders one kind with `template_name` and reads its fields back."""

    kind: ClassVar[str]
    template_name: ClassVar[str] = "assessments/widgets/text.html"

    def parse(self, post: QueryDict, prefix: str) -> Any:
        """The response for this slot, or None when nothing was answered."""
        value = post.get(prefix, "").strip()
        return value or None

    def initial(self, response: Any) -> Any:
        """What the template needs to show a saved response again."""
        return response


class SingleChoiceWidget(QuestionWidget):
    kind = "single_choice"
    template_name = "assessments/widgets/single_choice.html"


class MultipleResponseWidget(QuestionWidget):
    kind = "multiple_response"
    template_name = "assessments/widgets/multiple_response.html"

    def parse(self, post: QueryDict, prefix: str) -> Any:
        return post.getlist(prefix) or None

    def initial(self, response: Any) -> Any:
        return set(response or [])


class TrueFalseWidget(QuestionWidget):
    kind = "true_false"
    template_name = "assessments/widgets/true_false.html"

    def parse(self, post: QueryDict, prefix: str) -> Any:
        value = post.get(prefix)
        return {"true": True, "false": False}.get(value or "")


class ShortAnswerWidget(QuestionWidget):
    kind = "short_answer"


class NumericWidget(QuestionWidget):
    kind = "numeric"
    template_name = "assessments/widgets/numeric.html"


class EssayWidget(QuestionWidget):
    kind = "essay"
    template_name = "assessments/widgets/essay.html"


class MatchingWidget(QuestionWidget):
    kind = "matching"
    template_name = "assessments/widgets/matching.html"

    def parse(self, post: QueryDict, prefix: str) -> Any:
        chosen = {
            key[len(prefix) + 1 :]: value
            for key, value in post.items()
            if key.startswith(prefix + "-") and value
        }
        return chosen or None

    def initial(self, response: Any) -> Any:
        return response or {}


class OrderingWidget(QuestionWidget):
    """Each item gets a position number; the response is the ids in that order."""

    kind = "ordering"
    template_name = "assessments/widgets/ordering.html"

    def parse(self, post: QueryDict, prefix: str) -> Any:
        positions = []
        for key, value in post.items():
            if key.startswith(prefix + "-") and value.strip():
                try:
                    positions.append((int(value), key[len(prefix) + 1 :]))
                except ValueError:
                    positions.append((10**6, key[len(prefix) + 1 :]))
        return [item for _position, item in sorted(positions)] or None

    def initial(self, response: Any) -> Any:
        return {item: index for index, item in enumerate(response or [], start=1)}


class AssignmentWidget(QuestionWidget):
    """An assignment slot: text here, files through the upload form."""

    kind = "assignment"
    template_name = "assessments/widgets/assignment.html"


class WidgetRegistry:
    def __init__(self) -> None:
        self._widgets: dict[str, QuestionWidget] = {}
        self._fallback = QuestionWidget()

    def register(self, cls: type[QuestionWidget]) -> type[QuestionWidget]:
        if cls.kind in self._widgets:
            raise ValueError(f"Widget for {cls.kind!r} is already registered.")
        self._widgets[cls.kind] = cls()
        return cls

    def get(self, kind: str) -> QuestionWidget:
        return self._widgets.get(kind, self._fallback)

    def __iter__(self) -> Iterator[QuestionWidget]:
        return iter(self._widgets.values())


widgets = WidgetRegistry()

BUILTIN_WIDGETS: tuple[type[QuestionWidget], ...] = (
    SingleChoiceWidget,
    MultipleResponseWidget,
    TrueFalseWidget,
    ShortAnswerWidget,
    NumericWidget,
    EssayWidget,
    MatchingWidget,
    OrderingWidget,
    AssignmentWidget,
)
