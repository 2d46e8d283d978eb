"""`import_trainees`: all or nothing, every bad row named, re-run changes nothing."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from courses.models import Cohort, Course, Enrolment
from courses.trainee_import import trainee_import
from lms.models import Membership, Organisation, Profile, User
from tests.courses.helpers import course_publish
from tests.factories import valid_nik

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in their English source form.
    with translation.override("en"):
        yield


SAMPLE = Path(__file__).resolve().parents[2] / "fixtures/trainees/sample_trainees.csv"
HEADER = "nik,full_name,email,phone,regency,role_type\n"


def _csv(rows: int, *, start: int = 0) -> str:
    lines = [
        f"{valid_nik('34', serial=start + i)},Peserta {i},p{start + i}@imp.lms.example,"
        f"0812{i:08d},Sleman,pendamping_pkh\n"
        for i in range(rows)
    ]
    return HEADER + "".join(lines)


def test_sample_file_imports_and_rerun_changes_nothing(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(SAMPLE.read_text())
    call_command("import_trainees", str(path), "--centre", "R3")
    assert User.objects.filter(email__endswith="@peserta.lms.example").count() == 4
    assert Membership.objects.filter(
        user__email="suparman@peserta.lms.example", organisation__code="R3"
    ).exists()
    profile = Profile.objects.get(user__email="suparman@peserta.lms.example")
    assert profile.nik() == "3501010101850004"
    counts = (User.objects.count(), Profile.objects.count(), Membership.objects.count())
    call_command("import_trainees", str(path), "--centre", "R3")
    assert counts == (
        User.objects.count(),
        Profile.objects.count(),
        Membership.objects.count(),
    )


def test_one_bad_row_imports_nothing_and_report_names_it(tmp_path):
    text = _csv(5).splitlines(keepends=True)
    text[3] = "12345,,not-an-email,abc,Sleman,\n"  # row 4 in the file
    path = tmp_path / "bad.csv"
    path.write_text("".join(text))
    before = User.objects.count()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_trainees", str(path), "--centre", "R3")
    assert User.objects.count() == before
    report = list(csv.reader((tmp_path / "bad.errors.csv").open()))
    assert {r[0] for r in report[1:]} == {"4"}
    problems = " ".join(r[1] for r in report[1:])
    for words in ("16 digits", "full name", "e-mail", "phone", "role type"):
        assert words in problems


def test_nik_of_another_person_is_refused():
    taken = User.objects.get(email="peserta1.r3@lms.example").profile
    assert taken.has_nik
    text = HEADER + f"{taken.nik()},Orang Lain,lain@imp.lms.example,,Sleman,tksk\n"
    result = trainee_import(text=text, centre=Organisation.objects.get(code="R3"))
    assert result.errors == {2: ["This NIK is already registered to another person."]}


def test_query_count_does_not_grow_with_rows():
    centre = Organisation.objects.get(code="R3")
    with CaptureQueriesContext(connection) as small:
        assert trainee_import(text=_csv(10), centre=centre).ok
    with CaptureQueriesContext(connection) as large:
        assert trainee_import(text=_csv(1500, start=100), centre=centre).ok
    # Inserts go in batches (SQLite caps the parameters per statement, so its
    # batches are smaller than 1,000 rows); nothing is queried per row.
    assert len(small.captured_queries) < 20
    assert len(large.captured_queries) < 1500 / 10


def test_cohort_enrolment_and_capacity():
    page = course_publish(code="IMP", modules=1)
    course = Course.objects.get(source_key=page.translation_key)
    cohort = Cohort.objects.create(
        course=course,
        number="XXXIV",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 5),
        capacity=3,
    )
    centre = Organisation.objects.get(code="R3")
    full = trainee_import(text=_csv(4), centre=centre, cohort=cohort)
    assert not full.ok and "room for 3" in full.errors[1][0]
    assert not User.objects.filter(email__endswith="@imp.lms.example").exists()
    assert trainee_import(text=_csv(3), centre=centre, cohort=cohort).enrolled == 3
    assert Enrolment.objects.filter(cohort=cohort).count() == 3


def _cohort(capacity: int = 30) -> Cohort:
    page = course_publish(code="IMP-RT", modules=1)
    return Cohort.objects.create(
        course=Course.objects.get(source_key=page.translation_key),
        number="7",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 5),
        capacity=capacity,
    )


def test_role_type_is_kept_on_the_profile_without_a_cohort_and_updated():
    centre = Organisation.objects.get(code="R3")
    assert trainee_import(text=_csv(3), centre=centre).created == 3
    profiles = Profile.objects.filter(user__email__endswith="@imp.lms.example")
    assert set(profiles.values_list("role_type", flat=True)) == {"pendamping_pkh"}

    # A later file with another role type updates the profile (and only it).
    changed = _csv(3).replace("pendamping_pkh", "TKSK", 1)
    result = trainee_import(text=changed, centre=centre)
    assert (result.created, result.existing) == (0, 3)
    assert profiles.get(user__email="p0@imp.lms.example").role_type == "TKSK"
    assert profiles.get(user__email="p1@imp.lms.example").role_type == "pendamping_pkh"

    # The same file again writes nothing.
    with CaptureQueriesContext(connection) as queries:
        assert trainee_import(text=changed, centre=centre).ok
    assert not any(
        q["sql"].startswith(("UPDATE", "INSERT")) for q in queries.captured_queries
    )


def test_role_type_of_an_existing_person_without_profile_is_stored():
    user = User.objects.create(email="p0@imp.lms.example", full_name="Peserta 0")
    assert not Profile.objects.filter(user=user).exists()
    assert (
        trainee_import(
            text=_csv(1), centre=Organisation.objects.get(code="R3")
        ).existing
        == 1
    )
    assert Profile.objects.get(user=user).role_type == "pendamping_pkh"


def test_roster_and_exports_show_enrolment_role_type_else_profile(staff_client):
    from courses import services

    cohort = _cohort()
    centre = Organisation.objects.get(code="R3")
    # Imported without a cohort: the role type lives only on the profile ...
    assert trainee_import(text=_csv(2), centre=centre).ok
    for user in User.objects.filter(email__endswith="@imp.lms.example"):
        services.enrolment_cohort_add(trainee=user, cohort=cohort)
    # ... and one enrolment has its own, which wins.
    Enrolment.objects.filter(trainee__email="p1@imp.lms.example").update(
        role_type="TKSK"
    )
    client = staff_client("penyelenggara.r3@lms.example")
    client.cookies["django_language"] = "en"
    page = client.get(reverse("cms:cohort_roster", args=[cohort.pk]))
    page = page.content.decode()
    exported = client.get(reverse("cms:cohort_roster_export", args=[cohort.pk, "csv"]))
    rows = list(csv.reader(exported.content.decode("utf-8-sig").splitlines()))
    by_email = {r[1]: r[2] for r in rows[1:]}
    assert by_email == {
        "p0@imp.lms.example": "pendamping_pkh",
        "p1@imp.lms.example": "TKSK",
    }
    assert "pendamping_pkh" in page and "TKSK" in page


def test_import_into_cohort_keeps_role_type_on_enrolment_and_profile():
    cohort = _cohort()
    centre = Organisation.objects.get(code="R3")
    assert trainee_import(text=_csv(2), centre=centre, cohort=cohort).enrolled == 2
    enrolment = Enrolment.objects.get(trainee__email="p0@imp.lms.example")
    assert enrolment.role_type == "pendamping_pkh"
    assert enrolment.trainee.profile.role_type == "pendamping_pkh"
    changed = _csv(2).replace("pendamping_pkh", "Tagana", 1)
    assert trainee_import(text=changed, centre=centre, cohort=cohort).enrolled == 0
    enrolment.refresh_from_db()
    assert enrolment.role_type == "Tagana"
    assert Profile.objects.get(user=enrolment.trainee).role_type == "Tagana"


def test_imported_and_created_people_get_their_niks_province():
    from lms.services import person_create

    centre = Organisation.objects.get(code="R3")
    assert trainee_import(text=_csv(2), centre=centre).created == 2
    profiles = Profile.objects.filter(user__email__endswith="@imp.lms.example")
    nik_province = _csv(1).splitlines()[1][:2]
    assert set(profiles.values_list("province__code", flat=True)) == {nik_province}

    person = person_create(
        email="provinsi@lms.example", full_name="Asal Provinsi", nik=valid_nik("73")
    )
    assert Profile.objects.get(user=person).province.code == "73"
