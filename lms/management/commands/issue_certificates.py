"""Issue the certificates of every K decision that has none yet."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lms.certification.selectors import decision_list_awaiting_certificate
from lms.certification.services import certificate_issue
from lms.models import Organisation, User


class Command(BaseCommand):
    help = (
        "Issue a certificate for every current K decision without one. Safe to "
        "repeat or resume: a decision never gets a second certificate. Decisions "
        "that cannot be issued are reported with their reasons; exit 1 if any."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--by", required=True, help="E-mail of the LSP administrator issuing."
        )
        parser.add_argument("--body", help="Only this certification body (code).")

    def handle(self, *args: object, **options: object) -> None:
        issuer = User.objects.filter(email__iexact=str(options["by"])).first()
        if issuer is None:
            raise CommandError(f"No user {options['by']}.")
        body = None
        if options["body"]:
            body = Organisation.objects.filter(code=options["body"]).first()
            if body is None:
                raise CommandError(f"No organisation {options['body']}.")
        ids = list(
            decision_list_awaiting_certificate(body=body).values_list("pk", flat=True)
        )
        total, issued, refused = len(ids), 0, []
        self.stdout.write(f"{total} decision(s) awaiting a certificate.")
        for done, decision in enumerate(
            decision_list_awaiting_certificate(body=body).filter(pk__in=ids).iterator(),
            start=1,
        ):
            # One transaction per certificate: a failure later in the run keeps
            # what was issued, and a rerun picks up only what is left.
            try:
                certificate = certificate_issue(decision=decision, issued_by=issuer)
            except ValidationError as exc:
                refused.append(f"decision {decision.pk}: {'; '.join(exc.messages)}")
            else:
                issued += 1
                self.stdout.write(f"[{done}/{total}] {certificate.number}")
        self.stdout.write(f"Issued {issued}, refused {len(refused)}.")
        if refused:
            raise CommandError("\n".join(refused))
