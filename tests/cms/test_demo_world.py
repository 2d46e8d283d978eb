"""The full demo world (`load_demo` without --accounts-only): a living system.

The session starts from the light world (accounts only); this module loads the
full world once, inside a transaction it rolls back when the module ends, so
every other test module still sees the light world.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.http import QueryDict
from django.test import override_settings
from django.utils import timezone

from cms.dashboards.selectors import (
    dashboard_figures,
    dashboard_filters_parse,
    dashboard_scope_for,
)
from cms.demo_world import (
    COURSE_SLUG,
    EXPIRES_IN_DAYS,
    H5P_EXERCISES,
    SCHEME_CODE,
    demo_world_load,
    stage_email,
)
from cms.models import CoursePage, ModulePage
from courses.h5p.models import H5PContent
from courses.models import CourseCompletion, Enrolment, ModuleProgress
from courses.selectors import course_list_for_staff
from lms.models import Certificate, CompetencyRecord, Organisation, User

CENTRES = ("R1", "R2", "R3", "R4", "R5", "R6")
# The tables the world writes to; a second load must leave every count as it is.
MAIN_TABLES = (
    "lms.User",
    "lms.Membership",
    "lms.EvidenceRecord",
    "lms.CompetencyRecord",
    "lms.CertificationScheme",
    "lms.CertificationApplication",
    "lms.CommitteeDecision",
    "lms.Certificate",
    "wagtailcore.Page",
    "wagtailcore.Revision",
    "courses.Course",
    "courses.Module",
    "courses.Cohort",
    "courses.Enrolment",
    "courses.ModuleProgress",
    "courses.CourseCompletion",
    "h5p.H5PContent",
    "h5p.H5PLibrary",
    "assessments.QuestionBank",
    "assessments.Question",
    "assessments.Assessment",
    "assessments.Attempt",
    "grading.Submission",
    "grading.Mark",
)


def disk_storage(folder) -> override_settings:
    """Files on a private local disk: H5P library installs rename staged folders,
    which the shared in-memory test store cannot do, and the rolled-back world
    must leave no files behind in the store other modules read."""
    return override_settings(
        MEDIA_ROOT=str(folder),
        STORAGES={
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        },
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The full world, loaded once for this module and rolled back after it."""
    with (
        disk_storage(tmp_path_factory.mktemp("media")),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        call_command("load_demo", "--force", verbosity=0)
        yield
        transaction.set_rollback(True)


def counts() -> dict[str, int]:
    return {name: apps.get_model(name).objects.count() for name in MAIN_TABLES}


def competency_certificates():
    """Certificates of the demo scheme (completing the course also issues a
    training certificate, which is not what the stages are about)."""
    return Certificate.objects.filter(scheme__code=SCHEME_CODE)


def trainee(slug: str, centre: str) -> User:
    return User.objects.get(email=stage_email(slug, centre))


@pytest.mark.django_db
def test_without_an_h5p_source_the_rest_of_the_world_still_loads(settings, tmp_path):
    """Runs first, on the light world (before the module's `world` is loaded)."""
    settings.LMS_DEMO_H5P_LIBRARY_SOURCE = tmp_path
    messages: list[str] = []
    # One centre is enough to show it (and keeps the test short).
    built = demo_world_load(
        password="x",
        provinces={"R1": "13"},
        log=messages.append,
        centres=Organisation.objects.filter(code="R1"),
    )
    assert built == 1
    assert len(messages) == 1
    assert str(tmp_path) in messages[0]
    assert not H5PContent.objects.exists()
    page = CoursePage.objects.live().get(code="PSD-R1")
    assert not [
        b
        for m in ModulePage.objects.child_of(page)
        for b in m.body
        if b.block_type == "h5p"
    ]
    holders = competency_certificates().values_list("holder__email", flat=True)
    assert sorted(holders) == sorted(
        stage_email(slug, "R1") for slug in ("bersertifikat", "segera-habis")
    )


@pytest.mark.django_db
def test_every_centre_has_a_published_course_with_three_modules(world):
    for code in CENTRES:
        page = CoursePage.objects.live().get(slug=COURSE_SLUG, code=f"PSD-{code}")
        modules = ModulePage.objects.live().child_of(page)
        assert modules.count() == 3
        blocks = {block.block_type for m in modules for block in m.body}
        assert {"paragraph", "callout", "assessment"} <= blocks
        course = course_list_for_staff(
            User.objects.get(email=f"pelatih.{code.lower()}@lms.example")
        ).get(code=f"PSD-{code}")
        assert course.modules.filter(is_active=True).count() == 3
        assert course.cohorts.get().number == "I"


@pytest.mark.django_db
def test_h5p_exercises_are_our_own_and_sit_in_the_modules(world):
    if not any(settings.LMS_DEMO_H5P_LIBRARY_SOURCE.glob("*.h5p")):
        pytest.skip("no H5P library source on this machine")
    for code in CENTRES:
        contents = H5PContent.objects.filter(centre__code=code)
        assert contents.count() == len(H5P_EXERCISES)
        assert {c.main_library.machine_name for c in contents} == {
            "H5P.DragText",
            "H5P.Blanks",
        }
        page = CoursePage.objects.get(code=f"PSD-{code}")
        used = [
            block.value["content"].pk
            for m in ModulePage.objects.child_of(page)
            for block in m.body
            if block.block_type == "h5p"
        ]
        assert sorted(used) == sorted(contents.values_list("pk", flat=True))


@pytest.mark.django_db
def test_every_centre_funnel_has_someone_at_every_stage(world):
    for code in CENTRES:
        admin = User.objects.get(email=f"penyelenggara.{code.lower()}@lms.example")
        scope = dashboard_scope_for(admin)
        figures = dashboard_figures(
            scope=scope, filters=dashboard_filters_parse(scope=scope, data=QueryDict())
        )
        assert all(count > 0 for count in figures.funnel.values()), (
            code,
            figures.funnel,
        )
        # Seven demo trainees, one per stage; the funnel counts are cumulative.
        assert figures.funnel == {
            "enrolled": 7,
            "trained": 5,
            "assessed": 4,
            "competent": 3,
            "certified": 2,
        }


@pytest.mark.django_db
def test_each_stage_trainee_is_where_the_readme_says(world):
    for code in CENTRES:
        enrolled = trainee("terdaftar", code)
        assert Enrolment.objects.get(trainee=enrolled).state == "active"
        assert not ModuleProgress.objects.filter(enrolment__trainee=enrolled).exists()
        partway = trainee("belajar", code)
        assert ModuleProgress.objects.filter(enrolment__trainee=partway).count() == 1
        assert not CourseCompletion.objects.filter(enrolment__trainee=partway).exists()
        trained = trainee("terlatih", code)
        assert CourseCompletion.objects.filter(enrolment__trainee=trained).exists()
        assert not trained.attempts.exists()
        assessed = trainee("dinilai", code)
        attempt = assessed.attempts.get()
        assert attempt.state == "graded"
        assert attempt.released_at is not None
        assert attempt.submissions.get().marks.get().marker.email == (
            "penilai.unhas@lms.example"
        )
        assert not CompetencyRecord.objects.filter(
            trainee=assessed, outcome="K"
        ).exists()
        competent = trainee("kompeten", code)
        assert set(
            CompetencyRecord.objects.filter(trainee=competent).values_list(
                "outcome", flat=True
            )
        ) == {"K"}
        assert not competency_certificates().filter(holder=competent).exists()
        for slug in ("bersertifikat", "segera-habis"):
            held = competency_certificates().get(holder=trainee(slug, code))
            assert held.status == "aktif"


@pytest.mark.django_db
def test_one_certificate_per_centre_expires_soon(world):
    today = timezone.localdate()
    soon = competency_certificates().filter(
        valid_until__lte=today + dt.timedelta(days=EXPIRES_IN_DAYS + 1),
        valid_until__gte=today,
    )
    assert sorted(c.holder.email for c in soon) == sorted(
        stage_email("segera-habis", code) for code in CENTRES
    )


@pytest.mark.django_db
def test_a_demo_certificate_verifies(world, client):
    certificate = competency_certificates().get(holder=trainee("bersertifikat", "R3"))
    client.cookies["django_language"] = "en"
    response = client.get(f"/verify/{quote(certificate.number, safe='/')}/")
    assert response.status_code == 200
    assert certificate.number in response.content.decode()
    assert "Hendra Wijaya" in response.content.decode()


@pytest.mark.django_db
def test_the_r3_trainer_sees_r3s_course_and_not_r2s(world, staff_client):
    trainer = User.objects.get(email="pelatih.r3@lms.example")
    codes = set(course_list_for_staff(trainer).values_list("code", flat=True))
    assert "PSD-R3" in codes
    assert "PSD-R2" not in codes
    client = staff_client("pelatih.r3@lms.example")
    own = CoursePage.objects.get(code="PSD-R3")
    other = CoursePage.objects.get(code="PSD-R2")
    assert client.get(f"/admin/pages/{own.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/{other.pk}/edit/").status_code in (302, 403, 404)
    cohorts = client.get("/staf/kursus/angkatan/").content.decode()
    assert "PSD-R3" in cohorts
    assert "PSD-R2" not in cohorts


@pytest.mark.django_db
def test_a_second_load_creates_and_changes_nothing(world):
    before = counts()
    stamps = list(Certificate.objects.order_by("pk").values_list("pk", "number"))
    call_command("load_demo", "--force", verbosity=0)
    assert counts() == before
    assert list(Certificate.objects.order_by("pk").values_list("pk", "number")) == (
        stamps
    )
