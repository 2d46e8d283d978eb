"""`manage.py load_demo`: build the demo world (idempotent; never in production)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cms.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = (
        "Load the demo organisations, site and accounts, and every centre's course, "
        "cohort and trainees at each stage (safe to run again)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when DEBUG is off (for test and staging servers only).",
        )
        parser.add_argument(
            "--accounts-only",
            action="store_true",
            help="Only organisations, the site and the accounts (the test suite's "
            "starting point); no courses, cohorts or trainees at each stage.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to load demo accounts with DEBUG off; pass --force on a "
                "server that is not production."
            )
        with transaction.atomic():
            created = load_demo(
                accounts_only=options["accounts_only"],
                log=lambda message: self.stdout.write(self.style.WARNING(message)),
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {created['organisations']} organisations, "
                f"{created['accounts']} accounts and {created['centres']} centres' "
                f"courses created. Password: {DEMO_PASSWORD}"
            )
        )
