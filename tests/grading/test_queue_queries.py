"""The grader queue costs the same queries at 100 and at 100,000 pending scripts.

Run with `-s` to see the timings (SQLite by default; PostgreSQL with DATABASE_URL).
"""

from __future__ import annotations

import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.grading.models import Submission
from assessments.models import Answer, Attempt, AttemptState
from tests.assessments.builders import quiz_make
from tests.grading.factories import GRADER_A, client_for, secret_trainee

BUDGET = 8  # DESIGN.md §6: grader queue ≤ 8 queries
BATCH = 1000


def _backlog(attempt, centre, university, quiz, *, start: int, stop: int) -> None:
    """Pending submissions `start`..`stop-1`, made in batches of 1,000."""
    section = quiz.sections.get()
    now = timezone.now()
    for first in range(start, stop, BATCH):
        last = min(first + BATCH, stop)
        answers = Answer.objects.bulk_create(
            [
                Answer(
                    attempt=attempt,
                    slot=i,
                    section=section,
                    points=10,
                    needs_marking=True,
                )
                for i in range(first, last)
            ],
            batch_size=BATCH,
        )
        if answers[0].pk is None:  # backends that do not return ids
            answers = list(
                Answer.objects.filter(
                    attempt=attempt, slot__gte=first, slot__lt=last
                ).order_by("slot")
            )
        Submission.objects.bulk_create(
            [
                Submission(
                    answer=answer,
                    attempt=attempt,
                    assessment=quiz,
                    centre=centre,
                    university=university,
                    candidate_code=f"Q-{answer.slot:08d}",
                    points=10,
                    submitted_at=now,
                )
                for answer in answers
            ],
            batch_size=BATCH,
        )


def _measure(client, url: str) -> tuple[int, float, object]:
    client.get(url)  # warm the session and caches
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    return len(queries), elapsed, response


def test_queue_queries_are_equal_at_100_and_100_000(
    centre, university_a, user_by_email
):
    trainee, _nik = secret_trainee(centre)
    quiz = quiz_make(centre=centre, questions=0, essays=1)
    now = timezone.now()
    attempt = Attempt.objects.create(
        assessment=quiz,
        trainee=trainee,
        number=1,
        seed=1,
        started_at=now,
        submitted_at=now,
        state=AttemptState.SUBMITTED,
    )
    client = client_for(user_by_email(GRADER_A))
    urls = {
        "page": "/staf/penilaian/",
        "page 3 by assessment": "/staf/penilaian/?sort=assessment&page=3",
        "api": "/api/v1/grading/queue",
        "api filtered": f"/api/v1/grading/queue?assessment={quiz.code}&sort=newest",
    }
    counts: dict[int, dict[str, int]] = {}
    report = []
    made = 1
    for size in (100, 100_000):
        built = time.perf_counter()
        _backlog(attempt, centre, university_a, quiz, start=made, stop=size + 1)
        made = size + 1
        build_seconds = time.perf_counter() - built
        counts[size] = {}
        for name, url in urls.items():
            n, seconds, response = _measure(client, url)
            assert n <= BUDGET, (name, size, n)
            counts[size][name] = n
            report.append(f"{name} @ {size}: {n} queries, {seconds * 1000:.1f} ms")
            if name == "api":
                body = response.json()
                assert len(body["items"]) == 50 and body["has_next"] is True
        report.append(f"building {size}: {build_seconds:.1f} s")
    print(f"\n[{connection.vendor}] " + "\n".join(report))
    assert counts[100] == counts[100_000]
    assert Submission.objects.filter(assessment=quiz).count() == 100_000
