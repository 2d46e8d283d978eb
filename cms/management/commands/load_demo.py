"""`manage.py load_demo`: build the demo world (idempotent; never in production)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cms.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the demo organisations, site and accounts (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when DEBUG is off (for test and staging servers only).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to load demo accounts with DEBUG off; pass --force on a "
                "server that is not production."
            )
        with transaction.atomic():
            created = load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {created['organisations']} organisations and "
                f"{created['accounts']} accounts created. Password: {DEMO_PASSWORD}"
            )
        )
