"""Writes of the evidence log: record a piece of evidence, correct one.

Other apps (assessments, courses, the H5P engine) call `evidence_record` when a
result is final. It is idempotent by key, so a retried request or a double submit
returns the row already written instead of a second one. After each write the
trainee's record for that unit is rolled up again in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.models import CompetencyElement, CompetencyUnit, PerformanceCriterion, User
from lms.records.services import competency_lock, competency_recompute

from .models import EvidenceCategory, EvidenceKind, EvidenceOutcome, EvidenceRecord

# Clocks of phones and partner servers drift; a little future is tolerated.
CLOCK_SKEW = timedelta(minutes=5)


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError from None


def _problems(
    *,
    unit: CompetencyUnit,
    element: CompetencyElement | None,
    criterion: PerformanceCriterion | None,
    kind: str,
    category: str,
    outcome: str,
    source_uri: str,
    source_title: str,
    occurred_at: datetime,
    idempotency_key: str,
    score: object,
    score_max: object,
) -> dict[str, list[str]]:
    """Every problem with the arguments, by field (nothing is looked up but FKs)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if kind not in EvidenceKind.values:
        add("kind", _("Unknown evidence kind %(value)s.") % {"value": kind})
    if category not in EvidenceCategory.values:
        add("category", _("Unknown evidence category %(value)s.") % {"value": category})
    if outcome not in EvidenceOutcome.values:
        add("outcome", _("Unknown outcome %(value)s.") % {"value": outcome})
    if not source_uri.strip():
        add("source_uri", _("The source URI is required."))
    if not source_title.strip():
        add("source_title", _("The source title is required."))
    if not idempotency_key.strip():
        add("idempotency_key", _("An idempotency key is required."))
    if timezone.is_naive(occurred_at):
        add("occurred_at", _("The time must carry its time zone."))
    elif occurred_at > timezone.now() + CLOCK_SKEW:
        add("occurred_at", _("The evidence cannot be from the future."))
    if element is not None and element.unit_id != unit.pk:
        add(
            "element",
            _("Element %(number)d does not belong to unit %(code)s.")
            % {"number": element.number, "code": unit.code},
        )
    if criterion is not None:
        if element is not None and criterion.element_id != element.pk:
            add(
                "criterion",
                _("KUK %(number)s does not belong to element %(element)d.")
                % {"number": criterion.number, "element": element.number},
            )
        elif criterion.element.unit_id != unit.pk:
            add(
                "criterion",
                _("KUK %(number)s does not belong to unit %(code)s.")
                % {"number": criterion.number, "code": unit.code},
            )
    try:
        score_value, max_value = _decimal(score), _decimal(score_max)
    except ValueError:
        add("score", _("Score and maximum score must be numbers."))
    else:
        if (score_value is None) != (max_value is None):
            add("score", _("Give both the score and the maximum score, or neither."))
        elif max_value is not None and max_value <= 0:
            add("score_max", _("The maximum score must be more than zero."))
        elif score_value is not None and not 0 <= score_value <= max_value:
            add(
                "score",
                _("The score %(score)s is outside 0–%(max)s.")
                % {"score": score_value, "max": max_value},
            )
    return errors


def _create(record: EvidenceRecord) -> EvidenceRecord:
    """Insert a validated row; on a key race return the row the other side wrote."""
    # The unique key is left to the database: a concurrent twin must not fail
    # validation here but be found after the insert loses the race.
    record.full_clean(exclude=["idempotency_key"])
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        existing = EvidenceRecord.objects.filter(
            idempotency_key=record.idempotency_key
        ).first()
        if existing is None:
            raise
        return existing
    return record


