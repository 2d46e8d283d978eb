"""Creating people: every problem at once, in both languages, nothing written."""

import pytest
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.utils import translation

from lms.models import Profile, User
from lms.services import person_create, profile_set_nik
from tests.factories import UserFactory, valid_nik

SIGNUP_URL = "/accounts/signup/"


def counts():
    return User.objects.count(), Profile.objects.count(), EmailAddress.objects.count()


def signup_data(**overrides):
    data = {
        "email": "baru@lms.example",
        "full_name": "Rina Marlina",
        "nik": "",
        "time_zone": "Asia/Makassar",
        "password1": "Sangat-Rahasia-2026",
        "password2": "Sangat-Rahasia-2026",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("id", ["NIK harus terdiri dari tepat 16 angka.", "sudah terdaftar"]),
        ("en", ["A NIK must be exactly 16 digits.", "already exists"]),
    ],
)
def test_person_create_names_every_problem_in_each_language(db, language, expected):
    before = counts()
    with translation.override(language), pytest.raises(ValidationError) as caught:
        person_create(
            email="PESERTA1.R3@lms.example",  # exists in the demo (case differs)
            full_name="Orang Baru",
            nik="12345",
        )
    messages = caught.value.message_dict
    assert expected[0] in messages["nik"]
    assert expected[1] in messages["email"][0] or expected[1] in str(messages["email"])
    assert counts() == before


def test_duplicate_nik_is_refused_in_both_languages_and_nothing_is_created(db):
    nik = valid_nik("32")
    person_create(email="pemilik@lms.example", full_name="Pemilik NIK", nik=nik)
    before = counts()
    for language, text in [
        ("id", "NIK ini sudah terdaftar untuk orang lain."),
        ("en", "This NIK is already registered to another person."),
    ]:
        with translation.override(language), pytest.raises(ValidationError) as caught:
            person_create(email="lain@lms.example", full_name="Orang Lain", nik=nik)
        assert caught.value.message_dict["nik"] == [text]
    assert counts() == before


def test_setting_a_taken_nik_on_a_profile_keeps_the_old_one(db):
    nik_a, nik_b = valid_nik("34"), valid_nik("34")
    first = UserFactory()
    second = UserFactory()
    profile_set_nik(user=first, nik=nik_a)
    profile_set_nik(user=second, nik=nik_b)
    with pytest.raises(ValidationError):
        profile_set_nik(user=second, nik=nik_a)
    second.profile.refresh_from_db()
    assert second.profile.nik() == nik_b


@pytest.mark.parametrize(
    ("language", "nik_message", "email_message"),
    [
        (
            "id",
            "Kode provinsi 99 pada NIK tidak dikenal.",
            "Seorang pengguna sudah terdaftar dengan alamat e-mail ini.",
        ),
        (
            "en",
            "The NIK's province code 99 is not a known province.",
            "A user is already registered with this email address.",
        ),
    ],
)
def test_signup_page_shows_every_problem_in_the_chosen_language(
    client, db, language, nik_message, email_message
):
    before = counts()
    client.cookies["django_language"] = language
    response = client.post(
        SIGNUP_URL,
        signup_data(email="peserta1.r2@lms.example", nik="9901011508900001"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert nik_message.replace("'", "&#x27;") in page
    assert email_message.split(".")[0] in page
    assert counts() == before


def test_signup_with_a_taken_nik_is_refused(client, db):
    nik = valid_nik("73")
    person_create(email="sudah@lms.example", full_name="Sudah Ada", nik=nik)
    before = counts()
    response = client.post(SIGNUP_URL, signup_data(nik=nik))
    assert response.status_code == 200
    assert "NIK ini sudah terdaftar untuk orang lain." in response.content.decode()
    assert counts() == before


def test_signup_creates_a_person_with_profile_and_encrypted_nik(client, db, mailoutbox):
    nik = valid_nik("73")
    response = client.post(SIGNUP_URL, signup_data(nik=nik))
    assert response.status_code == 302
    user = User.objects.get(email="baru@lms.example")
    assert user.full_name == "Rina Marlina"
    assert user.time_zone == "Asia/Makassar"
    assert user.profile.nik() == nik
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mailoutbox) == 1 and "baru@lms.example" in mailoutbox[0].to


def test_name_with_titles_prints_as_on_a_certificate():
    user = User(
        full_name="Siti Aminah", title_prefix="Dr.", title_suffix="S.Sos., M.Si."
    )
    assert user.name_with_titles == "Dr. Siti Aminah, S.Sos., M.Si."
    assert User(full_name="Sukarno").name_with_titles == "Sukarno"
