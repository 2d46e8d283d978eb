"""Side-by-side benchmark of xAPI intake: our endpoint and wagtail-lms's.

The H5P issue asks for our xAPI intake figures next to the same measurement of
the wagtail-lms package's H5P endpoint. wagtail-lms is installed in a separate
virtualenv (never into this project's), for example:

    python3 -m venv /tmp/wlms-venv
    /tmp/wlms-venv/bin/pip install wagtail-lms 'wagtail>=8,<8.1' \\
        'Django>=5.2,<5.3' 'psycopg[binary]' dj-database-url

and then, from the project root:

    .venv/bin/python tests/perf/bench_xapi_side_by_side.py \\
        --other-python /tmp/wlms-venv/bin/python [--statements 1000] [--rounds 2]

What it does, the same way for both sides:

- one scratch PostgreSQL database per side (createdb/dropdb on 127.0.0.1:5432,
  user postgres, names bench_xs_<random>_ours / _wlms), dropped at the end;
- side "ours": this project's settings, migrate, the demo data, drag-text.h5p
  imported through our import service, an open course synced with one module
  embedding it (course_sync) and demo trainees enrolled (enrolment_self_enrol),
  so they may play it;
- side "wlms": a minimal Django + Wagtail project written to a temporary folder
  (wagtail_lms and what Wagtail needs), migrate, users, the same drag-text.h5p
  uploaded as a wagtail-lms H5PActivity (its own model extracts it), a
  CoursePage with an H5PLessonPage embedding it and the users enrolled, so a
  top-level statement runs its lesson/course completion path, as ours runs its
  server re-scoring;
- load: every worker process signs a user in with Django's test Client
  (in-process, DEBUG on, persistent connections, no CSRF enforcement — both
  endpoints require the token in production), sends 20 warm-up statements, waits
  for a start signal, then POSTs N statements one per request, in sequence:
  1 in 3 a top-level "answered" with a score, the rest a child "interacted"
  (parent context + subContentId). Runs: 1 client, then 2 client processes at
  once (two users), alternating the sides A, B, A, B, ... each round;
- figures: statements/s (requests over wall time from the start signal to the
  last answer), p50/p95 latency per request, mean data queries per statement
  over the whole run (a cursor wrapper; BEGIN/SAVEPOINT bookkeeping left out),
  and the queries of one child and one closing statement; non-2xx answers are
  counted as failures;
- after the timed runs: the status each endpoint answers to statements ours
  refuses (another actor, score out of range, unknown verb, no id, another
  object, the same id twice) and the rows each database holds.

Reports figures and ratios, never pass/fail: the machine is shared (2 cores),
so the ratios matter more than the absolute numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(
    os.environ.get("LMS_H5P_SAMPLES", ROOT.parent / "shared" / "samples" / "h5p")
)
PACKAGE = SAMPLES / "valid" / "drag-text.h5p"
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
SIDES = ("ours", "wlms")
WARM_UP = 20
BOOKKEEPING = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")

WLMS_SETTINGS = """
import os

import dj_database_url

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "bench-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = [
    "wagtail_lms",
    "wagtail.contrib.redirects",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]
ROOT_URLCONF = "xs_urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
STATIC_URL = "/static/"
MEDIA_ROOT = os.path.join(BASE_DIR, "media")
MEDIA_URL = "/media/"
WAGTAIL_SITE_NAME = "bench"
WAGTAILADMIN_BASE_URL = "http://testserver"
"""

WLMS_URLS = """
from django.urls import include, path

