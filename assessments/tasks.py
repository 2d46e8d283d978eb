"""Background work of assessments (django-tasks): results into the evidence log."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django_tasks import task

from assessments.instruments import instrument_types
from assessments.models import Attempt, AttemptOverride, AttemptState
from lms.evidence.models import EvidenceCategory, EvidenceOutcome, EvidenceRecord
from lms.evidence.services import evidence_correct, evidence_record
from lms.models import PerformanceCriterion

THOUSANDTHS = Decimal("0.001")


def _source_uri(attempt: Attempt) -> str:
    return f"{attempt.assessment.source_uri}:attempt:{attempt.uuid}"


@task()
def attempt_evidence_record(attempt_id: int) -> int:
    """Turn a graded attempt into evidence, one row per mapped criterion (KUK).

    A slot counts for the criteria of its question (quiz) or of its section
    (other instruments). Per criterion the score is the sum over its slots, and
    the outcome is met when that share reaches the assessment's pass mark.
    Idempotent by key (attempt and criterion). Returns the rows written or found.
    """
    attempt = (
        Attempt.objects.select_related("assessment", "trainee")
        .filter(pk=attempt_id, state=AttemptState.GRADED)
        .first()
    )
    if attempt is None:
        return 0
    answers = list(
        attempt.answers.select_related("section", "question_version")
        .prefetch_related("section__criteria", "question_version__question__criteria")
        .all()
    )
    earned: dict[int, Decimal] = defaultdict(Decimal)
    possible: dict[int, Decimal] = defaultdict(Decimal)
    kinds: dict[int, str] = {}
    for answer in answers:
        if answer.question_version is not None:
            criteria = answer.question_version.question.criteria.all()
        else:
            criteria = answer.section.criteria.all()
        kind = instrument_types.get(answer.section.instrument).evidence_kind
        for criterion in criteria:
            earned[criterion.pk] += answer.score or Decimal(0)
            possible[criterion.pk] += answer.points
            # Direct evidence wins when one criterion is shown both ways.
            if kinds.get(criterion.pk) != "direct":
                kinds[criterion.pk] = kind
    criteria_by_id = PerformanceCriterion.objects.select_related(
        "element__unit"
    ).in_bulk(list(earned))
    pass_mark = attempt.assessment.pass_mark
    for criterion_id, criterion in criteria_by_id.items():
        score, score_max = earned[criterion_id], possible[criterion_id]
        share = score * 100 / score_max if score_max else Decimal(0)
        evidence_record(
            trainee=attempt.trainee,
            unit=criterion.element.unit,
            criterion=criterion,
            source_uri=_source_uri(attempt),
            source_title=attempt.assessment.title,
            kind=kinds[criterion_id],
            category=EvidenceCategory.ASSESSMENT,
            outcome=(
                EvidenceOutcome.MET if share >= pass_mark else EvidenceOutcome.NOT_MET
            ),
            # Scored by the server or marked by a person: never by the browser.
            verified=True,
            occurred_at=attempt.graded_at or attempt.submitted_at,
            score=score.quantize(THOUSANDTHS),
            score_max=score_max.quantize(THOUSANDTHS),
            idempotency_key=f"assessment-attempt:{attempt.uuid}:criterion:{criterion_id}",
        )
    return len(criteria_by_id)


@task()
def attempt_evidence_correct(attempt_id: int, override_id: int) -> int:
    """Correct an attempt's evidence after a score override (or upheld appeal).

    The override changes the attempt as a whole, so each criterion's evidence is
    corrected to the attempt's new share and outcome, citing the override reason.
    The original rows stay in the log, superseded.
    """
    override = (
        AttemptOverride.objects.select_related("attempt__assessment", "changed_by")
        .filter(pk=override_id, attempt_id=attempt_id)
        .first()
    )
    if override is None:
        return 0
    attempt = override.attempt
    rows = EvidenceRecord.objects.current().filter(
        trainee_id=attempt.trainee_id, source_uri=_source_uri(attempt)
    )
    corrected = 0
    share = override.new_score / attempt.score_max if attempt.score_max else Decimal(0)
    for row in rows:
        new_score = (row.score_max or Decimal(0)) * share
        evidence_correct(
            record=row,
            reason=override.reason,
            corrected_by=override.changed_by,
            outcome=(
                EvidenceOutcome.MET if override.new_passed else EvidenceOutcome.NOT_MET
            ),
            score=Decimal(new_score).quantize(THOUSANDTHS),
            idempotency_key=f"assessment-override:{override.pk}:evidence:{row.pk}",
        )
        corrected += 1
    return corrected
