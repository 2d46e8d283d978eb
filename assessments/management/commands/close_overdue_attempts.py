"""Close open attempts past their deadline and grace (run it every minute or so)."""

from django.core.management.base import BaseCommand

from assessments.services import attempts_close_overdue


class Command(BaseCommand):
    help = "Close attempts past their deadline with the answers saved in time."

    def handle(self, *args, **options) -> None:
        closed = attempts_close_overdue()
        self.stdout.write(f"{closed}")
