"""Centre staff create and edit cohorts (angkatan) and add trainees to them."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from courses import services
from courses.exports import roster_csv
from courses.models import Cohort, Course, Enrolment
from courses.trainee_import import trainee_import
from lms.models import Organisation
from tests.courses.helpers import course_publish

NEW = "/staf/kursus/angkatan/baru/"


def english(client):
    """Pages follow the language switcher's cookie; these tests read English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def a_course(centre: str = "R3", code: str = "ANG-01") -> Course:
    page = course_publish(centre_code=centre, code=code, modules=1, policy="cohort")
    return Course.objects.get(source_key=page.translation_key)


def form(course: Course, **extra) -> dict:
    data = {
        "course": course.pk,
        "number": "XXXIV",
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-12",
        "time_zone": "Asia/Makassar",
        "capacity": "2",
    }
    data.update(extra)
    return data


def test_staff_creates_a_cohort_with_roman_number_and_trainers(
    staff_client, user_by_email
):
    course = a_course()
    trainer = user_by_email("pelatih.r3@lms.example")
    client = staff_client("penyelenggara.r3@lms.example")
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, form(course, number="xxxiv", trainers=[trainer.pk]))
    assert response.status_code == 302
    cohort = Cohort.objects.get(course=course)
    assert cohort.number == "XXXIV"
    assert cohort.time_zone == "Asia/Makassar"
    assert list(cohort.trainers.all()) == [trainer]
    edit = reverse("cms:cohort_edit", args=[cohort.pk])
    response = client.post(edit, form(course, number="XXXV", capacity="5"))
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert (cohort.number, cohort.capacity) == ("XXXV", 5)


def test_every_problem_is_listed_at_once(staff_client, user_by_email):
    course = a_course()
    other_trainer = user_by_email("pelatih.r2@lms.example")
    client = english(staff_client("pelatih.r3@lms.example"))
    response = client.post(
        NEW,
        form(
            course,
            number="XIIII-A",
            starts_on="2026-12-12",
            ends_on="2026-12-01",
            time_zone="Europe/Paris",
            capacity="0",
            trainers=[other_trainer.pk],
        ),
    )
    assert response.status_code == 400
    text = response.content.decode()
    for message in (
        "The cohort number must be digits or a Roman numeral (e.g. XXXIV).",
        "A cohort cannot end before it starts.",
        "Choose WIB, WITA or WIT.",
        "The capacity must be a whole number of at least 1.",
        "Choose trainers of this course&#x27;s centre only.",
    ):
        assert message in text, message
    assert not Cohort.objects.filter(course=course).exists()


def test_indonesian_messages(user_by_email):
    from django.utils import translation

    course = a_course()
    with translation.override("id"), pytest.raises(ValidationError) as error:
        services.cohort_save(
            course=course,
            number="",
            starts_on=None,
            ends_on=None,
            time_zone="",
            capacity=None,
            trainer_ids=[],
        )
    assert len(error.value.messages) == 5


def test_other_centre_cohort_and_course_are_404(staff_client):
    course = a_course()
    cohort = services.cohort_save(
        course=course,
        number="1",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 2),
        time_zone="Asia/Jakarta",
        capacity=3,
        trainer_ids=[],
    )
    client = staff_client("pelatih.r2@lms.example")
    assert client.get(reverse("cms:cohort_edit", args=[cohort.pk])).status_code == 404
    assert client.post(NEW, form(course, number="2")).status_code == 404
    add = reverse("cms:cohort_trainee_add", args=[cohort.pk])
    assert client.post(add, {"email": "peserta1.r3@lms.example"}).status_code == 404


def test_adding_trainees_respects_capacity_and_shows_role_type(
    staff_client, user_by_email
):
    course = a_course()
    cohort = services.cohort_save(
        course=course,
        number="IV",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 2),
        time_zone="Asia/Jakarta",
        capacity=2,
        trainer_ids=[],
    )
    client = english(staff_client("penyelenggara.r3@lms.example"))
    add = reverse("cms:cohort_trainee_add", args=[cohort.pk])
    for index in (1, 2):
        client.post(
            add, {"email": f"peserta{index}.r3@lms.example", "role_type": "TKSK"}
        )
    response = client.post(add, {"email": "peserta3.r3@lms.example"}, follow=True)
    assert "Cohort IV is full." in response.content.decode()
    assert Enrolment.objects.filter(cohort=cohort).count() == 2
    roster = client.get(reverse("cms:cohort_roster", args=[cohort.pk])).content.decode()
    assert "<td>TKSK</td>" in roster
    # Capacity cannot drop below the trainees already in the cohort.
    with pytest.raises(ValidationError):
        services.cohort_save(
            course=course,
            cohort=cohort,
            number="IV",
            starts_on=cohort.starts_on,
            ends_on=cohort.ends_on,
            time_zone=cohort.time_zone,
            capacity=1,
            trainer_ids=[],
        )


def test_import_stores_role_type_and_export_shows_it(user_by_email):
    course = a_course()
    cohort = services.cohort_save(
        course=course,
        number="XXXIV",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 2),
        time_zone="Asia/Jakarta",
        capacity=10,
        trainer_ids=[],
    )
    text = (
        "nik,full_name,email,phone,regency,role_type\n"
        "3401014101900001,Rina Wati,rina.impor@lms.example,0812345678,Sleman,"
        "Pendamping PKH\n"
    )
    centre = Organisation.objects.get(code="R3")
    result = trainee_import(text=text, centre=centre, cohort=cohort)
    assert result.ok, result.errors
    enrolment = Enrolment.objects.get(
        cohort=cohort, trainee__email="rina.impor@lms.example"
    )
    assert enrolment.role_type == "Pendamping PKH"
    again = trainee_import(text=text, centre=centre, cohort=cohort)
    assert again.ok and again.enrolled == 0
    export = roster_csv(user=user_by_email("pelatih.r3@lms.example"), cohort=cohort)
    assert "Pendamping PKH" in export.decode("utf-8")
