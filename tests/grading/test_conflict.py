"""Two graders saving the same submission: one wins, the other gets a conflict."""

from __future__ import annotations

from decimal import Decimal

from assessments.grading import services as grading
from assessments.grading.models import Mark, Submission
from tests.grading.factories import (
    GRADER_A,
    client_for,
    essay_submission,
    grader_make,
    secret_trainee,
)


def _claimed(centre, university_a, user_by_email):
    trainee, _nik = secret_trainee(centre)
    submission = essay_submission(centre, trainee, university_a)
    first = user_by_email(GRADER_A)
    grading.submission_claim(submission=submission, grader=first)
    submission.refresh_from_db()
    return submission, first


def test_api_second_save_with_the_same_version_gets_409(
    centre, university_a, user_by_email
):
    submission, first = _claimed(centre, university_a, user_by_email)
    second = grader_make(university_a)
    version = submission.version
    url = f"/api/v1/grading/submissions/{submission.candidate_code}/mark"

    ok = client_for(first).post(
        url,
        {"version": version, "score": "4", "feedback": "Cukup."},
        content_type="application/json",
    )
    assert ok.status_code == 200, ok.content
    stale = client_for(second).post(
        url, {"version": version, "score": "9"}, content_type="application/json"
    )
    assert stale.status_code == 409
    # The first grader's second tab (same stale version): also refused.
    again = client_for(first).post(
        url, {"version": version, "score": "5"}, content_type="application/json"
    )
    assert again.status_code == 409
    assert list(Mark.objects.filter(submission=submission).values_list("score")) == [
        (Decimal("4.00"),)
    ]
    submission.refresh_from_db()
    assert submission.version == version + 1
    assert submission.claimed_by == first


def test_page_second_save_shows_a_conflict_and_keeps_the_first(
    centre, university_a, user_by_email
):
    submission, first = _claimed(centre, university_a, user_by_email)
    version = submission.version
    url = f"/staf/penilaian/naskah/{submission.candidate_code}/"
    client = client_for(first)
    saved = client.post(url, {"version": version, "score": "6", "action": "save"})
    assert saved.status_code == 302
    # A second tab opened before that save posts the old version.
    stale = client.post(
        url, {"version": version, "score": "2", "feedback": "x", "action": "save"}
    )
    assert stale.status_code == 409
    assert "setelah Anda membukanya" in stale.content.decode() or (
        "after you opened it" in stale.content.decode()
    )
    assert [m.score for m in Mark.objects.filter(submission=submission)] == [
        Decimal("6.00")
    ]


def test_claimed_submission_cannot_be_claimed_by_another_until_it_lapses(
    centre, university_a, user_by_email
):
    submission, _first = _claimed(centre, university_a, user_by_email)
    second = grader_make(university_a)
    response = client_for(second).post(
        f"/api/v1/grading/submissions/{submission.candidate_code}/claim"
    )
    assert response.status_code == 409
    # Two hours and a minute later the claim has lapsed.
    from datetime import timedelta

    Submission.objects.filter(pk=submission.pk).update(
        claimed_at=submission.claimed_at - timedelta(hours=2, minutes=1)
    )
    response = client_for(second).post(
        f"/api/v1/grading/submissions/{submission.candidate_code}/claim"
    )
    assert response.status_code == 200
    assert response.json()["claimed_by_me"] is True
