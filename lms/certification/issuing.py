"""Bulk issuing of certificates as background work, in batches, with progress.

An operator starts an `IssuingRun` (from the admin or `manage.py
issue_certificates`); it records the decisions awaiting a certificate at that
moment and a django-tasks task works through them in batches, one transaction per
certificate. Each certificate's PDF and signed credential are rendered and stored
beside it, so a broken document shows up in the run rather than at download.

Idempotent: the certificate's one-to-one column on the decision is a unique
constraint, so a repeated run, a second worker or a run resumed after a crash
never issues a second certificate for a decision; ``done`` is recounted from the
certificates that exist, not added up, so it stays right after a crash too.
Certificates are committed a batch at a time (one commit per batch is most of
the speed of a bulk run); the serial lock of the body is held for that batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.models import Organisation, Role, User

from .credentials import certificate_credential
from .models import Certificate, CommitteeDecision, IssuingRun, IssuingRunState
from .pdf import certificate_pdf
from .selectors import decision_list_awaiting_certificate
from .services import _has_role, certificate_issue

BATCH_SIZE = 100


def certificate_files_path(certificate: Certificate, extension: str) -> str:
    """Where a certificate's rendered PDF / credential is stored."""
    return f"certificates/{certificate.body.code}/{certificate.serial:08d}.{extension}"


def certificate_files_store(certificate: Certificate) -> None:
    """Render the PDF and the signed credential and store both (overwriting)."""
    pdf = certificate_pdf(certificate)
    credential = json.dumps(certificate_credential(certificate), ensure_ascii=False)
    for extension, content in (("pdf", pdf), ("json", credential.encode())):
        path = certificate_files_path(certificate, extension)
        if default_storage.exists(path):
            default_storage.delete(path)
        default_storage.save(path, ContentFile(content))


@transaction.atomic
def issuing_run_start(
    *, started_by: User, body: Organisation | None = None, enqueue: bool = True
) -> IssuingRun:
    """Start a run over the decisions now awaiting a certificate.

    Refused (nothing written) when the person issues for no certification body,
    or not for ``body``. The run is enqueued after commit unless ``enqueue`` is
    false (the command runs it in its own process then).
    """
    bodies = Organisation.objects.filter(
        memberships__in=started_by.memberships.active().filter(
            role__in=[Role.CERTIFICATION_ADMIN, Role.COMMITTEE]
        )
    ).distinct()
    problems = []
    if not bodies.exists():
        problems.append(_("Only a certification body's administrator can issue."))
    elif body is not None and not bodies.filter(pk=body.pk).exists():
        problems.append(_("Only %(body)s can issue its certificates.") % {"body": body})
    if problems:
        raise ValidationError(problems)
    decisions = decision_list_awaiting_certificate(body=body)
    if body is None:
        decisions = decisions.filter(application__scheme__owner__in=bodies)
    ids = list(decisions.values_list("pk", flat=True))
    run = IssuingRun.objects.create(
        started_by=started_by, body=body, total=len(ids), decision_ids=ids
    )
    if enqueue:
        from .tasks import issuing_run_task

        transaction.on_commit(lambda: issuing_run_task.enqueue(run.pk))
    return run


def _save_progress(run: IssuingRun, ids: list[int], problems: list[dict]) -> None:
    run.done = Certificate.objects.filter(decision_id__in=ids).count()
    run.failed = len(problems)
    run.problems = problems
    run.heartbeat_at = timezone.now()
    IssuingRun.objects.filter(pk=run.pk).update(
        done=run.done,
        failed=run.failed,
        problems=run.problems,
        heartbeat_at=run.heartbeat_at,
        state=run.state,
    )


def issuing_run_execute(
    *,
    run: IssuingRun,
    batch_size: int = BATCH_SIZE,
    store_files: bool = True,
    progress: Callable[[IssuingRun, Certificate | None], None] | None = None,
) -> IssuingRun:
    """Work through a run's decisions in batches; safe to call again on any run.

    A finished run is returned as it is. Otherwise decisions that have a
    certificate are skipped, the rest issued (a refused one is listed with its
    reasons and retried by the next execution), progress is saved after every
    batch, and the run ends done (nothing refused) or failed.
    """
    run = IssuingRun.objects.select_related("started_by").get(pk=run.pk)
    if run.state in (IssuingRunState.DONE, IssuingRunState.FAILED):
        return run
    run.state = IssuingRunState.RUNNING
    ids = [int(i) for i in run.decision_ids]
    problems: list[dict] = []
    _save_progress(run, ids, problems)
    issued = set(
        Certificate.objects.filter(decision_id__in=ids).values_list(
            "decision_id", flat=True
        )
    )
    todo = [i for i in ids if i not in issued]
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        made: list[Certificate] = []
        # One transaction per batch (one commit, not one per certificate); each
        # certificate is a savepoint inside it, so a refused one leaves the rest.
        # A crash loses at most the batch in hand, which the next run redoes.
        with transaction.atomic():
            for decision in CommitteeDecision.objects.filter(pk__in=batch).order_by(
                "pk"
            ):
                try:
                    certificate = certificate_issue(
                        decision=decision, issued_by=run.started_by
                    )
                except ValidationError as exc:
                    problems.append({"decision": decision.pk, "problems": exc.messages})
                    continue
                except IntegrityError:
                    # Another worker issued it between our check and insert:
                    # the unique column refused the twin, and theirs stands.
                    certificate = Certificate.objects.get(decision=decision)
                made.append(certificate)
        # Documents only for what is committed.
        for certificate in made:
            if store_files:
                certificate_files_store(certificate)
            if progress:
                run.done += 1
                progress(run, certificate)
        _save_progress(run, ids, problems)
    run.state = IssuingRunState.FAILED if problems else IssuingRunState.DONE
    run.finished_at = timezone.now()
    _save_progress(run, ids, problems)
    IssuingRun.objects.filter(pk=run.pk).update(finished_at=run.finished_at)
    return run


def issuing_run_may_view(user: User, run: IssuingRun) -> bool:
    """The person who started a run, or an admin of its body, may follow it."""
    if run.started_by_id == user.pk:
        return True
    return run.body is not None and _has_role(user, Role.CERTIFICATION_ADMIN, run.body)
