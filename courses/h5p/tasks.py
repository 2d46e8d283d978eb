"""Background work of the H5P engine (django-tasks)."""

from __future__ import annotations

from decimal import Decimal

from django_tasks import task

from courses.h5p.models import H5PAttempt
from lms.evidence.models import EvidenceCategory, EvidenceKind, EvidenceOutcome
from lms.evidence.services import evidence_record

THOUSANDTHS = Decimal("0.001")


@task()
def attempt_evidence_record(attempt_id: int) -> int:
    """Turn one server-verified attempt into evidence for the content's KUK.

    Runs after the statement's transaction commits, so the xAPI endpoint stays
    within its query budget. Idempotent (one key per attempt and criterion):
    a retried task adds nothing. Returns the number of evidence rows written or
    found. Unverified or flagged attempts never become evidence.
    """
    attempt = (
        H5PAttempt.objects.select_related("content", "user")
        .filter(pk=attempt_id, verified=True, flagged=False)
        .first()
    )
    if attempt is None:
        return 0
    content = attempt.content
    ratio = attempt.raw / attempt.max if attempt.max else Decimal(0)
    outcome = (
        EvidenceOutcome.MET if ratio >= content.pass_ratio else EvidenceOutcome.NOT_MET
    )
    criteria = content.criteria.select_related("element__unit")
    for criterion in criteria:
        evidence_record(
            trainee=attempt.user,
            unit=criterion.element.unit,
            criterion=criterion,
            source_uri=f"urn:lms:h5p:{content.uuid}:attempt:{attempt.pk}",
            source_title=content.title,
            # An exercise shows knowledge about the task, not the task itself.
            kind=EvidenceKind.INDIRECT,
            category=EvidenceCategory.ASSESSMENT,
            outcome=outcome,
            verified=True,
            occurred_at=attempt.finished_at,
            # The evidence log keeps three decimals; H5P scores are whole or halves.
            score=attempt.raw.quantize(THOUSANDTHS),
            score_max=attempt.max.quantize(THOUSANDTHS),
            idempotency_key=f"h5p-attempt:{attempt.pk}:criterion:{criterion.pk}",
        )
    return len(criteria)
