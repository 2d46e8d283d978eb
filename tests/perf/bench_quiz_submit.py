"""Benchmark: many trainees submitting a 20-question quiz through the HTTP API.

Run against a scratch PostgreSQL database (it migrates it and adds rows):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_bench \\
        .venv/bin/python tests/perf/bench_quiz_submit.py [--trainees 3000] [--workers 4]

Each trainee has an open attempt (started in the set-up, not timed) and submits
all 20 answers in one `POST /api/v1/attempts/<uuid>/submit` with an
`Idempotency-Key`. Workers are threads, each with its own database connection,
driving Django's request handler in-process (no network; the handler, the
middleware, the session and the database are real). Afterwards every
acknowledged submission is checked to be present exactly once.

Reports figures, never pass/fail: timings are noisy on this 2-core machine.
Target from the assessments issue: 3,000 submits within one minute, p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def build(trainees: int) -> tuple[object, list[tuple[object, str]]]:
    """A published 20-question quiz and `trainees` people with an open attempt."""
    from assessments import services
    from assessments.models import Attempt
    from lms.models import Membership, Organisation, Role, User
    from tests.assessments.builders import quiz_make

    centre = Organisation.objects.get(code="R3")
    quiz = quiz_make(centre=centre, questions=20, code=f"BENCH-{uuid.uuid4().hex[:6]}")
    tag = uuid.uuid4().hex[:6]
    users = User.objects.bulk_create(
        [
            User(email=f"bench{tag}.{i}@lms.example", full_name=f"Peserta {i}")
            for i in range(trainees)
        ],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=centre, role=Role.TRAINEE) for u in users],
        batch_size=1000,
    )
    started = time.perf_counter()
    for user in users:
        services.attempt_start(assessment=quiz, trainee=user)
    print(
        f"set-up: {trainees} attempts started in "
        f"{time.perf_counter() - started:.1f} s (not part of the figure)"
    )
    attempts = {
        a.trainee_id: str(a.uuid) for a in Attempt.objects.filter(assessment=quiz)
    }
    return quiz, [(u, attempts[u.pk]) for u in users]


def submit_slice(
    items: list[tuple[str, str, str]], payload: dict
) -> tuple[list[float], list[str], list[str]]:
    """Submit a share of the attempts in a child process; report what happened."""
    latencies, acknowledged, failures = [], [], []
    for session_key, attempt_uuid, key in items:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
        begun = time.perf_counter()
        response = client.post(
            f"/api/v1/attempts/{attempt_uuid}/submit",
            payload,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=key,
            secure=True,
        )
        latencies.append(time.perf_counter() - begun)
        if response.status_code == 200:
            acknowledged.append(attempt_uuid)
        else:
            failures.append(f"{response.status_code} {response.content[:200]!r}")
    connections.close_all()
    return latencies, acknowledged, failures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trainees", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="run the workers as this many processes (as an app server's workers "
        "would be) instead of threads of one process",
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    call_command("load_demo", "--force", "--accounts-only", verbosity=0)
    quiz, work = build(args.trainees)
    payload = {"responses": {str(i): (i % 4 != 0) for i in range(1, 21)}}

    # Sign everyone in before the clock starts (a session row each).
    clients = []
    for user, attempt_uuid in work:
        client = Client()
        client.force_login(user)
        clients.append((client, attempt_uuid, uuid.uuid4().hex))
    connections.close_all()

    # One warm-up submit with the queries counted.
    first_client, first_attempt, first_key = clients[0]
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as queries:
        response = first_client.post(
            f"/api/v1/attempts/{first_attempt}/submit",
            payload,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=first_key,
            secure=True,
        )
    assert response.status_code == 200, response.content
    print(f"queries in one submit (20 questions): {len(queries)}")

    latencies: list[float] = []
    acknowledged: list[str] = [first_attempt]
    failures: list[str] = []
    lock = threading.Lock()
    queue = iter(clients[1:])

    def worker() -> None:
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                break
            client, attempt_uuid, key = item
            begun = time.perf_counter()
            response = client.post(
                f"/api/v1/attempts/{attempt_uuid}/submit",
                payload,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=key,
                # With DEBUG off the production settings redirect plain HTTP.
                secure=True,
            )
            elapsed = time.perf_counter() - begun
            with lock:
                latencies.append(elapsed)
                if response.status_code == 200:
                    acknowledged.append(attempt_uuid)
                else:
                    failures.append(
                        f"{response.status_code} {response.content[:200]!r}"
                    )
        connections.close_all()

    started = time.perf_counter()
    if args.processes:
        # Processes, not threads: one interpreter per core, as under an app
        # server. Each gets the session cookies, never the parent's connection.
        cookie = settings.SESSION_COOKIE_NAME
        items = [
            (client.cookies[cookie].value, attempt_uuid, key)
            for client, attempt_uuid, key in clients[1:]
        ]
        slices = [items[n :: args.processes] for n in range(args.processes)]
        connections.close_all()  # a forked child must open its own connection
        with multiprocessing.get_context("fork").Pool(args.processes) as pool:
            for part_latencies, part_ok, part_failures in pool.starmap(
                submit_slice, [(part, payload) for part in slices]
            ):
                latencies.extend(part_latencies)
                acknowledged.extend(part_ok)
                failures.extend(part_failures)
    else:
        threads = [threading.Thread(target=worker) for _ in range(args.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    wall = time.perf_counter() - started

    from assessments.models import Answer, Attempt, AttemptState

    graded = Attempt.objects.filter(
        assessment=quiz, uuid__in=acknowledged, state=AttemptState.GRADED
    ).count()
    duplicates = Attempt.objects.filter(assessment=quiz).count() - len(work)
    answers = Answer.objects.filter(attempt__assessment=quiz).count()
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000
    how = f"{args.processes} processes" if args.processes else f"{args.workers} threads"
    print(f"submits: {len(latencies) + 1} with {how} in {wall:.1f} s")
    print(f"throughput: {len(latencies) / wall:.0f} submits/s")
    print(
        f"latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
        f"max {latencies[-1] * 1000:.1f} ms"
    )
    print(
        f"acknowledged {len(acknowledged)}, graded and present {graded}, "
        f"extra attempts {duplicates}, answers {answers} (expected {len(work) * 20}), "
        f"failures {len(failures)}"
    )
    for failure in failures[:5]:
        print("  ", failure)


if __name__ == "__main__":
    main()
