"""Reads behind the national and centre dashboards, scoped to who asks.

Every figure comes from a set-based query: distinct counts of trainees, each stage
tested against a set the database hashes once (see `_stage_sql`), so a dashboard
runs the same number of queries for six trainees as for 32,000, and the national
views stay well under a second at 32,000 trainees (tests/perf/bench_dashboard.py).

The funnel, as the page explains it to its readers
(all counts are distinct trainees of the *population*):

- **population / enrolled**: trainees with an admitted enrolment (active or
  completed; requests and withdrawals do not count) in a course of the centres in
  scope, narrowed by the filters (centre, the trainee's province, cohort, scheme: a
  course counts for a scheme when it targets at least one of the scheme's units);
- **trained**: the enrolment has a course completion (`CourseCompletion`);
- **assessed**: the trainee has a graded attempt at an assessment of the centre
  running the course;
- **competent**: the trainee's competency records are Kompeten (K) on *every* unit
  of a scheme (the scheme filtered on or grouped by; otherwise any scheme). A
  record is derived from evidence by the unit's roll-up method (`lms.records`), so
  pending or BK on one unit means not yet competent for the scheme. The roll-up
  keeps that verdict per trainee and scheme in `SchemeCompetence`, read here;
- **certified**: the trainee holds a certificate that is active today (status
  aktif and valid-until not past), of that scheme where one is selected.

Stages are counted independently inside the population, so someone recognised
through RPL is certified without having trained; the page shows each stage as a
share of those enrolled. A trainee enrolled at two centres counts once nationally
and once at each centre.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)
from django.http import Http404, QueryDict
from django.utils import timezone

from assessments.models import Attempt, AttemptState
from courses.models import Cohort, Course, Enrolment, EnrolmentState
from lms.certification.models import Certificate, CertificateKind, CertificateStatus
from lms.certification.services import add_months
from lms.models import (
    CertificationScheme,
    Membership,
    Organisation,
    OrganisationKind,
    Province,
    Role,
    SchemeCompetence,
)

STAGES = ("enrolled", "trained", "assessed", "competent", "certified")
BREAKDOWNS = ("centre", "province", "scheme", "cohort")
EXPIRY_MONTHS = (3, 6, 12)
ADMITTED = (EnrolmentState.ACTIVE, EnrolmentState.COMPLETED)
# PostgreSQL sort memory for the dashboard's grouped queries (this transaction).
DASHBOARD_WORK_MEM = getattr(settings, "LMS_DASHBOARD_WORK_MEM", "64MB")


# Scope and filters ------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardScope:
    """What a person may see: every centre (central admin) or their own centres."""

    national: bool
    centres: tuple[Organisation, ...]

    @property
    def centre_ids(self) -> list[int]:
        return [c.pk for c in self.centres]


def dashboard_scope_for(user: Any) -> DashboardScope:
    """The dashboard scope of a person; Http404 for anyone but the two admin roles.

    The central admin (or a superuser) sees every centre; a centre admin
    (penyelenggara) the centres they administer. Two queries.
    """
    if not user.is_authenticated:
        raise Http404
    memberships = (
        Membership.objects.active()
        .filter(user=user, role__in=(Role.CENTRAL_ADMIN, Role.CENTRE_ADMIN))
        .values_list("role", "organisation_id")
    )
    pairs = list(memberships)
    centres = Organisation.objects.filter(kind=OrganisationKind.CENTRE).order_by("code")
    if user.is_superuser or any(role == Role.CENTRAL_ADMIN for role, _ in pairs):
        return DashboardScope(national=True, centres=tuple(centres))
    own = {org for role, org in pairs if role == Role.CENTRE_ADMIN}
    if not own:
        raise Http404
    return DashboardScope(national=False, centres=tuple(centres.filter(pk__in=own)))


@dataclass(frozen=True)
class DashboardFilters:
    """The GET filters of a dashboard, each resolved to a row within the scope."""

    centre: Organisation | None = None
    province: Province | None = None
    scheme: CertificationScheme | None = None
    cohort: Cohort | None = None
    by: str = "centre"
    options: dict[str, list[Any]] = field(default_factory=dict, compare=False)

    def as_parameters(self) -> dict[str, str]:
        """The filters as they appear in the URL (and in the export log)."""
        values = {
            "centre": self.centre.code if self.centre else "",
            "province": self.province.code if self.province else "",
            "scheme": self.scheme.code if self.scheme else "",
            "cohort": str(self.cohort.pk) if self.cohort else "",
            "by": self.by,
        }
        return {k: v for k, v in values.items() if v}


def dashboard_filters_parse(
    *, scope: DashboardScope, data: QueryDict
) -> DashboardFilters:
    """Resolve ``centre``, ``province``, ``scheme``, ``cohort`` and ``by`` (3 queries).

    A centre or cohort outside the scope, or an unknown code, answers 404, like
    every other object a person may not see. The option lists (for the filter
    form) are loaded here once and reused.
    """
    by = data.get("by") or ("centre" if scope.national else "cohort")
    if by not in BREAKDOWNS:
        raise Http404

    def pick(rows: list[Any], key: str, attr: str) -> Any:
        wanted = (data.get(key) or "").strip()
        if not wanted:
            return None
        for row in rows:
            if str(getattr(row, attr)) == wanted:
                return row
        raise Http404

    centre = pick(list(scope.centres), "centre", "code")
    provinces = list(Province.objects.order_by("name"))
    schemes = list(CertificationScheme.objects.order_by("code"))
    cohort_centres = [centre.pk] if centre else scope.centre_ids
    cohorts = list(
        Cohort.objects.filter(course__centre_id__in=cohort_centres)
        .select_related("course__centre")
        .order_by("course__centre__code", "course__code", "starts_on", "number")
    )
    return DashboardFilters(
        centre=centre,
        province=pick(provinces, "province", "code"),
        scheme=pick(schemes, "scheme", "code"),
        cohort=pick(cohorts, "cohort", "pk"),
        by=by,
        options={
            "centres": list(scope.centres),
            "provinces": provinces,
            "schemes": schemes,
            "cohorts": cohorts,
        },
    )


# Figures ----------------------------------------------------------------------------


def _population(
    scope: DashboardScope, filters: DashboardFilters
) -> QuerySet[Enrolment]:
    """Admitted enrolments in scope, narrowed by the filters (one row per enrolment)."""
    enrolments = Enrolment.objects.filter(state__in=ADMITTED)
    if not scope.national:
        enrolments = enrolments.filter(course__centre_id__in=scope.centre_ids)
    if filters.centre is not None:
        enrolments = enrolments.filter(course__centre=filters.centre)
    if filters.cohort is not None:
        enrolments = enrolments.filter(cohort=filters.cohort)
    if filters.province is not None:
        enrolments = enrolments.filter(trainee__profile__province=filters.province)
    if filters.scheme is not None:
        enrolments = enrolments.filter(
            course__in=Course.objects.filter(
                units__scheme_units__scheme=filters.scheme
            ).values("pk")
        )
    return enrolments


def _active_certificates(today: dt.date) -> QuerySet[Certificate]:
    """Certificates of competence in force today (training certificates never count)."""
    return Certificate.objects.filter(
        kind=CertificateKind.COMPETENCY,
        status=CertificateStatus.ACTIVE,
        valid_until__gte=today,
    )


# The funnel and the breakdown are one SQL statement each, written by hand around
# parts the ORM compiles (the scoped population, the stage sets). Why not the ORM
# alone: it cannot group over a derived table. The breakdown by scheme must join
# each enrolment to the *distinct* schemes its course targets; through
# ``course__units__scheme_units`` it met one row per targeted unit (ten times the
# enrolments) and took 1.2 s nationally at 32,000 trainees (EXPLAIN ANALYZE,
# issue 7). And a stage test written as ``Exists(...)`` inside an aggregate's
# FILTER is probed once per enrolment (40,000 index probes, 0.5 s); written as an
# uncorrelated ``IN (subquery)`` PostgreSQL hashes the set once (0.13 s).

_LABELS = {
    # breakdown -> (label joins on the grouped key ``g.key``, code, label[, centre])
    "centre": (
        "LEFT JOIN {organisation} o ON o.id = g.key",
        "o.code",
        "o.short_name",
    ),
    "province": (
        "LEFT JOIN {province} pr ON pr.id = g.key",
        "pr.code",
        "pr.name",
    ),
    "scheme": (
        "LEFT JOIN {scheme} s ON s.id = g.key",
        "s.code",
        "s.title",
    ),
    "cohort": (
        "LEFT JOIN {cohort} ch ON ch.id = g.key "
        "LEFT JOIN {course} chc ON chc.id = ch.course_id "
        "LEFT JOIN {organisation} cho ON cho.id = chc.centre_id",
        "ch.number",
        "chc.code",
        "cho.code",
    ),
}


class _Sql:
    """A piece of SQL with its parameters, so pieces join in the right order."""

    def __init__(self, sql: str = "", params: list[Any] | None = None) -> None:
        self.sql = sql
        self.params = list(params or [])

    @classmethod
    def of(cls, queryset: QuerySet) -> _Sql:
        """The SQL the ORM writes for a queryset (table names, filters, scoping)."""
        sql, params = queryset.query.sql_with_params()
        return cls(sql, list(params))

    def __add__(self, other: _Sql | str) -> _Sql:
        if isinstance(other, str):
            return _Sql(self.sql + other, self.params)
        return _Sql(self.sql + other.sql, self.params + other.params)

    def __radd__(self, other: str) -> _Sql:
        return _Sql(other + self.sql, self.params)


def _stage_sql(
    *,
    population: QuerySet[Enrolment],
    scheme_id: int | None,
    by: str | None,
    today: dt.date,
    narrowed: bool,
) -> _Sql:
    """The five funnel counts over the population, grouped by ``by`` (or not).

    Counts are distinct trainees; each stage is a test of the population row
    against a set the database hashes once: (trainee, centre) pairs with a graded
    attempt, the (trainee[, scheme]) verdicts of `SchemeCompetence`, the holders
    of an active certificate (of the scheme). Grouped by scheme, competence and
    certificate are tested for the row's own scheme. When the population is a
    part of the country (``narrowed``), each set is first cut to its trainees, so
    a cohort's page does not hash every attempt in the country.
    """
    fields = ["trainee_id"]
    columns = {
        "centre_id": F("course__centre_id"),
        "completion_id": F("completion__id"),
    }
    if by == "province":
        columns["key"] = F("trainee__profile__province_id")
    elif by == "cohort":
        columns["key"] = F("cohort_id")
    elif by == "centre":
        columns["key"] = F("course__centre_id")
    elif by == "scheme":
        fields.append("course_id")
    rows = _Sql.of(population.order_by().values(*fields, **columns))

    graded = Attempt.objects.filter(state=AttemptState.GRADED).order_by()
    competent = SchemeCompetence.objects.order_by()
    certificates = _active_certificates(today).order_by()
    if narrowed:
        trainees = population.order_by().values("trainee_id")
        graded = graded.filter(trainee_id__in=trainees)
        competent = competent.filter(trainee_id__in=trainees)
        certificates = certificates.filter(holder_id__in=trainees)
    graded_pairs = _Sql.of(graded.values_list("trainee_id", "assessment__centre_id"))
    if by == "scheme":
        # The row's scheme: one row per enrolment and distinct scheme its
        # course targets (none: key NULL, "No scheme targeted").
        targets = (
            Course.units.through.objects.order_by()
            .values("course_id", scheme_id=F("competencyunit__scheme_units__scheme_id"))
            .filter(scheme_id__isnull=False)
            .distinct()
        )
        if scheme_id is not None:
            targets = targets.filter(scheme_id=scheme_id)
        source = (
            "(" + rows + ") p LEFT JOIN (" + _Sql.of(targets) + ") t "
            "ON t.course_id = p.course_id GROUP BY t.scheme_id"
        )
        key = "t.scheme_id AS key, "
        mine = "(p.trainee_id, t.scheme_id)"
        competent_set = _Sql.of(competent.values_list("trainee_id", "scheme_id"))
        certified_set = _Sql.of(certificates.values_list("holder_id", "scheme_id"))
    else:
        if scheme_id is not None:
            competent = competent.filter(scheme_id=scheme_id)
            certificates = certificates.filter(scheme_id=scheme_id)
        source = "(" + rows + ") p" + (" GROUP BY p.key" if by else "")
        key = "p.key AS key, " if by else ""
        mine = "p.trainee_id"
        competent_set = _Sql.of(competent.values_list("trainee_id"))
        certified_set = _Sql.of(certificates.values_list("holder_id"))

    def distinct_trainees(name: str, condition: _Sql | str = "") -> _Sql:
        counted = _Sql("COUNT(DISTINCT p.trainee_id)")
        if condition:
            counted = counted + " FILTER (WHERE " + condition + ")"
        return counted + f" AS {name}"

    select = _Sql("SELECT " + key)
    counts = [
        distinct_trainees("enrolled"),
        distinct_trainees("trained", "p.completion_id IS NOT NULL"),
        distinct_trainees(
            "assessed", "(p.trainee_id, p.centre_id) IN (" + graded_pairs + ")"
        ),
        distinct_trainees("competent", f"{mine} IN (" + competent_set + ")"),
        distinct_trainees("certified", f"{mine} IN (" + certified_set + ")"),
    ]
    for i, count in enumerate(counts):
        select = select + (", " if i else "") + count
    return select + " FROM " + source


def _funnel(
    *,
    population: QuerySet[Enrolment],
    scheme_id: int | None,
    today: dt.date,
    narrowed: bool,
) -> dict[str, int]:
    """The five counts of the whole population (one query)."""
    query = _stage_sql(
        population=population,
        scheme_id=scheme_id,
        by=None,
        today=today,
        narrowed=narrowed,
    )
    with connection.cursor() as cursor:
        cursor.execute(query.sql, query.params)
        row = cursor.fetchone()
    return dict(zip(STAGES, row, strict=True))


def _breakdown(
    *,
    population: QuerySet[Enrolment],
    scheme_id: int | None,
    by: str,
    today: dt.date,
    narrowed: bool,
) -> list[dict[str, Any]]:
    """The five counts per centre, province, scheme or cohort, labelled (one query).

    Grouped on the key alone, then joined to the few rows that name the groups.
    """
    grouped = _stage_sql(
        population=population,
        scheme_id=scheme_id,
        by=by,
        today=today,
        narrowed=narrowed,
    )
    joins, *labels = _LABELS[by]
    joins = joins.format(
        organisation=Organisation._meta.db_table,
        province=Province._meta.db_table,
        scheme=CertificationScheme._meta.db_table,
        cohort=Cohort._meta.db_table,
        course=Course._meta.db_table,
    )
    names = ["code", "label", "centre"][: len(labels)]
    picked = ", ".join(
        f"{expr} AS {name}" for expr, name in zip(labels, names, strict=True)
    )
    stages = ", ".join(f"g.{stage}" for stage in STAGES)
    query = (
        f"SELECT g.key, {picked}, {stages} FROM ("
        + grouped
        + f") g {joins} ORDER BY CASE WHEN {labels[0]} IS NULL THEN 1 ELSE 0 END, "
        f"{labels[0]}, g.key"
    )
    with connection.cursor() as cursor:
        cursor.execute(query.sql, query.params)
        fields = [column[0] for column in cursor.description]
        return [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]


@dataclass
class DashboardFigures:
    """Everything a dashboard shows, computed in a fixed number of queries."""

    scope: DashboardScope
    filters: DashboardFilters
    today: dt.date
    target: int
    certified_holders: int
    funnel: dict[str, int]
    breakdown: list[dict[str, Any]]
    expiring_total: dict[int, int]
    expiring_by_scheme: list[dict[str, Any]]
    active_certificates: int = 0

    @property
    def target_percent(self) -> float:
        return 100 * self.certified_holders / self.target if self.target else 0.0


def dashboard_figures(
    *, scope: DashboardScope, filters: DashboardFilters, today: dt.date | None = None
) -> DashboardFigures:
    """Target progress, funnel, breakdown and expiring certificates (4 queries)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        _jit_off()
        return _figures(scope=scope, filters=filters, today=today)


