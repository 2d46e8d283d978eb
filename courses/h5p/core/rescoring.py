"""Server-side re-scoring of H5P answers: a registry of re-scorers per content type.

H5P computes scores in the browser, so a statement's `result.score` can be
forged. For the common question types the server recomputes the score from the
answer the player reports in `result.response`, against the content's own
parameters (content.json). A score recomputed this way may count as
certification evidence; any other score counts for training progress only
(DESIGN.md §4, "Trust").

The interface a re-scorer meets
    A subclass of `Rescorer` with a class attribute `machine_name` (e.g.
    "H5P.TrueFalse") and a method

        rescore(params, response, children) -> Score

    - `params`: the content's parameters, i.e. content.json, or for sub-content
      the `params` object next to its `library` and `subContentId`;
    - `response`: the statement's `result.response` string, or None when the
      player sent none (the question was not answered);
    - `children`: for composite types, each child's `result.response` keyed by
      the child's `subContentId` (see `child_responses()`); simple types ignore
      it.

    It returns `Score(raw, max)` or raises `NotRescorable` when the server cannot
    decide: unknown parameters, a response that does not fit the content, a
    behaviour whose scoring is not reproduced. A re-scorer never guesses.

    Re-scorers are registered per machine name; `register()` refuses a second one
    for a name. Composite re-scorers reach their children's re-scorers through
    `self.registry`. The built-in ones live in `courses.h5p.core.rescorers`
    (`BUILTIN_RESCORERS`, `default_registry()`).

A note on what re-scoring proves: it proves that the score follows from the
response, not that the trainee really gave that response (the response is sent by
the same browser). It stops the cheapest forgery, a changed score, and makes
every other one leave a consistent, auditable answer behind.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

SEPARATOR = "[,]"
"""How H5P joins the items of a response ("0[,]2"), after SCORM / xAPI usage."""

SUB_CONTENT_ID = "http://h5p.org/x-api/h5p-subContentId"
"""The xAPI extension (object.definition.extensions) naming a child's subContentId."""

# Content types that never produce a score of their own: a composite skips them.
# Any other type that the registry cannot re-score makes the composite
# unverifiable, because its score might count.
NON_SCORING = frozenset(
    {
        "H5P.Accordion",
        "H5P.AdvancedText",
        "H5P.Audio",
        "H5P.Chart",
        "H5P.Collage",
        "H5P.GuessTheAnswer",
        "H5P.IFrameEmbed",
        "H5P.Image",
        "H5P.Link",
        "H5P.Table",
        "H5P.Text",
        "H5P.TwitterUserFeed",
        "H5P.Video",
    }
)


class NotRescorable(Exception):
    """The server cannot compute this score; it counts for training progress only."""


@dataclass(frozen=True)
class Score:
    """A re-computed score: `raw` points out of `max`."""

    raw: Decimal
    max: Decimal

    def __post_init__(self) -> None:
        if self.max < 0 or not (0 <= self.raw <= self.max):
            raise ValueError(f"score {self.raw}/{self.max} out of range")

    @classmethod
    def of(cls, raw: float | Decimal, maximum: float | Decimal) -> Score:
        """Build from ints, floats or Decimals (floats via their repr, exactly)."""
        return cls(_decimal(raw), _decimal(maximum))


def _decimal(value: float | Decimal) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def split_response(response: str | None) -> list[str] | None:
    """The items of a "[,]"-joined response; None when there was no response."""
    if response is None:
        return None
    if not isinstance(response, str):
        raise NotRescorable("the response is not text")
    return response.split(SEPARATOR) if response else []


