"""Daily certificate upkeep for cron: expire, then send due expiry reminders."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms.certification.reminders import certificate_upkeep


class Command(BaseCommand):
    help = (
        "Mark certificates past their valid-until date as kedaluwarsa (with a "
        "status-change row) and send the reminders due 90/60/30/7 days before "
        "expiry to holders and their centre's admins. Safe to run twice or at the "
        "same time: each reminder goes out once. --enqueue hands the work to the "
        "task worker instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", help="Run as if today were this date (YYYY-MM-DD)."
        )
        parser.add_argument(
            "--enqueue", action="store_true", help="Enqueue the background task."
        )

    def handle(self, *args: object, **options: object) -> None:
        day = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(str(options["date"]))
            except ValueError as exc:
                raise CommandError(f"Not a date: {options['date']}") from exc
        if options["enqueue"]:
            from lms.certification.tasks import certificate_upkeep_task

            result = certificate_upkeep_task.enqueue(day.isoformat() if day else None)
            self.stdout.write(f"Enqueued task {result.id}.")
            return
        report = certificate_upkeep(today=day)
        self.stdout.write(
            f"Expired {report.expired}; reminders sent {report.reminders_sent}, "
            f"failed {report.reminders_failed}, already sent by another run "
            f"{report.already_claimed}."
        )
        if report.reminders_failed:
            raise CommandError(f"{report.reminders_failed} reminder(s) failed.")
