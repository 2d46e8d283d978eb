"""Saved player state (contentUserData): resume on another device, per person."""

import pytest
from django.test import Client

from tests.h5p.h5p_factories import content as make_content


@pytest.fixture
def card(db):
    return make_content(enrol=("peserta1.r3@lms.example", "peserta2.r3@lms.example"))


def url(card, data_type="state", sub="0"):
    return f"/h5p/content-user-data/{card.uuid}/{data_type}/{sub}/"


def test_state_saved_on_one_device_is_restored_on_another(card, user_by_email):
    trainee = user_by_email("peserta1.r3@lms.example")
    phone, laptop = Client(), Client()
    phone.force_login(trainee)
    laptop.force_login(trainee)
    saved = phone.post(
        url(card), {"data": '{"answers":[1,2]}', "preload": "1", "invalidate": "1"}
    )
    assert saved.json() == {"success": True}
    assert laptop.get(url(card)).json() == {
        "success": True,
        "data": '{"answers":[1,2]}',
    }


def test_data_zero_deletes_the_state(client, card, user_by_email):
    client.force_login(user_by_email("peserta1.r3@lms.example"))
    client.post(url(card), {"data": "abc", "preload": "1"})
    client.post(url(card), {"data": "0"})
    assert client.get(url(card)).json() == {"success": True, "data": False}


def test_another_persons_state_is_never_returned(client, card, user_by_email):
    client.force_login(user_by_email("peserta1.r3@lms.example"))
    client.post(url(card), {"data": "milik-siti", "preload": "1"})
    client.force_login(user_by_email("peserta2.r3@lms.example"))
    assert client.get(url(card)).json()["data"] is False


def test_saving_needs_csrf(card, user_by_email):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user_by_email("peserta1.r3@lms.example"))
    assert strict.post(url(card), {"data": "x"}).status_code == 403