urlpatterns = [path("lms/", include("wagtail_lms.urls"))]
"""


# --- worker side (runs inside either virtualenv) ---------------------------


def _django_setup(side: str, project: str | None) -> None:
    os.environ.setdefault("DJANGO_DEBUG", "1")
    os.environ.setdefault("DJANGO_CONN_MAX_AGE", "60")
    if side == "ours":
        sys.path.insert(0, str(ROOT))
        os.environ["DJANGO_SETTINGS_MODULE"] = "lms.settings"
    else:
        sys.path.insert(0, project)
        os.environ["DJANGO_SETTINGS_MODULE"] = "xs_settings"
    import django

    django.setup()


def _setup_ours(users: int) -> dict:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from cms.demo import load_demo
    from courses.h5p.selectors import content_get_for_player
    from courses.h5p.services import content_import
    from courses.services import (
        CourseSpec,
        ModuleSpec,
        course_sync,
        enrolment_self_enrol,
    )
    from lms.models import Organisation, User

    load_demo(accounts_only=True)
    centre = Organisation.objects.get(code="R3")
    with open(PACKAGE, "rb") as handle:
        content = content_import(
            source=handle, centre=centre, user=None, can_install_libraries=True
        ).content
    # An open course whose one module embeds the content, as a published course
    # page syncs it, and demo trainees of the centre enrolled in it.
    course = course_sync(
        spec=CourseSpec(
            source_key=uuid.uuid4(),
            centre=centre,
            code="BENCH-XS",
            title="Bench course",
            modules=[
                ModuleSpec(
                    source_key=uuid.uuid4(),
                    title="Bench lesson",
                    h5p_content_ids=(content.pk,),
                )
            ],
        )
    )
    allowed = []
    for index in range(1, users + 1):
        trainee = User.objects.get(email=f"peserta{index}.r3@lms.example")
        enrolment_self_enrol(trainee=trainee, course=course)
        content_get_for_player(user=trainee, content_uuid=content.uuid)  # else 404
        allowed.append(trainee.email)
    return {
        "url": f"/h5p/{content.uuid}/xapi/",
        "object": f"http://testserver/h5p/{content.uuid}/",
        "emails": allowed,
    }


def _setup_wlms(users: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.files import File
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from wagtail.models import Page
    from wagtail_lms.models import (
        CourseEnrollment,
        CoursePage,
        H5PActivity,
        H5PLessonPage,
    )

    with open(PACKAGE, "rb") as handle:
        activity = H5PActivity(title="Drag the words")
        activity.package_file.save("drag-text.h5p", File(handle), save=False)
        activity.save()
    root = Page.get_first_root_node()
    course = root.add_child(instance=CoursePage(title="Bench course", slug="course"))
    course.add_child(
        instance=H5PLessonPage(
            title="Bench lesson",
            slug="lesson",
            body=[("h5p_activity", {"activity": activity})],
        )
    )
    emails = []
    for index in range(1, users + 1):
        email = f"peserta{index}@bench.example"
        user = get_user_model().objects.create_user(
            username=f"peserta{index}", email=email, password=secrets.token_hex(8)
        )
        CourseEnrollment.objects.create(user=user, course=course)
        emails.append(email)
    return {
        "url": f"/lms/h5p-xapi/{activity.pk}/",
        "object": f"http://testserver/lms/h5p-activity/{activity.pk}/",
        "emails": emails,
        "extracted": bool(activity.extracted_path),
        "main_library": activity.main_library,
    }


def statement(email: str, object_id: str, top_level: bool) -> dict:
    """The two shapes H5P sends: a scored top-level answer, a child event."""
    data = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
        "verb": {
            "id": "http://adlnet.gov/expapi/verbs/answered",
            "display": {"en-US": "answered"},
        },
        "object": {"objectType": "Activity", "id": object_id},
        "result": {
            "score": {"min": 0, "raw": 2, "max": 3, "scaled": 0.6667},
            "completion": True,
            "success": False,
            "response": "blue[,]red[,]",
        },
    }
    if not top_level:
        sub = str(uuid.uuid4())
        data["verb"] = {
            "id": "http://adlnet.gov/expapi/verbs/interacted",
            "display": {"en-US": "interacted"},
        }
        data["object"]["id"] = f"{object_id}?subContentId={sub}"
        data["context"] = {"contextActivities": {"parent": [{"id": object_id}]}}
        data.pop("result")
    return data


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _load(side: str, target: dict, email: str, count: int, probe: bool) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(email=email))
    url, object_id = target["url"], target["object"]

    def post(top_level: bool):
        body = json.dumps(statement(email, object_id, top_level))
        return client.post(url, data=body, content_type="application/json")

    for index in range(WARM_UP):
        post(top_level=index % 3 == 0)
    counted = [0]

    def count_queries(execute, sql, params, many, context):
        if not sql.lstrip().upper().startswith(BOOKKEEPING):
            counted[0] += 1
        return execute(sql, params, many, context)

    print("READY", flush=True)
    sys.stdin.readline()
    latencies, failures, statuses, sample = [], 0, {}, ""
    with connection.execute_wrapper(count_queries):
        started = time.time()
        for index in range(count):
            t0 = time.perf_counter()
            response = post(top_level=index % 3 == 0)
            latencies.append(time.perf_counter() - t0)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if not 200 <= response.status_code < 300:
                failures += 1
                sample = sample or response.content[:300].decode(errors="replace")
        ended = time.time()
    result = {
        "started": started,
        "ended": ended,
        "latencies": latencies,
        "failures": failures,
        "statuses": statuses,
        "sample": sample,
        "queries": counted[0],
    }
    if probe:
        per_shape = {}
        for name, top_level in (("child", False), ("closing", True)):
            with CaptureQueriesContext(connection) as captured:
                post(top_level=top_level)
            per_shape[name] = len(
                [
                    q
                    for q in captured.captured_queries
                    if not q["sql"].startswith(BOOKKEEPING)
                ]
            )
        result["per_shape"] = per_shape
        result["checks"] = _observed_checks(side, client, email, target)
    return result


def _observed_checks(side: str, client, email: str, target: dict) -> dict:
    """What each endpoint answers to statements ours refuses (status codes only)."""
    url, object_id = target["url"], target["object"]

    def status(data) -> int:
        return client.post(
            url, data=json.dumps(data), content_type="application/json"
        ).status_code

    def variant(change) -> dict:
        data = statement(email, object_id, top_level=True)
        change(data)
        return data

    def stored_after(data) -> list:
        """The status, then the score the user's latest attempt holds."""
        code = status(data)
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.get(email=email)
        if side == "wlms":
            from wagtail_lms.models import H5PAttempt

            row = H5PAttempt.objects.filter(user=user).order_by("-pk").first()
            return [code, [row.score_raw, row.score_max, row.score_scaled]]
        from courses.h5p.models import H5PAttempt

        row = H5PAttempt.objects.filter(user=user).order_by("-pk").first()
        return [code, [float(row.raw), float(row.max)]]

    repeated = statement(email, object_id, top_level=True)
    return {
        "other actor": status(
            variant(lambda d: d.update(actor={"mbox": "mailto:someone@else.example"}))
        ),
        "raw > max (status, stored score)": stored_after(
            variant(lambda d: d["result"]["score"].update(raw=9))
        ),
        "scaled > 1 (status, stored score)": stored_after(
            variant(lambda d: d["result"]["score"].update(scaled=7))
        ),
        "unknown verb": status(variant(lambda d: d["verb"].update(id="urn:x:hacked"))),
        "no statement id": status(variant(lambda d: d.pop("id"))),
        "object of other content": status(
            variant(lambda d: d["object"].update(id="http://testserver/elsewhere/"))
        ),
        "batch of 2 (JSON list)": status(
            [statement(email, object_id, False), statement(email, object_id, False)]
        ),
        "same id sent twice": [status(repeated), status(repeated)],
    }


