"""Staff roster and exports: progress per trainee, scoped to the centre."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from courses import services
from courses.models import Cohort, Course
from lms.models import User
from tests.courses.helpers import course_publish

pytestmark = pytest.mark.django_db


def cohort_make(*, centre_code: str = "R3", number: str = "XXXIV") -> Cohort:
    page = course_publish(centre_code=centre_code, code=f"K-{centre_code}", modules=2)
    return Cohort.objects.create(
        course=Course.objects.get(source_key=page.translation_key),
        number=number,
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 12),
        time_zone="Asia/Jakarta",
        capacity=30,
    )


def test_roster_shows_each_trainees_progress(staff_client, user_by_email):
    cohort = cohort_make()
    trainee = user_by_email("peserta1.r3@lms.example")
    services.enrolment_cohort_add(trainee=trainee, cohort=cohort)
    services.module_progress_record(
        trainee=trainee, module=cohort.course.modules.order_by("position").first()
    )
    client = staff_client("pelatih.r3@lms.example")
    response = client.get(reverse("cms:cohort_roster", args=[cohort.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    assert trainee.full_name in text
    assert "<td>50</td>" in text
    assert "XXXIV" in text


def test_another_centres_cohort_is_404(staff_client):
    cohort = cohort_make()
    client = staff_client("pelatih.r2@lms.example")
    assert client.get(reverse("cms:cohort_roster", args=[cohort.pk])).status_code == 404
    export = reverse("cms:cohort_roster_export", args=[cohort.pk, "csv"])
    assert client.get(export).status_code == 404
    listing = client.get(reverse("cms:cohort_list"))
    assert b"XXXIV" not in listing.content


def test_trainee_cannot_open_staff_pages(client, user_by_email):
    cohort = cohort_make()
    client.force_login(user_by_email("peserta1.r3@lms.example"))
    response = client.get(reverse("cms:cohort_roster", args=[cohort.pk]))
    assert response.status_code == 403


def test_exports_neutralise_formula_cells(staff_client):
    cohort = cohort_make()
    sneaky = User.objects.create_user(
        email="sneaky@lms.example", password=None, full_name="=HYPERLINK(1)"
    )
    services.enrolment_cohort_add(trainee=sneaky, cohort=cohort)
    client = staff_client("penyelenggara.r3@lms.example")
    body = client.get(
        reverse("cms:cohort_roster_export", args=[cohort.pk, "csv"])
    ).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][0] == "'=HYPERLINK(1)"
    xlsx = client.get(reverse("cms:cohort_roster_export", args=[cohort.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(row=2, column=1).value == "'=HYPERLINK(1)"
    # Both downloads are in the export log, and nobody else's 404 is.
    from lms.models import ExportLog

    logged = list(ExportLog.objects.values_list("name", "file_format", "user__email"))
    assert logged == [
        ("cohort_roster", "xlsx", "penyelenggara.r3@lms.example"),
        ("cohort_roster", "csv", "penyelenggara.r3@lms.example"),
    ]
