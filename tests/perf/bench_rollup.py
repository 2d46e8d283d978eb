"""Benchmark: full competency roll-up on PostgreSQL (issue 6).

Target: 32,000 trainees × 50 units from 6.4 million evidence rows in ≤ 30 s.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_bench \\
        .venv/bin/python tests/perf/bench_rollup.py [--scale 0.1] [--method all]

It creates a *separate* database (``test_<name>`` through Django's test-database
machinery, migrated from scratch), fills it, measures, and drops it again unless
``--keep``. Nothing is written to the database DATABASE_URL names.

Data: one standard of 50 units × 2 elements × 2 KUK imported through
`standard_import`; ``32,000 × scale`` trainees; for every trainee and unit one
row per KUK (200 rows per trainee, ~85 % met, ~95 % verified, dates spread over
300 days). Rows are generated inside PostgreSQL with ``INSERT … SELECT`` over
``generate_series`` (set-based, no rows travel through Python); foreign-key
triggers are off while loading (``session_replication_role = replica``) because
the generated keys are known to be valid. Five schemes of ten units each, so
the roll-up also maintains the derived trainee-scheme verdicts
(`SchemeCompetence`, issue 7); their rebuild is also timed on its own.

Measured: `competency_recompute()` over everything (the timed part), then one
incremental `evidence_record` call.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")

METHOD_PARAMS = {
    "all_criteria_met": {},
    "points_threshold": {"threshold": 30},
    "latest": {},
    "highest": {"pass_ratio": 0.8},
    "n_times": {"n": 3},
    "decaying_average": {"decay": 0.7},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="share of 32,000")
    parser.add_argument(
        "--method",
        default="all_criteria_met",
        help="roll-up method of every unit, or 'mixed' (the six in turn)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse a database kept by --keep (skip loading; implies --keep)",
    )
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgis")):
        print("Set DATABASE_URL to a PostgreSQL server; this benchmark needs it.")
        return 2

    import django

    django.setup()
    from django.db import connection

    from lms.models import CompetencyUnit, Organisation, OrganisationKind
    from lms.standards.importing import CSV_COLUMNS
    from lms.standards.services import scheme_create, standard_import

    trainees = int(32_000 * args.scale)
    started = time.perf_counter()
    args.keep = args.keep or args.reuse
    test_db = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, keepdb=args.reuse, serialize=False
    )
    print(f"database {test_db} migrated in {time.perf_counter() - started:.1f} s")
    try:
        if args.reuse and CompetencyUnit.objects.filter(standard__code="BENCH"):
            return measure(
                args, CompetencyUnit.objects.get(code="Q.990000.001.01").standard
            )
        import csv
        import io

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for u in range(1, 51):
            for e in (1, 2):
                for k in (1, 2):
                    writer.writerow(
                        [
                            "BENCH",
                            "Standar uji",
                            "1",
                            "",
                            f"Q.990000.{u:03d}.01",
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
        # Five schemes of ten units: the roll-up also keeps SchemeCompetence.
        owner = Organisation.objects.filter(
            kind=OrganisationKind.CERTIFICATION_BODY
        ).first()
        units = list(CompetencyUnit.objects.filter(standard=standard).order_by("code"))
        for n in range(5) if owner else ():
            scheme_create(
                code=f"SKM-BENCH-{n + 1}",
                title=f"Skema uji {n + 1}",
                scheme_type="okupasi",
                owner=owner,
                units=units[n * 10 : (n + 1) * 10],
            )
        methods = list(METHOD_PARAMS) if args.method == "mixed" else [args.method]
        for i, unit in enumerate(CompetencyUnit.objects.filter(standard=standard)):
            method = methods[i % len(methods)]
            CompetencyUnit.objects.filter(pk=unit.pk).update(
                rollup_method=method, rollup_params=METHOD_PARAMS[method]
            )

        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO lms_user (password, is_superuser, email, full_name,
                    title_prefix, title_suffix, time_zone, language, is_staff,
                    is_active, date_joined)
                SELECT '!', false, 'bench' || g || '@lms.example', 'Peserta ' || g,
                    '', '', 'Asia/Jakarta', 'id', false, true, now()
                FROM generate_series(1, %s) g
                """,
                [trainees],
            )
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(
                """
                INSERT INTO lms_evidencerecord (trainee_id, unit_id, element_id,
                    criterion_id, kind, category, source_uri, source_title, score,
                    score_max, outcome, occurred_at, recorded_at, verified,
                    correction_reason, idempotency_key)
                SELECT t.id, k.unit_id, k.element_id, k.criterion_id, 'direct',
                    'assessment', 'https://lms.example/a/' || k.unit_id, 'Observasi',
                    s.score, 10,
                    CASE WHEN s.score >= 6 THEN 'met' ELSE 'not_met' END,
                    now() - (random() * interval '300 days'), now(),
                    random() < 0.95, '', 'b-' || t.id || '-' || k.criterion_id
                FROM (SELECT id FROM lms_user WHERE email LIKE 'bench%') t
                CROSS JOIN (
                    SELECT el.unit_id, el.id AS element_id, pc.id AS criterion_id
                    FROM lms_performancecriterion pc
                    JOIN lms_competencyelement el ON el.id = pc.element_id
                ) k
                CROSS JOIN LATERAL (
                    SELECT floor(random() * 11 + (t.id % 3)) AS score
                ) s0
                CROSS JOIN LATERAL (SELECT LEAST(s0.score, 10) AS score) s
                """,
                None,  # no parameters: the % above are SQL, not placeholders
            )
            cursor.execute("SET session_replication_role = DEFAULT")
            cursor.execute("ANALYZE lms_evidencerecord")
            cursor.execute("SELECT count(*) FROM lms_evidencerecord")
            rows = cursor.fetchone()[0]
        print(
            f"loaded {trainees:,} trainees, {rows:,} evidence rows "
            f"in {time.perf_counter() - t0:.1f} s"
        )

        return measure(args, standard)
    finally:
        if not args.keep:
            connection.creation.destroy_test_db(test_db, verbosity=0)


