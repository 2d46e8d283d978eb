"""Builders for standards, schemes and evidence used by the lms tests."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from django.utils import timezone

from lms.evidence.services import evidence_record
from lms.models import CompetencyStandard, CompetencyUnit, User
from lms.standards.importing import CSV_COLUMNS
from lms.standards.services import standard_import

_standard_serial = itertools.count(1)
_key_serial = itertools.count(1)

SAMPLE_CSV = "fixtures/standards/sample_skkni_pendamping_sosial.csv"


def csv_text(rows: list[dict[str, str]]) -> str:
    """A CSV in the import layout from a list of row dicts (missing cells empty)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in CSV_COLUMNS})
    return out.getvalue()


def standard_rows(
    *,
    code: str,
    version: str = "2026",
    units: int = 2,
    elements: int = 2,
    criteria: int = 2,
    unit_prefix: str | None = None,
    unit_version: str = "1",
) -> list[dict[str, str]]:
    """Rows of a synthetic standard: units × elements × criteria KUK."""
    serial = next(_standard_serial)
    prefix = unit_prefix or f"Q.{880000 + serial:06d}"
    rows = []
    for u in range(1, units + 1):
        for e in range(1, elements + 1):
            for k in range(1, criteria + 1):
                rows.append(
                    {
                        "standard_code": code,
                        "standard_title": f"Standar {code}",
                        "standard_version": version,
                        "unit_code": f"{prefix}.{u:03d}.01",
                        "unit_version": unit_version,
                        "unit_title": f"Unit {u}",
                        "unit_description": f"Deskripsi unit {u}",
                        "element_number": str(e),
                        "element_title": f"Elemen {e}",
                        "kuk_number": f"{e}.{k}",
                        "kuk_text": f"Kriteria {e}.{k} unit {u}",
                    }
                )
    return rows


def make_standard(
    *, units: int = 2, elements: int = 2, criteria: int = 2, code: str | None = None
) -> CompetencyStandard:
    """A standard imported through the real CSV path."""
    code = code or f"STD-T{next(_standard_serial)}"
    rows = standard_rows(code=code, units=units, elements=elements, criteria=criteria)
    return standard_import(source=csv_text(rows), format="csv").standard


def record(
    *,
    trainee: User,
    unit: CompetencyUnit,
    outcome: str = "met",
    criterion=None,
    score=None,
    score_max=None,
    verified: bool = True,
    occurred_at: datetime | None = None,
    key: str | None = None,
    **extra: object,
):
    """Record evidence with sensible defaults (direct, assessment, verified)."""
    return evidence_record(
        trainee=trainee,
        unit=unit,
        source_uri=f"https://lms.example/assessments/{unit.pk}/",
        source_title="Observasi praktik",
        kind=extra.pop("kind", "direct"),
        category=extra.pop("category", "assessment"),
        outcome=outcome,
        verified=verified,
        occurred_at=occurred_at or timezone.now() - timedelta(hours=1),
        idempotency_key=key or f"test-{next(_key_serial)}",
        criterion=criterion,
        score=score,
        score_max=score_max,
        **extra,
    )
