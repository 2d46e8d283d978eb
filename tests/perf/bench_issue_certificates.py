"""Benchmark: bulk issuing of certificates (number, rows, PDF and signed credential).

Run against a fresh scratch PostgreSQL database that nobody else uses, one per
run (it migrates it, loads the demo world and adds rows; the synthetic standard's
unit codes repeat, so a second run on the same database is refused):

    createdb -h 127.0.0.1 -U postgres bench_issue_x
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_issue_x \\
        .venv/bin/python tests/perf/bench_issue_certificates.py [-n 2000]
    dropdb -h 127.0.0.1 -U postgres bench_issue_x

The set-up (not timed) builds N trainees with a K decision each, in bulk: the
application, a K recommendation per unit of a three-unit scheme and the committee
decision. The timed part is one issuing run, exactly as the task executes it
(`issuing_run_execute`): per batch the issuing transaction (locks, checks,
serials, rows: `certificate_issue_batch`), then per certificate the PDF and the
signed credential, both stored in MEDIA_ROOT (a temporary directory). With
``--parts 2`` the run is split as the background task splits it and the parts
run in two processes at once (as two `db_worker`s would); with ``--workers``
the parts are enqueued as tasks and two real ``db_worker --batch`` processes
work them (it prints when each part ran). Then it reports the
total, ms per certificate, the projection to 32,000 (target from the
certification issue: within 10 minutes), queries per certificate (counted on
a separate small run), and a single certificate's PDF render time (target: 50
ms or less).

Reports figures, never pass/fail: timings are noisy on this shared 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="bench-issue-"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def build(count: int, tag: str) -> list[int]:
    """``count`` trainees of R3 with a current K decision each; their ids."""
    from lms.certification.models import (
        AssessorRecommendation,
        CertificationApplication,
        CommitteeDecision,
    )
    from lms.models import Membership, Organisation, Role, User
    from lms.standards.services import scheme_activate, scheme_create
    from tests.lms.lms_factories import make_standard

    standard = make_standard(units=3, code=f"STD-BENCH-{tag}")
    scheme = scheme_activate(
        scheme=scheme_create(
            code=f"SKM-BENCH-{tag}",
            title="Skema Pendamping Sosial (uji beban)",
            scheme_type="okupasi",
            owner=Organisation.objects.get(code="LSP-KEMENSOS"),
            units=list(standard.units.order_by("position")),
        )
    )
    units = list(standard.units.order_by("position"))
    centre = Organisation.objects.get(code="R3")
    assessor = User.objects.get(email="asesor.lsp@lms.example")
    committee = User.objects.get(email="komite.lsp@lms.example")
    users = User.objects.bulk_create(
        [
            User(email=f"bench{tag}.{i}@lms.example", full_name=f"Peserta Uji {i}")
            for i in range(count)
        ],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=centre, role=Role.TRAINEE) for u in users],
        batch_size=1000,
    )
    applications = CertificationApplication.objects.bulk_create(
        [
            CertificationApplication(
                trainee=u, scheme=scheme, purpose="sertifikasi", status="decided"
            )
            for u in users
        ],
        batch_size=1000,
    )
    AssessorRecommendation.objects.bulk_create(
        [
            AssessorRecommendation(
                application=a,
                unit=unit,
                outcome="K",
                reasons="Bukti memadai.",
                assessor=assessor,
            )
            for a in applications
            for unit in units
        ],
        batch_size=1000,
    )
    decisions = CommitteeDecision.objects.bulk_create(
        [
            CommitteeDecision(application=a, outcome="K", decided_by=committee)
            for a in applications
        ],
        batch_size=1000,
    )
    return [d.pk for d in decisions]


TIMED = ("issue", "files", "pdf", "credential")


def _timed(timers: dict[str, float]):
    """Wrap the issuing module's steps so their time adds up in ``timers``:
    the issue transaction, and per certificate the files (PDF, credential,
    storage); storage is what the files took beyond the other two. Returns
    the function that puts the originals back."""
    from lms.certification import issuing

    names = {
        "issue": "certificate_issue_batch",
        "files": "certificate_files_store",
        "pdf": "certificate_pdf",
        "credential": "certificate_credential",
    }
    originals = {key: getattr(issuing, name) for key, name in names.items()}

    def wrap(key, function):
        def timed(*args, **kwargs):
            begun = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timers[key] += time.perf_counter() - begun

        return timed

    for key, name in names.items():
        setattr(issuing, name, wrap(key, originals[key]))

    def restore():
        for key, name in names.items():
            setattr(issuing, name, originals[key])

    return restore


def run_over(ids: list[int], *, timers: dict[str, float] | None = None):
    """An issuing run over exactly these decisions, executed in this process."""
    from lms.certification import issuing
    from lms.certification.models import IssuingRun
    from lms.models import User

    admin = User.objects.get(email="admin.lsp@lms.example")
    run = IssuingRun.objects.create(started_by=admin, total=len(ids), decision_ids=ids)
    restore = _timed(timers) if timers is not None else None
    try:
        return issuing.issuing_run_execute(run=run)
    finally:
        if restore:
            restore()


def _part(run_id: int, part: int, parts: int, queue) -> None:
    from lms.certification import issuing
    from lms.certification.models import IssuingRun

    timers = dict.fromkeys(TIMED, 0.0)
    restore = _timed(timers)
    try:
        issuing.issuing_run_execute(
            run=IssuingRun.objects.get(pk=run_id), part=part, parts=parts
        )
    finally:
        restore()
        queue.put(timers)


def run_parallel(ids: list[int], parts: int, timers: dict[str, float]):
    """The run split into ``parts`` slices, each in its own process at once;
    the steps' times of all processes are added into ``timers``."""
    import multiprocessing

    from lms.certification.models import IssuingRun
    from lms.models import User

    admin = User.objects.get(email="admin.lsp@lms.example")
    run = IssuingRun.objects.create(started_by=admin, total=len(ids), decision_ids=ids)
    connection.close()  # each process opens its own
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [
        context.Process(target=_part, args=(run.pk, part, parts, queue))
        for part in range(parts)
    ]
    for worker in workers:
        worker.start()
    for _worker in workers:
        for key, value in queue.get().items():
            timers[key] += value
    for worker in workers:
        worker.join()
    return IssuingRun.objects.get(pk=run.pk)


