"""Benchmark: the national and centre dashboards on PostgreSQL (issue 7).

Target: every dashboard view ≤ 1 s at 32,000 trainees and ~6 million evidence rows.

    createdb -h 127.0.0.1 -U postgres bench_dash_x
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_dash_x \\
        .venv/bin/python tests/perf/bench_dashboard.py [--scale 1.0] [--evidence 5]
    dropdb -h 127.0.0.1 -U postgres bench_dash_x

Runs in the database DATABASE_URL names (migrating it first), so give it a scratch
database of your own; it refuses one that already holds trainees unless
``--reuse`` (then it only measures).

Data, all generated inside PostgreSQL with ``INSERT … SELECT`` over
``generate_series`` (set-based, as in bench_rollup.py; foreign-key triggers off
while loading evidence): one standard of 30 units × 2 elements × 2 KUK, three
schemes of 10 units; per centre (six) and scheme one course with ten cohorts and
one assessment; ``32,000 × scale`` trainees spread over the centres, each with a
profile (province), a trainee membership and one enrolment (a quarter a second
one in another scheme's course), and, by a fixed share, a completion (80 %), one
to three graded attempts (65 %), K records on all ten units of their scheme (50 %,
the rest BK/pending on some), and an issued certificate of competence (40 %, issue
dates over three years, so some expire within the year; 3 % revoked). Evidence:
``--evidence`` rows per KUK of the trainee's scheme (5 → 200 per trainee, 6.4 M).

Measured: each dashboard view through Django's request handler (middleware,
session, MFA check and template included) for the central admin and a centre
admin, warm, the median of three runs, and its query count.
"""

from __future__ import annotations

import argparse
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of 32,000")
    parser.add_argument(
        "--evidence", type=int, default=5, help="evidence rows per KUK and trainee"
    )
    parser.add_argument("--reuse", action="store_true", help="measure only")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--explain", default="", help="write EXPLAIN ANALYZE plans to this file"
    )
    parser.add_argument(
        "--profile",
        default="",
        help="cProfile the views whose label contains this text (after timing)",
    )
    parser.add_argument(
        "--only", default="", help="measure only the views whose label contains this"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgis")):
        print("Set DATABASE_URL to a scratch PostgreSQL database; this needs it.")
        return 2

    import django

    django.setup()
    from django.core.management import call_command

    from lms.models import SchemeCompetence, User
    from lms.records.services import scheme_competence_refresh

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.perf_counter() - t0:.1f} s")
    has_data = User.objects.filter(email__startswith="dash").exists()
    if has_data and not args.reuse:
        print("This database already holds benchmark trainees; use --reuse.")
        return 2
    if not has_data:
        load(trainees=int(32_000 * args.scale), evidence=args.evidence)
    if not SchemeCompetence.objects.exists():
        # A database loaded before the derived table existed: derive it once.
        scheme_competence_refresh()
    return measure(
        runs=args.runs, explain=args.explain, profile=args.profile, only=args.only
    )


def _sql(cursor, label: str, statement: str, params=()) -> None:
    # Always with a parameter list, so "%%" in the SQL reads as one "%".
    t0 = time.perf_counter()
    cursor.execute(statement, params)
    print(f"  {label}: {cursor.rowcount:,} rows in {time.perf_counter() - t0:.1f} s")


