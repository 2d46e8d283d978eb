"""National and centre dashboards: figures, scope, charts, exports, query counts."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from lms.models import ExportLog
from tests.dashboards.builders import populate, trainee_at, world_make
from tests.lms.test_certification import make_scheme

pytestmark = pytest.mark.django_db

CENTRAL = "admin.pusat@lms.example"
R3_ADMIN = "penyelenggara.r3@lms.example"
URL = "/staf/dasbor/"


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def table(response, name: str) -> list[list[str]]:
    """The rows of a rendered table (cells as text) by its export name."""
    html = response.content.decode()
    body = re.search(
        rf'data-testid="table-{name}">.*?<tbody>(.*?)</tbody>', html, re.S
    ).group(1)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_funnel_counts_each_stage_once(staff_client):
    world = populate(world_make())
    client = staff_client(CENTRAL)
    response = client.get(URL, {"cohort": world.cohort.pk})
    assert response.status_code == 200
    assert response.context["figures"].funnel == {
        "enrolled": 5,
        "trained": 4,
        "assessed": 3,
        "competent": 2,
        "certified": 1,
    }
    rows = table(response, "funnel")
    assert rows[0] == ["Enrolled", "5", "100.0"]
    assert rows[4] == ["Certified", "1", "20.0"]


def test_competent_needs_k_on_every_unit_of_the_scheme(staff_client):
    from lms.models import CompetencyRecord

    world = world_make()
    trainee = trainee_at(world, "assessed")
    first_unit = world.scheme.units.order_by("scheme_units__position").first()
    CompetencyRecord.objects.create(
        trainee=trainee,
        unit=first_unit,
        outcome="K",
        method="all_criteria_met",
        computed_at=world.cohort.course.synced_at or "2026-01-01T00:00Z",
    )
    response = staff_client(CENTRAL).get(URL, {"cohort": world.cohort.pk})
    assert response.context["figures"].funnel["competent"] == 0
    trainee_at(world, "competent")
    response = staff_client(CENTRAL).get(URL, {"cohort": world.cohort.pk})
    assert response.context["figures"].funnel["competent"] == 1


def test_centre_admin_sees_only_their_centre(staff_client):
    r3 = populate(world_make(centre_code="R3"))
    r2 = world_make(centre_code="R2", scheme=r3.scheme)
    trainee_at(r2, "certified")
    client = staff_client(R3_ADMIN)
    response = client.get(URL, {"scheme": r3.scheme.code, "by": "centre"})
    assert response.status_code == 200
    figures = response.context["figures"]
    assert not figures.scope.national
    assert [row["code"] for row in figures.breakdown] == ["R3"]
    assert figures.funnel["enrolled"] == 5
    assert figures.funnel["certified"] == 1
    assert figures.certified_holders == 1  # the R2 holder is not theirs
    assert "Centre dashboard" in response.content.decode()
    # Another centre, or another centre's cohort: nothing there.
    assert client.get(URL, {"centre": "R2"}).status_code == 404
    assert client.get(URL, {"cohort": r2.cohort.pk}).status_code == 404
    export = reverse("dashboards:export", args=["funnel", "csv"])
    assert client.get(export, {"cohort": r2.cohort.pk}).status_code == 404
    # The central admin sees both centres for the same scheme.
    central = staff_client(CENTRAL).get(URL, {"scheme": r3.scheme.code})
    codes = [row["code"] for row in central.context["figures"].breakdown]
    assert codes == ["R2", "R3"]
    assert central.context["figures"].funnel["certified"] == 2


@pytest.mark.parametrize(
    "email",
    [
        "pelatih.r3@lms.example",
        "peserta1.r3@lms.example",
        "penilai.unhas@lms.example",
        "komite.lsp@lms.example",
    ],
)
def test_everyone_else_finds_nothing(client, user_by_email, email):
    from tests.factories import totp_enrol

    user = user_by_email(email)
    totp_enrol(user)
    client.force_login(user)
    assert client.get(URL).status_code == 404
    export = reverse("dashboards:export", args=["funnel", "xlsx"])
    assert client.get(export).status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_staff_without_mfa_are_sent_to_set_it_up(client, user_by_email):
    client.force_login(user_by_email(CENTRAL))
    response = client.get(URL)
    assert response.status_code == 302
    assert "totp" in response["Location"]


def test_breakdowns_by_province_scheme_and_cohort(staff_client):
    world = populate(world_make())
    trainee_at(world, "certified", province="31")
    client = staff_client(CENTRAL)
    by_province = client.get(URL, {"cohort": world.cohort.pk, "by": "province"})
    rows = {r["code"]: r for r in by_province.context["figures"].breakdown}
    assert rows["73"]["enrolled"] == 5 and rows["73"]["certified"] == 1
    assert rows["31"]["enrolled"] == 1 and rows["31"]["certified"] == 1
    names = [r[1] for r in table(by_province, "breakdown")]
    assert "Sulawesi Selatan" in names and "DKI Jakarta" in names
    by_scheme = client.get(URL, {"cohort": world.cohort.pk, "by": "scheme"})
    [row] = by_scheme.context["figures"].breakdown
    assert row["code"] == world.scheme.code
    assert (row["enrolled"], row["competent"], row["certified"]) == (6, 3, 2)
    by_cohort = client.get(URL, {"centre": "R3", "by": "cohort"})
    cohort_rows = {
        r["key"]: r for r in by_cohort.context["figures"].breakdown if r["key"]
    }
    assert cohort_rows[world.cohort.pk]["enrolled"] == 6
    assert client.get(URL, {"by": "planet"}).status_code == 404
    assert client.get(URL, {"province": "99"}).status_code == 404


def test_certified_in_another_scheme_is_not_certified_in_this_one(staff_client):
    world = populate(world_make())
    other = make_scheme(units=1)
    response = staff_client(CENTRAL).get(
        URL, {"cohort": world.cohort.pk, "scheme": other.code}
    )
    # The course targets none of the other scheme's units: nobody is in it.
    assert response.context["figures"].funnel["enrolled"] == 0


def test_expiring_certificates_and_target(staff_client, settings):
    settings.LMS_NATIONAL_TARGET = 4
    short = make_scheme(units=1, validity_months=2)
    world = world_make(scheme=short)
    trainee_at(world, "certified")
    trainee_at(world, "enrolled")
    response = staff_client(CENTRAL).get(URL, {"cohort": world.cohort.pk})
    figures = response.context["figures"]
    assert figures.expiring_total == {3: 1, 6: 1, 12: 1}
    assert figures.certified_holders == 1
    assert table(response, "target")[0][1:] == ["4", "1", "25.0"]
    expiring = table(response, "expiring")
    assert expiring[0][:3] == [short.code, short.title, "1"]
    assert expiring[-1] == ["", "All schemes", "1", "1", "1", "1"]


def test_charts_are_svg_with_title_description_and_a_table(staff_client):
    world = populate(world_make())
    response = staff_client(CENTRAL).get(URL, {"cohort": world.cohort.pk})
    html = response.content.decode()
    for name in ("target", "funnel", "breakdown", "expiring"):
        svg = re.search(rf'<svg class="chart" id="chart-{name}"[^>]*>', html).group(0)
        assert 'role="img"' in svg
        assert f'aria-labelledby="chart-{name}-title chart-{name}-desc"' in svg
        assert f'<title id="chart-{name}-title">' in html
        assert f'data-testid="table-{name}"' in html
        assert f'data-testid="export-{name}-csv"' in html
    assert "How the figures are counted" in html
    assert "<script" not in html.split("<main")[1]


def test_exports_match_the_tables_are_logged_and_safe(staff_client, user_by_email):
    world = populate(world_make(number="=1+2"))
    client = staff_client(CENTRAL)
    params = {"cohort": world.cohort.pk, "by": "cohort"}
    before = ExportLog.objects.count()
    csv = client.get(reverse("dashboards:export", args=["breakdown", "csv"]), params)
    assert csv.status_code == 200
    assert csv["Content-Type"].startswith("text/csv")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Code,Cohort,Enrolled,Trained")
    assert lines[1].startswith("'=1+2,")  # neutralised, not a formula
    assert ",5,4,3,2,1,20.0" in lines[1]
    for trainee in world.trainees:
        assert trainee.email not in text and trainee.full_name not in text
    xlsx = client.get(reverse("dashboards:export", args=["funnel", "xlsx"]), params)
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("Stage", "Trainees", "% of enrolled")
    assert rows[1] == ("Enrolled", 5, 100.0)
    assert rows[5] == ("Certified", 1, 20.0)
    logs = list(ExportLog.objects.order_by("-id")[: ExportLog.objects.count() - before])
    assert len(logs) == 2
    assert {(log.name, log.file_format) for log in logs} == {
        ("dashboard-breakdown", "csv"),
        ("dashboard-funnel", "xlsx"),
    }
    for log in logs:
        assert log.user == user_by_email(CENTRAL)
        assert log.parameters["scope"] == "national"
        assert log.parameters["cohort"] == str(world.cohort.pk)


# Budget of the page: session, user, roles, MFA check, scope (2), filter options
# (3), figures (4) inside a transaction (a savepoint pair under the test's own
# transaction), the template's permission check; the export adds its log.
PAGE_BUDGET = 18


@pytest.mark.parametrize("by", ["centre", "province", "scheme", "cohort"])
@pytest.mark.parametrize("email", [CENTRAL, R3_ADMIN])
def test_query_count_does_not_grow_with_data(
    staff_client, django_assert_num_queries, email, by
):
    client = staff_client(email)
    world = populate(world_make())
    export = reverse("dashboards:export", args=["breakdown", "xlsx"])
    client.get(URL, {"by": by})  # warm caches (content types, site)
    with django_assert_num_queries(PAGE_BUDGET, exact=False) as page:
        assert client.get(URL, {"by": by}).status_code == 200
    with django_assert_num_queries(PAGE_BUDGET, exact=False) as download:
        b"".join(client.get(export, {"by": by}).streaming_content)
    # Four times the trainees, and a second centre in the same scheme.
    populate(world, per_level=3)
    other = world_make(centre_code="R2", scheme=world.scheme)
    populate(other, per_level=2)
    with django_assert_num_queries(len(page.captured_queries)):
        assert client.get(URL, {"by": by}).status_code == 200
    with django_assert_num_queries(len(download.captured_queries)):
        b"".join(client.get(export, {"by": by}).streaming_content)