def _count_rows(side: str) -> dict:
    if side == "ours":
        from courses.h5p.models import H5PAttempt, XapiStatement

        return {
            "statements": XapiStatement.objects.count(),
            "distinct statement ids": XapiStatement.objects.values("statement_id")
            .distinct()
            .count(),
            "attempts": H5PAttempt.objects.count(),
        }
    from wagtail_lms.models import H5PAttempt, H5PLessonCompletion, H5PXAPIStatement

    return {
        "statements": H5PXAPIStatement.objects.count(),
        "distinct statement ids": H5PXAPIStatement.objects.values("statement__id")
        .distinct()
        .count(),
        "attempts": H5PAttempt.objects.count(),
        "lesson completions": H5PLessonCompletion.objects.count(),
    }


def worker(args) -> None:
    _django_setup(args.side, args.project)
    if args.role == "setup":
        setup = _setup_ours if args.side == "ours" else _setup_wlms
        output = setup(args.users)
    elif args.role == "load":
        target = json.loads(args.target)
        output = _load(args.side, target, args.email, args.statements, args.probe)
    else:
        output = _count_rows(args.side)
    print("RESULT " + json.dumps(output), flush=True)


# --- orchestrator (runs in this project's virtualenv) ----------------------


def _result(text: str) -> dict:
    for line in text.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError("worker printed no result:\n" + text[-3000:])


