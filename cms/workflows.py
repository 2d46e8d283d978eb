"""Moderation of course content: Wagtail workflows per centre.

Each centre gets a reviewer group (`<code> · reviewer`) and two workflows built
from Wagtail's own `GroupApprovalTask`:

* "Moderasi <code>": the centre's review only; assigned to the centre page, so
  every page below it (courses, modules) is submitted through it;
* "Moderasi <code> + pusat": the centre's review, then the central review by
  the central administrators; assigned to a course page whose
  `requires_central_review` is set (its modules follow it down the tree).

Wagtail lets anyone with publish permission publish without a workflow. Course
content is stricter: trainers submit, and only someone who belongs to the group
of every task of the page's workflow (or a superuser) may publish directly. The
hooks in `cms.wagtail_hooks` apply that rule through `publish_directly_allowed`.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from cms.models import CentrePage, CoursePage, ModulePage
from lms import services as lms_services
from lms.models import Organisation, OrganisationKind, Role

REVIEWER_GROUP = "{code} · reviewer"
CENTRE_TASK = "Tinjauan balai {code}"
CENTRAL_TASK = "Tinjauan Kemensos pusat"
CENTRE_WORKFLOW = "Moderasi {code}"
CENTRAL_WORKFLOW = "Moderasi {code} + pusat"
# A reviewer edits, publishes (by approving) and may lock what they review.
REVIEWER_PAGE_PERMISSIONS = ["change_page", "publish_page", "lock_page", "unlock_page"]
# Page types whose publishing goes through the workflow for everyone below the
# rule in `publish_directly_allowed`.
MODERATED_PAGE_TYPES = (CoursePage, ModulePage)


def reviewer_group_ensure(*, organisation: Organisation, page: Page) -> Group:
    """The centre's reviewer group with its rights on the centre's subtree."""
    group, _created = Group.objects.get_or_create(
        name=REVIEWER_GROUP.format(code=organisation.code)
    )
    admin_access = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    group.permissions.add(admin_access)
    page_type = ContentType.objects.get_for_model(Page)
    for codename in REVIEWER_PAGE_PERMISSIONS:
        GroupPagePermission.objects.get_or_create(
            group=group,
            page=page,
            permission=Permission.objects.get(
                content_type=page_type, codename=codename
            ),
        )
    return group


def reviewer_add(*, user: Any, organisation: Organisation) -> None:
    """Make a person a reviewer of a centre's course content (idempotent)."""
    page = CentrePage.objects.get(organisation=organisation)
    user.groups.add(reviewer_group_ensure(organisation=organisation, page=page))


def _task_ensure(*, name: str, groups: list[Group]) -> GroupApprovalTask:
    task = GroupApprovalTask.objects.filter(name=name).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=name)
    task.groups.add(*groups)
    return task


def _workflow_ensure(*, name: str, tasks: list[GroupApprovalTask]) -> Workflow:
    workflow, _created = Workflow.objects.get_or_create(name=name)
    if not WorkflowTask.objects.filter(workflow=workflow).exists():
        WorkflowTask.objects.bulk_create(
            WorkflowTask(workflow=workflow, task=task, sort_order=order)
            for order, task in enumerate(tasks)
        )
    return workflow


def central_review_task_ensure() -> GroupApprovalTask:
    """The central review task, approved by the central administrators' group."""
    groups = [
        lms_services.role_group_ensure(organisation=org, role=Role.CENTRAL_ADMIN)
        for org in Organisation.objects.filter(kind=OrganisationKind.CENTRAL)
    ]
    return _task_ensure(name=CENTRAL_TASK, groups=groups)


