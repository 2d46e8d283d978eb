"""Benchmark: `trainee_import` of 32,000 rows (target: under 10 s).

Run with `.venv/bin/python tests/perf/bench_import_trainees.py [ROWS]`; set
`DATABASE_URL` for PostgreSQL. It builds a throw-away test database like the
test runner does, loads the demo world, times the NIK hashing/encryption alone
(the per-row CPU work), then the whole import, then the re-run (which must
change nothing), and drops the database.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def sample_csv(rows: int) -> str:
    """Shape-valid, unique rows: NIK 34 01 01 DD 08 90 SSSS (DD moves per 10,000)."""
    lines = ["nik,full_name,email,phone,regency,role_type"]
    for i in range(rows):
        nik = f"340101{10 + i // 10000:02d}0890{i % 10000:04d}"
        lines.append(
            f"{nik},Peserta Bench {i},bench{i}@bench.lms.example,"
            f"0812{i:08d},Sleman,pendamping_pkh"
        )
    return "\n".join(lines) + "\n"


def main(rows: int) -> None:
    from courses.trainee_import import trainee_import
    from lms.models import Organisation
    from lms.nik import nik_cipher, nik_hash

    creation = connection.creation
    old_name = connection.settings_dict["NAME"]
    creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        call_command("load_demo", "--force", "--accounts-only", verbosity=0)
        centre = Organisation.objects.get(code="R3")
        text = sample_csv(rows)
        niks = [line.split(",")[0] for line in text.splitlines()[1:]]
        assert len(set(niks)) == rows, "sample NIKs must be unique"

        cipher = nik_cipher()
        started = time.perf_counter()
        for nik in niks:
            nik_hash(nik)
            cipher.encrypt(nik)
        crypto = time.perf_counter() - started

        # Under DEBUG the demo load fills the query log to its cap, which would
        # make the count below read 0; start from an empty log.
        connection.queries_log.clear()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            result = trainee_import(text=text, centre=centre)
        first = time.perf_counter() - started
        assert result.ok, list(result.errors.items())[:3]

        started = time.perf_counter()
        again = trainee_import(text=text, centre=centre)
        second = time.perf_counter() - started
        assert again.ok and again.created == 0 and again.existing == rows

        print(f"database: {connection.vendor}")
        print(f"load average at the end: {os.getloadavg()}")
        print(f"rows: {rows}")
        print(f"NIK hash + encrypt only: {crypto:.2f} s")
        print(
            f"import: {first:.2f} s ({rows / first:,.0f} rows/s, "
            f"{len(queries.captured_queries)} queries; COPY is not logged), "
            f"created {result.created}"
        )
        print(f"re-run (no changes): {second:.2f} s")
        print(f"target < 10 s: {'met' if first < 10 else 'NOT met'}")
    finally:
        creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 32_000)