def measure(args: argparse.Namespace, standard: object) -> int:
    """Time a full recompute from empty, a re-run, and one incremental update."""
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from lms.evidence.services import evidence_record
    from lms.models import CompetencyRecord, CompetencyUnit, SchemeCompetence, User
    from lms.records.services import competency_recompute, scheme_competence_refresh

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE lms_competencyrecord, lms_schemecompetence")
        cursor.execute("SELECT count(*) FROM lms_evidencerecord")
        rows = cursor.fetchone()[0]
    print(f"{rows:,} evidence rows; competency records emptied")
    t0 = time.perf_counter()
    competency_recompute()
    full = time.perf_counter() - t0
    records = CompetencyRecord.objects.count()
    by_outcome = dict(
        CompetencyRecord.objects.values_list("outcome")
        .order_by("outcome")
        .annotate(n=Count("id"))
    )
    print(
        f"full recompute ({args.method}): {records:,} records "
        f"{by_outcome} in {full:.1f} s (target ≤ 30 s at scale 1)"
    )
    # The derived trainee-scheme verdicts are part of the time above; alone:
    t0 = time.perf_counter()
    scheme_competence_refresh()
    print(
        f"  of which SchemeCompetence ({SchemeCompetence.objects.count():,} "
        f"verdicts, 5 schemes) rebuilt alone: {time.perf_counter() - t0:.2f} s"
    )

    trainee = User.objects.filter(email__startswith="bench").first()
    unit = CompetencyUnit.objects.filter(standard=standard).first()
    t0 = time.perf_counter()
    evidence_record(
        trainee=trainee,
        unit=unit,
        source_uri="https://lms.example/a/x",
        source_title="Observasi",
        kind="direct",
        category="assessment",
        outcome="met",
        verified=True,
        occurred_at=timezone.now(),
        idempotency_key=f"bench-incremental-{time.time()}",
    )
    print(
        f"one evidence_record + incremental roll-up: "
        f"{(time.perf_counter() - t0) * 1000:.1f} ms"
    )
    t0 = time.perf_counter()
    competency_recompute()
    print(
        "full recompute again (records present, one pair changed): "
        f"{time.perf_counter() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
