"""Trainers upload and delete H5P content of their own centre, safely."""

import json

from django.core.files.uploadedfile import SimpleUploadedFile

from cms.models import ModulePage
from courses.h5p.models import H5PContent, H5PLibrary
from courses.h5p.services import content_import, xapi_statement_record
from lms.models import Organisation
from tests.courses.helpers import course_publish
from tests.h5p.h5p_factories import SAMPLES, statement
from tests.h5p.test_import import state

TRAINER = "pelatih.r3@lms.example"


def upload(client, sample, centre="R3", folder="valid"):
    data = (SAMPLES / folder / sample).read_bytes()
    return client.post(
        "/staf/h5p/unggah/",
        {
            "file": SimpleUploadedFile(sample, data),
            "centre": Organisation.objects.get(code=centre).pk,
        },
    )


def install(sample):
    with open(SAMPLES / "valid" / sample, "rb") as handle:
        return content_import(
            source=handle,
            centre=Organisation.objects.get(code="R1"),
            user=None,
            can_install_libraries=True,
        ).content


def test_a_trainer_may_not_bring_new_library_code(staff_client):
    client = staff_client(TRAINER)
    before = state()
    response = upload(client, "greeting-card.h5p")
    assert response.status_code == 200
    assert "H5P.GreetingCard-1.0" in response.content.decode()
    assert state() == before


def test_a_trainer_uploads_content_whose_libraries_are_installed(staff_client):
    install("greeting-card.h5p")
    libraries = H5PLibrary.objects.count()
    response = upload(staff_client(TRAINER), "greeting-card.h5p")
    content = H5PContent.objects.get(centre__code="R3")
    assert response.status_code == 302
    assert response["Location"] == f"/staf/h5p/{content.uuid}/"
    assert H5PLibrary.objects.count() == libraries


def test_a_refused_package_lists_its_reasons_and_saves_nothing(staff_client):
    before = state()
    response = upload(
        staff_client(TRAINER), "missing-preloaded-js.h5p", folder="invalid"
    )
    body = response.content.decode()
    assert "greetingcard.js" in body  # the missing preloaded file is named
    assert state() == before


def test_no_upload_into_another_centre(staff_client):
    install("greeting-card.h5p")
    before = state()
    response = upload(staff_client(TRAINER), "greeting-card.h5p", centre="R2")
    assert response.status_code == 200  # the form refuses the centre
    assert state() == before
    assert (
        staff_client("penilai.unhas@lms.example").get("/staf/h5p/unggah/").status_code
        == 404
    )


def test_delete_is_refused_while_used_and_allowed_when_unused(
    staff_client, user_by_email
):
    client = staff_client(TRAINER)
    install("greeting-card.h5p")
    upload(client, "greeting-card.h5p")
    used = H5PContent.objects.get(centre__code="R3")
    page = course_publish(centre_code="R3", code="H5P-DEL", modules=1)
    module = ModulePage.objects.child_of(page).get()
    module.body = json.dumps([{"type": "h5p", "value": {"content": used.pk}}])
    module.save_revision().publish()
    client.post(f"/staf/h5p/{used.uuid}/hapus/")
    assert H5PContent.objects.filter(pk=used.pk).exists()

    upload(client, "greeting-card.h5p")
    tried = H5PContent.objects.filter(centre__code="R3").exclude(pk=used.pk).get()
    trainee = user_by_email("peserta1.r3@lms.example")
    xapi_statement_record(
        user=trainee,
        content=tried,
        statement=statement(user=trainee, content=tried, raw=1, max_=1),
    )
    client.post(f"/staf/h5p/{tried.uuid}/hapus/")
    assert H5PContent.objects.filter(pk=tried.pk).exists()  # results keep it

    upload(client, "greeting-card.h5p")
    unused = (
        H5PContent.objects.filter(centre__code="R3")
        .exclude(pk__in=[used.pk, tried.pk])
        .get()
    )
    response = client.post(f"/staf/h5p/{unused.uuid}/hapus/")
    assert response.status_code == 302
    assert not H5PContent.objects.filter(pk=unused.pk).exists()
    assert (
        staff_client("pelatih.r2@lms.example")
        .post(f"/staf/h5p/{used.uuid}/hapus/")
        .status_code
        == 404
    )
