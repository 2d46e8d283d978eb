"""The H5P block: module pages play H5P in the isolated frame; choosers are scoped."""

import json

from cms.models import ModulePage
from tests.courses.helpers import course_publish
from tests.h5p.h5p_factories import content as make_content


def test_module_page_plays_h5p_in_the_isolated_frame(client, user_by_email, settings):
    settings.H5P_CONTENT_ORIGIN = "https://h5p.lms.example"
    card = make_content(centre="R3")
    page = course_publish(centre_code="R3", code="H5P-01", modules=1)
    module = ModulePage.objects.child_of(page).get()
    module.body = json.dumps([{"type": "h5p", "value": {"content": card.pk}}])
    module.save_revision().publish()

    client.force_login(user_by_email("peserta1.r3@lms.example"))
    body = client.get(module.url).content.decode()
    assert f'src="https://h5p.lms.example/h5p/{card.uuid}/play/?t=' in body
    assert 'sandbox="allow-scripts allow-same-origin"' in body
    assert f'data-xapi-url="/h5p/{card.uuid}/xapi/"' in body

    client.logout()
    anonymous = client.get(module.url).content.decode()
    assert "/play/?t=" not in anonymous  # no player token without a person


def test_h5p_chooser_offers_only_the_editors_centre(staff_client):
    own = make_content(centre="R3")
    other = make_content(centre="R2")
    own.title, other.title = "Latihan R3", "Latihan R2"
    own.save()
    other.save()
    body = staff_client("pelatih.r3@lms.example").get("/admin/h5p_chooser/").content
    assert b"Latihan R3" in body and b"Latihan R2" not in body
