"""A small world for dashboard tests: trainees at every stage of one scheme's path."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from django.utils import timezone

from assessments.models import Assessment, Attempt, AttemptState
from courses.models import Cohort, Course, CourseCompletion, Enrolment
from lms.models import (
    CertificationScheme,
    CompetencyRecord,
    Organisation,
    Profile,
    Province,
    User,
)
from lms.records.services import scheme_competence_refresh
from tests.assessments.builders import quiz_make, trainee_make
from tests.courses.helpers import course_publish
from tests.lms.test_certification import make_scheme, walk_to_certificate

_serial = itertools.count(1)
LEVELS = ("enrolled", "trained", "assessed", "competent", "certified")


@dataclass
class World:
    """One course of a centre aimed at one scheme, a cohort, a quiz, its trainees."""

    centre: Organisation
    scheme: CertificationScheme
    course: Course
    cohort: Cohort
    quiz: Assessment
    trainees: list[User] = field(default_factory=list)


def world_make(*, centre_code: str = "R3", scheme=None, number: str = "") -> World:
    n = next(_serial)
    centre = Organisation.objects.get(code=centre_code)
    scheme = scheme or make_scheme(units=2)
    page = course_publish(centre_code=centre_code, code=f"DASB-{n}", modules=1)
    course = Course.objects.get(source_key=page.translation_key)
    course.units.set(scheme.units.all())
    cohort = Cohort.objects.create(
        course=course,
        number=number or f"D{n}",
        starts_on=dt.date(2026, 1, 5),
        ends_on=dt.date(2026, 1, 30),
        capacity=500,
    )
    return World(
        centre=centre,
        scheme=scheme,
        course=course,
        cohort=cohort,
        quiz=quiz_make(centre=centre, questions=1),
    )


def graded_attempt(*, quiz: Assessment, trainee: User) -> Attempt:
    """A graded, passed attempt of `trainee` at `quiz` (the "assessed" stage)."""
    now = timezone.now()
    return Attempt.objects.create(
        assessment=quiz,
        trainee=trainee,
        number=1,
        state=AttemptState.GRADED,
        seed=1,
        started_at=now,
        submitted_at=now,
        graded_at=now,
        score=1,
        score_max=1,
        percent=100,
        passed=True,
    )


def trainee_at(world: World, level: str, *, province: str = "73") -> User:
    """A trainee of the world's cohort who got as far as `level` (cumulative)."""
    reached = LEVELS.index(level)
    trainee = trainee_make(world.centre)
    Profile.objects.update_or_create(
        user=trainee, defaults={"province": Province.objects.get(code=province)}
    )
    now = timezone.now()
    enrolment = Enrolment.objects.create(
        trainee=trainee,
        course=world.course,
        cohort=world.cohort,
        state="completed" if reached >= 1 else "active",
    )
    if reached >= 1:
        CourseCompletion.objects.create(
            enrolment=enrolment, completed_at=now, jp_earned=world.course.total_jp
        )
    if reached >= 2:
        graded_attempt(quiz=world.quiz, trainee=trainee)
    if reached == 3:
        CompetencyRecord.objects.bulk_create(
            CompetencyRecord(
                trainee=trainee,
                unit=unit,
                outcome="K",
                method="all_criteria_met",
                computed_at=now,
            )
            for unit in world.scheme.units.all()
        )
        # Records written directly (not by the roll-up): derive the scheme verdict.
        scheme_competence_refresh(trainees=[trainee])
    if reached == 4:
        walk_to_certificate(trainee=trainee, scheme=world.scheme)
    world.trainees.append(trainee)
    return trainee


def populate(world: World, *, per_level: int = 1) -> World:
    for level in LEVELS:
        for _ in range(per_level):
            trainee_at(world, level)
    return world
