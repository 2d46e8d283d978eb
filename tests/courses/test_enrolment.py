"""Enrolment: open, on request with approval, cohort only; errors name every problem."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from courses import services
from courses.models import Cohort, Course, EnrolmentState
from tests.courses.helpers import course_publish

pytestmark = pytest.mark.django_db


def _course(**kwargs) -> Course:
    page = course_publish(**kwargs)
    return Course.objects.get(source_key=page.translation_key)


def test_open_course_enrols_at_once_and_twice_is_the_same(user_by_email):
    trainee = user_by_email("peserta1.r3@lms.example")
    course = _course()
    first = services.enrolment_self_enrol(trainee=trainee, course=course)
    again = services.enrolment_self_enrol(trainee=trainee, course=course)
    assert first.state == EnrolmentState.ACTIVE
    assert first.pk == again.pk


def test_approval_course_waits_for_the_centre(user_by_email):
    trainee = user_by_email("peserta1.r3@lms.example")
    admin = user_by_email("penyelenggara.r3@lms.example")
    course = _course(policy="approval")
    enrolment = services.enrolment_self_enrol(trainee=trainee, course=course)
    assert enrolment.state == EnrolmentState.REQUESTED
    with pytest.raises(ValidationError, match="not enrolled"):
        services.module_progress_record(trainee=trainee, module=course.modules.first())
    services.enrolment_decide(enrolment=enrolment, approve=True, decided_by=admin)
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.ACTIVE


def test_cohort_only_course_refuses_self_enrolment_and_full_cohort(user_by_email):
    trainees = [user_by_email(f"peserta{i}.r3@lms.example") for i in (1, 2)]
    course = _course(policy="cohort")
    with pytest.raises(ValidationError, match="by the centre"):
        services.enrolment_self_enrol(trainee=trainees[0], course=course)
    cohort = Cohort.objects.create(
        course=course,
        number="XXXIV",
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 10),
        capacity=1,
    )
    enrolment = services.enrolment_cohort_add(trainee=trainees[0], cohort=cohort)
    assert enrolment.cohort == cohort
    with pytest.raises(ValidationError, match="XXXIV is full"):
        services.enrolment_cohort_add(trainee=trainees[1], cohort=cohort)


def test_bad_progress_report_names_every_problem(user_by_email):
    trainee = user_by_email("peserta1.r3@lms.example")
    course = _course()
    with pytest.raises(ValidationError) as caught:
        services.module_progress_record(
            trainee=trainee,
            module=course.modules.first(),
            seconds=-5,
            position="x" * 300,
        )
    assert set(caught.value.message_dict) == {"module", "seconds", "position"}
