"""Bulk issuing of certificates as background work, in batches, with progress.

An operator starts an `IssuingRun` (from the admin or `manage.py
issue_certificates`); it records the decisions awaiting a certificate at that
moment and a django-tasks task works through them in batches. A batch is
issued set-based by `certificate_issue_batch`: its decisions are locked and
their facts (schemes' units, recommendations, competency records, appeals, the
issuer's roles) read in a constant number of queries, the serials of the whole
batch taken with one ``UPDATE … RETURNING``, and the certificates and their
first history rows inserted with ``bulk_create``. Each certificate's PDF and
signed credential are then rendered and stored beside it, so a broken document
shows up in the run rather than at download.

Idempotent: the certificate's one-to-one column on the decision is a unique
constraint, so a repeated run, a second worker or a run resumed after a crash
never issues a second certificate for a decision; ``done`` is recounted from the
certificates that exist when a part starts and when it ends (only a recount
finishes a run), so it stays right after a crash too; between, each batch adds
its certificates, since a recount over 32,000 decisions after every batch cost
more than the batch itself.
A run can be split over several workers (``parts``): each part is its own task
over its own slice of the decisions, and the run's counts are recounted from
the certificates whichever part saves progress.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.models import CompetencyRecord, Membership, Organisation, Role, User
from lms.standards.models import SchemeUnit

from .credentials import certificate_credential
from .models import (
    Appeal,
    AppealOutcome,
    ApplicationPurpose,
    AssessorRecommendation,
    Certificate,
    CertificateStatusChange,
    CertificationApplication,
    CommitteeDecision,
    IssuingRun,
    IssuingRunState,
)
from .pdf import certificate_pdf
from .selectors import decision_list_awaiting_certificate
from .services import (
    _certificate_issued_change,
    _certificate_new,
    _certificate_problems,
    _has_role,
    _next_serial,
    certificate_issue,
)

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
def certificate_issue_batch(
    *,
    decision_ids: list[int],
    issued_by: User,
    issued_on: dt.date | None = None,
) -> tuple[list[Certificate], list[dict]]:
    """Issue the certificates of a batch of decisions, set-based; idempotent.

    The same rules as `certificate_issue`, for many decisions at once with a
    constant number of queries whatever the batch size. Returns the batch's
    certificates (new ones and those issued before, in decision order) and one
    ``{"decision": id, "problems": [...]}`` per refused decision; a refused
    decision does not hold back the others. Decisions are locked first, so two
    workers given the same decisions issue each once; should an insert still
    collide (the unique decision column refuses a twin), the batch falls back to
    `certificate_issue` one decision at a time, which returns the first one.
    """
    decisions = list(
        CommitteeDecision.objects.select_for_update(of=("self",))
        .select_related("application__scheme__owner", "application__trainee")
        .filter(pk__in=decision_ids)
        .order_by("pk")
    )
    existing = {
        c.decision_id: c
        for c in Certificate.objects.filter(
            decision_id__in=[d.pk for d in decisions]
        ).select_related("body", "scheme")
    }
    todo = [d for d in decisions if d.pk not in existing]
    if not todo:
        return [existing[d.pk] for d in decisions], []
    applications = [d.application for d in todo]
    scheme_ids = {a.scheme_id for a in applications}
    units: dict[int, list] = {i: [] for i in scheme_ids}
    for row in (
        SchemeUnit.objects.filter(scheme_id__in=scheme_ids)
        .select_related("unit")
        .order_by("scheme_id", "position")
    ):
        units[row.scheme_id].append(row.unit)
    unit_ids = {u.pk for rows in units.values() for u in rows}
    carried: dict[int, set[int]] = {}
    recertifications = [
        a.pk for a in applications if a.purpose == ApplicationPurpose.RECERTIFICATION
    ]
    if recertifications:
        for app_id, unit_id in CertificationApplication.objects.filter(
            pk__in=recertifications, carried_over_units__isnull=False
        ).values_list("pk", "carried_over_units"):
            carried.setdefault(app_id, set()).add(unit_id)
    recommended: dict[int, dict[int, str]] = {}
    for app_id, unit_id, outcome in (
        AssessorRecommendation.objects.current()
        .filter(application_id__in=[a.pk for a in applications])
        .values_list("application_id", "unit_id", "outcome")
    ):
        recommended.setdefault(app_id, {})[unit_id] = outcome
    records: dict[int, dict[int, str]] = {}
    for trainee_id, unit_id, outcome in CompetencyRecord.objects.filter(
        trainee_id__in={a.trainee_id for a in applications}, unit_id__in=unit_ids
    ).values_list("trainee_id", "unit_id", "outcome"):
        records.setdefault(trainee_id, {})[unit_id] = outcome
    appealed = set(
        Appeal.objects.filter(
            decision_id__in=[d.pk for d in todo], outcome=AppealOutcome.PENDING
        ).values_list("decision_id", flat=True)
    )
    issuing_bodies = set(
        Membership.objects.active()
        .filter(user=issued_by, role__in=[Role.CERTIFICATION_ADMIN, Role.COMMITTEE])
        .values_list("organisation_id", flat=True)
    )
    problems: list[dict] = []
    ready: list[CommitteeDecision] = []
    for decision in todo:
        application = decision.application
        found = _certificate_problems(
            decision=decision,
            units=units[application.scheme_id],
            carried=carried.get(application.pk, set()),
            recommended=recommended.get(application.pk, {}),
            records=records.get(application.trainee_id, {}),
            appeal_pending=decision.pk in appealed,
            may_issue=application.scheme.owner_id in issuing_bodies,
        )
        if found:
            problems.append({"decision": decision.pk, "problems": found})
        else:
            ready.append(decision)
    issued_on = issued_on or timezone.localdate()
    by_body: dict[int, list[CommitteeDecision]] = {}
    for decision in ready:
        by_body.setdefault(decision.application.scheme.owner_id, []).append(decision)
    made: list[Certificate] = []
    try:
        # A savepoint: a collision undoes the serials taken with the rows.
        with transaction.atomic():
            for group in by_body.values():
                first = _next_serial(
                    group[0].application.scheme.owner, count=len(group)
                )
                made.extend(
                    _certificate_new(
                        decision=decision,
                        units=units[decision.application.scheme_id],
                        serial=first + offset,
                        issued_on=issued_on,
                    )
                    for offset, decision in enumerate(group)
                )
            Certificate.objects.bulk_create(made, batch_size=1000)
            CertificateStatusChange.objects.bulk_create(
                [_certificate_issued_change(c, issued_by) for c in made],
                batch_size=1000,
            )
    except IntegrityError:
        made = []
        for decision in ready:
            try:
                made.append(certificate_issue(decision=decision, issued_by=issued_by))
            except ValidationError as exc:
                problems.append({"decision": decision.pk, "problems": exc.messages})
    issued = {c.decision_id: c for c in made} | existing
    return [issued[d.pk] for d in decisions if d.pk in issued], problems


def issuing_parts() -> int:
    """How many worker tasks a new run is split into (LMS_ISSUING_PARTS, 2).

    Rendering the documents is CPU work, so a run goes about twice as fast on
    two task workers (``manage.py db_worker`` twice) on a 2-core server; with
    one worker the parts simply run one after the other.
    """
    return max(1, int(getattr(settings, "LMS_ISSUING_PARTS", 2)))


@transaction.atomic
def issuing_run_start(
    *,
    started_by: User,
    body: Organisation | None = None,
    enqueue: bool = True,
    parts: int | None = None,
) -> IssuingRun:
    """Start a run over the decisions now awaiting a certificate.

    Refused (nothing written) when the person issues for no certification body,
    or not for ``body``. After commit the run is enqueued as ``parts`` tasks
    (default `issuing_parts`), each over its own slice of the decisions, unless
    ``enqueue`` is false (the command runs it in its own process then).
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

        count = parts or issuing_parts()

        def enqueue_parts() -> None:
            for part in range(count):
                issuing_run_task.enqueue(run.pk, part=part, parts=count)

        transaction.on_commit(enqueue_parts)
    return run


