"""Print (or write) the signed Open Badges 3.0 credential of a certificate."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms.certification.credentials import certificate_credential
from lms.certification.selectors import certificate_get_public


class Command(BaseCommand):
    help = "Export the signed Open Badges 3.0 credential of certificate NUMBER."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number", help="The certificate number.")
        parser.add_argument(
            "--output", "-o", help="Write the JSON to this file instead of stdout."
        )

    def handle(self, *args: object, **options: object) -> None:
        certificate = certificate_get_public(number=str(options["number"]))
        if certificate is None:
            raise CommandError(f"No certificate numbered {options['number']}.")
        text = json.dumps(
            certificate_credential(certificate), indent=2, ensure_ascii=False
        )
        if options["output"]:
            Path(str(options["output"])).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"Written {options['output']}")
        else:
            self.stdout.write(text)
