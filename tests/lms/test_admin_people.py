"""People and organisations in the Wagtail admin (central admin only), without NIKs."""

from lms.models import Organisation


def test_central_admin_edits_a_person_with_full_name_form(staff_client, user_by_email):
    client = staff_client("admin.pusat@lms.example")
    trainee = user_by_email("peserta1.r3@lms.example")
    nik = trainee.profile.nik()
    listing = client.get("/admin/users/")
    assert listing.status_code == 200
    assert nik not in listing.content.decode()
    form = client.get(f"/admin/users/edit/{trainee.pk}/")
    body = form.content.decode()
    assert form.status_code == 200
    assert 'name="full_name"' in body and 'name="first_name"' not in body
    assert nik not in body


def test_central_admin_edits_an_organisation(staff_client):
    client = staff_client("admin.pusat@lms.example")
    r4 = Organisation.objects.get(code="R4")
    assert client.get("/admin/organisations/").status_code == 200
    assert client.get(f"/admin/organisations/edit/{r4.pk}/").status_code == 200


def test_trainer_cannot_manage_people_or_organisations(staff_client):
    client = staff_client("pelatih.r3@lms.example")
    for url in ["/admin/users/", "/admin/organisations/"]:
        response = client.get(url)
        assert response.status_code in (302, 403), url
