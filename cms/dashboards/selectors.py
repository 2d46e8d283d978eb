"""Reads behind the national and centre dashboards, scoped to who asks.

Every figure comes from a set-based query (``aggregate`` / ``values().annotate()``
with ``Count(..., distinct=True)`` and ``Exists``), so a dashboard runs the same
number of queries for six trainees as for 32,000.

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
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Concat
from django.db.models.lookups import In
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


def _competent(scheme_id: int | None, *, with_pair: bool = False) -> QuerySet:
    """(trainee, scheme) pairs competent on every unit of the scheme (a subquery).

    Read from `SchemeCompetence`, which the roll-up keeps in step with the
    records, instead of grouping every K record by scheme per request (2.4-3.9 s
    nationally at 32,000 trainees before). Uncorrelated: the database hashes the
    set once instead of probing per row.
    """
    pairs = SchemeCompetence.objects.order_by()
    if scheme_id is not None:
        pairs = pairs.filter(scheme_id=scheme_id)
    if with_pair:
        return pairs.values(pair=_pair("trainee_id", "scheme_id"))
    return pairs.values("trainee_id")


def _pair(trainee: Any, scheme: Any) -> Concat:
    """A text key of a (trainee, scheme) pair, to test pairs with one hashed IN."""
    return Concat(Cast(trainee, CharField()), Value("-"), Cast(scheme, CharField()))


def _active_certificates(today: dt.date) -> QuerySet[Certificate]:
    """Certificates of competence in force today (training certificates never count)."""
    return Certificate.objects.filter(
        kind=CertificateKind.COMPETENCY,
        status=CertificateStatus.ACTIVE,
        valid_until__gte=today,
    )


def _stage_counts(*, scheme: int | str | None, today: dt.date) -> dict[str, Count]:
    """The five funnel counts over population rows.

    ``scheme`` is None (any scheme), a scheme id (the filter), or the name of the
    annotation holding each row's scheme (the breakdown by scheme). Competence is
    tested against an uncorrelated, hashed set read from `SchemeCompetence`;
    certificates and graded attempts through EXISTS on indexed columns
    (PostgreSQL hashes those too).
    """
    graded = Attempt.objects.filter(
        trainee_id=OuterRef("trainee_id"),
        state=AttemptState.GRADED,
        assessment__centre_id=OuterRef("course__centre_id"),
    )
    certificates = _active_certificates(today).filter(holder_id=OuterRef("trainee_id"))
    if scheme is None:
        competent = Q(trainee_id__in=_competent(None))
    elif isinstance(scheme, int):
        certificates = certificates.filter(scheme_id=scheme)
        competent = Q(trainee_id__in=_competent(scheme))
    else:  # grouped by scheme: ``scheme`` names the row's scheme annotation
        certificates = certificates.filter(scheme_id=OuterRef(scheme))
        competent = In(_pair("trainee_id", scheme), _competent(None, with_pair=True))

    def distinct_trainees(condition: Any = None) -> Count:
        return Count("trainee_id", distinct=True, filter=condition)

    return {
        "enrolled": distinct_trainees(),
        "trained": distinct_trainees(Q(completion__isnull=False)),
        "assessed": distinct_trainees(Exists(graded)),
        "competent": distinct_trainees(competent),
        "certified": distinct_trainees(Exists(certificates)),
    }


_BREAKDOWN_FIELDS = {
    "centre": {
        "key": F("course__centre_id"),
        "code": F("course__centre__code"),
        "label": F("course__centre__short_name"),
    },
    "province": {
        "key": F("trainee__profile__province_id"),
        "code": F("trainee__profile__province__code"),
        "label": F("trainee__profile__province__name"),
    },
    "scheme": {
        "key": F("course__units__scheme_units__scheme_id"),
        "code": F("course__units__scheme_units__scheme__code"),
        "label": F("course__units__scheme_units__scheme__title"),
    },
    "cohort": {
        "key": F("cohort_id"),
        "code": F("cohort__number"),
        "label": F("cohort__course__code"),
        "centre": F("cohort__course__centre__code"),
    },
}


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
    (so no extra query): more sort memory, because the breakdown by scheme
    joins each enrolment to its course's scheme units and sorted that on disk
    with the 4 MB default (EXPLAIN ANALYZE, issue 7).
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

    funnel = population.aggregate(**_stage_counts(scheme=scheme_id, today=today))

    fields = _BREAKDOWN_FIELDS[filters.by]
    grouped_scheme = "key" if filters.by == "scheme" else scheme_id
    breakdown = list(
        population.order_by()
        .values(**fields)
        .annotate(**_stage_counts(scheme=grouped_scheme, today=today))
        .order_by(F("code").asc(nulls_last=True), "key")
    )
    if filters.by == "scheme" and scheme_id is not None:
        breakdown = [row for row in breakdown if row["key"] == scheme_id]

    # Certificates: every active one nationally; otherwise those held by people
    # in the population (a centre's trainees, a cohort, a province).
    certificates = _active_certificates(today)
    narrowed = not scope.national or any(
        (filters.centre, filters.cohort, filters.province)
    )
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