def load(*, trainees: int, evidence: int) -> None:
    """Fill the database (set-based SQL; a handful of rows through the ORM)."""
    import csv
    import io

    from django.db import connection

    from assessments.models import Assessment, AssessmentStatus
    from courses.models import Course
    from lms.models import (
        CertificationScheme,
        CompetencyUnit,
        Membership,
        Organisation,
        Role,
        SchemeUnit,
        User,
    )
    from lms.records.services import scheme_competence_refresh
    from lms.standards.importing import CSV_COLUMNS
    from lms.standards.services import standard_import

    t_start = time.perf_counter()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for u in range(1, 31):
        for e in (1, 2):
            for k in (1, 2):
                writer.writerow(
                    [
                        "DASH",
                        "Standar dasbor",
                        "1",
                        "",
                        f"Q.880000.{u:03d}.01",
                        "1",
                        f"Unit {u}",
                        "",
                        e,
                        f"Elemen {e}",
                        f"{e}.{k}",
                        f"KUK {e}.{k}",
                    ]
                )
    standard = standard_import(source=out.getvalue(), format="csv").standard
    units = list(CompetencyUnit.objects.filter(standard=standard).order_by("code"))
    lsp = Organisation.objects.get(code="LSP-KEMENSOS")
    schemes = []
    for s in range(3):
        scheme = CertificationScheme.objects.create(
            code=f"SKM-DASH-{s + 1}",
            title=f"Skema Pendamping {s + 1}",
            scheme_type="okupasi",
            owner=lsp,
            status="active",
            validity_months=36,
        )
        SchemeUnit.objects.bulk_create(
            SchemeUnit(scheme=scheme, unit=unit, position=i + 1)
            for i, unit in enumerate(units[s * 10 : s * 10 + 10])
        )
        schemes.append(scheme)
    centres = list(Organisation.objects.centres().order_by("code"))
    for centre in centres:
        for scheme in schemes:
            course = Course.objects.create(
                centre=centre,
                source_key=uuid.uuid4(),
                code=f"{centre.code}-{scheme.code}",
                title=f"Pelatihan {scheme.title}",
                total_jp=40,
            )
            course.units.set(scheme.units.all())
            Assessment.objects.create(
                centre=centre,
                code=f"UJI-{centre.code}-{scheme.code}",
                title=f"Uji {scheme.title}",
                status=AssessmentStatus.PUBLISHED,
            )
    # People who look at the dashboards (TOTP enrolled in measure()).
    central = User.objects.create_user("dash.pusat@lms.example", full_name="Pusat")
    Membership.objects.create(
        user=central,
        organisation=Organisation.objects.get(code="KEMENSOS"),
        role=Role.CENTRAL_ADMIN,
    )
    admin = User.objects.create_user("dash.r3@lms.example", full_name="Penyelenggara")
    Membership.objects.create(
        user=admin, organisation=centres[2], role=Role.CENTRE_ADMIN
    )
    committee = User.objects.create_user("dash.komite@lms.example", full_name="Komite")

    print(f"loading {trainees:,} trainees …")
    with connection.cursor() as cursor:
        # Trainee g: centre g % 6, scheme g % 3, stage by (g * 7919) % 100.
        _sql(
            cursor,
            "users",
            """
            INSERT INTO lms_user (password, is_superuser, email, full_name,
                title_prefix, title_suffix, time_zone, language, is_staff,
                is_active, date_joined)
            SELECT '!', false, 'dash' || g || '@lms.example', 'Peserta ' || g,
                '', '', 'Asia/Jakarta', 'id', false, true, now()
            FROM generate_series(1, %s) g
            """,
            [trainees],
        )
        _sql(
            cursor,
            "trainee plan",
            """
            CREATE TEMP TABLE dash_t AS
            SELECT u.id AS trainee_id, g, g %% 6 AS c, g %% 3 AS s,
                   (g * 7919) %% 100 AS p
            FROM (SELECT id, substring(email from 5 for position('@' in email) - 5)::int
                  AS g FROM lms_user WHERE email ~ '^dash[0-9]+@') u
            """,
        )
        cursor.execute("CREATE INDEX ON dash_t (trainee_id)")
        _sql(
            cursor,
            "course plan",
            """
            CREATE TEMP TABLE dash_course AS
            SELECT co.id AS course_id, co.centre_id, o.rn - 1 AS c, sc.rn - 1 AS s
            FROM courses_course co
            JOIN (SELECT id, row_number() OVER (ORDER BY code) rn FROM lms_organisation
                  WHERE kind = 'centre') o ON o.id = co.centre_id
            JOIN (SELECT id, code, row_number() OVER (ORDER BY code) rn
                  FROM lms_certificationscheme WHERE code LIKE 'SKM-DASH-%%') sc
              ON co.code = (SELECT code FROM lms_organisation WHERE id = co.centre_id)
                           || '-' || sc.code
            """,
        )
        _sql(
            cursor,
            "profiles",
            """
            INSERT INTO lms_profile (nik_encrypted, nik_hash, phone, regency, user_id,
                province_id, role_type)
            SELECT '', NULL, '', '', t.trainee_id,
                (SELECT id FROM lms_province ORDER BY code
                 OFFSET (t.g %% 38) LIMIT 1), ''
            FROM dash_t t
            """,
        )
        _sql(
            cursor,
            "memberships",
            """
            INSERT INTO lms_membership (role, registration_number, created_at,
                user_id, organisation_id)
            SELECT 'trainee', '', now(), t.trainee_id, dc.centre_id
            FROM dash_t t JOIN dash_course dc ON dc.c = t.c AND dc.s = t.s
            """,
        )
        _sql(
            cursor,
            "cohorts",
            """
            INSERT INTO courses_cohort (number, starts_on, ends_on, time_zone,
                capacity, course_id)
            SELECT 'A' || n, date '2025-01-06' + n * 30, date '2025-01-20' + n * 30,
                'Asia/Jakarta', 1000, dc.course_id
            FROM dash_course dc CROSS JOIN generate_series(1, 10) n
            """,
        )
        # One enrolment in the trainee's own scheme course; a quarter also take
        # the next scheme's course at the same centre (never completed there).
        _sql(
            cursor,
            "enrolments",
            """
            INSERT INTO courses_enrolment (state, requested_at, cohort_id, course_id,
                trainee_id, decision_reason, role_type)
            SELECT CASE WHEN t.p < 80 AND e.second = 0 THEN 'completed'
                        ELSE 'active' END,
                now(),
                (SELECT id FROM courses_cohort WHERE course_id = dc.course_id
                 ORDER BY id OFFSET (t.g / 18) %% 10 LIMIT 1),
                dc.course_id, t.trainee_id, '', ''
            FROM dash_t t
            CROSS JOIN (VALUES (0), (1)) e(second)
            JOIN dash_course dc ON dc.c = t.c AND dc.s = (t.s + e.second) %% 3
            WHERE e.second = 0 OR t.g %% 4 = 0
            """,
        )
        _sql(
            cursor,
            "completions",
            """
            INSERT INTO courses_coursecompletion (enrolment_id, completed_at,
                jp_earned)
            SELECT id, now() - interval '30 days', 40 FROM courses_enrolment
            WHERE state = 'completed'
            """,
        )
        _sql(
            cursor,
            "graded attempts",
            """
            INSERT INTO assessments_attempt (uuid, number, context, state, seed,
                layout, started_at, submitted_at, finalised_by, submit_key, score,
                score_max, percent, passed, graded_at, assessment_id, trainee_id)
            SELECT gen_random_uuid(), n, '', 'graded', 1, '[]'::jsonb,
                now() - interval '20 days', now() - interval '20 days', 'trainee',
                '', 7, 10, 70, true, now() - interval '19 days', a.id, t.trainee_id
            FROM dash_t t
            JOIN dash_course dc ON dc.c = t.c AND dc.s = t.s
            JOIN courses_course co ON co.id = dc.course_id
            JOIN assessments_assessment a ON a.code = 'UJI-' || co.code
            CROSS JOIN generate_series(1, 3) n
            WHERE t.p < 65 AND n <= 1 + t.g %% 3
            """,
        )
        _sql(
            cursor,
            "competency records",
            """
            INSERT INTO lms_competencyrecord (trainee_id, unit_id, outcome, method,
                score, evidence_count, last_evidence_at, computed_at)
            SELECT t.trainee_id, su.unit_id,
                CASE WHEN t.p < 50 THEN 'K'
                     WHEN su.position %% 3 = 0 THEN 'BK'
                     WHEN t.p < 80 THEN 'K' ELSE 'pending' END,
                'all_criteria_met', NULL, 20, now(), now()
            FROM dash_t t
            JOIN lms_certificationscheme sc ON sc.code = 'SKM-DASH-' || (t.s + 1)
            JOIN lms_schemeunit su ON su.scheme_id = sc.id
            """,
        )
        # The records were written by SQL, not by the roll-up: derive the
        # trainee-scheme verdicts the dashboards read (as recompute_records would).
        t0 = time.perf_counter()
        scheme_competence_refresh()
        print(f"  scheme competence (derived): {time.perf_counter() - t0:.1f} s")
        _sql(
            cursor,
            "applications",
            """
            INSERT INTO lms_certificationapplication (purpose, status, submitted_at,
                scheme_id, trainee_id)
            SELECT 'sertifikasi', 'decided', now() - interval '400 days', sc.id,
                t.trainee_id
            FROM dash_t t
            JOIN lms_certificationscheme sc ON sc.code = 'SKM-DASH-' || (t.s + 1)
            WHERE t.p < 40
            """,
        )
        _sql(
            cursor,
            "decisions",
            """
            INSERT INTO lms_committeedecision (outcome, reasons, decided_at,
                correction_reason, application_id, decided_by_id)
            SELECT 'K', '', a.submitted_at, '', a.id, %s
            FROM lms_certificationapplication a
            JOIN dash_t t ON t.trainee_id = a.trainee_id
            """,
            [committee.pk],
        )
        _sql(
            cursor,
            "certificates",
            """
            INSERT INTO lms_certificate (number, serial, holder_name, units,
                issued_on, valid_until, status, created_at, body_id, holder_id,
                scheme_id, decision_id, course_title, kind)
            SELECT 'DASH/' || d.id, 900000 + d.id, u.full_name, '[]'::jsonb,
                i.issued, i.issued + interval '36 months',
                CASE WHEN t.g %% 33 = 0 THEN 'dicabut' ELSE 'aktif' END,
                now(), sc.owner_id, a.trainee_id, a.scheme_id, d.id, '',
                'kompetensi'
            FROM lms_committeedecision d
            JOIN lms_certificationapplication a ON a.id = d.application_id
            JOIN lms_certificationscheme sc ON sc.id = a.scheme_id
            JOIN lms_user u ON u.id = a.trainee_id
            JOIN dash_t t ON t.trainee_id = a.trainee_id
            CROSS JOIN LATERAL (
                SELECT (current_date - (t.g * 37 %% 1095))::date AS issued
            ) i
            """,
        )
        cursor.execute("SET session_replication_role = replica")
        _sql(
            cursor,
            "evidence",
            """
            INSERT INTO lms_evidencerecord (trainee_id, unit_id, element_id,
                criterion_id, kind, category, source_uri, source_title, score,
                score_max, outcome, occurred_at, recorded_at, verified,
                correction_reason, idempotency_key)
            SELECT t.trainee_id, k.unit_id, k.element_id, k.criterion_id, 'direct',
                'assessment', 'https://lms.example/a/' || k.unit_id, 'Observasi',
                (t.g + r) %% 11, 10,
                CASE WHEN (t.g + r) %% 11 >= 6 THEN 'met' ELSE 'not_met' END,
                now() - ((t.g + r) %% 300) * interval '1 day', now(), true, '',
                'd-' || t.trainee_id || '-' || k.criterion_id || '-' || r
            FROM dash_t t
            JOIN lms_certificationscheme sc ON sc.code = 'SKM-DASH-' || (t.s + 1)
            JOIN (
                SELECT su.scheme_id, el.unit_id, el.id AS element_id,
                    pc.id AS criterion_id
                FROM lms_schemeunit su
                JOIN lms_competencyelement el ON el.unit_id = su.unit_id
                JOIN lms_performancecriterion pc ON pc.element_id = el.id
            ) k ON k.scheme_id = sc.id
            CROSS JOIN generate_series(1, %s) r
            """,
            [evidence],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        t0 = time.perf_counter()
        for table in (
            "lms_user",
            "lms_profile",
            "lms_membership",
            "courses_enrolment",
            "courses_coursecompletion",
            "assessments_attempt",
            "lms_competencyrecord",
            "lms_schemecompetence",
            "lms_certificate",
            "lms_evidencerecord",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        print(f"  vacuum analyze: {time.perf_counter() - t0:.1f} s")
    print(f"loaded in {time.perf_counter() - t_start:.1f} s")


def measure(*, runs: int, explain: str = "", profile: str = "", only: str = "") -> int:
    """Time every dashboard view (warm, median of ``runs``) with its query count.

    Besides the whole request, the time its SQL took as the client saw it
    (``db``: the sum of the captured query times) and the slowest query, so time
    spent outside the database (Python, template, charts) shows as the rest.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from courses.models import Cohort
    from lms.models import User
    from tests.factories import totp_enrol

    setup_test_environment()  # the test client's host, and response.context
    with connection.cursor() as cursor:
        for table in (
            "lms_user",
            "courses_enrolment",
            "assessments_attempt",
            "lms_competencyrecord",
            "lms_schemecompetence",
            "lms_certificate",
            "lms_evidencerecord",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")
            print(f"{table}: {cursor.fetchone()[0]:,} rows")

    central = User.objects.get(email="dash.pusat@lms.example")
    admin = User.objects.get(email="dash.r3@lms.example")
    cohort = Cohort.objects.filter(course__centre__code="R3").order_by("id").first()
    views = [
        (central, "national, by centre", "/staf/dasbor/", {}),
        (central, "national, by province", "/staf/dasbor/", {"by": "province"}),
        (central, "national, by scheme", "/staf/dasbor/", {"by": "scheme"}),
        (central, "national, by cohort", "/staf/dasbor/", {"by": "cohort"}),
        (
            central,
            "national, scheme SKM-DASH-2 by province",
            "/staf/dasbor/",
            {"scheme": "SKM-DASH-2", "by": "province"},
        ),
        (
            central,
            "national, province 73 by scheme",
            "/staf/dasbor/",
            {"province": "73", "by": "scheme"},
        ),
        (
            central,
            "national export breakdown.csv",
            "/staf/dasbor/ekspor/breakdown.csv",
            {"by": "province"},
        ),
        (central, "national export funnel.xlsx", "/staf/dasbor/ekspor/funnel.xlsx", {}),
        (admin, "centre R3, by cohort", "/staf/dasbor/", {}),
        (admin, "centre R3, by scheme", "/staf/dasbor/", {"by": "scheme"}),
        (admin, "centre R3, one cohort", "/staf/dasbor/", {"cohort": cohort.pk}),
        (
            central,
            "national, scheme SKM-DASH-1 by centre",
            "/staf/dasbor/",
            {"scheme": "SKM-DASH-1"},
        ),
        (
            admin,
            "centre R3, scheme SKM-DASH-1 by cohort",
            "/staf/dasbor/",
            {"scheme": "SKM-DASH-1"},
        ),
        (
            admin,
            "centre R3 export expiring.csv",
            "/staf/dasbor/ekspor/expiring.csv",
            {},
        ),
    ]
    clients = {}
    for user in (central, admin):
        totp_enrol(user)
        client = Client()
        client.force_login(user)
        clients[user.pk] = client
    worst = 0.0
    print(
        f"\n{'view':45} {'median':>9} {'db':>9} {'slowest q':>10} {'queries':>8}"
        "  (target ≤ 1 s)"
    )
    for user, label, path, params in views:
        if only and only not in label:
            continue
        client = clients[user.pk]
        timings = []
        db_times = []
        slowest = []
        queries = 0
        for run in range(runs + 1):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(path, params)
                if hasattr(response, "streaming_content"):
                    b"".join(response.streaming_content)
                elapsed = time.perf_counter() - t0
            assert response.status_code == 200, (label, response.status_code)
            if run:  # the first run warms caches and is not counted
                timings.append(elapsed)
                queries = len(ctx.captured_queries)
                times = [float(q["time"]) for q in ctx.captured_queries]
                db_times.append(sum(times))
                slowest.append(max(times))
        median = statistics.median(timings)
        worst = max(worst, median)
        print(
            f"{label:45} {median * 1000:7.0f} ms "
            f"{statistics.median(db_times) * 1000:6.0f} ms "
            f"{statistics.median(slowest) * 1000:7.0f} ms {queries:8d}"
        )
        if profile and profile in label:
            _profile(client, path, params)
    figures = clients[central.pk].get("/staf/dasbor/").context["figures"]
    print(f"\nnational funnel: {figures.funnel}")
    print(
        f"certified holders {figures.certified_holders:,} of {figures.target:,}; "
        f"expiring {figures.expiring_total}"
    )
    print(f"slowest view: {worst * 1000:.0f} ms")
    if explain:
        _explain(clients[central.pk], explain)
    return 0


def _profile(client, path: str, params: dict) -> None:
    """One more request under cProfile: the costliest functions (cumulative, own)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    response = client.get(path, params)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(15)


def _explain(client, path: str) -> None:
    """EXPLAIN ANALYZE each heavy query of a few national views into ``path``."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with open(path, "w") as out:
        for params in ({}, {"by": "scheme"}, {"scheme": "SKM-DASH-1"}):
            with CaptureQueriesContext(connection) as ctx:
                client.get("/staf/dasbor/", params)
            for query in ctx.captured_queries:
                sql = query["sql"]
                heavy = "courses_enrolment" in sql or "lms_certificate" in sql
                if not sql.startswith("SELECT") or not heavy:
                    continue
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("SET LOCAL jit = off")
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = [row[0] for row in cursor.fetchall()]
                print(f"{params} {plan[-1].strip()} :: {sql[:90]}")
                out.write(f"-- {params}\n{sql}\n" + "\n".join(plan) + "\n\n")
    print(f"plans written to {path}")


if __name__ == "__main__":
    sys.exit(main())
