"""``manage.py recompute_records [--unit CODE ...] [--trainee EMAIL ...]``.

Re-derives competency records from the evidence log, set-based (the same
`competency_recompute` the incremental updates use), and with them the derived
trainee-scheme verdicts (`SchemeCompetence`) the dashboards read. Run after a
change to a unit's roll-up method or recency limit, after records were loaded by
other means, or to prove records and evidence agree.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from lms.models import CompetencyRecord, CompetencyUnit, SchemeCompetence, User
from lms.records.services import competency_recompute


class Command(BaseCommand):
    help = "Recompute competency records from the evidence log (set-based)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", action="append", default=[], help="unit code")
        parser.add_argument(
            "--trainee", action="append", default=[], help="trainee e-mail"
        )

    def handle(self, *args: object, **options: object) -> None:
        units = trainees = None
        problems = []
        if options["unit"]:
            units = list(CompetencyUnit.objects.filter(code__in=options["unit"]))
            missing = set(options["unit"]) - {u.code for u in units}
            problems += [_("Unknown unit: %(code)s") % {"code": c} for c in missing]
        if options["trainee"]:
            wanted = {e.lower() for e in options["trainee"]}
            trainees = list(User.objects.filter(email__in=wanted))
            missing = wanted - {u.email.lower() for u in trainees}
            problems += [
                _("Unknown trainee: %(email)s") % {"email": e} for e in missing
            ]
        if problems:
            raise CommandError("\n".join(sorted(problems)))
        started = time.perf_counter()
        competency_recompute(trainees=trainees, units=units)
        self.stdout.write(
            _("%(count)d competency records in %(seconds).1f s.")
            % {
                "count": CompetencyRecord.objects.count(),
                "seconds": time.perf_counter() - started,
            }
        )
        self.stdout.write(
            _("%(count)d trainee-scheme competence verdicts.")
            % {"count": SchemeCompetence.objects.count()}
        )
