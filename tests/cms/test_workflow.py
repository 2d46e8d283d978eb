"""Course content is moderated per centre: trainers submit, reviewers publish.

Wagtail's own workflow API and admin views are used throughout: the trainer
submits through the page editor, reviewers act through the workflow action URL.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import Workflow, WorkflowPage, WorkflowState

from cms import workflows
from cms.models import CentrePage, CoursePage, ModulePage
from courses.models import Course, Enrolment, ModuleProgress
from courses.services import enrolment_self_enrol, module_progress_record

R3_TRAINER = "pelatih.r3@lms.example"
R3_REVIEWER = "penyelenggara.r3@lms.example"
R2_REVIEWER = "penyelenggara.r2@lms.example"
CENTRAL_ADMIN = "admin.pusat@lms.example"

pytestmark = pytest.mark.django_db


def course_draft(*, code: str = "MOD-01", centre: str = "R3") -> CoursePage:
    """A never-published course page with one module page, both drafts."""
    parent = CentrePage.objects.get(organisation__code=centre)
    course = parent.add_child(
        instance=CoursePage(
            title=f"Kursus {code}", slug=code.lower(), code=code, live=False
        )
    )
    course.save_revision()
    module = course.add_child(
        instance=ModulePage(title="Modul 1", slug="modul-1", jp=2, live=False)
    )
    module.save_revision()
    return CoursePage.objects.get(pk=course.pk)


def edit_form(page: CoursePage, **extra: str) -> dict[str, str]:
    """The course page editor's fields as the browser posts them."""
    data = {
        "title": page.title,
        "slug": page.slug,
        "code": page.code,
        "summary": page.summary,
        "audience": page.audience,
        "delivery_mode": page.delivery_mode,
        "total_jp": str(page.total_jp),
        "enrolment_policy": page.enrolment_policy,
        "comments-TOTAL_FORMS": "0",
        "comments-INITIAL_FORMS": "0",
        "comments-MIN_NUM_FORMS": "0",
        "comments-MAX_NUM_FORMS": "1000",
    }
    data.update(extra)
    return data


def submit(client, page: CoursePage, **extra: str):
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]),
        edit_form(page, **{"action-submit": "1", **extra}),
    )
    assert response.status_code == 302, response.content[:2000]
    return WorkflowState.objects.get(
        object_id=str(page.pk), status=WorkflowState.STATUS_IN_PROGRESS
    )


def act(client, page: CoursePage, state: WorkflowState, action: str = "approve"):
    state.refresh_from_db()
    return client.post(
        reverse(
            "wagtailadmin_pages:workflow_action",
            args=[page.pk, action, state.current_task_state_id],
        ),
        {"comment": ""},
    )


def assert_refused(response) -> None:
    """Wagtail's admin answers a refused action with a redirect to its home."""
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response.url == reverse("wagtailadmin_home")


def course_row(page: CoursePage) -> Course | None:
    return Course.objects.filter(source_key=page.translation_key).first()


def test_demo_sets_up_a_workflow_per_centre_idempotently():
    for code in ("R1", "R2", "R3", "R4", "R5", "R6"):
        centre = CentrePage.objects.get(organisation__code=code)
        assert centre.get_workflow().name == f"Moderasi {code}"
    before = (Workflow.objects.count(), WorkflowPage.objects.count())
    call_command("centre_workflows_ensure", verbosity=0)
    assert workflows.centre_workflows_ensure() == {"workflows": 0}
    assert (Workflow.objects.count(), WorkflowPage.objects.count()) == before


def test_trainer_sees_submit_not_publish_reviewer_sees_publish(staff_client):
    page = course_draft()
    url = reverse("wagtailadmin_pages:edit", args=[page.pk])
    trainer_html = staff_client(R3_TRAINER).get(url).content.decode()
    assert 'name="action-submit"' in trainer_html
    assert 'name="action-publish"' not in trainer_html
    reviewer_html = staff_client(R3_REVIEWER).get(url).content.decode()
    assert 'name="action-publish"' in reviewer_html


def test_trainer_cannot_publish_course_content_directly(staff_client):
    page = course_draft()
    client = staff_client(R3_TRAINER)
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]),
        edit_form(page, **{"action-publish": "1"}),
    )
    assert_refused(response)
    centre = CentrePage.objects.get(organisation__code="R3")
    response = client.post(
        reverse("wagtailadmin_pages:add", args=["cms", "coursepage", centre.pk]),
        edit_form(
            CoursePage(title="Baru", slug="baru", code="BARU"),
            **{"action-publish": "1"},
        ),
    )
    assert_refused(response)
    assert not CoursePage.objects.filter(slug="baru").exists()
    page.refresh_from_db()
    assert not page.live and course_row(page) is None