@transaction.atomic
def centre_workflows_ensure() -> dict[str, int]:
    """Reviewer groups and both workflows for every centre with a centre page.

    Idempotent: a second run creates nothing. A workflow an operator assigned
    to a centre page by hand is left in place. Course pages already flagged
    for central review are routed to the centre's central workflow.
    """
    created = {"workflows": 0}
    central_task = central_review_task_ensure()
    for page in CentrePage.objects.select_related("organisation"):
        organisation = page.organisation
        code = organisation.code
        reviewers = reviewer_group_ensure(organisation=organisation, page=page)
        centre_task = _task_ensure(
            name=CENTRE_TASK.format(code=code), groups=[reviewers]
        )
        before = Workflow.objects.count()
        centre_workflow = _workflow_ensure(
            name=CENTRE_WORKFLOW.format(code=code), tasks=[centre_task]
        )
        _workflow_ensure(
            name=CENTRAL_WORKFLOW.format(code=code), tasks=[centre_task, central_task]
        )
        created["workflows"] += Workflow.objects.count() - before
        WorkflowPage.objects.get_or_create(
            page=page, defaults={"workflow": centre_workflow}
        )
    for course in CoursePage.objects.filter(requires_central_review=True):
        course_review_route_sync(page=course)
    return created


def course_review_route_sync(*, page: CoursePage) -> None:
    """Route a course page (and its modules) to the workflow its flag asks for.

    With `requires_central_review` the course page gets its own assignment to
    the centre's "+ pusat" workflow; without it the assignment is removed and
    the centre page's workflow applies again. Reads the page object it is
    given, so a flag changed in a draft takes effect for the next submission.
    """
    if not page.requires_central_review:
        WorkflowPage.objects.filter(page_id=page.pk).delete()
        return
    centre = page.centre_page().organisation
    workflow = Workflow.objects.filter(
        name=CENTRAL_WORKFLOW.format(code=centre.code)
    ).first()
    if workflow is None:
        # Not set up yet (fresh site): set it up, then route.
        centre_workflows_ensure()
        workflow = Workflow.objects.get(name=CENTRAL_WORKFLOW.format(code=centre.code))
    WorkflowPage.objects.update_or_create(
        page_id=page.pk, defaults={"workflow": workflow}
    )


def _groups_of(user: Any) -> set[int]:
    cached = getattr(user, "_cms_group_ids", None)
    if cached is None:
        cached = set(user.groups.values_list("pk", flat=True))
        user._cms_group_ids = cached
    return cached


def publish_directly_allowed(
    *, user: Any, page: Page, page_class: type[Page] | None = None
) -> bool:
    """May this person publish a course or module page without the workflow?

    Superusers (the central admin) may. Otherwise only someone in the group of
    every task of the page's workflow: a centre reviewer for an ordinary course,
    nobody below the central admin for a course that needs central review.
    Other page types keep Wagtail's own publish permission. For a page being
    created, pass its parent as `page` and the new page's class as `page_class`
    (a new page follows its parent's workflow).
    """
    if user.is_superuser:
        return True
    if not issubclass(page_class or page.specific_class, MODERATED_PAGE_TYPES):
        return True
    workflow = page.get_workflow()
    if workflow is None:
        return True
    mine = _groups_of(user)
    for task in workflow.tasks.filter(active=True).specific():
        groups = (
            set(task.groups.values_list("pk", flat=True))
            if isinstance(task, GroupApprovalTask)
            else set()
        )
        if not groups & mine:
            return False
    return True


def publish_directly_check(
    *, user: Any, page: Page, page_class: type[Page] | None = None
) -> None:
    """Raise PermissionDenied where `publish_directly_allowed` says no."""
    if not publish_directly_allowed(user=user, page=page, page_class=page_class):
        raise PermissionDenied


# Wagtail hook bodies (registered in cms.wagtail_hooks). A crafted "publish"
# POST is refused before anything is saved; the editor never offers the button.


def _publishing(request: Any) -> bool:
    return request.method == "POST" and bool(request.POST.get("action-publish"))


def hook_before_create_page(request: Any, parent_page: Page, page_class: type) -> None:
    if _publishing(request):
        publish_directly_check(
            user=request.user, page=parent_page, page_class=page_class
        )


def hook_before_edit_page(request: Any, page: Page) -> None:
    if _publishing(request):
        publish_directly_check(user=request.user, page=page)


