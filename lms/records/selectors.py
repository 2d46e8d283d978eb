"""Reads of competency records."""

from __future__ import annotations

from django.db.models import QuerySet

from lms.models import CompetencyRecord, User


def competency_record_list_for_trainee(trainee: User) -> QuerySet[CompetencyRecord]:
    """A trainee's competency records with their units and standards, in unit order."""
    return (
        CompetencyRecord.objects.filter(trainee=trainee)
        .select_related("unit__standard")
        .order_by("unit__standard__code", "unit__position", "unit__code")
    )


def competency_record_get(*, trainee: User, unit_id: int) -> CompetencyRecord | None:
    """A trainee's record on one unit, or None (no counting evidence: pending)."""
    return (
        CompetencyRecord.objects.filter(trainee=trainee, unit_id=unit_id)
        .select_related("unit")
        .first()
    )
