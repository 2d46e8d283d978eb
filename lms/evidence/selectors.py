"""Reads of the evidence log."""

from __future__ import annotations

from django.db.models import QuerySet

from lms.models import CompetencyUnit, User

from .models import EvidenceRecord


def evidence_list_for_trainee(
    trainee: User,
    *,
    unit: CompetencyUnit | None = None,
    include_superseded: bool = False,
) -> QuerySet[EvidenceRecord]:
    """A trainee's evidence, newest first, with unit, element, KUK and assessor.

    Superseded rows (replaced by a correction) are left out unless asked for, as
    the trainee's record shows what counts today.
    """
    rows = EvidenceRecord.objects.filter(trainee=trainee)
    if not include_superseded:
        rows = rows.current()
    if unit is not None:
        rows = rows.filter(unit=unit)
    return rows.select_related(
        "unit", "element", "criterion", "assessor", "superseded_by"
    ).order_by("-occurred_at", "-id")


def evidence_history_get(record: EvidenceRecord) -> list[EvidenceRecord]:
    """The chain of corrections a row belongs to, oldest first (one query per step).

    Chains are short (a correction is rare), so following them row by row is fine.
    """
    chain = [record]
    while hasattr(chain[0], "supersedes"):
        try:
            chain.insert(0, chain[0].supersedes)
        except EvidenceRecord.DoesNotExist:
            break
    node = record
    while node.superseded_by_id is not None:
        node = node.superseded_by
        chain.append(node)
    return chain