def _save_progress(
    run: IssuingRun, ids: list[int], mine: set[int], problems: list[dict]
) -> None:
    """Recount the run and merge this part's refusals into it (row locked).

    Counts come from the certificates that exist, so parts working at the same
    time, or a part resumed after a crash, never double-count. The run ends
    when every decision is issued or refused: done if none was refused. The
    count reads every decision of the run (32,000 at most, about half a second
    then), so it runs when a part starts and ends, not after every batch.
    """
    with transaction.atomic():
        current = (
            IssuingRun.objects.select_for_update().only("pk", "problems").get(pk=run.pk)
        )
        merged = [p for p in current.problems if p["decision"] not in mine]
        merged += problems
        run.done = Certificate.objects.filter(decision_id__in=ids).count()
        _save_counts(run, merged)


def _save_batch_progress(
    run: IssuingRun, added: int, mine: set[int], problems: list[dict]
) -> None:
    """After a batch: add its certificates to the count (row locked), merge
    this part's refusals. ``added`` counts certificates for decisions that had
    none when the part started, so only a second worker on the same part at
    the same time could count one twice; the recount when a part ends puts
    that right, and the run is never declared finished on such a count."""
    with transaction.atomic():
        current = (
            IssuingRun.objects.select_for_update()
            .only("pk", "problems", "done", "total")
            .get(pk=run.pk)
        )
        merged = [p for p in current.problems if p["decision"] not in mine]
        merged += problems
        # Leave one short of the end: only a recount may finish the run.
        run.done = min(current.done + added, max(current.total - len(merged) - 1, 0))
        _save_counts(run, merged, finish=False)


