"""Trainer view of attempts per content: own centre only, constant queries, safe CSV."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.h5p.services import xapi_statement_record
from tests.factories import UserFactory
from tests.h5p.h5p_factories import content as make_content
from tests.h5p.h5p_factories import statement


def attempt(user, card, raw=1, max_=2):
    xapi_statement_record(
        user=user,
        content=card,
        statement=statement(user=user, content=card, raw=raw, max_=max_),
    )


@pytest.fixture
def card(db):
    return make_content(centre="R3")


def test_own_centres_trainer_sees_each_trainees_attempts(
    staff_client, card, user_by_email
):
    trainee = user_by_email("peserta1.r3@lms.example")
    attempt(trainee, card, raw=1)
    attempt(trainee, card, raw=2)
    page = staff_client("pelatih.r3@lms.example").get(f"/staf/h5p/{card.uuid}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert trainee.full_name in body
    assert "2 / 2" in body  # best of two attempts
    assert trainee.profile.nik() not in body


def test_another_centres_trainer_gets_404_on_page_and_export(staff_client, card):
    client = staff_client("pelatih.r2@lms.example")
    assert client.get(f"/staf/h5p/{card.uuid}/").status_code == 404
    assert client.get(f"/staf/h5p/{card.uuid}/?format=csv").status_code == 404


def test_csv_neutralises_formula_cells(staff_client, card):
    sneaky = UserFactory(full_name='=HYPERLINK("http://x","klik")')
    attempt(sneaky, card)
    response = staff_client("pelatih.r3@lms.example").get(
        f"/staf/h5p/{card.uuid}/?format=csv"
    )
    text = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text


def test_results_page_runs_the_same_queries_at_3_and_40_trainees(staff_client, card):
    client = staff_client("pelatih.r3@lms.example")
    counts = []
    for total in (3, 40):
        while card.attempts.count() < total:
            attempt(UserFactory(), card)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/staf/h5p/{card.uuid}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8, counts
