"""Export a question bank's current questions as GIFT or Moodle XML."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from assessments.models import QuestionBank
from assessments.questions.importing import question_bank_export


class Command(BaseCommand):
    help = "Write the current version of every question in a bank to a file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bank", type=int, required=True, help="bank id")
        parser.add_argument("--format", choices=["gift", "moodle_xml"], required=True)
        parser.add_argument("-o", "--output", type=Path, help="file (default stdout)")

    def handle(self, *args, **options) -> None:
        try:
            bank = QuestionBank.objects.get(pk=options["bank"])
        except QuestionBank.DoesNotExist:
            raise CommandError(f"No question bank with id {options['bank']}.") from None
        data = question_bank_export(bank=bank, fmt=options["format"])
        if options["output"]:
            options["output"].write_bytes(data)
        else:
            self.stdout.write(data.decode(), ending="")
