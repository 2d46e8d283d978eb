"""A centre's staff work only in their own subtree: another centre's pages are 404."""

import pytest
from wagtail.models import Collection, PageLogEntry
from wagtail.test.utils.form_data import rich_text

from cms.models import CentrePage, StandardPage

R3_TRAINER = "pelatih.r3@lms.example"


@pytest.fixture
def r2_page(db):
    """A draft-and-published page below Regional II, with two revisions."""
    centre = CentrePage.objects.get(organisation__code="R2")
    page = centre.add_child(
        instance=StandardPage(title="Panduan R2", slug="panduan-r2")
    )
    page.save_revision().publish()
    page.body = "<p>Perubahan kedua</p>"
    page.save_revision()
    return page


def r2_admin_urls(page):
    first, last = page.revisions.order_by("created_at").values_list("pk", flat=True)
    r3 = CentrePage.objects.get(organisation__code="R3")
    return {
        "edit": f"/admin/pages/{page.pk}/edit/",
        "history": f"/admin/pages/{page.pk}/history/",
        "revisions": f"/admin/pages/{page.pk}/revisions/",
        "revision view": f"/admin/pages/{page.pk}/revisions/{first}/view/",
        "revisions compare": (
            f"/admin/pages/{page.pk}/revisions/compare/{first}...{last}/"
        ),
        "preview": f"/admin/pages/{page.pk}/edit/preview/",
        "view draft": f"/admin/pages/{page.pk}/view_draft/",
        "copy": f"/admin/pages/{page.pk}/copy/",
        "move": f"/admin/pages/{page.pk}/move/",
        "move into R2": f"/admin/pages/{r3.pk}/move/{page.pk}/confirm/",
        "delete": f"/admin/pages/{page.pk}/delete/",
        "unpublish": f"/admin/pages/{page.pk}/unpublish/",
        "add subpage": f"/admin/pages/{page.pk}/add_subpage/",
        "usage": f"/admin/pages/{page.pk}/usage/",
        "workflow history": f"/admin/pages/{page.pk}/workflow_history/",
        "explore": f"/admin/pages/{page.pk}/",
        "lock": f"/admin/pages/{page.pk}/lock/",
    }


@pytest.mark.parametrize("method", ["get", "post"])
def test_r3_trainer_gets_404_on_every_r2_page_view(staff_client, r2_page, method):
    client = staff_client(R3_TRAINER)
    for action, url in r2_admin_urls(r2_page).items():
        response = getattr(client, method)(url)
        assert response.status_code in (403, 404), (
            f"{action} {url}: {response.status_code}"
        )
    r2_page.refresh_from_db()
    assert r2_page.live and r2_page.title == "Panduan R2"


def test_r3_trainer_can_edit_and_publish_in_own_subtree(staff_client):
    client = staff_client(R3_TRAINER)
    centre = CentrePage.objects.get(organisation__code="R3")
    assert client.get(f"/admin/pages/{centre.pk}/edit/").status_code == 200
    response = client.post(
        f"/admin/pages/add/cms/standardpage/{centre.pk}/",
        {
            "title": "Jadwal R3",
            "slug": "jadwal-r3",
            "body": rich_text("<p>Jadwal</p>"),
            "action-publish": "1",
        },
    )
    assert response.status_code == 302
    assert (
        StandardPage.objects.live().child_of(centre).filter(slug="jadwal-r3").exists()
    )


def test_explorer_search_and_history_never_show_another_centre(staff_client, r2_page):
    client = staff_client(R3_TRAINER)
    assert PageLogEntry.objects.filter(page=r2_page).exists()
    for url in [
        "/admin/pages/",
        "/admin/pages/search/?q=Panduan",
        "/admin/reports/site-history/",
        "/admin/reports/aging-pages/",
        "/admin/reports/locked/",
    ]:
        response = client.get(url, follow=True)
        assert response.status_code in (200, 403), url
        body = response.content.decode()
        assert "BBPPKS Regional II<" not in body, url
        assert "Panduan R2" not in body, url


def test_page_chooser_hides_another_centres_drafts(staff_client, r2_page):
    CentrePage.objects.get(organisation__code="R2").add_child(
        instance=StandardPage(title="Draf Rahasia R2", slug="draf-r2", live=False)
    )
    client = staff_client(R3_TRAINER)
    body = client.get("/admin/choose-page/search/?q=Draf+Rahasia").content.decode()
    assert "Draf Rahasia R2" not in body


def test_collections_follow_the_centre(user_by_email):
    from wagtail.documents.permissions import permission_policy as documents
    from wagtail.images.permissions import permission_policy as images

    trainer = user_by_email(R3_TRAINER)
    own = Collection.objects.get(name="BBPPKS Regional III")
    for policy in (images, documents):
        for action in ("add", "change", "choose"):
            allowed = policy.collections_user_has_permission_for(trainer, action)
            assert list(allowed) == [own], (policy, action)


def test_trainee_cannot_reach_the_admin(client, user_by_email):
    client.force_login(user_by_email("peserta1.r3@lms.example"))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    response = client.get(f"/admin/pages/{CentrePage.objects.first().pk}/edit/")
    assert response.status_code in (302, 404)


def test_staff_without_mfa_are_sent_to_set_it_up(client, user_by_email):
    for email in [R3_TRAINER, "penilai.unhas@lms.example", "admin.pusat@lms.example"]:
        client.force_login(user_by_email(email))
        response = client.get("/admin/pages/")
        assert response.status_code == 302
        assert (
            response["Location"]
            == "/accounts/2fa/totp/activate/?next=%2Fadmin%2Fpages%2F"
        )
        # The set-up page is not blocked (allauth first asks for the password again).
        setup = client.get("/accounts/2fa/totp/activate/")
        assert setup.status_code == 302
        assert setup["Location"].startswith("/accounts/reauthenticate/")
        assert client.get(setup["Location"]).status_code == 200


def test_wagtail_login_goes_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"
    anonymous = client.get("/admin/pages/")
    assert anonymous["Location"].startswith("/accounts/login/")
