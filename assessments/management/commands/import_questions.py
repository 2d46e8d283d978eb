"""Import a GIFT or Moodle XML question file into a bank, all or nothing."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from assessments.models import QuestionBank
from assessments.questions.importing import question_bank_import

EXTENSIONS = {".gift": "gift", ".txt": "gift", ".xml": "moodle_xml"}


class Command(BaseCommand):
    help = (
        "Import questions from a GIFT (.gift/.txt) or Moodle XML (.xml) file into "
        "a question bank. Exits non-zero with every problem when one is found."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--bank", type=int, required=True, help="bank id")
        parser.add_argument("--format", choices=["gift", "moodle_xml"], default=None)

    def handle(self, *args, **options) -> None:
        path: Path = options["path"]
        fmt = options["format"] or EXTENSIONS.get(path.suffix.lower())
        if fmt is None:
            raise CommandError(
                f"Cannot tell the format of {path.name}; pass --format gift or "
                "--format moodle_xml."
            )
        try:
            bank = QuestionBank.objects.get(pk=options["bank"])
        except QuestionBank.DoesNotExist:
            raise CommandError(f"No question bank with id {options['bank']}.") from None
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        try:
            report = question_bank_import(
                bank=bank, fmt=fmt, data=data, imported_by=None
            )
        except ValidationError as error:
            for message in error.messages:
                self.stderr.write(message)
            raise CommandError(
                f"Nothing was imported: {len(error.messages)} problem(s)."
            ) from None
        self.stdout.write(
            f"created {report.created}, new versions {report.new_versions}, "
            f"unchanged {report.unchanged}, new tags {report.tags_created}"
        )
