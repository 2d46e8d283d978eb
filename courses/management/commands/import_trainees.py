"""`import_trainees PATH --centre CODE [--cohort ID]`: bulk CSV, all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.models import Cohort
from courses.trainee_import import error_report_write, trainee_import
from lms.models import Organisation


class Command(BaseCommand):
    help = (
        "Import trainees from a CSV (nik, full_name, email, phone, regency, "
        "role_type). Every row is checked first; one bad row imports nothing and "
        "a per-row error report is written next to the file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--centre", required=True, help="Centre code, e.g. R3")
        parser.add_argument("--cohort", type=int, help="Cohort id to enrol them in")
        parser.add_argument(
            "--report", type=Path, help="Error report path (default: PATH.errors.csv)"
        )

    def handle(self, *args: object, **options: object) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        centre = Organisation.objects.filter(
            code=options["centre"], kind="centre"
        ).first()
        if centre is None:
            raise CommandError(f"Unknown centre {options['centre']}")
        cohort = None
        if options["cohort"] is not None:
            cohort = (
                Cohort.objects.select_related("course")
                .filter(pk=options["cohort"])
                .first()
            )
            if cohort is None:
                raise CommandError(f"Unknown cohort {options['cohort']}")
        result = trainee_import(
            text=path.read_text(encoding="utf-8-sig"), centre=centre, cohort=cohort
        )
        if not result.ok:
            report = options["report"] or path.with_suffix(".errors.csv")
            error_report_write(result=result, path=report)
            raise CommandError(
                f"{len(result.errors)} row(s) have problems; nothing was imported. "
                f"Report: {report}"
            )
        self.stdout.write(
            f"created={result.created} existing={result.existing} "
            f"enrolled={result.enrolled}"
        )
