"""H5P in the Wagtail admin: upload, listing, settings (KUK), delete, scoping."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.models import Section
from courses.h5p.models import H5PContent
from lms.models import ExportLog, Organisation
from tests.assessments.builders import criterion_make, quiz_make
from tests.factories import UserFactory
from tests.h5p.h5p_factories import SAMPLES
from tests.h5p.h5p_factories import content as make_content
from tests.h5p.test_import import state
from tests.h5p.test_staff_results import attempt
from tests.h5p.test_staff_upload import install

TRAINER = "pelatih.r3@lms.example"
OTHER_TRAINER = "pelatih.r2@lms.example"


@pytest.fixture
def english(staff_client):
    def sign_in(email):
        client = staff_client(email)
        client.cookies["django_language"] = "en"
        return client

    return sign_in


def admin_upload(client, sample, folder="valid", centre="R3"):
    data = (SAMPLES / folder / sample).read_bytes()
    return client.post(
        "/admin/h5p/new/",
        {
            "file": SimpleUploadedFile(sample, data),
            "centre": Organisation.objects.get(code=centre).pk,
        },
    )


def test_upload_through_the_admin_lists_it_for_its_centre_only(english):
    # Library code comes from someone with the right; the trainer adds content.
    install("drag-text.h5p")
    client = english(TRAINER)
    response = admin_upload(client, "drag-text.h5p")
    content = H5PContent.objects.get(centre__code="R3")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/h5p/edit/{content.pk}/"
    listing = client.get("/admin/h5p/")
    assert listing.status_code == 200
    assert content.title in listing.content.decode()
    assert f"/staf/h5p/{content.uuid}/" in listing.content.decode()

    other = english(OTHER_TRAINER)
    assert content.title not in other.get("/admin/h5p/").content.decode()
    for view in ("edit", "delete", "history", "usage"):
        url = f"/admin/h5p/{view}/{content.pk}/"
        assert other.get(url).status_code == 404, url
    assert other.post(f"/admin/h5p/delete/{content.pk}/").status_code == 404
    assert H5PContent.objects.filter(pk=content.pk).exists()


def test_the_upload_offers_only_the_persons_centres(english):
    page = english(TRAINER).get("/admin/h5p/new/")
    assert page.status_code == 200
    offered = page.context["form"].fields["centre"].queryset
    assert [c.code for c in offered] == ["R3"]
    # A centre not offered is refused by the form, nothing written.
    before = state()
    response = admin_upload(english(TRAINER), "drag-text.h5p", centre="R2")
    assert response.status_code == 200
    assert state() == before


def test_a_refused_package_shows_its_reason_and_writes_nothing(english):
    before = state()
    response = admin_upload(english(TRAINER), "broken-content-json.h5p", "invalid")
    assert response.status_code == 200
    assert "content/content.json is not a valid JSON object" in (
        response.content.decode()
    )
    assert state() == before


def test_new_library_code_needs_the_right_and_says_so(english):
    before = state()
    response = admin_upload(english(TRAINER), "drag-text.h5p")
    assert response.status_code == 200
    assert "Ask someone with the right to install H5P libraries" in (
        response.content.decode()
    )
    assert state() == before


def test_settings_map_the_content_to_kuk(english):
    content = make_content(centre="R3")
    criteria = [criterion_make("J.620100.077.01"), criterion_make("J.620100.078.01")]
    client = english(TRAINER)
    assert client.get(f"/admin/h5p/edit/{content.pk}/").status_code == 200
    response = client.post(
        f"/admin/h5p/edit/{content.pk}/",
        {
            "title": "Latihan seret kata",
            "criteria": [c.pk for c in criteria],
            "pass_ratio": "0.8",
            "grading_method": "last",
        },
    )
    assert response.status_code == 302
    content.refresh_from_db()
    assert content.title == "Latihan seret kata"
    assert set(content.criteria.all()) == set(criteria)
    assert str(content.pass_ratio) == "0.800"
    assert content.grading_method == "last"


def test_bad_settings_name_every_problem_and_change_nothing(english):
    content = make_content(centre="R3")
    response = english(TRAINER).post(
        f"/admin/h5p/edit/{content.pk}/",
        {"title": " ", "pass_ratio": "1.5", "grading_method": "highest"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Give the content a title." in body
    assert "The pass mark must be a share above 0 and at most 1" in body
    content.refresh_from_db()
    assert content.title.startswith("Konten")


def test_delete_is_refused_while_an_assessment_plays_it(english):
    content = make_content(centre="R3")
    quiz = quiz_make(centre=content.centre, questions=1)
    Section.objects.create(
        assessment=quiz,
        position=quiz.sections.count() + 1,
        instrument="h5p",
        config={"h5p_content": content.pk},
        points=1,
    )
    client = english(TRAINER)
    listing = client.get("/admin/h5p/").content.decode()
    assert "0 pages, 1 assessments" in listing
    response = client.post(f"/admin/h5p/delete/{content.pk}/", follow=True)
    assert H5PContent.objects.filter(pk=content.pk).exists()
    assert f"Assessments play it: {quiz.code}." in response.content.decode()


def test_an_unused_content_is_deleted(english):
    content = make_content(centre="R3")
    response = english(TRAINER).post(f"/admin/h5p/delete/{content.pk}/")
    assert response.status_code == 302
    assert not H5PContent.objects.filter(pk=content.pk).exists()


def test_the_central_admin_sees_every_centres_content(english):
    content = make_content(centre="R2")
    client = english("admin.pusat@lms.example")
    assert content.title in client.get("/admin/h5p/").content.decode()
    assert client.get(f"/admin/h5p/edit/{content.pk}/").status_code == 200


def test_listing_runs_the_same_queries_at_2_and_20_contents(english):
    client = english(TRAINER)
    client.get("/admin/h5p/")  # warm caches (content types, site, menu)
    counts = []
    for total in (2, 20):
        while H5PContent.objects.filter(centre__code="R3").count() < total:
            make_content(centre="R3")
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/h5p/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_results_export_is_logged_and_safe(staff_client):
    card = make_content(centre="R3")
    attempt(UserFactory(full_name='=HYPERLINK("http://x","klik")'), card)
    client = staff_client(TRAINER)
    before = ExportLog.objects.count()
    response = client.get(f"/staf/h5p/{card.uuid}/?format=csv")
    text = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    log = ExportLog.objects.order_by("-pk").first()
    assert ExportLog.objects.count() == before + 1
    assert log.name == "h5p_results" and log.user.email == TRAINER
    assert log.parameters["content"] == str(card.uuid)
    # Another centre's trainer neither downloads nor leaves a log entry.
    other = staff_client(OTHER_TRAINER)
    assert other.get(f"/staf/h5p/{card.uuid}/?format=csv").status_code == 404
    assert ExportLog.objects.count() == before + 1
