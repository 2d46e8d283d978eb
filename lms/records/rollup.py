"""Roll-up methods: how a unit's evidence becomes K, BK or pending, as SQL.

A method is a class registered with ``registry.register(MethodClass)``. The
registry refuses a second class under a name already taken. A method must offer:

``name`` (str)
    The stable code stored on units and records, e.g. ``"latest"``.
``label`` (lazy str)
    What the admin shows.
``needs_rank`` (bool)
    True when the SQL uses ``ev.rn`` (1 = newest row of the trainee and unit).
``param_problems(params: dict) -> list[str]``
    Every problem with a unit's parameters (translated), empty when valid.
``aggregate_sql(params: dict) -> tuple[str, list]``
    A ``SELECT`` over the relation ``ev`` returning exactly the columns
    ``trainee_id, unit_id, outcome, score, evidence_count, last_evidence_at``,
    one row per (trainee_id, unit_id), with ``%s`` placeholders and their values.
    ``outcome`` is ``'K'``, ``'BK'`` or ``'pending'``.

``ev`` holds the evidence that counts: current (not superseded), server-verified
rows of the units in scope, inside the unit's recency limit. Its columns are
``id, trainee_id, unit_id, criterion_id, score, occurred_at``, ``positive`` (1 when
the outcome is met/completed, else 0), ``ratio`` (score / score_max, NULL when
unscored) and, if asked for, ``rn``.

The SQL must run on SQLite and PostgreSQL alike: the whole roll-up is set-based,
never a Python loop over evidence rows (see `lms.records.services`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class RollupMethod:
    """Base class of the roll-up methods; see the module docstring for the contract."""

    name: ClassVar[str]
    label: ClassVar[str | Promise]
    needs_rank: ClassVar[bool] = False

    def param_problems(self, params: dict[str, Any]) -> list[str]:
        return []

    def aggregate_sql(self, params: dict[str, Any]) -> tuple[str, list[Any]]:
        raise NotImplementedError

    # Helpers for the concrete methods.
    @staticmethod
    def _number_problem(
        params: dict[str, Any],
        key: str,
        *,
        low: float,
        high: float | None = None,
        required: bool = True,
        low_open: bool = False,
    ) -> list[str]:
        if key not in params:
            return (
                [_("Parameter %(key)s is required.") % {"key": key}] if required else []
            )
        value = params[key]
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok:
            ok = value > low if low_open else value >= low
            ok = ok and (high is None or value <= high)
        if ok:
            return []
        if high is None:
            return [
                _("Parameter %(key)s must be a number of at least %(low)s.")
                % {"key": key, "low": low}
            ]
        return [
            _("Parameter %(key)s must be a number from %(low)s to %(high)s.")
            % {"key": key, "low": low, "high": high}
        ]


class RollupRegistry:
    """The registered roll-up methods, by name. Fill it with `register`."""

    def __init__(self) -> None:
        self._methods: dict[str, RollupMethod] = {}

    def register(self, method_cls: type[RollupMethod]) -> type[RollupMethod]:
        """Add a method class (usable as a decorator); refuses a taken name."""
        name = getattr(method_cls, "name", "")
        if not name or not isinstance(name, str):
            raise ValueError(f"{method_cls!r} has no name")
        if name in self._methods:
            raise ValueError(f"A roll-up method named {name!r} is already registered")
        for attribute in ("label", "param_problems", "aggregate_sql"):
            if not hasattr(method_cls, attribute):
                raise ValueError(f"{method_cls!r} lacks {attribute}")
        self._methods[name] = method_cls()
        return method_cls

    def get(self, name: str) -> RollupMethod:
        """The method registered under ``name``; LookupError if there is none."""
        try:
            return self._methods[name]
        except KeyError:
            raise LookupError(name) from None

    def names(self) -> list[str]:
        return sorted(self._methods)

    def __contains__(self, name: object) -> bool:
        return name in self._methods


registry = RollupRegistry()

_GROUP = "GROUP BY ev.trainee_id, ev.unit_id"
_TAIL = "COUNT(*) AS evidence_count, MAX(ev.occurred_at) AS last_evidence_at"


def _value(params: dict[str, Any]) -> str:
    """A row's value: its score ratio when the method compares scores, else 1/0."""
    return (
        "COALESCE(ev.ratio, ev.positive)" if "pass_ratio" in params else "ev.positive"
    )


@registry.register
class AllCriteriaMet(RollupMethod):
    """K when every KUK of the unit has positive evidence; BK when every KUK has
    been assessed but some not met; pending while some KUK has no evidence."""

    name = "all_criteria_met"
    label = gettext_lazy("All performance criteria met")

    def aggregate_sql(self, params: dict[str, Any]) -> tuple[str, list[Any]]:
        met = "COUNT(DISTINCT CASE WHEN ev.positive = 1 THEN ev.criterion_id END)"
        return (
            f"""
            SELECT ev.trainee_id, ev.unit_id,
                CASE WHEN uc.n > 0 AND {met} >= uc.n THEN 'K'
                     WHEN uc.n > 0 AND COUNT(DISTINCT ev.criterion_id) >= uc.n
                     THEN 'BK'
                     ELSE 'pending' END AS outcome,
                {met} AS score, {_TAIL}
            FROM ev LEFT JOIN (
                SELECT el.unit_id, COUNT(*) AS n
                FROM lms_performancecriterion pc
                JOIN lms_competencyelement el ON el.id = pc.element_id
                GROUP BY el.unit_id
            ) uc ON uc.unit_id = ev.unit_id
            {_GROUP}, uc.n
            """,
            [],
        )


