"""Composite content: H5P.QuestionSet and H5P.Column.

A composite has no response of its own. Its score is the sum of its children's
scores (raw and max), each child re-scored from the child's own statement,
found by the child's `subContentId`. The player does the same: Column sums the
latest scored event of each task (h5p-column.js `completed`), QuestionSet sums
getScore()/getMaxScore() of its questions (questionset.js `getScore`).

Which children count
    - a child whose type never scores (text, image, video, see
      `RescorerRegistry.non_scoring`) is skipped;
    - a child the registry can re-score is re-scored; with no statement for it,
      it is re-scored as unanswered (0 of its maximum), as the player counts it;
    - any other child (Essay, DragQuestion, an unknown type) may carry points
      the server cannot check, so the whole composite is not verifiable.

Content shape: QuestionSet `questions: [{library, params, subContentId}]`, with
an optional `poolSize` (a random subset per attempt); Column
`content: [{content: {library, params, subContentId}}]`. Nested composites
(a QuestionSet inside a Column) work: children of every depth share one
subContentId → response map.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from courses.h5p.core.rescoring import (
    NotRescorable,
    Rescorer,
    Score,
    machine_name_of,
)


class _CompositeRescorer(Rescorer):
    """Sum of the scorable children's re-scored results."""

    def children(self, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The composite's sub-content objects ({library, params, subContentId})."""
        raise NotImplementedError

    def _scored(
        self, params: Mapping[str, Any]
    ) -> Iterator[tuple[Rescorer, str, Mapping[str, Any]]]:
        """(re-scorer, subContentId, params) of every child that scores."""
        for child in self.children(params):
            if not isinstance(child, Mapping):
                raise NotRescorable("a child is not an object")
            name = machine_name_of(child.get("library"))
            if name in self.registry.non_scoring:
                continue
            if name not in self.registry:
                raise NotRescorable(f"the child type {name} cannot be re-scored")
            sub_id = child.get("subContentId")
            child_params = child.get("params", {})
            if not isinstance(sub_id, str) or not sub_id:
                raise NotRescorable(f"a {name} child has no subContentId")
            if not isinstance(child_params, Mapping):
                raise NotRescorable(f"the {name} child's params are not an object")
            yield self.registry.get(name), sub_id, child_params

    def check(self, params: Mapping[str, Any]) -> None:
        """Every scoring child must be re-scorable, and there must be one."""
        found = False
        for rescorer, _sub_id, child_params in self._scored(params):
            rescorer.check(child_params)
            found = True
        if not found:
            raise NotRescorable("nothing inside gives a score")

    def _sum(
        self,
        scored: list[tuple[Rescorer, str, Mapping[str, Any]]],
        children: Mapping[str, str],
    ) -> Score:
        if not scored:
            raise NotRescorable("nothing inside gives a score")
        raw = maximum = Decimal(0)
        for rescorer, sub_id, child_params in scored:
            score = rescorer.rescore(child_params, children.get(sub_id), children)
            raw += score.raw
            maximum += score.max
        return Score(raw, maximum)

    def rescore(
        self,
        params: Mapping[str, Any],
        response: str | None,
        children: Mapping[str, str],
    ) -> Score:
        """See the module docstring; `response` is ignored (composites send none)."""
        return self._sum(list(self._scored(params)), children)


class QuestionSetRescorer(_CompositeRescorer):
    """H5P.QuestionSet ("Quiz"): the sum of its questions.

    With `poolSize` set below the number of questions, each attempt shows a
    random subset the statements do not name; the subset is taken to be the
    questions that have a response, and there must be exactly `poolSize` of
    them, or the score is not re-scorable.
    """

    machine_name = "H5P.QuestionSet"

    def children(self, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """`questions`."""
        questions = params.get("questions")
        if not isinstance(questions, list):
            raise NotRescorable("questions is not a list")
        return questions

    def rescore(
        self,
        params: Mapping[str, Any],
        response: str | None,
        children: Mapping[str, str],
    ) -> Score:
        """See the class docstring."""
        scored = list(self._scored(params))
        pool = params.get("poolSize")
        if isinstance(pool, int) and not isinstance(pool, bool) and pool > 0:
            if pool < len(self.children(params)):
                scored = [item for item in scored if item[1] in children]
                if len(scored) != pool:
                    raise NotRescorable(
                        f"{len(scored)} answered questions for a pool of {pool}"
                    )
        return self._sum(scored, children)


class ColumnRescorer(_CompositeRescorer):
    """H5P.Column: the sum of the tasks placed in the column."""

    machine_name = "H5P.Column"

    def children(self, params: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """Each `content[i].content`."""
        items = params.get("content")
        if not isinstance(items, list):
            raise NotRescorable("content is not a list")
        result = []
        for item in items:
            if not isinstance(item, Mapping) or not isinstance(
                item.get("content"), Mapping
            ):
                raise NotRescorable("a column item has no content")
            result.append(item["content"])
        return result
