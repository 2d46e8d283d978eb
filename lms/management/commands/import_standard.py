"""``manage.py import_standard PATH [--format csv|case]``: units, elements and KUK.

CSV layout (UTF-8, header row, "," or ";" between cells, one row per KUK):

    standard_code, standard_title, standard_version, standard_source (optional),
    unit_code, unit_version, unit_title, unit_description (optional),
    element_number, element_title, kuk_number, kuk_text

A unit's rows are consecutive; ``kuk_number`` is "<element_number>.<n>". A sample
is in ``fixtures/standards/sample_skkni_pendamping_sosial.csv``. IMS CASE 1.0 JSON
packages (CFDocument, CFItems, CFAssociations with isChildOf) are read too; see
`lms.standards.importing` for the mapping.

All rows are checked first and every problem is printed (each with its row or
item); then nothing is written and the command exits with status 1. Re-importing
the same file changes nothing; a changed unit must come with a new version.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from lms.standards.services import standard_import


class Command(BaseCommand):
    help = (
        "Import a competency standard (units → elements → KUK) from a CSV file "
        "(columns: standard_code, standard_title, standard_version, "
        "[standard_source], unit_code, unit_version, unit_title, "
        "[unit_description], element_number, element_title, kuk_number, kuk_text; "
        "one row per KUK) or an IMS CASE 1.0 JSON package. Nothing is written "
        "unless every row is valid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="CSV or CASE JSON file")
        parser.add_argument(
            "--format",
            choices=["auto", "csv", "case"],
            default="auto",
            help="auto (default) picks case for .json files, csv otherwise",
        )

    def handle(self, *args: object, path: Path, format: str, **options: object) -> None:
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        if format == "auto":
            format = "case" if path.suffix.lower() == ".json" else "csv"
        try:
            result = standard_import(source=path, format=format)
        except ValidationError as exc:
            for message in exc.messages:
                self.stderr.write(f"- {message}")
            raise CommandError(
                _("%(count)d problem(s) found; nothing was imported.")
                % {"count": len(exc.messages)}
            ) from exc
        self.stdout.write(
            _(
                "Standard %(code)s version %(version)s: %(units)d new unit(s), "
                "%(unchanged)d unchanged, %(elements)d element(s), %(kuk)d KUK."
            )
            % {
                "code": result.standard.code,
                "version": result.standard.version,
                "units": result.units_created,
                "unchanged": result.units_unchanged,
                "elements": result.elements_created,
                "kuk": result.criteria_created,
            }
        )
