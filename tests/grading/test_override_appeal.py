"""Overrides need a reason and keep the original; appeals are decided with one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from assessments.grading import services as grading
from assessments.grading.models import Appeal, AppealState
from assessments.models import Attempt, AttemptOverride, AttemptState
from tests.grading.factories import (
    CENTRE_ADMIN,
    GRADER_A,
    client_for,
    essay_submission,
    levels_for,
    secret_trainee,
)


@pytest.fixture
def graded(centre, university_a, user_by_email):
    """A released attempt marked 8/10 by University A."""
    trainee, _nik = secret_trainee(centre)
    submission = essay_submission(centre, trainee, university_a)
    grader = user_by_email(GRADER_A)
    grading.submission_claim(submission=submission, grader=grader)
    submission.refresh_from_db()
    grading.mark_complete(
        submission=submission,
        grader=grader,
        expected_version=submission.version,
        levels=levels_for(submission.rubric, 3, 5),
    )
    grading.submissions_release(centre=centre, released_by=user_by_email(CENTRE_ADMIN))
    attempt = Attempt.objects.get(pk=submission.attempt_id)
    assert attempt.state == AttemptState.GRADED and attempt.released_at
    assert attempt.score == Decimal("8.00")
    return attempt, trainee


def test_override_without_a_reason_is_refused_on_the_page_and_in_the_service(
    graded, user_by_email
):
    attempt, _trainee = graded
    admin = user_by_email(CENTRE_ADMIN)
    url = f"/staf/penilaian/percobaan/{attempt.uuid}/ubah-nilai/"
    response = client_for(admin).post(url, {"new_score": "9", "reason": "  "})
    assert response.status_code == 422
    assert "alasan" in response.content.decode().lower() or "reason" in (
        response.content.decode().lower()
    )
    with pytest.raises(ValidationError):
        grading.attempt_score_override(
            attempt=attempt, new_score=Decimal(9), reason="", changed_by=admin
        )
    attempt.refresh_from_db()
    assert attempt.score == Decimal("8.00")
    assert not AttemptOverride.objects.filter(attempt=attempt).exists()


def test_override_with_a_reason_keeps_the_original(graded, user_by_email):
    attempt, _trainee = graded
    admin = user_by_email(CENTRE_ADMIN)
    url = f"/staf/penilaian/percobaan/{attempt.uuid}/ubah-nilai/"
    response = client_for(admin).post(
        url, {"new_score": "9", "reason": "Salah hitung pada kriteria Isi."}
    )
    assert response.status_code == 302
    attempt.refresh_from_db()
    assert attempt.score == Decimal("9.00")
    override = AttemptOverride.objects.get(attempt=attempt)
    assert (override.old_score, override.new_score) == (Decimal("8.00"), Decimal(9))
    assert override.source == "override" and override.changed_by == admin
    history = client_for(admin).get(url).content.decode()
    assert "Salah hitung pada kriteria Isi." in history


def test_appeal_upheld_with_a_new_score_overrides_with_source_appeal(
    graded, user_by_email
):
    attempt, trainee = graded
    trainee_client = client_for(trainee)
    empty = trainee_client.post(
        "/api/v1/grading/appeals",
        {"attempt": str(attempt.uuid), "reason": ""},
        content_type="application/json",
    )
    assert empty.status_code == 422
    opened = trainee_client.post(
        "/api/v1/grading/appeals",
        {"attempt": str(attempt.uuid), "reason": "Kriteria Bahasa dinilai keliru."},
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content
    twice = trainee_client.post(
        "/api/v1/grading/appeals",
        {"attempt": str(attempt.uuid), "reason": "Lagi."},
        content_type="application/json",
    )
    assert twice.status_code == 422
    appeal = Appeal.objects.get(pk=opened.json()["id"])
    admin = client_for(user_by_email(CENTRE_ADMIN))
    page = admin.get(f"/staf/penilaian/banding/{appeal.pk}/")
    assert page.status_code == 200
    decided = admin.post(
        f"/staf/penilaian/banding/{appeal.pk}/",
        {
            "upheld": "1",
            "outcome": "Bahasa layak tingkat tertinggi.",
            "new_score": "10",
        },
    )
    assert decided.status_code == 302
    appeal.refresh_from_db()
    attempt.refresh_from_db()
    assert appeal.state == AppealState.UPHELD and appeal.decided_at
    assert attempt.score == Decimal("10.00")
    override = AttemptOverride.objects.get(attempt=attempt)
    assert override.source == "appeal" and override.old_score == Decimal("8.00")


def test_someone_elses_attempt_cannot_be_appealed(graded, centre):
    from tests.assessments.builders import trainee_make

    attempt, _trainee = graded
    stranger = client_for(trainee_make(centre))
    response = stranger.post(
        "/api/v1/grading/appeals",
        {"attempt": str(attempt.uuid), "reason": "Bukan milik saya."},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert not Appeal.objects.exists()


def test_an_appeal_after_the_window_is_refused_with_its_closing_date(graded, settings):
    from datetime import timedelta

    from django.utils.translation import override

    attempt, trainee = graded
    settings.LMS_APPEAL_DAYS = 14
    late = attempt.released_at + timedelta(days=14, minutes=1)
    with override("en"), pytest.raises(ValidationError) as caught:
        grading.appeal_open(
            attempt=attempt, trainee=trainee, reason="Terlambat.", now=late
        )
    assert "The time to appeal ended on" in caught.value.messages[0]
    assert "14 days after" in caught.value.messages[0]
    assert not Appeal.objects.exists()
    in_time = attempt.released_at + timedelta(days=13)
    assert grading.appeal_open(
        attempt=attempt, trainee=trainee, reason="Tepat waktu.", now=in_time
    )


def test_the_marker_of_a_result_cannot_review_its_appeal(graded, user_by_email):
    attempt, trainee = graded
    appeal = grading.appeal_open(attempt=attempt, trainee=trainee, reason="Tinjau.")
    with pytest.raises(ValidationError) as caught:
        grading.appeal_decide(
            appeal=appeal,
            reviewer=user_by_email(GRADER_A),
            upheld=True,
            outcome="Saya setuju.",
            new_score="10",
        )
    assert len(caught.value.messages) == 1
    appeal.refresh_from_db()
    attempt.refresh_from_db()
    assert appeal.state == AppealState.OPEN
    assert attempt.score == Decimal("8.00")


def test_the_trainee_appeals_from_the_result_page_and_sees_the_outcome(
    graded, user_by_email
):
    attempt, trainee = graded
    client = client_for(trainee)
    result = f"/asesmen/percobaan/{attempt.uuid}/hasil/"
    page = client.get(result).content.decode()
    assert f'action="/asesmen/percobaan/{attempt.uuid}/banding/"' in page
    empty = client.post(f"/asesmen/percobaan/{attempt.uuid}/banding/", {"reason": ""})
    assert empty.status_code == 302 and not Appeal.objects.exists()
    client.post(
        f"/asesmen/percobaan/{attempt.uuid}/banding/",
        {"reason": "Kriteria Isi belum dinilai lengkap."},
    )
    appeal = Appeal.objects.get(attempt=attempt)
    page = client.get(result).content.decode()
    assert 'action="/asesmen/percobaan/' not in page  # one open appeal at a time
    grading.appeal_decide(
        appeal=appeal,
        reviewer=user_by_email(CENTRE_ADMIN),
        upheld=False,
        outcome="Penilaian sudah sesuai rubrik.",
    )
    page = client.get(result).content.decode()
    assert "Penilaian sudah sesuai rubrik." in page
    # Someone else cannot appeal this attempt from the page.
    from tests.assessments.builders import trainee_make

    stranger = client_for(trainee_make(attempt.assessment.centre))
    response = stranger.post(
        f"/asesmen/percobaan/{attempt.uuid}/banding/", {"reason": "x"}
    )
    assert response.status_code == 404
