"""The dashboard's set-based figures (issue 7): the breakdown by scheme joins each
enrolment to the distinct schemes its course targets, and scoped views cut the
stage sets to their own trainees. Each test compares with what a reader would
count by hand."""

from __future__ import annotations

import pytest

from courses.models import Enrolment
from tests.dashboards.builders import (
    graded_attempt,
    populate,
    trainee_at,
    world_make,
)
from tests.dashboards.test_dashboard import (  # noqa: F401 (an autouse fixture)
    CENTRAL,
    R3_ADMIN,
    URL,
    _english,
)
from tests.lms.test_certification import make_scheme

pytestmark = pytest.mark.django_db


def test_by_scheme_counts_a_trainee_once_and_shows_untargeted_courses(staff_client):
    first = populate(world_make())  # a course on both units of the scheme
    # A second course of the same scheme at the same centre; one of the first
    # course's certified trainees enrols there too.
    second = world_make(scheme=first.scheme)
    trainee_at(second, "trained")
    Enrolment.objects.create(
        trainee=first.trainees[-1],
        course=second.course,
        cohort=second.cohort,
        state="active",
    )
    # A course that targets no unit of any scheme, with one trainee.
    loose = world_make()
    loose.course.units.clear()
    trainee_at(loose, "enrolled")

    client = staff_client(CENTRAL)
    rows = (
        client.get(URL, {"centre": "R3", "by": "scheme"}).context["figures"].breakdown
    )
    by_code = {row["code"]: row for row in rows}
    row = by_code[first.scheme.code]
    # Five trainees of the first course and one more of the second: six, not seven.
    assert [row[s] for s in ("enrolled", "trained", "competent", "certified")] == [
        6,
        5,
        2,
        1,
    ]
    # The untargeted course: its own row, named, listed last.
    assert rows[-1]["key"] is None
    assert rows[-1]["enrolled"] == 1 and rows[-1]["certified"] == 0
    page = client.get(URL, {"centre": "R3", "by": "scheme"}).content.decode()
    assert "No scheme targeted" in page
    # Filtered on the scheme: only its row, with the same figures.
    filtered = client.get(
        URL, {"centre": "R3", "by": "scheme", "scheme": first.scheme.code}
    ).context["figures"]
    assert [r["code"] for r in filtered.breakdown] == [first.scheme.code]
    assert filtered.breakdown[0]["enrolled"] == 6
    assert filtered.funnel["enrolled"] == 6


def test_by_scheme_tests_competence_and_certificate_per_row_scheme(staff_client):
    world = populate(world_make())
    other = make_scheme(units=1)
    # The course also targets another scheme's unit: every trainee appears in
    # both rows, but the competent and the certified one only in their scheme.
    world.course.units.add(*other.units.all())
    rows = {
        r["code"]: r
        for r in staff_client(CENTRAL)
        .get(URL, {"cohort": world.cohort.pk, "by": "scheme"})
        .context["figures"]
        .breakdown
    }
    assert rows[world.scheme.code]["enrolled"] == rows[other.code]["enrolled"] == 5
    assert (rows[world.scheme.code]["competent"], rows[other.code]["competent"]) == (
        2,
        0,
    )
    assert (rows[world.scheme.code]["certified"], rows[other.code]["certified"]) == (
        1,
        0,
    )


def test_assessed_counts_only_attempts_at_the_centre_running_the_course(
    staff_client,
):
    r3 = world_make(centre_code="R3")
    r2 = world_make(centre_code="R2", scheme=r3.scheme)
    elsewhere = trainee_at(r3, "enrolled")
    graded_attempt(quiz=r2.quiz, trainee=elsewhere)  # at R2, not at R3
    trainee_at(r3, "assessed")

    # Filtered on the scheme, so only these worlds' courses count.
    only = {"scheme": r3.scheme.code}
    national = staff_client(CENTRAL).get(URL, {"by": "centre", **only})
    [row] = [r for r in national.context["figures"].breakdown if r["code"] == "R3"]
    assert (row["enrolled"], row["assessed"]) == (2, 1)
    centre = staff_client(R3_ADMIN).get(URL, only).context["figures"]
    assert (centre.funnel["enrolled"], centre.funnel["assessed"]) == (2, 1)


def test_centre_view_equals_its_row_in_the_national_view(staff_client):
    """The centre admin's figures (stage sets cut to the centre's trainees) equal
    the R3 row of the national breakdown (whole-country sets)."""
    r3 = populate(world_make(centre_code="R3"), per_level=2)
    r2 = populate(world_make(centre_code="R2", scheme=r3.scheme))
    # One trainee at both centres, certified through R2.
    Enrolment.objects.create(
        trainee=r2.trainees[-1], course=r3.course, cohort=r3.cohort, state="active"
    )
    only = {"scheme": r3.scheme.code}
    national = staff_client(CENTRAL).get(URL, {"by": "centre", **only})
    national = national.context["figures"]
    rows = {r["code"]: r for r in national.breakdown}
    assert national.funnel["enrolled"] == 15  # the shared trainee once
    centre = staff_client(R3_ADMIN).get(URL, {"by": "cohort", **only})
    centre = centre.context["figures"]
    assert centre.funnel == {s: rows["R3"][s] for s in centre.funnel}
    assert centre.funnel == {
        "enrolled": 11,
        "trained": 8,
        "assessed": 6,
        "competent": 5,
        "certified": 3,
    }
