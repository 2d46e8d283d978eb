"""The dashboard's competence figures from SchemeCompetence equal the old
per-request derivation from the competency records (issue 7)."""

from __future__ import annotations

import pytest
from django.db.models import Count, F, OuterRef, Subquery
from django.utils import translation

from courses.models import Enrolment
from lms.models import CompetencyRecord, Organisation, SchemeUnit
from lms.standards.services import scheme_create
from tests.dashboards.builders import populate, trainee_at, world_make
from tests.lms.lms_factories import record

pytestmark = pytest.mark.django_db

CENTRAL = "admin.pusat@lms.example"
URL = "/staf/dasbor/"


def old_competent_pairs() -> set[tuple[int, int]]:
    """The dashboard's former query: K records grouped by trainee and scheme,
    kept when they cover as many units as the scheme has."""
    size = (
        SchemeUnit.objects.filter(scheme_id=OuterRef("scheme"))
        .order_by()
        .values("scheme_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        CompetencyRecord.objects.filter(outcome="K", unit__scheme_units__isnull=False)
        .order_by()
        .values("trainee_id", scheme=F("unit__scheme_units__scheme_id"))
        .annotate(units_k=Count("unit_id", distinct=True))
        .filter(units_k=Subquery(size))
    )
    return {(r["trainee_id"], r["scheme"]) for r in rows}


def test_competence_figures_equal_the_old_derivation(staff_client):
    world = populate(world_make(), per_level=2)
    first = world.scheme.units.order_by("scheme_units__position").first()
    # A second scheme of just the first unit, also targeted by the course: a
    # trainee K on that unit alone is competent there and not in the first.
    narrow = scheme_create(
        code=f"{world.scheme.code}-N",
        title="Skema sempit",
        scheme_type="okupasi",
        owner=Organisation.objects.get(code="LSP-KEMENSOS"),
        units=[first],
    )
    partial = trainee_at(world, "assessed")
    for criterion in [c for e in first.elements.all() for c in e.criteria.all()]:
        record(trainee=partial, unit=first, criterion=criterion)

    pairs = old_competent_pairs()
    population = set(
        Enrolment.objects.filter(
            cohort=world.cohort, state__in=("active", "completed")
        ).values_list("trainee_id", flat=True)
    )
    client = staff_client(CENTRAL)
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        funnel = client.get(URL, {"cohort": world.cohort.pk}).context["figures"].funnel
        assert funnel["competent"] == len({t for t, _ in pairs if t in population})
        for scheme in (world.scheme, narrow):
            figures = client.get(
                URL, {"cohort": world.cohort.pk, "scheme": scheme.code}
            ).context["figures"]
            expected = {t for t, s in pairs if s == scheme.pk and t in population}
            assert figures.funnel["competent"] == len(expected)
        rows = (
            client.get(URL, {"cohort": world.cohort.pk, "by": "scheme"})
            .context["figures"]
            .breakdown
        )
    by_scheme = {r["key"]: r["competent"] for r in rows}
    assert by_scheme == {
        s.pk: len({t for t, k in pairs if k == s.pk and t in population})
        for s in (world.scheme, narrow)
    }
    # The two schemes really differ here, so the comparison means something.
    assert by_scheme[narrow.pk] == by_scheme[world.scheme.pk] + 1
