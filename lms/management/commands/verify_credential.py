"""Check a credential file: signature, issuer key, validity dates, current status."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms.certification.credentials import credential_verify


class Command(BaseCommand):
    help = (
        "Verify an Open Badges 3.0 credential file. Exit 0 when signature, issuer "
        "key, validity dates and current status all hold; otherwise exit 1 naming "
        "every failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The credential JSON file.")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["path"]))
        try:
            document = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"Cannot read {path} as JSON: {exc}") from None
        problems = credential_verify(document)
        if problems:
            raise CommandError("; ".join(str(p) for p in problems))
        self.stdout.write(f"Valid: {document.get('id')}")
