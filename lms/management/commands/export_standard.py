"""``manage.py export_standard CODE [--standard-version V] [--output PATH]``.

Writes the standard (the newest version unless ``--standard-version``) as an IMS
CASE 1.0 CFPackage to standard output or to a file; `import_standard` reads it
back.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from lms.standards.selectors import standard_get
from lms.standards.services import standard_export_case


class Command(BaseCommand):
    help = "Export a competency standard as IMS CASE 1.0 JSON (CFPackage)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("code", help="standard code")
        parser.add_argument("--standard-version", dest="standard_version", default=None)
        parser.add_argument("--output", type=Path, default=None)

    def handle(
        self,
        *args: object,
        code: str,
        standard_version: str | None,
        output: Path | None,
        **options: object,
    ) -> None:
        standard = standard_get(code=code, version=standard_version)
        if standard is None:
            raise CommandError(
                _("No standard %(code)s (version %(version)s).")
                % {"code": code, "version": standard_version or _("latest")}
            )
        text = json.dumps(
            standard_export_case(standard=standard), ensure_ascii=False, indent=2
        )
        if output is None:
            self.stdout.write(text)
        else:
            output.write_text(text + "\n", encoding="utf-8")
            self.stdout.write(_("Written to %(path)s") % {"path": output})
