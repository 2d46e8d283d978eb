"""Reads of standards and schemes (public reference data, no role scoping)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from lms.models import Organisation

from .models import (
    CertificationScheme,
    CompetencyStandard,
    CompetencyUnit,
    SchemeUnit,
)


def standard_get(*, code: str, version: str | None = None) -> CompetencyStandard | None:
    """A standard by code: the given version, or the newest one created."""
    standards = CompetencyStandard.objects.filter(code=code)
    if version is not None:
        return standards.filter(version=version).first()
    return standards.order_by("-created_at", "-pk").first()


def standard_list() -> QuerySet[CompetencyStandard]:
    """Every standard with its number of units, in code order."""
    return CompetencyStandard.objects.annotate(unit_count=Count("units")).order_by(
        "code", "version"
    )


def unit_list_for_standard(standard: CompetencyStandard) -> QuerySet[CompetencyUnit]:
    """A standard's units in order, each with its elements and KUK (3 queries)."""
    return standard.units.order_by("position", "code").prefetch_related(
        "elements__criteria"
    )


def scheme_list_for_owner(owner: Organisation) -> QuerySet[CertificationScheme]:
    """A certification body's schemes with their units in order."""
    return (
        CertificationScheme.objects.filter(owner=owner)
        .select_related("owner")
        .prefetch_related(
            Prefetch(
                "scheme_units",
                queryset=SchemeUnit.objects.select_related("unit").order_by("position"),
            )
        )
        .order_by("code")
    )