def _save_counts(run: IssuingRun, merged: list[dict], *, finish: bool = True) -> None:
    run.failed = len(merged)
    run.problems = merged
    run.heartbeat_at = timezone.now()
    if finish and run.done + run.failed >= run.total:
        run.state = IssuingRunState.FAILED if merged else IssuingRunState.DONE
        run.finished_at = run.finished_at or timezone.now()
    IssuingRun.objects.filter(pk=run.pk).update(
        done=run.done,
        failed=run.failed,
        problems=run.problems,
        heartbeat_at=run.heartbeat_at,
        state=run.state,
        finished_at=run.finished_at,
    )


def issuing_run_execute(
    *,
    run: IssuingRun,
    batch_size: int = BATCH_SIZE,
    store_files: bool = True,
    progress: Callable[[IssuingRun, Certificate | None], None] | None = None,
    part: int = 0,
    parts: int = 1,
) -> IssuingRun:
    """Work through a run's decisions in batches; safe to call again on any run.

    ``part``/``parts`` pick this worker's slice (every ``parts``-th decision
    from ``part``); the default is the whole run. A finished run is returned as
    it is. Otherwise decisions that have a certificate are skipped, the rest
    issued a batch at a time (`certificate_issue_batch`; a refused one is listed
    with its reasons), progress is saved after every batch, and the run ends
    done (nothing refused) or failed once every part has finished (the count
    is taken again from the certificates then).
    """
    run = IssuingRun.objects.select_related("started_by").get(pk=run.pk)
    if run.state in (IssuingRunState.DONE, IssuingRunState.FAILED):
        return run
    ids = [int(i) for i in run.decision_ids]
    mine = ids[part::parts]
    problems: list[dict] = []
    run.state = IssuingRunState.RUNNING
    issued = set(
        Certificate.objects.filter(decision_id__in=mine).values_list(
            "decision_id", flat=True
        )
    )
    todo = [i for i in mine if i not in issued]
    todo_set = set(todo)
    _save_progress(run, ids, todo_set, problems)
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        # One transaction per batch (one commit, not one per certificate). A
        # crash loses at most the batch in hand, which the next execution redoes.
        certificates, refused = certificate_issue_batch(
            decision_ids=batch, issued_by=run.started_by
        )
        problems += refused
        # Documents only for what is committed.
        for certificate in certificates:
            if store_files:
                certificate_files_store(certificate)
            if progress:
                run.done += 1
                progress(run, certificate)
        _save_batch_progress(run, len(certificates), todo_set, problems)
    if todo:
        _save_progress(run, ids, todo_set, problems)
    return run


def issuing_run_may_view(user: User, run: IssuingRun) -> bool:
    """The person who started a run, or an admin of its body, may follow it."""
    if run.started_by_id == user.pk:
        return True
    return run.body is not None and _has_role(user, Role.CERTIFICATION_ADMIN, run.body)
