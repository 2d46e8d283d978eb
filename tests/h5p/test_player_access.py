"""Who may play an H5P content and post results to it.

A trainee plays what a current module of a course they are enrolled in embeds;
the centre's trainers and admins play their centre's contents. Everyone else
finds nothing (404) on the player page, the frame, xAPI and saved state.
"""

import json

import pytest

from cms.models import ModulePage
from courses.h5p import player
from courses.models import Enrolment, EnrolmentState, Module
from tests.courses.helpers import course_publish
from tests.h5p.h5p_factories import content as make_content

ENROLLED = "peserta1.r3@lms.example"
OUTSIDER = "peserta3.r3@lms.example"


@pytest.fixture
def card(db):
    return make_content(enrol=(ENROLLED,))


def _urls(card):
    return [
        ("get", f"/h5p/{card.uuid}/"),
        ("get", f"/h5p/content-user-data/{card.uuid}/state/0/"),
        ("post", f"/h5p/{card.uuid}/xapi/"),
    ]


def test_enrolled_trainee_plays(client, card, user_by_email):
    client.force_login(user_by_email(ENROLLED))
    assert client.get(f"/h5p/{card.uuid}/").status_code == 200
    state = client.get(f"/h5p/content-user-data/{card.uuid}/state/0/")
    assert state.json() == {"success": True, "data": False}


@pytest.mark.parametrize(
    "email", [OUTSIDER, "pelatih.r2@lms.example", "penilai.unhas@lms.example"]
)
def test_people_outside_the_course_find_nothing(client, card, user_by_email, email):
    client.force_login(user_by_email(email))
    for method, url in _urls(card):
        if method == "post":
            response = client.post(url, data="[]", content_type="application/json")
        else:
            response = client.get(url)
        assert response.status_code == 404, (email, url)


def test_centre_trainer_plays_their_centre_content(staff_client, card):
    assert (
        staff_client("pelatih.r3@lms.example").get(f"/h5p/{card.uuid}/").status_code
        == 200
    )


def test_withdrawn_trainee_loses_the_frame_even_with_a_token(
    client, card, user_by_email
):
    trainee = user_by_email(ENROLLED)
    token = player.player_token(
        user=trainee, content=card, parent_origin="http://testserver"
    )
    frame = f"/h5p/{card.uuid}/play/?t={token}"
    assert client.get(frame).status_code == 200
    Enrolment.objects.filter(trainee=trainee).update(state=EnrolmentState.WITHDRAWN)
    assert client.get(frame).status_code == 404
    state = client.get(
        f"/h5p/{card.uuid}/play/state/state/0/?t={token}",
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert state.status_code == 404


def test_publishing_a_module_links_its_h5p_and_drafts_do_not(user_by_email):
    card = make_content(centre="R3")
    page = course_publish(centre_code="R3", code="H5P-LINK", modules=1)
    module_page = ModulePage.objects.child_of(page).get()
    module_page.body = json.dumps([{"type": "h5p", "value": {"content": card.pk}}])
    module_page.save_revision().publish()
    page.refresh_from_db()
    page.save_revision().publish()
    module = Module.objects.get(source_key=module_page.translation_key)
    assert list(module.h5p_contents.all()) == [card]

    other = make_content(centre="R3")
    module_page.refresh_from_db()
    module_page.body = json.dumps([{"type": "h5p", "value": {"content": other.pk}}])
    module_page.save_revision()  # a draft only
    page.refresh_from_db()
    page.save_revision().publish()
    assert list(module.h5p_contents.all()) == [card]
