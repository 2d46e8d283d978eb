"""Server-side scoring of H5P answers: the Django side of the core's registry.

`registry` is the project's one `RescorerRegistry`. `H5PConfig.ready()` fills
it with the core's built-in re-scorers; another app adds a content type with
`courses.h5p.scoring.registry.register(SomeRescorer)` in its own `ready()`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from courses.h5p.core.rescoring import NotRescorable, RescorerRegistry
from courses.h5p.models import H5PContent, XapiStatement

registry = RescorerRegistry()
"""The re-scorers by machine name (filled in `H5PConfig.ready()`)."""

# How many recent statements of one person and content are searched for the
# children of a composite; a QuestionSet or Column never has nearly this many.
CHILD_STATEMENT_WINDOW = 500


@dataclass(frozen=True)
class ServerScore:
    """The score the server computed itself: `raw` points out of `max`."""

    raw: Decimal
    max: Decimal


def _child_responses(*, content: H5PContent, user: Any) -> dict[str, str]:
    """Latest response per sub-content since the person's last finished attempt.

    One query: child statements are stored before the top-level one closes the
    attempt, so they are the ones received after the previous top-level statement.
    """
    rows = (
        XapiStatement.objects.filter(content=content, user=user)
        .order_by("-received_at", "-pk")
        .values_list("sub_content_id", "is_top_level", "payload")[
            :CHILD_STATEMENT_WINDOW
        ]
    )
    responses: dict[str, str] = {}
    for sub_content_id, is_top_level, payload in rows:
        if is_top_level:
            break  # the previous attempt ends here
        response = (payload.get("result") or {}).get("response")
        if sub_content_id and isinstance(response, str):
            responses.setdefault(sub_content_id, response)
    return responses


class LazyChildResponses(Mapping[str, str]):
    """Children's responses, read from the database only if a re-scorer asks.

    Simple types (TrueFalse, Blanks ...) never look at their children, so their
    statements cost no extra query; composites read them once.
    """

    def __init__(self, *, content: H5PContent, user: Any) -> None:
        self._content = content
        self._user = user
        self._loaded: dict[str, str] | None = None

    def _responses(self) -> dict[str, str]:
        if self._loaded is None:
            self._loaded = _child_responses(content=self._content, user=self._user)
        return self._loaded

    def __getitem__(self, key: str) -> str:
        return self._responses()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._responses())

    def __len__(self) -> int:
        return len(self._responses())

    @property
    def loaded(self) -> bool:
        """Whether the database was read (for tests and query budgets)."""
        return self._loaded is not None


def rescore_statement(
    *, content: H5PContent, statement: dict[str, Any], user: Any
) -> ServerScore | None:
    """The server's score for a top-level statement, or None if it cannot know."""
    params = content.params
    if not isinstance(params, Mapping):
        return None
    response = (statement.get("result") or {}).get("response")
    try:
        rescorer = registry.get(content.main_library.machine_name)
        score = rescorer.rescore(
            params, response, LazyChildResponses(content=content, user=user)
        )
    except NotRescorable:
        return None
    return ServerScore(raw=score.raw, max=score.max)


def is_verifiable(content: H5PContent) -> bool:
    """Whether the server can ever re-score this content's results.

    Decided from the main type and the content's parameters: a Column holding
    an Essay, for instance, can never be verified, a Column of Blanks can.
    """
    return registry.verifiable(content.main_library.machine_name, content.params)
