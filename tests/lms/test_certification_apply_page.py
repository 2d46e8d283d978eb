"""The trainee applies for certification on a page: purpose and self-assessment."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.certification.models import CertificationApplication, SelfAssessment
from lms.models import CompetencyElement, User
from tests.lms.test_certification import TRAINEE, make_scheme

pytestmark = pytest.mark.django_db


def _client(client, email: str = TRAINEE):
    client.force_login(User.objects.get(email=email))
    client.cookies["django_language"] = "en"
    return client


def _answers(scheme, value: str = "1") -> dict[str, str]:
    elements = CompetencyElement.objects.filter(unit__scheme_units__scheme=scheme)
    return {f"element_{e.pk}": value for e in elements}


def test_the_trainee_applies_with_a_self_assessment_of_every_element(client):
    scheme = make_scheme(units=2)
    url = reverse("competency:apply", args=[scheme.code])
    page = _client(client).get(url).content.decode()
    assert scheme.title in page
    elements = CompetencyElement.objects.filter(unit__scheme_units__scheme=scheme)
    assert all(f'name="element_{e.pk}"' in page for e in elements)

    response = client.post(url, {"purpose": "sertifikasi", **_answers(scheme)})
    assert response.status_code == 302
    application = CertificationApplication.objects.get(scheme=scheme)
    assert application.trainee.email == TRAINEE
    assert SelfAssessment.objects.filter(application=application).count() == len(
        elements
    )
    # A second application while this one is open is refused, nothing written.
    again = client.post(url, {"purpose": "sertifikasi", **_answers(scheme)})
    assert again.status_code == 422
    assert "already an open application" in again.content.decode()
    assert CertificationApplication.objects.filter(scheme=scheme).count() == 1


def test_a_missing_answer_and_too_little_training_are_named_at_once(client):
    scheme = make_scheme(units=1, min_training_jp=30)
    url = reverse("competency:apply", args=[scheme.code])
    answers = _answers(scheme)
    answers.pop(next(iter(answers)))
    response = _client(client).post(url, {"purpose": "sertifikasi", **answers})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not CertificationApplication.objects.filter(scheme=scheme).exists()

    response = client.post(url, {"purpose": "sertifikasi", **_answers(scheme)})
    assert response.status_code == 422
    assert "The scheme needs 30 JP of completed training; 0 JP found." in (
        response.content.decode()
    )
    assert not CertificationApplication.objects.filter(scheme=scheme).exists()


def test_an_unknown_or_draft_scheme_answers_404(client):
    response = _client(client).get(reverse("competency:apply", args=["NOPE"]))
    assert response.status_code == 404


def test_the_page_runs_the_same_queries_for_more_units(client):
    counts = []
    for units in (1, 4):
        scheme = make_scheme(units=units)
        url = reverse("competency:apply", args=[scheme.code])
        _client(client).get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10


def test_a_scheme_covering_units_on_the_record_offers_its_apply_link(client):
    from tests.lms.test_certification_pages import with_evidence

    scheme = make_scheme(units=2)
    draft = make_scheme(units=1)
    draft.status = "draft"
    draft.save(update_fields=["status"])
    trainee = User.objects.get(email=TRAINEE)
    with_evidence(scheme, trainee)
    with_evidence(draft, trainee)
    page = _client(client).get(reverse("competency:record")).content.decode()
    # Not applied for yet, yet the record names the scheme and where to apply.
    assert f'data-testid="apply-{scheme.code}"' in page
    assert reverse("competency:apply", args=[scheme.code]) in page
    # A scheme that is not active offers nothing; its unit is still listed.
    assert f'data-testid="apply-{draft.code}"' not in page
    assert draft.units.get().code in page
