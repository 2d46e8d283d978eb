"""Writes of competency records: the set-based roll-up and its configuration.

`competency_recompute` is the only code that writes `CompetencyRecord` rows. A full
recompute (no arguments) and the incremental update `evidence_record` runs for
one (trainee, unit) are the same statements over different scopes, so they agree.
Per distinct roll-up configuration of the units in scope it runs three
statements: the method's aggregate into a temporary batch table (one row per
(trainee, unit) pair with counting evidence), an ``INSERT … SELECT … ON CONFLICT
DO UPDATE`` of the batch into the records, and a ``DELETE`` of records in scope
missing from the batch (their evidence was superseded or aged out). No evidence
row passes through Python. The batch table costs little and lets PostgreSQL
build the aggregate with parallel workers, which ``INSERT … SELECT`` cannot.

After the records, the same call brings `SchemeCompetence` (trainee × scheme
competent on every unit of the scheme) in line for the trainees in scope and the
schemes holding a unit in scope, with the same three-statement pattern, so the
derived table never lags the records it is derived from. When a scheme's units
change, `scheme_competence_refresh(schemes=[scheme])` rebuilds its rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.models import CertificationScheme, CompetencyUnit, User

from .models import CompetencyOutcome
from .rollup import RollupMethod, registry

# Bounds the number of query parameters (SQLite allows 32,766) and the size of
# each statement when a caller passes a long list of trainees.
TRAINEE_CHUNK = 500

# PostgreSQL memory for the roll-up's sorts and hashes (per sort, per session).
ROLLUP_WORK_MEM = getattr(settings, "LMS_ROLLUP_WORK_MEM", "256MB")


def _ids(objects: Iterable[Any]) -> list[int]:
    return sorted({o if isinstance(o, int) else o.pk for o in objects})


def _trainee_chunks(trainees: Iterable[Any] | None) -> list[list[int] | None]:
    """The trainees in chunks of TRAINEE_CHUNK ids; [None] means everyone."""
    if trainees is None:
        return [None]
    trainee_ids = _ids(trainees)
    return [
        trainee_ids[i : i + TRAINEE_CHUNK]
        for i in range(0, len(trainee_ids), TRAINEE_CHUNK)
    ]


def _tune_transaction(cursor: Any) -> None:
    """PostgreSQL settings for one large aggregate, for this transaction only.

    JIT compilation costs seconds and gains less, and the sort for
    COUNT(DISTINCT) spills to disk with the 4 MB default.
    """
    cursor.execute("SET LOCAL jit = off")
    cursor.execute("SELECT set_config('work_mem', %s, true)", [ROLLUP_WORK_MEM])


def _placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


def _evidence_filter(
    *,
    unit_ids: Sequence[int],
    trainee_ids: Sequence[int] | None,
    cutoff: datetime | None,
    now: datetime,
    alias: str,
) -> tuple[str, list[Any]]:
    """WHERE conditions picking the evidence that counts, and their parameters."""
    adapt = connection.ops.adapt_datetimefield_value
    parts = [
        f"{alias}.superseded_by_id IS NULL",
        f"{alias}.verified",
        f"{alias}.occurred_at <= %s",
    ]
    params: list[Any] = [adapt(now)]
    if cutoff is not None:
        parts.append(f"{alias}.occurred_at >= %s")
        params.append(adapt(cutoff))
    parts.append(f"{alias}.unit_id IN ({_placeholders(unit_ids)})")
    params += list(unit_ids)
    if trainee_ids is not None:
        parts.append(f"{alias}.trainee_id IN ({_placeholders(trainee_ids)})")
        params += list(trainee_ids)
    return " AND ".join(parts), params


BATCH = "lms_rollup_batch"


def _batch_sql(
    *,
    method: RollupMethod,
    method_params: dict[str, Any],
    unit_ids: Sequence[int],
    trainee_ids: Sequence[int] | None,
    cutoff: datetime | None,
    now: datetime,
) -> tuple[str, list[Any]]:
    where, params = _evidence_filter(
        unit_ids=unit_ids, trainee_ids=trainee_ids, cutoff=cutoff, now=now, alias="e"
    )
    rank = (
        ", ROW_NUMBER() OVER (PARTITION BY e.trainee_id, e.unit_id "
        "ORDER BY e.occurred_at DESC, e.id DESC) AS rn"
        if method.needs_rank
        else ""
    )
    aggregate, aggregate_params = method.aggregate_sql(method_params)
    sql = f"""
        CREATE TEMPORARY TABLE {BATCH} AS
        WITH ev AS (
            SELECT e.id, e.trainee_id, e.unit_id, e.criterion_id, e.score,
                e.occurred_at,
                CASE WHEN e.outcome IN ('met', 'completed') THEN 1 ELSE 0 END
                    AS positive,
                CASE WHEN e.score_max > 0
                    THEN CAST(e.score AS DOUBLE PRECISION)
                        / CAST(e.score_max AS DOUBLE PRECISION)
                END AS ratio
                {rank}
            FROM lms_evidencerecord e
            WHERE {where}
        )
        SELECT * FROM ({aggregate}) agg
    """
    return sql, [*params, *aggregate_params]


def _upsert_sql(*, method: RollupMethod, now: datetime) -> tuple[str, list[Any]]:
    sql = f"""
        INSERT INTO lms_competencyrecord (trainee_id, unit_id, outcome, method,
            score, evidence_count, last_evidence_at, computed_at)
        SELECT trainee_id, unit_id, outcome, %s, CAST(score AS NUMERIC(14, 4)),
            evidence_count, last_evidence_at, %s
        FROM {BATCH} WHERE 1 = 1
        ON CONFLICT (trainee_id, unit_id) DO UPDATE SET
            outcome = excluded.outcome,
            method = excluded.method,
            score = excluded.score,
            evidence_count = excluded.evidence_count,
            last_evidence_at = excluded.last_evidence_at,
            computed_at = excluded.computed_at
        WHERE lms_competencyrecord.outcome <> excluded.outcome
            OR lms_competencyrecord.method <> excluded.method
            OR lms_competencyrecord.evidence_count <> excluded.evidence_count
            OR lms_competencyrecord.score IS DISTINCT FROM excluded.score
            OR lms_competencyrecord.last_evidence_at
                IS DISTINCT FROM excluded.last_evidence_at
    """
    # CAST: a method may give NULL AS score, which a batch table stores as text.
    # WHERE 1 = 1: SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT.
    # The DO UPDATE … WHERE leaves unchanged records alone, so a re-run writes
    # (and logs) only what changed.
    return sql, [method.name, connection.ops.adapt_datetimefield_value(now)]


def _stale_delete_sql(
    *, unit_ids: Sequence[int], trainee_ids: Sequence[int] | None
) -> tuple[str, list[Any]]:
    """Remove records in scope whose pair is not in the batch (no counting evidence)."""
    scope = f"lms_competencyrecord.unit_id IN ({_placeholders(unit_ids)})"
    params: list[Any] = list(unit_ids)
    if trainee_ids is not None:
        scope += (
            f" AND lms_competencyrecord.trainee_id IN ({_placeholders(trainee_ids)})"
        )
        params += list(trainee_ids)
    sql = f"""
        DELETE FROM lms_competencyrecord
        WHERE {scope} AND NOT EXISTS (
            SELECT 1 FROM {BATCH} b
            WHERE b.trainee_id = lms_competencyrecord.trainee_id
              AND b.unit_id = lms_competencyrecord.unit_id
        )
    """
    return sql, params


def competency_recompute(
    *,
    trainees: Iterable[User | int] | None = None,
    units: Iterable[CompetencyUnit | int] | None = None,
    now: datetime | None = None,
) -> None:
    """Bring competency records in line with the evidence log, set-based.

    ``trainees`` / ``units`` narrow the scope (None = all). ``now`` fixes the time
    the recency limits count back from (default: the current time). Every (trainee,
    unit) pair in scope with counting evidence gets its record upserted; records
    in scope left without counting evidence are removed (a record is derived
    data; "no record" reads as pending).
    """
    now = now or timezone.now()
    unit_rows = CompetencyUnit.objects.all()
    if units is not None:
        unit_rows = unit_rows.filter(pk__in=_ids(units))
    # Units sharing method, parameters and recency limit are rolled up together.
    groups: dict[tuple[str, str, int | None], list[int]] = defaultdict(list)
    for pk, method, params, recency in unit_rows.values_list(
        "pk", "rollup_method", "rollup_params", "evidence_recency_days"
    ):
        groups[(method, json.dumps(params or {}, sort_keys=True), recency)].append(pk)
    trainee_chunks = _trainee_chunks(trainees)
    with transaction.atomic(), connection.cursor() as cursor:
        postgres = connection.vendor == "postgresql"
        if postgres:
            _tune_transaction(cursor)
        # A fixed order keeps lock order stable between concurrent recomputes.
        ordered = sorted(groups.items(), key=lambda g: (g[0][0], g[0][1], g[0][2] or 0))
        for (method_name, params_json, recency), unit_ids in ordered:
            method = registry.get(method_name)
            method_params = json.loads(params_json)
            cutoff = now - timedelta(days=recency) if recency else None
            for chunk in trainee_chunks:
                cursor.execute(f"DROP TABLE IF EXISTS {BATCH}")
                cursor.execute(
                    *_batch_sql(
                        method=method,
                        method_params=method_params,
                        unit_ids=unit_ids,
                        trainee_ids=chunk,
                        cutoff=cutoff,
                        now=now,
                    )
                )
                if postgres and chunk is None:
                    # Statistics let the planner pick a hash anti-join for the
                    # stale-record DELETE on a large batch.
                    cursor.execute(f"ANALYZE {BATCH}")
                cursor.execute(*_upsert_sql(method=method, now=now))
                cursor.execute(*_stale_delete_sql(unit_ids=unit_ids, trainee_ids=chunk))
                cursor.execute(f"DROP TABLE {BATCH}")
        # Schemes holding a unit in scope (all schemes on a full recompute).
        all_units = units is None
        in_scope = [] if all_units else sorted({u for g in groups.values() for u in g})
        if all_units or in_scope:
            scope = _SchemeScope(unit_ids=None if all_units else in_scope)
            for chunk in trainee_chunks:
                _scheme_competence_sync(
                    cursor, scope=scope, trainee_ids=chunk, postgres=postgres
                )


SCHEME_BATCH = "lms_scheme_competence_batch"


class _SchemeScope:
    """Which schemes a sync covers: those holding given units, given ids, or all."""

    def __init__(
        self,
        *,
        unit_ids: Sequence[int] | None = None,
        scheme_ids: Sequence[int] | None = None,
    ) -> None:
        self.unit_ids = unit_ids
        self.scheme_ids = scheme_ids

    def sql(self, column: str) -> tuple[str, list[Any]]:
        """A condition on ``column`` (a scheme id), and its parameters."""
        if self.scheme_ids is not None:
            return (
                f"{column} IN ({_placeholders(self.scheme_ids)})",
                list(self.scheme_ids),
            )
        if self.unit_ids is not None:
            return (
                f"{column} IN (SELECT s.scheme_id FROM lms_schemeunit s "
                f"WHERE s.unit_id IN ({_placeholders(self.unit_ids)}))",
                list(self.unit_ids),
            )
        return "1 = 1", []


def _trainee_sql(column: str, trainee_ids: Sequence[int] | None) -> tuple[str, list]:
    if trainee_ids is None:
        return "1 = 1", []
    return f"{column} IN ({_placeholders(trainee_ids)})", list(trainee_ids)


def _scheme_competence_sync(
    cursor: Any,
    *,
    scope: _SchemeScope,
    trainee_ids: Sequence[int] | None,
    postgres: bool,
) -> None:
    """Make `SchemeCompetence` match the records for these schemes and trainees.

    Competent pairs (K on as many distinct units of the scheme as it has; the
    record and scheme-unit keys are unique, so COUNT(*) counts distinct units)
    go to a batch table, are upserted, and rows in scope missing from the batch
    are deleted. A scheme without units has no competent trainee.
    """
    scheme_cond, scheme_params = scope.sql("su.scheme_id")
    trainee_cond, trainee_params = _trainee_sql("r.trainee_id", trainee_ids)
    cursor.execute(f"DROP TABLE IF EXISTS {SCHEME_BATCH}")
    cursor.execute(
        f"""
        CREATE TEMPORARY TABLE {SCHEME_BATCH} AS
        SELECT r.trainee_id, su.scheme_id, MAX(r.last_evidence_at) AS as_of
        FROM lms_competencyrecord r
        JOIN lms_schemeunit su ON su.unit_id = r.unit_id
        WHERE r.outcome = %s AND {scheme_cond} AND {trainee_cond}
        GROUP BY r.trainee_id, su.scheme_id
        HAVING COUNT(*) = (
            SELECT COUNT(*) FROM lms_schemeunit n WHERE n.scheme_id = su.scheme_id
        )
        """,
        [CompetencyOutcome.COMPETENT, *scheme_params, *trainee_params],
    )
    if postgres and trainee_ids is None:
        # As for the records: statistics for the anti-join of the DELETE.
        cursor.execute(f"ANALYZE {SCHEME_BATCH}")
    # WHERE 1 = 1 for SQLite (see _upsert_sql); unchanged rows are left alone.
    cursor.execute(
        f"""
        INSERT INTO lms_schemecompetence (trainee_id, scheme_id, as_of)
        SELECT trainee_id, scheme_id, as_of FROM {SCHEME_BATCH} WHERE 1 = 1
        ON CONFLICT (trainee_id, scheme_id) DO UPDATE SET as_of = excluded.as_of
        WHERE lms_schemecompetence.as_of IS DISTINCT FROM excluded.as_of
        """
    )
    scheme_cond, scheme_params = scope.sql("lms_schemecompetence.scheme_id")
    trainee_cond, trainee_params = _trainee_sql(
        "lms_schemecompetence.trainee_id", trainee_ids
    )
    cursor.execute(
        f"""
        DELETE FROM lms_schemecompetence
        WHERE {scheme_cond} AND {trainee_cond} AND NOT EXISTS (
            SELECT 1 FROM {SCHEME_BATCH} b
            WHERE b.trainee_id = lms_schemecompetence.trainee_id
              AND b.scheme_id = lms_schemecompetence.scheme_id
        )
        """,
        [*scheme_params, *trainee_params],
    )
    cursor.execute(f"DROP TABLE {SCHEME_BATCH}")


def scheme_competence_refresh(
    *,
    schemes: Iterable[CertificationScheme | int] | None = None,
    trainees: Iterable[User | int] | None = None,
) -> None:
    """Rebuild `SchemeCompetence` from the records, for some schemes or all.

    `competency_recompute` keeps the table in step with the records; call this
    when a scheme's units change (a scheme created or edited), since no record
    changes then. ``schemes`` / ``trainees`` narrow the scope (None = all).
    """
    scope = _SchemeScope(scheme_ids=None if schemes is None else _ids(schemes))
    if scope.scheme_ids == []:
        return
    trainee_chunks = _trainee_chunks(trainees)
    with transaction.atomic(), connection.cursor() as cursor:
        postgres = connection.vendor == "postgresql"
        if postgres:
            _tune_transaction(cursor)
        for chunk in trainee_chunks:
            _scheme_competence_sync(
                cursor, scope=scope, trainee_ids=chunk, postgres=postgres
            )


def competency_lock(*, trainee_id: int, unit_id: int) -> None:
    """Serialise writers of one (trainee, unit) pair until the transaction ends.

    Two evidence rows for the same pair committed at once would otherwise each
    roll up without seeing the other and the last one would win with a stale
    result. PostgreSQL takes a transaction-level advisory lock; SQLite already
    runs one write transaction at a time.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [trainee_id % 2_147_483_647, unit_id % 2_147_483_647],
            )


@transaction.atomic
def unit_set_rollup(
    *,
    unit: CompetencyUnit,
    method: str,
    params: dict[str, Any] | None = None,
    recency_days: int | None = None,
) -> CompetencyUnit:
    """Choose how a unit's evidence rolls up, then recompute that unit's records.

    Every problem (unknown method, bad parameters, bad recency) is raised at once.
    """
    params = dict(params or {})
    problems: list[str] = []
    if method not in registry:
        problems.append(
            _("Unknown roll-up method %(method)s; choose one of %(names)s.")
            % {"method": method, "names": ", ".join(registry.names())}
        )
    else:
        problems += registry.get(method).param_problems(params)
    if recency_days is not None and recency_days < 1:
        problems.append(_("The evidence recency limit must be at least one day."))
    if problems:
        raise ValidationError(problems)
    unit.rollup_method = method
    unit.rollup_params = params
    unit.evidence_recency_days = recency_days
    unit.full_clean()
    unit.save(update_fields=["rollup_method", "rollup_params", "evidence_recency_days"])
    competency_recompute(units=[unit])
    return unit
