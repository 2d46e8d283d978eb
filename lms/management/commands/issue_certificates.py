"""Issue the certificates of every K decision that has none yet, as an issuing run."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms.certification.issuing import BATCH_SIZE, issuing_run_execute, issuing_run_start
from lms.certification.models import Certificate, IssuingRun, IssuingRunState
from lms.models import Organisation, User


class Command(BaseCommand):
    help = (
        "Issue a certificate (with its PDF and signed credential) for every current "
        "K decision without one, as an issuing run worked through in batches. Safe "
        "to repeat or resume (--run ID): a decision never gets a second "
        "certificate. Decisions that cannot be issued are reported with their "
        "reasons; exit 1 if any. --background hands the run to the task worker."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--by", help="E-mail of the LSP administrator issuing (new runs)."
        )
        parser.add_argument("--body", help="Only this certification body (code).")
        parser.add_argument(
            "--run", type=int, help="Resume (or show) this issuing run instead."
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="Enqueue the run for the task worker and return at once.",
        )
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument(
            "--parts",
            type=int,
            default=None,
            help="With --background: split the run into this many worker tasks "
            "(default LMS_ISSUING_PARTS, 2); run that many `db_worker`s.",
        )
        parser.add_argument(
            "--no-files",
            action="store_true",
            help="Do not render and store the PDF and credential files.",
        )

    def _new_run(self, options: dict) -> IssuingRun:
        if not options["by"]:
            raise CommandError("Give --by EMAIL (or --run ID to resume a run).")
        issuer = User.objects.filter(email__iexact=str(options["by"])).first()
        if issuer is None:
            raise CommandError(f"No user {options['by']}.")
        body = None
        if options["body"]:
            body = Organisation.objects.filter(code=options["body"]).first()
            if body is None:
                raise CommandError(f"No organisation {options['body']}.")
        try:
            return issuing_run_start(
                started_by=issuer,
                body=body,
                enqueue=bool(options["background"]),
                parts=options["parts"],
            )
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc

    def handle(self, *args: object, **options: object) -> None:
        if options["run"]:
            run = IssuingRun.objects.filter(pk=options["run"]).first()
            if run is None:
                raise CommandError(f"No issuing run {options['run']}.")
        else:
            run = self._new_run(options)
        self.stdout.write(
            f"Run {run.pk}: {run.total} decision(s) awaiting a certificate."
        )
        if options["background"]:
            self.stdout.write(f"Enqueued; follow it with --run {run.pk}.")
            return

        def progress(current: IssuingRun, certificate: Certificate | None) -> None:
            self.stdout.write(f"[{current.done}/{current.total}] {certificate.number}")

        run = issuing_run_execute(
            run=run,
            batch_size=int(options["batch_size"]),
            store_files=not options["no_files"],
            progress=progress,
        )
        self.stdout.write(
            f"Run {run.pk} {run.get_state_display().lower()}: issued {run.done} "
            f"of {run.total}, refused {run.failed}."
        )
        self.stdout.write(f"Issued {run.done}, refused {run.failed}.")
        if run.state == IssuingRunState.FAILED:
            raise CommandError(
                "\n".join(
                    f"decision {p['decision']}: {'; '.join(p['problems'])}"
                    for p in run.problems
                )
            )
