"""Background work of certification (django-tasks): upkeep and bulk issuing.

`certificate_upkeep_task` is meant to run once a day: enqueue it from the
scheduler, or run `manage.py send_certificate_reminders` from cron, which does the
same work in the foreground. Both are safe to run twice or at the same time.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from .issuing import issuing_run_execute
from .models import IssuingRun
from .reminders import certificate_upkeep


@task()
def certificate_upkeep_task(today: str | None = None) -> dict[str, int]:
    """Expire certificates past their date and send due reminders (counts back)."""
    day = dt.date.fromisoformat(today) if today else None
    return certificate_upkeep(today=day).as_dict()


@task()
def issuing_run_task(run_id: int, part: int = 0, parts: int = 1) -> str:
    """Execute (or resume) one part of an issuing run (the whole run by default);
    returns the run's progress ``done/total`` as this part leaves it."""
    run = IssuingRun.objects.filter(pk=run_id).first()
    if run is None:
        return "missing"
    run = issuing_run_execute(run=run, part=part, parts=parts)
    return run.progress