@registry.register
class PointsThreshold(RollupMethod):
    """K once the scores of the evidence add up to ``threshold``; pending before."""

    name = "points_threshold"
    label = gettext_lazy("Points threshold")

    def param_problems(self, params: dict[str, Any]) -> list[str]:
        return self._number_problem(params, "threshold", low=0, low_open=True)

    def aggregate_sql(self, params: dict[str, Any]) -> tuple[str, list[Any]]:
        total = "SUM(COALESCE(ev.score, 0))"
        return (
            f"""
            SELECT ev.trainee_id, ev.unit_id,
                CASE WHEN {total} >= %s THEN 'K' ELSE 'pending' END AS outcome,
                {total} AS score, {_TAIL}
            FROM ev {_GROUP}
            """,
            [params["threshold"]],
        )


@registry.register
class Latest(RollupMethod):
    """The newest evidence decides: K when it passes, BK when it does not.

    Without ``pass_ratio`` the row's outcome decides (met/completed pass); with
    it, a scored row passes when score / score_max ≥ pass_ratio.
    """

    name = "latest"
    label = gettext_lazy("Latest evidence")
    needs_rank = True

    def param_problems(self, params: dict[str, Any]) -> list[str]:
        return self._number_problem(params, "pass_ratio", low=0, high=1, required=False)

    def aggregate_sql(self, params: dict[str, Any]) -> tuple[str, list[Any]]:
        latest = f"MAX(CASE WHEN ev.rn = 1 THEN {_value(params)} END)"
        return (
            f"""
            SELECT ev.trainee_id, ev.unit_id,
                CASE WHEN {latest} >= %s THEN 'K' ELSE 'BK' END AS outcome,
                {latest} AS score, {_TAIL}
            FROM ev {_GROUP}
            """,
            [params.get("pass_ratio", 1)],
        )


@registry.register
class Highest(RollupMethod):
    """The best evidence decides: K when any row passes (see `Latest`), else BK."""

    name = "highest"
    label = gettext_lazy("Highest evidence")

    def param_problems(self, params: dict[str, Any]) -> list[str]:
        return self._number_problem(params, "pass_ratio", low=0, high=1, required=False)

    def aggregate_sql(self, params: dict[str, Any]) -> tuple[str, list[Any]]:
        best = f"MAX({_value(params)})"
        return (
            f"""
            SELECT ev.trainee_id, ev.unit_id,
                CASE WHEN {best} >= %s THEN 'K' ELSE 'BK' END AS outcome,
                {best} AS score, {_TAIL}
            FROM ev {_GROUP}
            """,
            [params.get("pass_ratio", 1)],
        )


@registry.register
class NTimes(RollupMethod):
    """K once the trainee has shown the unit ``n`` times (positive rows); pending
    before."""

    name = "n_times"
    label = gettext_lazy("Shown n times")

    def param_problems(self, params: dict[str, Any]) -> list[str]:
        problems = self._number_problem(params, "n", low=1, high=1000)
        if not problems and not isinstance(params["n"], int):
            problems.append(_("Parameter n must be a whole number."))
        return problems

    def aggregate_sql(self, params: dict[str, Any]) -> tuple[str, list[Any]]:
        shown = "SUM(ev.positive)"
        return (
            f"""
            SELECT ev.trainee_id, ev.unit_id,
                CASE WHEN {shown} >= %s THEN 'K' ELSE 'pending' END AS outcome,
                {shown} AS score, {_TAIL}
            FROM ev {_GROUP}
            """,
            [params["n"]],
        )


@registry.register
class DecayingAverage(RollupMethod):
    """A weighted average of the rows' values, the newest weighing most.

    The k-th newest row weighs ``decay ** (k - 1)`` (decay 1 is a plain average).
    K when the average reaches ``pass_ratio`` (default 0.7), else BK. A row's value
    is its score ratio, or 1/0 from its outcome when it has no score.
    """

    name = "decaying_average"
    label = gettext_lazy("Decaying average")
    needs_rank = True

    def param_problems(self, params: dict[str, Any]) -> list[str]:
        return self._number_problem(
            params, "decay", low=0, high=1, low_open=True
        ) + self._number_problem(params, "pass_ratio", low=0, high=1, required=False)

    def aggregate_sql(self, params: dict[str, Any]) -> tuple[str, list[Any]]:
        decay = float(params["decay"])
        weight = "POWER(%s, ev.rn - 1)"
        average = f"(SUM(COALESCE(ev.ratio, ev.positive) * {weight}) / SUM({weight}))"
        return (
            f"""
            SELECT ev.trainee_id, ev.unit_id,
                CASE WHEN {average} >= %s THEN 'K' ELSE 'BK' END AS outcome,
                {average} AS score, {_TAIL}
            FROM ev {_GROUP}
            """,
            [decay, decay, float(params.get("pass_ratio", 0.7)), decay, decay],
        )
