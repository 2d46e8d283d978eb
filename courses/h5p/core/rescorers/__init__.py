"""The built-in re-scorers, one module per H5P content type.

Each module's docstring records the `result.response` format it reads and the
player source it was learned from. `default_registry()` returns a registry with
all of them; a Django app that keeps its own registry calls `register_builtin()`.
"""

from __future__ import annotations

from courses.h5p.core.rescorers.blanks import BlanksRescorer
from courses.h5p.core.rescorers.composite import ColumnRescorer, QuestionSetRescorer
from courses.h5p.core.rescorers.drag_text import DragTextRescorer
from courses.h5p.core.rescorers.mark_the_words import MarkTheWordsRescorer
from courses.h5p.core.rescorers.multi_choice import MultiChoiceRescorer
from courses.h5p.core.rescorers.true_false import TrueFalseRescorer
from courses.h5p.core.rescoring import Rescorer, RescorerRegistry

BUILTIN_RESCORERS: tuple[type[Rescorer], ...] = (
    TrueFalseRescorer,
    MultiChoiceRescorer,
    BlanksRescorer,
    DragTextRescorer,
    MarkTheWordsRescorer,
    QuestionSetRescorer,
    ColumnRescorer,
)


def register_builtin(registry: RescorerRegistry) -> None:
    """Register every built-in re-scorer in `registry`."""
    for rescorer in BUILTIN_RESCORERS:
        registry.register(rescorer)


def default_registry() -> RescorerRegistry:
    """A new registry holding the built-in re-scorers."""
    registry = RescorerRegistry()
    register_builtin(registry)
    return registry


__all__ = [
    "BUILTIN_RESCORERS",
    "BlanksRescorer",
    "ColumnRescorer",
    "DragTextRescorer",
    "MarkTheWordsRescorer",
    "MultiChoiceRescorer",
    "QuestionSetRescorer",
    "TrueFalseRescorer",
    "default_registry",
    "register_builtin",
]
