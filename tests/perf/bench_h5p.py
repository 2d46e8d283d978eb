"""Benchmark of the H5P engine: package import and xAPI intake.

Run against a scratch database (it migrates it and adds rows):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_bench \\
        .venv/bin/python tests/perf/bench_h5p.py [--statements 3000]

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
os.environ.setdefault("DJANGO_DEBUG", "1")
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


def real(captured) -> list[dict]:
    """Queries that touch data (not BEGIN/COMMIT/SAVEPOINT bookkeeping)."""
    skip = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
    return [q for q in captured.captured_queries if not q["sql"].startswith(skip)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--statements", type=int, default=3000)
    parser.add_argument("--imports", type=int, default=5)
    parser.add_argument(
        "--clients",
        type=int,
        nargs="*",
        default=[],
        help="also post to a real server (manage.py runserver --noreload, "
        "threaded) from this many client processes, e.g. --clients 1 2",
    )
    parser.add_argument(
        "--server-only",
        action="store_true",
        help="skip setup and the in-process runs (the database is already set up)",
    )
    args = parser.parse_args()
    if args.server_only:
        server_runs(args)
        return

    call_command("migrate", verbosity=0)
    from cms.demo import load_demo
    from courses.h5p.services import content_import
    from lms.models import Organisation, User

    load_demo(accounts_only=True)
    centre = Organisation.objects.get(code="R3")
    print(f"database: {connection.vendor}")

    durations = []
    for _ in range(args.imports):
        with open(SAMPLES / "valid" / "column-mixed-questions.h5p", "rb") as handle:
            start = time.perf_counter()
            content_import(
                source=handle, centre=centre, user=None, can_install_libraries=True
            )
            durations.append(time.perf_counter() - start)
    first, later = durations[0] * 1000, statistics.median(durations[1:]) * 1000
    print(
        f"import column-mixed-questions.h5p (1.4 MB): first {first:.0f} ms "
        f"(installs its 27 libraries), median of later imports {later:.0f} ms"
    )

    with open(SAMPLES / "valid" / "drag-text.h5p", "rb") as handle:
        drag = content_import(
            source=handle, centre=centre, user=None, can_install_libraries=True
        ).content
    trainee = User.objects.get(email="peserta1.r3@lms.example")
    # The trainee may post only for content a course of theirs embeds.
    from tests.h5p.h5p_factories import embed_for

    embed_for(drag, trainee.email)
    client = Client()
    client.force_login(trainee)
    url = f"/h5p/{drag.uuid}/xapi/"

    def statement(top_level: bool) -> dict:
        data = {
            "id": str(uuid.uuid4()),
            "actor": {"mbox": f"mailto:{trainee.email}"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "object": {"id": f"http://testserver/h5p/{drag.uuid}/"},
            "result": {
                "score": {"raw": 2, "max": 3, "scaled": 0.6667},
                "response": "blue[,]red[,]",
            },
        }
        if not top_level:
            data["verb"]["id"] = "http://adlnet.gov/expapi/verbs/interacted"
            data.pop("result")
        return data

    latencies = []
    queries = []
    started = time.perf_counter()
    for index in range(args.statements):
        body = json.dumps(statement(top_level=index % 3 == 0))
        t0 = time.perf_counter()
        response = client.post(url, data=body, content_type="application/json")
        latencies.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.content
    for top_level in (False, True):
        body = json.dumps(statement(top_level=top_level))
        with CaptureQueriesContext(connection) as captured:
            client.post(url, data=body, content_type="application/json")
        queries.append(len(real(captured)))
    elapsed = time.perf_counter() - started
    print(
        f"xAPI, one statement per request, {args.statements} requests "
        f"(1 in 3 closes an attempt with server re-scoring): "
        f"{args.statements / elapsed:.0f} statements/s, "
        f"p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms; "
        f"queries per request: {queries[0]} (child), {queries[1]} (closing) "
        f"incl. session, user and content lookups"
    )

    batch = 20
    batches = max(1, args.statements // batch)
    started = time.perf_counter()
    for _ in range(batches):
        body = json.dumps([statement(top_level=False) for _ in range(batch)])
        response = client.post(url, data=body, content_type="application/json")
        assert response.status_code == 200
    elapsed = time.perf_counter() - started
    print(
        f"xAPI, batches of {batch} (as the player's queue sends them): "
        f"{batches * batch / elapsed:.0f} statements/s"
    )

    from courses.h5p.services import xapi_statement_record

    with CaptureQueriesContext(connection) as captured:
        xapi_statement_record(user=trainee, content=drag, statement=statement(True))
    print(f"service queries for a closing statement: {len(real(captured))}")
    server_runs(args)


def server_statement(email: str, content_uuid: str, top_level: bool) -> bytes:
    data = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": f"mailto:{email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": f"http://127.0.0.1/h5p/{content_uuid}/"},
        "result": {
            "score": {"raw": 2, "max": 3, "scaled": 0.6667},
            "response": "blue[,]red[,]",
        },
    }
    if not top_level:
        data["verb"]["id"] = "http://adlnet.gov/expapi/verbs/interacted"
        data.pop("result")
    return json.dumps(data).encode()


def server_client(job: tuple) -> list[float]:
    """One client process: posts statements one by one over a kept-alive link."""
    import http.client

    port, cookie, token, email, content_uuid, count = job
    headers = {
        "Content-Type": "application/json",
        "Cookie": cookie,
        "X-CSRFToken": token,
    }
    link = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    for index in range(count):
        body = server_statement(email, content_uuid, top_level=index % 3 == 0)
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


def server_runs(args) -> None:
    """Throughput against a real server process, from 1..n client processes.

    The server is Django's own (`runserver --noreload`, one thread per
    request, DEBUG as in the rest of this bench); gunicorn/uvicorn are not
    installed. Its figures include HTTP parsing and the whole middleware stack.
    """
    if not args.clients:
        return
    import multiprocessing
    import secrets
    import socket
    import subprocess

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from courses.h5p.models import H5PContent
    from lms.models import User

    trainee = User.objects.get(email="peserta1.r3@lms.example")
    drag = (
        H5PContent.objects.filter(main_library__machine_name="H5P.DragText")
        .order_by("-pk")
        .first()
    )
    session = SessionStore()
    session[SESSION_KEY] = str(trainee.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = trainee.get_session_auth_hash()
    session.create()
    token = secrets.token_hex(16)  # an unmasked 32-character CSRF secret
    cookie = f"sessionid={session.session_key}; csrftoken={token}"
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
        server_client((port, cookie, token, trainee.email, str(drag.uuid), 30))
        for clients in args.clients:
            per_client = max(1, args.statements // clients)
            jobs = [
                (port, cookie, token, trainee.email, str(drag.uuid), per_client)
            ] * clients
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
                f"(load average {os.getloadavg()[0]:.2f})"
            )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
