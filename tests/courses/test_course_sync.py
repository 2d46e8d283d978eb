"""Publishing course pages brings the course rows in line; progress survives."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cms.models import ModulePage
from courses import services
from courses.models import Course, CourseCompletion, EnrolmentState, ModuleProgress
from lms.evidence.models import EvidenceRecord
from tests.courses.helpers import course_publish, unit_make

pytestmark = pytest.mark.django_db

TRAINEE = "peserta1.r3@lms.example"


def test_publishing_a_course_creates_its_rows_in_page_order():
    page = course_publish(modules=3)
    course = Course.objects.get(source_key=page.translation_key)
    assert course.centre.code == "R3"
    assert course.is_open
    assert [m.title for m in course.modules.filter(is_active=True)] == [
        "Modul 1",
        "Modul 2",
        "Modul 3",
    ]


def test_draft_changes_do_not_touch_the_course(user_by_email):
    page = course_publish(modules=2)
    module_page = ModulePage.objects.child_of(page).first()
    module_page.title = "Judul draf"
    module_page.save_revision()
    course = Course.objects.get(source_key=page.translation_key)
    assert "Judul draf" not in course.modules.values_list("title", flat=True)


def test_republish_while_part_way_keeps_progress(user_by_email):
    trainee = user_by_email(TRAINEE)
    page = course_publish(modules=3)
    course = Course.objects.get(source_key=page.translation_key)
    services.enrolment_self_enrol(trainee=trainee, course=course)
    first = course.modules.get(position=1)
    services.module_progress_record(trainee=trainee, module=first, position="p3")

    module_page = ModulePage.objects.child_of(page).get(title="Modul 1")
    module_page.title = "Modul 1 (revisi)"
    module_page.save_revision().publish()

    progress = ModuleProgress.objects.get(enrolment__trainee=trainee, module=first)
    first.refresh_from_db()
    assert first.title == "Modul 1 (revisi)"
    assert progress.completed_at is not None
    assert progress.last_position == "p3"


def test_unpublishing_closes_enrolment_but_keeps_records(user_by_email):
    trainee = user_by_email(TRAINEE)
    page = course_publish(modules=1)
    course = Course.objects.get(source_key=page.translation_key)
    enrolment = services.enrolment_self_enrol(trainee=trainee, course=course)
    page.unpublish()
    course.refresh_from_db()
    assert not course.is_open
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.ACTIVE
    other = user_by_email("peserta2.r3@lms.example")
    with pytest.raises(ValidationError, match="closed"):
        services.enrolment_self_enrol(trainee=other, course=course)


def test_completing_every_module_completes_course_with_jp_and_evidence(user_by_email):
    trainee = user_by_email(TRAINEE)
    page = course_publish(modules=3, total_jp=12)
    unit = unit_make()
    page.units.add(unit)
    page.save_revision().publish()
    course = Course.objects.get(source_key=page.translation_key)
    services.enrolment_self_enrol(trainee=trainee, course=course)
    for module in course.modules.all():
        services.module_progress_record(trainee=trainee, module=module)
    completion = CourseCompletion.objects.get(enrolment__trainee=trainee)
    assert completion.jp_earned == 12
    assert completion.enrolment.state == EnrolmentState.COMPLETED
    rows = EvidenceRecord.objects.filter(trainee=trainee, unit=unit)
    assert rows.count() == 1
    assert (rows.get().category, rows.get().kind) == ("training", "supplementary")
    # A second check writes nothing more.
    services.course_completion_check(enrolment=completion.enrolment)
    assert rows.count() == 1