@transaction.atomic
def evidence_record(
    *,
    trainee: User,
    unit: CompetencyUnit,
    source_uri: str,
    source_title: str,
    kind: str,
    category: str,
    outcome: str,
    verified: bool,
    occurred_at: datetime,
    idempotency_key: str,
    element: CompetencyElement | None = None,
    criterion: PerformanceCriterion | None = None,
    score: Decimal | float | int | None = None,
    score_max: Decimal | float | int | None = None,
    assessor: User | None = None,
) -> EvidenceRecord:
    """Append one piece of evidence and roll the trainee's unit record up again.

    Idempotent: when a row with ``idempotency_key`` exists it is returned as is
    (a key reused for another trainee or unit is refused). ``element`` is taken
    from ``criterion`` when only the latter is given. Raises one ValidationError
    naming every problem (kind, category, outcome, score range, element / KUK not
    of this unit, time in the future…); nothing is written then.
    """
    competency_lock(trainee_id=trainee.pk, unit_id=unit.pk)
    existing = EvidenceRecord.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.trainee_id != trainee.pk or existing.unit_id != unit.pk:
            raise ValidationError(
                {
                    "idempotency_key": [
                        _("This idempotency key was used for other evidence.")
                    ]
                }
            )
        return existing
    if criterion is not None and element is None:
        element = criterion.element
    errors = _problems(
        unit=unit,
        element=element,
        criterion=criterion,
        kind=kind,
        category=category,
        outcome=outcome,
        source_uri=source_uri,
        source_title=source_title,
        occurred_at=occurred_at,
        idempotency_key=idempotency_key,
        score=score,
        score_max=score_max,
    )
    if errors:
        raise ValidationError(errors)
    record = _create(
        EvidenceRecord(
            trainee=trainee,
            unit=unit,
            element=element,
            criterion=criterion,
            kind=kind,
            category=category,
            outcome=outcome,
            source_uri=source_uri.strip(),
            # Snapshots: a later rename of the quiz must not change the evidence.
            source_title=source_title.strip()[:300],
            score=_decimal(score),
            score_max=_decimal(score_max),
            assessor=assessor,
            occurred_at=occurred_at,
            verified=verified,
            idempotency_key=idempotency_key.strip(),
        )
    )
    competency_recompute(trainees=[trainee], units=[unit])
    return record


_UNSET = object()


@transaction.atomic
def evidence_correct(
    *,
    record: EvidenceRecord,
    reason: str,
    corrected_by: User,
    outcome: str | None = None,
    score: Decimal | float | int | object | None = _UNSET,
    score_max: Decimal | float | int | object | None = _UNSET,
    verified: bool | None = None,
    kind: str | None = None,
    element: CompetencyElement | object | None = _UNSET,
    criterion: PerformanceCriterion | object | None = _UNSET,
    assessor: User | object | None = _UNSET,
    idempotency_key: str | None = None,
) -> EvidenceRecord:
    """Correct a piece of evidence: a new row replaces it, the old one stays.

    The new row copies the old one with the given changes, records who corrected
    it and why, and the old row's ``superseded_by`` points to it: the only change
    the log permits. Refused (nothing written) without a reason, for a row already
    corrected, or when the corrected values are invalid. Records of the unit are
    rolled up again.
    """
    competency_lock(trainee_id=record.trainee_id, unit_id=record.unit_id)
    old = EvidenceRecord.objects.select_for_update().get(pk=record.pk)
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = [_("Say why the evidence is corrected.")]
    if old.superseded_by_id is not None:
        errors.setdefault("record", []).append(
            _("This evidence was already corrected; correct the newest row.")
        )

    new_element = old.element if element is _UNSET else element
    new_criterion = old.criterion if criterion is _UNSET else criterion
    new_score = old.score if score is _UNSET else score
    new_max = old.score_max if score_max is _UNSET else score_max
    new_outcome = outcome if outcome is not None else old.outcome
    new_kind = kind if kind is not None else old.kind
    problems = _problems(
        unit=old.unit,
        element=new_element,
        criterion=new_criterion,
        kind=new_kind,
        category=old.category,
        outcome=new_outcome,
        source_uri=old.source_uri,
        source_title=old.source_title,
        occurred_at=old.occurred_at,
        idempotency_key=idempotency_key or "correction",
        score=new_score,
        score_max=new_max,
    )
    for field, messages in problems.items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    new = EvidenceRecord(
        trainee_id=old.trainee_id,
        unit_id=old.unit_id,
        element=new_element,
        criterion=new_criterion,
        kind=new_kind,
        category=old.category,
        outcome=new_outcome,
        source_uri=old.source_uri,
        source_title=old.source_title,
        score=_decimal(new_score),
        score_max=_decimal(new_max),
        assessor=old.assessor if assessor is _UNSET else assessor,
        occurred_at=old.occurred_at,
        verified=old.verified if verified is None else verified,
        recorded_by=corrected_by,
        correction_reason=reason.strip(),
        idempotency_key=idempotency_key or f"correction:{uuid.uuid4()}",
    )
    new.full_clean()
    new.save()
    # The one permitted update; the filter makes a concurrent second correction
    # of the same row change nothing, which we then refuse.
    if not EvidenceRecord.objects.filter(pk=old.pk).update(superseded_by=new):
        raise ValidationError(
            _("This evidence was already corrected; correct the newest row.")
        )
    competency_recompute(trainees=[old.trainee_id], units=[old.unit_id])
    return new
