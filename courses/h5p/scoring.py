"""Server-side scoring of H5P answers: the Django side of the core's registry."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from courses.h5p.core.scores import NotRescorable, registry
from courses.h5p.models import H5PContent, XapiStatement


@dataclass(frozen=True)
class ServerScore:
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
        .values_list("sub_content_id", "is_top_level", "payload")[:500]
    )
    responses: dict[str, str] = {}
    for sub_content_id, is_top_level, payload in rows:
        if is_top_level:
            break  # the previous attempt ends here
        response = (payload.get("result") or {}).get("response")
        if sub_content_id and response is not None:
            responses.setdefault(sub_content_id, response)
    return responses


def rescore_statement(
    *, content: H5PContent, statement: dict[str, Any], user: Any
) -> ServerScore | None:
    """The server's score for a top-level statement, or None if it cannot know."""
    machine_name = content.main_library.machine_name
    if machine_name not in registry.machine_names():
        return None
    response = (statement.get("result") or {}).get("response")
    children = (
        _child_responses(content=content, user=user)
        if machine_name in {"H5P.QuestionSet", "H5P.Column"}
        else {}
    )
    try:
        score = registry.rescore(machine_name, content.params, response, children)
    except NotRescorable:
        return None
    return ServerScore(raw=score.raw, max=score.max)


def is_verifiable(content: H5PContent) -> bool:
    """Whether the server can re-score this content's results (its main type)."""
    return content.main_library.machine_name in registry.machine_names()
