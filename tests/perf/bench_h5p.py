"""Benchmark of the H5P engine: package import and xAPI intake.

Run against a scratch database (it migrates it and adds rows):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_bench \\
        flock /tmp/bench.lock .venv/bin/python tests/perf/bench_h5p.py \\
        [--statements 3000] [--clients 1 2 4] [--batches 1 5 20] [--http 1 2]

xAPI intake is measured per mode (client processes x statements per request).
Each client is its own process with its own persistent database connection,
driving Django's request handler in-process (no network; the middleware,
session, CSRF check and database are real; DEBUG off). One statement in three
is top-level and closes an attempt with server re-scoring, in every mode.
`--http` also posts to a real server process (`runserver`, threaded, DEBUG
off) from that many client processes, one statement per request.

Per mode it prints statements/s, p50/p95 per request and the queries per
statement counted over whole requests: Django's session and user queries and
any task enqueued after commit included, only BEGIN/COMMIT/SAVEPOINT left out.

Reports figures and ratios, never pass/fail: timings here are noisy (2 cores).
Targets from the H5P issue: import of column-mixed-questions.h5p < 1 s; xAPI
intake >= 500 statements/s with p95 <= 25 ms and <= 3 queries per statement.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
# Production-like: DEBUG off (no query log kept), plain HTTP on the loopback.
os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# Persistent connections, as a production app server keeps them.
os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

SAMPLES = Path(
    os.environ.get("LMS_H5P_SAMPLES", ROOT.parent / "shared" / "samples" / "h5p")
)
TRAINEES = [f"peserta{i}.r3@lms.example" for i in (1, 2, 3)]
CSRF_SECRET = "b" * 32  # an unmasked CSRF secret, set as cookie and header


def real(captured) -> list[dict]:
    """Queries that touch data (not BEGIN/COMMIT/SAVEPOINT bookkeeping)."""
    skip = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
    return [q for q in captured.captured_queries if not q["sql"].startswith(skip)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def make_statement(email: str, content_uuid: str, top_level: bool, host: str) -> dict:
    data = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:{email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": f"http://{host}/h5p/{content_uuid}/"},
        "result": {
            "score": {"raw": 2, "max": 3, "scaled": 0.6667},
            "response": "blue[,]red[,]",
        },
    }
    if not top_level:
        data["verb"]["id"] = "http://adlnet.gov/expapi/verbs/interacted"
        data.pop("result")
    return data


def bodies(email: str, content_uuid: str, statements: int, batch: int) -> list[str]:
    """Request bodies: one in three statements is top-level (closes an attempt)."""
    items = [
        make_statement(email, content_uuid, index % 3 == 0, "testserver")
        for index in range(statements)
    ]
    if batch == 1:
        return [json.dumps(item) for item in items]
    return [json.dumps(items[i : i + batch]) for i in range(0, len(items), batch)]


def signed_in_client(email: str) -> Client:
    from lms.models import User

    client = Client(enforce_csrf_checks=True, HTTP_X_CSRFTOKEN=CSRF_SECRET)
    client.force_login(User.objects.get(email=email))
    client.cookies["csrftoken"] = CSRF_SECRET
    return client


def post(client: Client, url: str, body: str) -> None:
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["errors"] == {}, response.content


def worker(job: tuple) -> dict:
    """One client process: warm up, wait for the common start, post, count queries."""
    email, content_uuid, statements, batch, start_at = job
    url = f"/h5p/{content_uuid}/xapi/"
    client = signed_in_client(email)
    for body in bodies(email, content_uuid, 6 * batch, batch):
        post(client, url, body)  # warm-up: connection, caches, code paths
    work = bodies(email, content_uuid, statements, batch)
    late = time.time() - start_at
    time.sleep(max(0.0, start_at - time.time()))
    latencies = []
    began = time.time()
    for body in work:
        t0 = time.perf_counter()
        post(client, url, body)
        latencies.append(time.perf_counter() - t0)
    ended = time.time()
    # Queries over whole requests of the same mix (60 statements), afterwards.
    sample = bodies(email, content_uuid, 60, batch)
    with CaptureQueriesContext(connection) as captured:
        for body in sample:
            post(client, url, body)
    return {
        "latencies": latencies,
        "began": began,
        "ended": ended,
        "late": late,
        "statements": statements,
        "queries_per_statement": len(real(captured)) / 60,
    }


def intake_runs(args, content_uuid: str) -> None:
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    for batch in args.batches:
        for clients in args.clients:
            per_client = max(batch, args.statements // clients // batch * batch)
            start_at = time.time() + 6 + clients
            jobs = [
                (TRAINEES[i % len(TRAINEES)], content_uuid, per_client, batch, start_at)
                for i in range(clients)
            ]
            with context.Pool(clients) as pool:
                results = pool.map(worker, jobs)
            elapsed = max(r["ended"] for r in results) - min(
                r["began"] for r in results
            )
            latencies = [v for r in results for v in r["latencies"]]
            total = sum(r["statements"] for r in results)
            queries = statistics.mean(r["queries_per_statement"] for r in results)
            late = max(r["late"] for r in results)
            print(
                f"xAPI in-process, {clients} client process(es), {batch} "
                f"statement(s)/request, {total} statements: "
                f"{total / elapsed:.0f} statements/s, per request "
                f"p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
                f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms; "
                f"{queries:.2f} queries/statement (all counted); "
                f"load {os.getloadavg()[0]:.2f}"
                + (f" [a client started {late:.1f} s late]" if late > 0 else ""),
                flush=True,
            )


def kinds_report(email: str, content) -> None:
    """Queries per request by statement kind, whole requests, one statement each."""
    url = f"/h5p/{content.uuid}/xapi/"
    client = signed_in_client(email)
    counts = {}
    closing = make_statement(email, str(content.uuid), True, "testserver")
    first = make_statement(email, str(content.uuid), False, "testserver")
    for kind, data in (
        ("first for the content in this process", first),
        ("child", make_statement(email, str(content.uuid), False, "testserver")),
        ("closing", closing),
        ("repeated id", closing),
    ):
        with CaptureQueriesContext(connection) as captured:
            post(client, url, json.dumps(data))
        counts[kind] = len(real(captured))
    print(
        "queries per request, one statement each (DragText, session and user "
        "included): " + ", ".join(f"{k} {v}" for k, v in counts.items()),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=3000)
    parser.add_argument("--imports", type=int, default=5)
    parser.add_argument("--clients", type=int, nargs="*", default=[1, 2, 4])
    parser.add_argument("--batches", type=int, nargs="*", default=[1, 5, 20])
    parser.add_argument(
        "--http",
        type=int,
        nargs="*",
        default=[],
        help="also post to a real server (manage.py runserver --noreload, "
        "threaded, DEBUG off) from this many client processes, e.g. --http 1 2",
    )
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    from cms.demo import load_demo
    from courses.h5p.services import content_import
    from lms.models import Organisation

    load_demo(accounts_only=True)
    centre = Organisation.objects.get(code="R3")
    print(f"database: {connection.vendor}; load {os.getloadavg()}", flush=True)

    if args.imports:
        durations = []
        for _ in range(args.imports):
            path = SAMPLES / "valid" / "column-mixed-questions.h5p"
            with open(path, "rb") as handle:
                start = time.perf_counter()
                content_import(
                    source=handle, centre=centre, user=None, can_install_libraries=True
                )
                durations.append(time.perf_counter() - start)
        first = durations[0] * 1000
        later = statistics.median(durations[1:] or durations) * 1000
        print(
            f"import column-mixed-questions.h5p (1.4 MB): first {first:.0f} ms "
            f"(installs its libraries unless installed), median of later "
            f"imports {later:.0f} ms",
            flush=True,
        )

    with open(SAMPLES / "valid" / "drag-text.h5p", "rb") as handle:
        drag = content_import(
            source=handle, centre=centre, user=None, can_install_libraries=True
        ).content
    # The trainees may post only for content a course of theirs embeds.
    from tests.h5p.h5p_factories import embed_for

    embed_for(drag, *TRAINEES)
    kinds_report(TRAINEES[0], drag)
    intake_runs(args, str(drag.uuid))
    server_runs(args, drag)


def server_client(job: tuple) -> list[float]:
    """One client process: posts statements one by one over a kept-alive link."""
    import http.client

    port, cookie, email, content_uuid, count = job
    headers = {
        "Content-Type": "application/json",
        "Cookie": cookie,
        "X-CSRFToken": CSRF_SECRET,
    }
    link = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    for index in range(count):
        body = json.dumps(
            make_statement(email, content_uuid, index % 3 == 0, "127.0.0.1")
        )
        t0 = time.perf_counter()
        try:
            link.request("POST", f"/h5p/{content_uuid}/xapi/", body, headers)
            response = link.getresponse()
        except (http.client.HTTPException, OSError):
            link.close()  # the server closed the link: open a new one
            link = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            link.request("POST", f"/h5p/{content_uuid}/xapi/", body, headers)
            response = link.getresponse()
        payload = response.read()
        latencies.append(time.perf_counter() - t0)
        assert response.status == 200, payload
    return latencies


def server_runs(args, drag) -> None:
    """Throughput against a real server process, from 1..n client processes.

    The server is Django's own (`runserver --noreload`, one thread per
    request, one process, DEBUG off); gunicorn/uvicorn are not installed. Its
    figures include HTTP parsing and the whole middleware stack.
    """
    if not args.http:
        return
    import multiprocessing
    import socket
    import subprocess

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from lms.models import User

    trainee = User.objects.get(email=TRAINEES[0])
    session = SessionStore()
    session[SESSION_KEY] = str(trainee.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = trainee.get_session_auth_hash()
    session.create()
    cookie = f"sessionid={session.session_key}; csrftoken={CSRF_SECRET}"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "runserver",
            "--noreload",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        server_client((port, cookie, trainee.email, str(drag.uuid), 30))
        for clients in args.http:
            per_client = max(1, args.statements // clients)
            jobs = [(port, cookie, trainee.email, str(drag.uuid), per_client)] * clients
            started = time.perf_counter()
            with multiprocessing.get_context("spawn").Pool(clients) as pool:
                results = pool.map(server_client, jobs)
            elapsed = time.perf_counter() - started
            latencies = [value for result in results for value in result]
            print(
                f"xAPI over HTTP (runserver, threaded), {clients} client "
                f"process(es), {len(latencies)} statements: "
                f"{len(latencies) / elapsed:.0f} statements/s, "
                f"p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
                f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms "
                f"(load average {os.getloadavg()[0]:.2f})",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