def test_submit_then_reviewer_of_r3_publishes_and_course_is_synced(staff_client):
    page = course_draft()
    module = ModulePage.objects.child_of(page).get()
    # Modules are content too: the reviewer approves the module first.
    module_state = module.get_workflow().start(module, _user(R3_TRAINER))
    state = submit(staff_client(R3_TRAINER), page)
    page.refresh_from_db()
    assert not page.live
    assert course_row(page) is None

    # A reviewer of another centre has no such task: the admin answers 404.
    response = act(staff_client(R2_REVIEWER), page, state)
    assert response.status_code == 404
    page.refresh_from_db()
    assert not page.live

    reviewer = staff_client(R3_REVIEWER)
    assert act(reviewer, module, module_state).status_code == 302
    assert act(reviewer, page, state).status_code == 302
    page.refresh_from_db()
    state.refresh_from_db()
    assert page.live and state.status == WorkflowState.STATUS_APPROVED
    course = course_row(page)
    assert course is not None and course.is_open
    assert course.code == "MOD-01"
    assert list(course.modules.values_list("title", flat=True)) == ["Modul 1"]


def test_trainer_cannot_approve_own_submission(staff_client):
    page = course_draft()
    client = staff_client(R3_TRAINER)
    state = submit(client, page)
    assert_refused(act(client, page, state))
    page.refresh_from_db()
    assert not page.live


def test_central_review_keeps_course_unpublished_until_central_admin_approves(
    staff_client,
):
    page = course_draft(code="SERT-01")
    # The central admin flags the course in the editor (a draft save).
    central = staff_client(CENTRAL_ADMIN)
    response = central.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]),
        edit_form(page, requires_central_review="on"),
    )
    assert response.status_code == 302
    page = CoursePage.objects.get(pk=page.pk)
    assert page.get_workflow().name == "Moderasi R3 + pusat"
    # Its modules follow the course's route.
    assert ModulePage.objects.child_of(page).get().get_workflow() == (
        page.get_workflow()
    )

    state = submit(staff_client(R3_TRAINER), page)
    reviewer = staff_client(R3_REVIEWER)
    # The centre reviewer may no longer publish this course directly either.
    response = reviewer.post(
        reverse("wagtailadmin_pages:edit", args=[page.pk]),
        edit_form(page, **{"action-publish": "1"}),
    )
    assert_refused(response)
    assert act(reviewer, page, state).status_code == 302
    page.refresh_from_db()
    state.refresh_from_db()
    assert not page.live
    assert course_row(page) is None
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.current_task_state.task.name == "Tinjauan Kemensos pusat"
    # The centre reviewer has nothing left to approve on the central task.
    assert_refused(act(reviewer, page, state))

    assert act(staff_client(CENTRAL_ADMIN), page, state).status_code == 302
    page.refresh_from_db()
    assert page.live
    assert course_row(page) is not None


def test_clearing_the_flag_routes_back_to_the_centre_workflow():
    page = course_draft(code="SERT-02")
    page.requires_central_review = True
    workflows.course_review_route_sync(page=page)
    assert CoursePage.objects.get(pk=page.pk).get_workflow().name.endswith("+ pusat")
    page.requires_central_review = False
    workflows.course_review_route_sync(page=page)
    assert CoursePage.objects.get(pk=page.pk).get_workflow().name == "Moderasi R3"


def test_resubmitted_draft_leaves_live_course_and_progress_alone(staff_client):
    page = course_draft(code="DRAFT-01")
    module = ModulePage.objects.child_of(page).get()
    module.save_revision().publish()
    page.save_revision().publish()
    course = course_row(page)
    trainee = _user("peserta1.r3@lms.example")
    enrolment_self_enrol(trainee=trainee, course=course)
    module_progress_record(trainee=trainee, module=course.modules.get())

    page = CoursePage.objects.get(pk=page.pk)
    state = submit(staff_client(R3_TRAINER), page, title="Judul baru")
    course.refresh_from_db()
    assert course.title == "Kursus DRAFT-01"
    assert ModuleProgress.objects.filter(enrolment__trainee=trainee).count() == 1

    assert act(staff_client(R3_REVIEWER), page, state).status_code == 302
    course.refresh_from_db()
    assert course.title == "Judul baru"
    enrolment = Enrolment.objects.get(trainee=trainee, course=course)
    assert enrolment.progress.get().completed_at is not None


def _user(email: str):
    from lms.models import User

    return User.objects.get(email=email)


@pytest.fixture(autouse=True)
def _no_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_trainer_cannot_take_a_live_course_offline(staff_client):
    page = course_draft(code="LIVE-01")
    page.save_revision().publish()
    page.refresh_from_db()
    assert page.live
    response = staff_client(R3_TRAINER).post(
        reverse("wagtailadmin_pages:unpublish", args=[page.pk])
    )
    assert_refused(response)
    page.refresh_from_db()
    assert page.live
    reviewer = staff_client(R3_REVIEWER).post(
        reverse("wagtailadmin_pages:unpublish", args=[page.pk])
    )
    assert reviewer.status_code == 302
    page.refresh_from_db()
    assert not page.live
