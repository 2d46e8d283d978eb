"""Builders for course tests: a published course page tree under a demo centre."""

from __future__ import annotations

from cms.models import CentrePage, CoursePage, ModulePage
from lms.models import Organisation


def course_publish(
    *,
    centre_code: str = "R3",
    code: str = "PKH-01",
    modules: int = 3,
    total_jp: int = 12,
    policy: str = "open",
    rule: str = "viewed",
    min_seconds: int = 0,
) -> CoursePage:
    """Create and publish a course page with `modules` published module pages."""
    centre = CentrePage.objects.get(
        organisation=Organisation.objects.get(code=centre_code)
    )
    course = centre.add_child(
        instance=CoursePage(
            title=f"Kursus {code}",
            slug=code.lower(),
            code=code,
            total_jp=total_jp,
            enrolment_policy=policy,
            live=False,
        )
    )
    for index in range(1, modules + 1):
        module = course.add_child(
            instance=ModulePage(
                title=f"Modul {index}",
                slug=f"modul-{index}",
                jp=2,
                completion_rule=rule,
                min_seconds=min_seconds,
                live=False,
            )
        )
        module.save_revision().publish()
    course.save_revision().publish()
    return CoursePage.objects.get(pk=course.pk)


def unit_make(code: str = "J.620100.001.01"):
    """A competency unit under a test standard (the demo world has none)."""
    from lms.models import CompetencyStandard, CompetencyUnit

    standard, _ = CompetencyStandard.objects.get_or_create(
        code="SKKNI-TEST", version="2026", defaults={"title": "Standar uji"}
    )
    return CompetencyUnit.objects.create(
        standard=standard, code=code, version="1", title="Unit uji"
    )