class Bench:
    def __init__(self, args) -> None:
        self.args = args
        self.python = {"ours": sys.executable, "wlms": args.other_python}
        tag = secrets.token_hex(4)
        self.db = {side: f"bench_xs_{tag}_{side}" for side in SIDES}
        self.project = tempfile.mkdtemp(prefix=f"bench_xs_{tag}_")

    def env(self, side: str) -> dict:
        env = dict(os.environ)
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{self.db[side]}"
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("DJANGO_SETTINGS_MODULE", None)
        return env

    def command(self, side: str, role: str, *extra: str) -> list[str]:
        return [
            self.python[side],
            str(Path(__file__).resolve()),
            "--role",
            role,
            "--side",
            side,
            "--project",
            self.project,
            *extra,
        ]

    def run(self, side: str, role: str, *extra: str) -> dict:
        done = subprocess.run(
            self.command(side, role, *extra),
            env=self.env(side),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"{side} {role} failed:\n{done.stderr[-4000:]}")
        return _result(done.stdout)

    def load(self, side: str, target: dict, clients: int) -> dict:
        """`clients` processes, released together once all have warmed up."""
        processes = []
        for index in range(clients):
            extra = [
                "--target",
                json.dumps(target),
                "--email",
                target["emails"][index % len(target["emails"])],
                "--statements",
                str(self.args.statements),
            ]
            if index == 0 and clients == 1:
                extra.append("--probe")
            processes.append(
                subprocess.Popen(
                    self.command(side, "load", *extra),
                    env=self.env(side),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        for process in processes:
            line = process.stdout.readline()
            if line.strip() != "READY":
                raise RuntimeError(
                    f"{side} load: {line}{process.stderr.read()[-4000:]}"
                )
        load_before = os.getloadavg()[0]
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in processes:
            out, err = process.communicate()
            if process.returncode:
                raise RuntimeError(f"{side} load failed:\n{err[-4000:]}")
            results.append(_result(out))
        latencies = [value for result in results for value in result["latencies"]]
        requests = len(latencies)
        wall = max(r["ended"] for r in results) - min(r["started"] for r in results)
        merged = {
            "clients": clients,
            "requests": requests,
            "wall": wall,
            "rate": requests / wall,
            "latencies": latencies,
            "failures": sum(r["failures"] for r in results),
            "statuses": {},
            "sample": next((r["sample"] for r in results if r["sample"]), ""),
            "queries": sum(r["queries"] for r in results) / requests,
            "load": (load_before, os.getloadavg()[0]),
        }
        for result in results:
            for code, number in result["statuses"].items():
                merged["statuses"][code] = merged["statuses"].get(code, 0) + number
        for key in ("per_shape", "checks"):
            if key in results[0]:
                merged[key] = results[0][key]
        return merged

    def main(self) -> None:
        args = self.args
        for side in SIDES:
            subprocess.run(["createdb", *PG, self.db[side]], check=True)
        try:
            Path(self.project, "xs_settings.py").write_text(
                textwrap.dedent(WLMS_SETTINGS)
            )
            Path(self.project, "xs_urls.py").write_text(textwrap.dedent(WLMS_URLS))
            versions = subprocess.run(
                [
                    args.other_python,
                    "-c",
                    "from importlib.metadata import version as v; "
                    "print(*(f'{p} {v(p)}' for p in "
                    "('wagtail-lms', 'wagtail', 'Django', 'psycopg')), sep=', ')",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            print(f"wagtail-lms side: {versions} ({args.other_python})")
            print(
                f"scratch databases: {', '.join(self.db.values())}; "
                f"project {self.project}"
            )
            targets = {}
            for side in SIDES:
                started = time.perf_counter()
                # The same number of distinct users on both sides.
                users = len(targets["ours"]["emails"]) if targets else args.clients
                targets[side] = self.run(side, "setup", "--users", str(users))
                print(
                    f"setup {side}: {time.perf_counter() - started:.0f} s, "
                    f"endpoint {targets[side]['url']}, users {targets[side]['emails']}"
                    + (
                        f", package extracted: {targets[side]['extracted']} "
                        f"({targets[side]['main_library']})"
                        if side == "wlms"
                        else ""
                    )
                )
            runs = {(side, c): [] for side in SIDES for c in (1, args.clients)}
            print(f"load average before the runs: {os.getloadavg()}")
            for round_number in range(1, args.rounds + 1):
                for clients in (1, args.clients):
                    for side in SIDES:
                        run = self.load(side, targets[side], clients)
                        runs[(side, clients)].append(run)
                        print(
                            f"round {round_number} {side:4} {clients} client(s): "
                            f"{run['rate']:.0f} statements/s, "
                            f"p50 {_percentile(run['latencies'], 0.5) * 1000:.1f} ms, "
                            f"p95 {_percentile(run['latencies'], 0.95) * 1000:.1f} ms, "
                            f"{run['queries']:.2f} queries/statement, "
                            f"failures {run['failures']} {run['statuses']}, "
                            f"load avg {run['load'][0]:.2f}->{run['load'][1]:.2f}"
                            + (
                                f"\n    first failure: {run['sample']}"
                                if run["sample"]
                                else ""
                            )
                        )
            print(f"load average after the runs: {os.getloadavg()}")
            self.summary(runs, targets)
        finally:
            if not args.keep:
                for side in SIDES:
                    subprocess.run(
                        ["dropdb", *PG, "--if-exists", self.db[side]], check=False
                    )
                shutil.rmtree(self.project, ignore_errors=True)

    def summary(self, runs: dict, targets: dict) -> None:
        args = self.args
        figures = {}
        print(
            f"\nsummary ({args.rounds} rounds, {args.statements} statements per client "
            f"per run; statements/s = median over rounds; p50/p95 over all latencies):"
        )
        for (side, clients), items in runs.items():
            latencies = [value for run in items for value in run["latencies"]]
            figures[(side, clients)] = row = {
                "rate": statistics.median(run["rate"] for run in items),
                "p50": _percentile(latencies, 0.5) * 1000,
                "p95": _percentile(latencies, 0.95) * 1000,
                "queries": statistics.mean(run["queries"] for run in items),
                "failures": sum(run["failures"] for run in items),
                "requests": sum(run["requests"] for run in items),
            }
            print(
                f"  {side:4} {clients} client(s): {row['rate']:.0f} statements/s, "
                f"p50 {row['p50']:.1f} ms, p95 {row['p95']:.1f} ms, "
                f"{row['queries']:.2f} queries/statement, "
                f"{row['failures']} failures of {row['requests']} requests"
            )
        print(
            "ratios ours/wlms (statements/s: >1 means ours is faster; "
            "latency, queries: <1 means ours is lower):"
        )
        for clients in (1, args.clients):
            ours, theirs = figures[("ours", clients)], figures[("wlms", clients)]
            print(
                f"  {clients} client(s): "
                f"statements/s {ours['rate'] / theirs['rate']:.2f}, "
                f"p50 {ours['p50'] / theirs['p50']:.2f}, "
                f"p95 {ours['p95'] / theirs['p95']:.2f}, "
                f"queries/statement {ours['queries'] / theirs['queries']:.2f}"
            )
        for side in SIDES:
            probe = runs[(side, 1)][0]
            print(
                f"{side}: queries for one child / one closing statement: "
                f"{probe['per_shape']}"
            )
        print("answers to statements ours refuses (HTTP status; ours, wlms):")
        ours_checks, theirs_checks = (runs[(side, 1)][0]["checks"] for side in SIDES)
        for name, ours_status in ours_checks.items():
            print(f"  {name}: {ours_status}, {theirs_checks[name]}")
        for side in SIDES:
            print(f"rows in {side}'s database: {self.run(side, 'count')}")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--other-python", help="python of the wagtail-lms virtualenv")
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep databases, project")
    # Worker options, used by the orchestrator when it starts a process.
    parser.add_argument("--role", choices=("setup", "load", "count"))
    parser.add_argument("--side", choices=SIDES)
    parser.add_argument("--project")
    parser.add_argument("--users", type=int, default=1)
    parser.add_argument("--target")
    parser.add_argument("--email")
    parser.add_argument("--probe", action="store_true")
    args = parser.parse_args()
    if not args.role and not args.other_python:
        parser.error("--other-python is required")
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.role:
        worker(arguments)
    else:
        Bench(arguments).main()