def _jit_off() -> None:
    """No JIT compilation for the dashboard's queries (this transaction only).

    PostgreSQL estimates these grouped plans with subplans far above
    ``jit_above_cost`` and then spends seconds compiling them, for queries that
    run in a few hundred milliseconds (measured in tests/perf/bench_dashboard.py:
    7.5 s with JIT, 0.35 s without, on the same data). In the same statement
    (so no extra query): more sort memory, headroom for the distinct counts'
    sorts (the breakdown by scheme once spilled to disk with the 4 MB default,
    when it still met one row per targeted unit; EXPLAIN ANALYZE, issue 7).
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('jit', 'off', true), "
                "set_config('work_mem', %s, true)",
                [DASHBOARD_WORK_MEM],
            )


def _figures(
    *, scope: DashboardScope, filters: DashboardFilters, today: dt.date
) -> DashboardFigures:
    population = _population(scope, filters)
    scheme_id = filters.scheme.pk if filters.scheme else None

    # Nationally every row counts; otherwise the population is a part (a
    # centre's trainees, a cohort, a province) and the sets are cut to it.
    narrowed = not scope.national or any(
        (filters.centre, filters.cohort, filters.province)
    )
    funnel = _funnel(
        population=population, scheme_id=scheme_id, today=today, narrowed=narrowed
    )
    breakdown = _breakdown(
        population=population,
        scheme_id=scheme_id,
        by=filters.by,
        today=today,
        narrowed=narrowed,
    )

    # Certificates: every active one nationally; otherwise those held by people
    # in the population.
    certificates = _active_certificates(today)
    if narrowed:
        certificates = certificates.filter(
            holder_id__in=population.values("trainee_id")
        )
    if filters.scheme is not None:
        certificates = certificates.filter(scheme=filters.scheme)
    limits = {m: add_months(today, m) for m in EXPIRY_MONTHS}
    expiring = {
        f"m{m}": Count("pk", filter=Q(valid_until__lte=limit))
        for m, limit in limits.items()
    }
    totals = certificates.aggregate(
        holders=Count("holder_id", distinct=True), active=Count("pk"), **expiring
    )
    by_scheme = list(
        certificates.order_by()
        .values(code=F("scheme__code"), label=F("scheme__title"))
        .annotate(active=Count("pk"), **expiring)
        .order_by("code")
    )
    return DashboardFigures(
        scope=scope,
        filters=filters,
        today=today,
        target=int(getattr(settings, "LMS_NATIONAL_TARGET", 32000)),
        certified_holders=totals["holders"],
        active_certificates=totals["active"],
        funnel={stage: funnel[stage] for stage in STAGES},
        breakdown=breakdown,
        expiring_total={m: totals[f"m{m}"] for m in EXPIRY_MONTHS},
        expiring_by_scheme=[
            {**row, "expiring": {m: row[f"m{m}"] for m in EXPIRY_MONTHS}}
            for row in by_scheme
        ],
    )
