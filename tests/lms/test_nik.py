"""NIK shape validation, encryption and keyed hashing."""

import pytest
from django.utils import translation

from lms.models import Profile, Province
from lms.nik import FernetNikCipher, nik_hash, nik_mask, nik_problems
from lms.services import profile_set_nik
from tests.factories import UserFactory, valid_nik

PROVINCES = {"11", "32", "34", "73", "91", "96"}


@pytest.mark.parametrize(
    "nik",
    [
        "3201011508900001",  # man born 15-08-1990
        "3201015508900001",  # woman: day + 40
        "9601014112000001",  # Papua Barat Daya, woman born 01-12
        "3201017101990001",  # day 71 (31 + 40)
        "32.0101.150890.0001",  # typed with separators
    ],
)
def test_well_shaped_niks_pass(nik):
    assert nik_problems(nik, province_codes=PROVINCES) == []


@pytest.mark.parametrize(
    ("nik", "expected"),
    [
        ("320101150890001", ["16 digits"]),
        ("32010115089000012", ["16 digits"]),
        ("32010115089A0001", ["16 digits"]),
        ("9901011508900001", ["province code 99"]),
        ("3201010008900001", ["birth day (00)"]),
        ("3201013208900001", ["birth day (32)"]),
        ("3201014008900001", ["birth day (40)"]),
        ("3201017208900001", ["birth day (72)"]),
        ("3201011500900001", ["birth month (00)"]),
        ("3201011513900001", ["birth month (13)"]),
        # Every problem at once: province, day and month.
        (
            "9901017213900001",
            ["province code 99", "birth day (72)", "birth month (13)"],
        ),
    ],
)
def test_badly_shaped_niks_name_every_problem(nik, expected):
    with translation.override("en"):
        problems = nik_problems(nik, province_codes=PROVINCES)
    assert len(problems) == len(expected)
    for problem, fragment in zip(problems, expected, strict=True):
        assert fragment in problem


def test_problems_are_in_indonesian_by_default_and_english_on_request():
    with translation.override("id"):
        (problem_id,) = nik_problems("123", province_codes=PROVINCES)
    with translation.override("en"):
        (problem_en,) = nik_problems("123", province_codes=PROVINCES)
    assert problem_id == "NIK harus terdiri dari tepat 16 angka."
    assert problem_en == "A NIK must be exactly 16 digits."


def test_all_38_provinces_are_seeded_with_their_codes(db):
    codes = Province.objects.codes()
    assert len(codes) == 38
    assert {"11", "31", "34", "51", "64", "65", "76", "91", "96"} <= codes


def test_cipher_round_trips_and_never_stores_the_clear_value():
    cipher = FernetNikCipher()
    token = cipher.encrypt("3201011508900001")
    assert "3201011508900001" not in token
    assert cipher.decrypt(token) == "3201011508900001"
    # Fresh randomness: the same NIK encrypts differently each time.
    assert cipher.encrypt("3201011508900001") != token


def test_keyed_hash_ignores_separators_and_is_not_the_nik():
    digest = nik_hash("3201011508900001")
    assert digest == nik_hash("3201 0115 0890 0001")
    assert "3201011508900001" not in digest and len(digest) == 64


def test_stored_profile_keeps_nik_encrypted_and_out_of_repr(db):
    user = UserFactory()
    nik = valid_nik("34")
    profile = profile_set_nik(user=user, nik=nik)
    row = Profile.objects.values().get(pk=profile.pk)
    assert nik not in str(row)
    assert nik not in repr(profile) and nik not in str(profile)
    assert profile.nik() == nik
    assert (
        profile.nik_masked().endswith(nik[-4:]) and nik[:12] not in profile.nik_masked()
    )
    assert nik_mask(nik).count("•") == 12
