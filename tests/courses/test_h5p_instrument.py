"""The H5P activity as an assessment instrument.

The trainee plays the exercise inside the attempt; on submit the slot counts the
server-verified result played during the attempt, never a claim the server could
not confirm, nor a play from before the attempt started.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import override

from assessments import services
from assessments.models import Assessment, AssessmentStatus, Section
from courses.h5p.models import H5PAttempt
from courses.h5p.services import xapi_statement_record
from tests.assessments.builders import centre_make, trainee_make
from tests.grading.factories import client_for
from tests.h5p.h5p_factories import content, statement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with override("en"):
        yield


def activity_make(exercise, *, status=AssessmentStatus.PUBLISHED) -> Assessment:
    assessment = Assessment.objects.create(
        centre=exercise.centre,
        code=f"H5P-{exercise.pk}",
        title="Latihan interaktif",
        status=status,
        attempts_allowed=3,
    )
    Section.objects.create(
        assessment=assessment,
        position=1,
        instrument="h5p",
        title="Benar atau salah",
        points=10,
        config={"h5p_content": exercise.pk},
    )
    return assessment


def true_false_content():
    return content(machine_name="H5P.TrueFalse", params={"correct": "true"})


def play(trainee, exercise, response: str, claimed: float):
    return xapi_statement_record(
        user=trainee,
        content=exercise,
        statement=statement(
            user=trainee, content=exercise, raw=claimed, max_=1, response=response
        ),
    )


def test_publishing_names_every_problem_with_the_activity():
    centre_make("R3")
    greeting = content(machine_name="H5P.GreetingCard")
    elsewhere = content(machine_name="H5P.TrueFalse", centre="R5")
    assessment = activity_make(greeting, status=AssessmentStatus.DRAFT)
    section = assessment.sections.get()
    with pytest.raises(ValidationError) as caught:
        services.assessment_publish(assessment=assessment)
    assert any(
        "cannot check the answers of H5P.GreetingCard" in m
        for m in caught.value.messages
    )
    section.config = {"h5p_content": elsewhere.pk}
    section.save()
    with pytest.raises(ValidationError) as caught:
        services.assessment_publish(assessment=assessment)
    assert any("another centre" in m for m in caught.value.messages)
    section.config = {}
    section.points = 0
    section.save()
    with pytest.raises(ValidationError) as caught:
        services.assessment_publish(assessment=assessment)
    messages = " ".join(caught.value.messages)
    assert "points above zero" in messages and "Choose the H5P content" in messages
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_the_verified_result_played_during_the_attempt_is_the_slots_score():
    exercise = true_false_content()
    assessment = activity_make(exercise)
    trainee = trainee_make(exercise.centre)
    # A play before the attempt does not count.
    play(trainee, exercise, "true", 1)
    H5PAttempt.objects.update(finished_at=timezone.now() - timedelta(hours=1))
    attempt = services.attempt_start(assessment=assessment, trainee=trainee)
    play(trainee, exercise, "false", 0)
    attempt = services.attempt_submit(
        attempt=attempt, trainee=trainee, idempotency_key="h5p-1"
    )
    answer = attempt.answers.get()
    assert answer.fraction == Decimal("0")
    assert attempt.score == Decimal("0")

    second = services.attempt_start(assessment=assessment, trainee=trainee)
    play(trainee, exercise, "false", 0)
    play(trainee, exercise, "true", 1)  # highest (the content's method) counts
    second = services.attempt_submit(
        attempt=second, trainee=trainee, idempotency_key="h5p-2"
    )
    assert second.answers.get().fraction == Decimal("1.0000")
    assert second.score == Decimal("10.00")


def test_a_claim_the_server_did_not_confirm_counts_nothing():
    exercise = true_false_content()
    assessment = activity_make(exercise)
    trainee = trainee_make(exercise.centre)
    attempt = services.attempt_start(assessment=assessment, trainee=trainee)
    outcome = play(trainee, exercise, "false", 1)  # claims full marks, answer wrong
    assert H5PAttempt.objects.get().flagged
    assert outcome is not None
    attempt = services.attempt_submit(
        attempt=attempt, trainee=trainee, idempotency_key="h5p-forged"
    )
    assert attempt.score == Decimal("0")


def test_the_attempt_page_shows_the_player_only_while_the_attempt_is_open():
    exercise = true_false_content()
    assessment = activity_make(exercise)
    trainee = trainee_make(exercise.centre)
    client = client_for(trainee)
    embed = f"/h5p/{exercise.uuid}/"
    assert client.get(embed).status_code == 404  # not enrolled, no attempt
    attempt = services.attempt_start(assessment=assessment, trainee=trainee)
    page = client.get(f"/asesmen/percobaan/{attempt.uuid}/").content.decode()
    assert "data-h5p-player" in page
    assert client.get(embed).status_code == 200
    # The API refuses a response for the slot: the answer travels as xAPI.
    response = client.put(
        f"/api/v1/attempts/{attempt.uuid}/answers",
        {"responses": {"1": "true"}},
        content_type="application/json",
    )
    assert response.status_code == 422
    services.attempt_submit(attempt=attempt, trainee=trainee, idempotency_key="k")
    assert client.get(embed).status_code == 404
    # Another trainee of the centre with no attempt cannot play it.
    other = client_for(trainee_make(exercise.centre))
    assert other.get(embed).status_code == 404
