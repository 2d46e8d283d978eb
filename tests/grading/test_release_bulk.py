"""Bulk release is set-based: the same queries for 3 and for 15 marked attempts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.grading import services as grading
from assessments.grading.models import Submission, SubmissionState
from assessments.models import Attempt
from tests.assessments.builders import trainee_make
from tests.grading.factories import (
    CENTRE_ADMIN,
    GRADER_A,
    essay_submission,
    levels_for,
)


def _marked(centre, university, grader, count: int) -> None:
    for _ in range(count):
        submission = essay_submission(centre, trainee_make(centre), university)
        grading.submission_claim(submission=submission, grader=grader)
        submission.refresh_from_db()
        grading.mark_complete(
            submission=submission,
            grader=grader,
            expected_version=submission.version,
            levels=levels_for(submission.rubric, 3, 5),
        )


def _release_queries(centre, admin) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        released = grading.submissions_release(centre=centre, released_by=admin)
    return released, len(queries)


@pytest.mark.django_db
def test_release_runs_the_same_queries_at_two_sizes(
    centre, university_a, user_by_email
):
    from django.utils.translation import override

    grader, admin = user_by_email(GRADER_A), user_by_email(CENTRE_ADMIN)
    with override("en"):
        _marked(centre, university_a, grader, 3)
        small = _release_queries(centre, admin)
        _marked(centre, university_a, grader, 15)
        large = _release_queries(centre, admin)
    assert small[0] == 3 and large[0] == 15
    assert small[1] == large[1]
    assert not Attempt.objects.filter(released_at__isnull=True).exists()
    assert set(Submission.objects.values_list("state", flat=True)) == {
        SubmissionState.RELEASED
    }