def hook_before_unpublish_page(request: Any, page: Page) -> None:
    """Taking a course offline closes enrolment: the same people as publishing."""
    publish_directly_check(user=request.user, page=page)


def hook_before_bulk_action(
    request: Any, action_type: str, objects: list[Any], action: Any
) -> None:
    if action_type in ("publish", "unpublish"):
        for page in objects:
            if isinstance(page, Page):
                publish_directly_check(user=request.user, page=page)


def hook_after_save_page(request: Any, page: Page) -> None:
    """After create/edit: a course page's central-review flag picks its workflow."""
    if isinstance(page, CoursePage):
        course_review_route_sync(page=page)


def hook_construct_page_action_menu(
    menu_items: list[Any], request: Any, context: dict[str, Any]
) -> None:
    """Hide "Publish" on course content for those who must submit it."""
    page = context.get("page")
    parent = context.get("parent_page")
    if context.get("view") == "create" and parent is not None:
        page_class = type(page) if page is not None else None
        allowed = page_class is None or publish_directly_allowed(
            user=request.user, page=parent, page_class=page_class
        )
    elif page is not None and page.pk:
        allowed = publish_directly_allowed(user=request.user, page=page)
    else:
        allowed = True
    if not allowed:
        menu_items[:] = [i for i in menu_items if i.name != "action-publish"]


# Review of a whole course at once. Wagtail moderates page by page; a course is
# a course page and its modules, so these submit and approve them together.


def course_review_pages(*, course: CoursePage) -> list[Page]:
    """The course page and its module pages, deepest first (modules before the
    course, so the course publishes with its modules already live)."""
    modules = ModulePage.objects.descendant_of(course).order_by("-depth", "path")
    return [*modules.specific(), course]


def _title(page: Page) -> dict[str, str]:
    return {"title": page.get_admin_display_title()}


@transaction.atomic
def course_submit_for_review(*, course: CoursePage, user: Any) -> list[Page]:
    """Submit the course page and every module page with changes to review.

    Pages already under review or published without changes are left alone.
    Every page the person may not submit is named and nothing is submitted.
    """
    problems: list[str] = []
    pending: list[tuple[Page, Workflow]] = []
    for page in course_review_pages(course=course):
        unchanged = page.live and not page.has_unpublished_changes
        if page.workflow_in_progress or unchanged:
            continue
        permissions = page.permissions_for_user(user)
        workflow = page.get_workflow()
        if not (permissions.can_edit() and permissions.can_submit_for_moderation()):
            problems.append(
                _("You may not submit “%(title)s” for review.") % _title(page)
            )
        elif workflow is None:
            problems.append(_("“%(title)s” has no review workflow.") % _title(page))
        else:
            pending.append((page, workflow))
    if problems:
        raise ValidationError(problems)
    if not pending:
        raise ValidationError(
            _(
                "Nothing in this course waits to be submitted: every page is "
                "published or already under review."
            )
        )
    for page, workflow in pending:
        workflow.start(page, user)
    return [page for page, _workflow in pending]


@transaction.atomic
def course_approve(*, course: CoursePage, user: Any) -> list[Page]:
    """Approve the current review task of every page of the course in review.

    The reviewer's rights are Wagtail's own (the task's `get_actions`); every
    page they may not approve is named and nothing is approved. Modules are
    approved before the course page.
    """
    problems: list[str] = []
    pending: list[tuple[Any, Any]] = []
    for page in course_review_pages(course=course):
        state = page.current_workflow_state
        if state is None or state.current_task_state is None:
            continue
        task_state = state.current_task_state
        task = task_state.task.specific
        actions = {action[0] for action in task.get_actions(page, user)}
        if "approve" not in actions:
            problems.append(_("You may not approve “%(title)s”.") % _title(page))
        else:
            pending.append((task, task_state))
    if problems:
        raise ValidationError(problems)
    if not pending:
        raise ValidationError(_("Nothing in this course waits for your approval."))
    for task, task_state in pending:
        task.on_action(task_state, user, "approve")
    return [task_state.workflow_state.content_object for _task, task_state in pending]
