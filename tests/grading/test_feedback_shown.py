"""The trainee sees the feedback of the marks that settled their result, no other."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import selectors
from assessments.grading import services as grading
from assessments.grading.models import FeedbackFile
from assessments.models import Attempt
from tests.grading.factories import (
    CENTRE_ADMIN,
    GRADER_A,
    client_for,
    essay_submission,
    grader_make,
    secret_trainee,
)

pytestmark = pytest.mark.django_db


def _mark(submission, grader, score: int, note: str) -> None:
    """Claim, attach a feedback file, and complete with a score and a comment."""
    submission.refresh_from_db()
    grading.submission_claim(submission=submission, grader=grader)
    grading.feedback_file_add(
        submission=submission,
        grader=grader,
        upload=SimpleUploadedFile(f"{note}.txt", note.encode(), "text/plain"),
    )
    submission.refresh_from_db()
    grading.mark_complete(
        submission=submission,
        grader=grader,
        expected_version=submission.version,
        score=score,
        feedback=note,
    )


def test_after_a_third_mark_only_the_third_markers_feedback_is_shown(
    centre, university_a, user_by_email
):
    trainee, _nik = secret_trainee(centre)
    submission = essay_submission(
        centre, trainee, university_a, double_marking=True, marking_threshold=10
    )
    first, second, third = (
        user_by_email(GRADER_A),
        grader_make(university_a),
        grader_make(university_a),
    )
    _mark(submission, first, 3, "pertama")
    _mark(submission, second, 9, "kedua")  # gap 6 > 1: a third marker decides
    _mark(submission, third, 7, "ketiga")
    attempt = Attempt.objects.get(pk=submission.attempt_id)
    assert FeedbackFile.objects.filter(submission=submission).count() == 3

    assert list(selectors.feedback_for_attempt(attempt).values()) == ["ketiga"]
    shown = selectors.feedback_files_for_attempt(attempt)
    assert [f.original_name for files in shown.values() for f in files] == [
        "ketiga.txt"
    ]
    # After release the deciding file downloads; the first marker's cannot be
    # fetched by its id either.
    grading.attempts_release(
        attempts=[attempt], released_by=user_by_email(CENTRE_ADMIN)
    )
    trainee_client = client_for(trainee)
    for marker, status in ((third, 200), (first, 404)):
        found = FeedbackFile.objects.get(submission=submission, uploaded_by=marker)
        url = reverse("assessments:feedback_file", args=[attempt.uuid, found.pk])
        assert trainee_client.get(url).status_code == status


def test_agreeing_double_marks_show_both_comments_first_marker_first(
    centre, university_a, user_by_email
):
    trainee, _nik = secret_trainee(centre)
    submission = essay_submission(
        centre, trainee, university_a, double_marking=True, marking_threshold=50
    )
    _mark(submission, user_by_email(GRADER_A), 6, "pertama")
    _mark(submission, grader_make(university_a), 8, "kedua")
    attempt = Attempt.objects.get(pk=submission.attempt_id)
    assert list(selectors.feedback_for_attempt(attempt).values()) == [
        "pertama\n\nkedua"
    ]
    shown = selectors.feedback_files_for_attempt(attempt)
    assert sorted(f.original_name for files in shown.values() for f in files) == [
        "kedua.txt",
        "pertama.txt",
    ]