def child_responses(statements: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Map subContentId → `result.response` from a trainee's child statements.

    Statements are taken in the order given; a later response for the same child
    replaces an earlier one (the player sends a new statement on each check).
    Statements without a subContentId or without a response are ignored.
    """
    responses: dict[str, str] = {}
    for statement in statements:
        target = statement.get("object")
        definition = target.get("definition") if isinstance(target, Mapping) else None
        extensions = (
            definition.get("extensions") if isinstance(definition, Mapping) else None
        )
        sub_id = (
            extensions.get(SUB_CONTENT_ID) if isinstance(extensions, Mapping) else None
        )
        result = statement.get("result")
        response = result.get("response") if isinstance(result, Mapping) else None
        if isinstance(sub_id, str) and sub_id and isinstance(response, str):
            responses[sub_id] = response
    return responses


class Rescorer(abc.ABC):
    """Re-computes the score of one H5P content type (see the module docstring)."""

    machine_name: ClassVar[str]

    def __init__(self, registry: RescorerRegistry) -> None:
        self.registry = registry

    @abc.abstractmethod
    def rescore(
        self,
        params: Mapping[str, Any],
        response: str | None,
        children: Mapping[str, str],
    ) -> Score:
        """The score `response` earns against `params`, or raise NotRescorable."""

    def check(self, params: Mapping[str, Any]) -> None:
        """Raise NotRescorable if content with `params` can never be re-scored.

        The default scores an empty answer: that exercises every rule that reads
        the parameters. Composites override it to look at their children.
        """
        self.rescore(params, None, {})


class RescorerRegistry:
    """Re-scorers by H5P machine name.

    `register(cls)` adds a `Rescorer` subclass and refuses a second one for the
    same machine name; it returns the class, so it also works as a decorator.
    `get(machine_name)` returns the re-scorer or raises NotRescorable.
    """

    def __init__(self, *, non_scoring: Iterable[str] = NON_SCORING) -> None:
        self._classes: dict[str, type[Rescorer]] = {}
        self._instances: dict[str, Rescorer] = {}
        self.non_scoring = frozenset(non_scoring)

    def register(self, cls: type[Rescorer]) -> type[Rescorer]:
        """Add a re-scorer class; a duplicate machine name raises ValueError."""
        name = getattr(cls, "machine_name", None)
        if not isinstance(name, str) or not name:
            raise ValueError(f"{cls.__name__} has no machine_name")
        if name in self._classes:
            raise ValueError(
                f"a re-scorer for {name} is already registered "
                f"({self._classes[name].__name__})"
            )
        self._classes[name] = cls
        return cls

    def get(self, machine_name: str) -> Rescorer:
        """The re-scorer for `machine_name`; NotRescorable if there is none."""
        if machine_name not in self._classes:
            raise NotRescorable(f"no re-scorer for {machine_name}")
        if machine_name not in self._instances:
            self._instances[machine_name] = self._classes[machine_name](self)
        return self._instances[machine_name]

    def __contains__(self, machine_name: object) -> bool:
        return machine_name in self._classes

    def machine_names(self) -> frozenset[str]:
        """Every machine name with a registered re-scorer."""
        return frozenset(self._classes)

    def rescore(
        self,
        machine_name: str,
        params: Mapping[str, Any],
        response: str | None,
        children: Mapping[str, str] | None = None,
    ) -> Score:
        """Re-score one statement; raises NotRescorable when the server can't."""
        if not isinstance(params, Mapping):
            raise NotRescorable("content parameters are not an object")
        return self.get(machine_name).rescore(params, response, children or {})

    def verifiable(self, machine_name: str, params: Mapping[str, Any]) -> bool:
        """Whether scores of this content can ever be server-verified.

        Answers the question at import time, before anyone plays: e.g. a Column
        holding an Essay is not verifiable, a Column of Blanks and text is.
        """
        try:
            if not isinstance(params, Mapping):
                return False
            self.get(machine_name).check(params)
        except NotRescorable:
            return False
        return True


def machine_name_of(library: Any) -> str:
    """ "H5P.Blanks 1.14" → "H5P.Blanks" (content.json's `library` field)."""
    if not isinstance(library, str) or not library.strip():
        raise NotRescorable("sub-content without a library")
    return library.split(" ")[0]