def run_by_workers(ids: list[int], parts: int):
    """The run as production runs it: its parts enqueued as `issuing_run_task`
    tasks and worked by ``parts`` task workers (``manage.py db_worker --batch``,
    each its own process). Prints when each part started and ended, so it
    shows whether they ran at the same time."""
    import subprocess

    from django_tasks_db.models import DBTaskResult

    from lms.certification.models import IssuingRun
    from lms.certification.tasks import issuing_run_task
    from lms.models import User

    admin = User.objects.get(email="admin.lsp@lms.example")
    run = IssuingRun.objects.create(started_by=admin, total=len(ids), decision_ids=ids)
    DBTaskResult.objects.filter(status="READY").delete()  # the set-up's own tasks
    for part in range(parts):
        issuing_run_task.enqueue(run.pk, part=part, parts=parts)
    connection.close()
    command = [sys.executable, str(ROOT / "manage.py"), "db_worker", "--batch"]
    command += ["--no-startup-delay", "--no-reload", "-v", "0"]
    workers = [
        subprocess.Popen(command, cwd=ROOT, env=os.environ.copy()) for _ in range(parts)
    ]
    for worker in workers:
        worker.wait()
    results = DBTaskResult.objects.filter(
        task_path__endswith="issuing_run_task"
    ).order_by("started_at")
    first = min(r.started_at for r in results)
    for result in results:
        begun = (result.started_at - first).total_seconds()
        ended = (result.finished_at - first).total_seconds()
        print(
            f"  task {result.args_kwargs['kwargs']}: {result.status} by "
            f"{result.worker_ids}, from {begun:.1f} s to {ended:.1f} s"
        )
    return IssuingRun.objects.get(pk=run.pk)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", "--certificates", type=int, default=2000)
    parser.add_argument("--parts", type=int, default=1)
    parser.add_argument(
        "--workers",
        action="store_true",
        help="run the parts as enqueued tasks, one db_worker process per part",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; figures are for", connection.vendor)

    call_command("migrate", verbosity=0)
    call_command("load_demo", "--force", "--accounts-only", verbosity=0)
    tag = uuid.uuid4().hex[:6].upper()
    begun = time.perf_counter()
    ids = build(args.certificates + 50, tag)
    print(
        f"set-up: {len(ids)} K decisions in {time.perf_counter() - begun:.1f} s "
        "(not part of the figure)"
    )

    # Queries, counted on a small run of its own (the same code path).
    small, main_ids = ids[:50], ids[50:]
    connection.queries_log.clear()  # the set-up filled the log to its cap
    with CaptureQueriesContext(connection) as queries:
        run = run_over(small)
    assert run.state == "done" and run.done == 50, (run.state, run.problems[:3])
    print(f"queries per certificate: {len(queries) / 50:.1f} (run of 50, batch 100)")

    timers = dict.fromkeys(TIMED, 0.0)
    print("load average before the timed run:", os.getloadavg())
    begun = time.perf_counter()
    if args.workers:
        run = run_by_workers(main_ids, args.parts)
    elif args.parts > 1:
        run = run_parallel(main_ids, args.parts, timers)
    else:
        run = run_over(main_ids, timers=timers)
    wall = time.perf_counter() - begun
    print("load average after the timed run:", os.getloadavg())
    assert run.state == "done" and run.done == len(main_ids), run.problems[:3]
    n = len(main_ids)
    per = wall / n
    print(
        f"issued {n} certificates (PDF + signed credential stored) in {wall:.1f} s"
        f" ({args.parts} process(es))"
    )

    def ms(seconds: float) -> str:
        return f"{seconds / n * 1000:.2f} ms"

    if args.workers:
        timers = None  # the steps ran in the workers' processes, not timed
    storage = timers and timers["files"] - timers["pdf"] - timers["credential"]
    print(f"per certificate: {per * 1000:.2f} ms of wall time")
    if timers:
        rest = wall * args.parts - timers["issue"] - timers["files"]
        print(
            f"  in the process(es), per certificate: issue transaction "
            f"{ms(timers['issue'])}, PDF {ms(timers['pdf'])}, credential "
            f"{ms(timers['credential'])}, JSON + storage {ms(storage)}, progress "
            f"and the rest {ms(rest)}"
        )
    projected = per * 32_000
    print(
        f"projected for 32,000: {projected:.0f} s = {projected / 60:.1f} min "
        "(target <= 10 min)"
    )

    from lms.certification.credentials import certificate_credential
    from lms.certification.models import Certificate
    from lms.certification.pdf import certificate_pdf

    certificate = Certificate.objects.select_related("scheme", "body").get(
        decision_id=main_ids[0]
    )
    pdf_times, sign_times = [], []
    for _ in range(50):
        begun = time.perf_counter()
        pdf = certificate_pdf(certificate)
        pdf_times.append(time.perf_counter() - begun)
        begun = time.perf_counter()
        certificate_credential(certificate)
        sign_times.append(time.perf_counter() - begun)
    pdf_times.sort()
    sign_times.sort()
    print(
        f"one PDF: median {statistics.median(pdf_times) * 1000:.1f} ms, "
        f"p95 {pdf_times[int(len(pdf_times) * 0.95) - 1] * 1000:.1f} ms, "
        f"{len(pdf) // 1024} KB (target <= 50 ms); signed credential: median "
        f"{statistics.median(sign_times) * 1000:.2f} ms"
    )
    import json

    from django.core.files.storage import default_storage

    from lms.certification.credentials import credential_verify
    from lms.certification.issuing import certificate_files_path

    stored = default_storage.open(certificate_files_path(certificate, "json")).read()
    tampered = stored.replace(b"Peserta", b"Pesertb", 1)
    print(
        "stored credential verifies:",
        credential_verify(json.loads(stored)) == [],
        "; with one byte changed it is refused:",
        credential_verify(json.loads(tampered)) != [],
    )
    print(
        "certificates present once per decision:",
        Certificate.objects.filter(decision_id__in=ids).count() == len(ids),
    )


if __name__ == "__main__":
    main()
