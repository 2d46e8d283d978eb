"""Reads of the courses domain, scoped by who asks (views, exports, API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, NullIf
from django.http import Http404

from lms.models import Membership, Organisation, Role, User
from lms.selectors import centre_ids_for_staff

from .models import (
    Cohort,
    Course,
    Enrolment,
    EnrolmentState,
    Module,
    ModuleProgress,
)


def course_list_for_catalogue(
    *, centre_code: str = "", province_code: str = ""
) -> QuerySet[Course]:
    """Open courses, optionally of one centre or of the centres covering a province."""
    courses = (
        Course.objects.enrollable()
        .select_related("centre")
        .order_by("centre__code", "code")
    )
    if centre_code:
        courses = courses.filter(centre__code=centre_code)
    if province_code:
        courses = courses.filter(centre__provinces__code=province_code)
    return courses.distinct()


def centre_list_for_catalogue() -> QuerySet[Organisation]:
    """Centres offering at least one open course."""
    return (
        Organisation.objects.filter(courses__is_open=True).distinct().order_by("code")
    )


def enrolment_list_for_trainee(user: User) -> QuerySet[Enrolment]:
    """A trainee's enrolments with how many active required modules they completed."""
    return (
        Enrolment.objects.filter(trainee=user)
        .select_related("course__centre", "last_module", "cohort")
        .annotate(
            modules_total=Count(
                "course__modules",
                filter=Q(
                    course__modules__is_active=True, course__modules__required=True
                ),
                distinct=True,
            ),
            modules_done=Count(
                "progress",
                filter=Q(
                    progress__completed_at__isnull=False,
                    progress__module__is_active=True,
                    progress__module__required=True,
                ),
                distinct=True,
            ),
        )
        .order_by("-requested_at")
    )


@dataclass(frozen=True)
class CourseProgress:
    """A trainee's state in one course, as the course page shows it."""

    course: Course | None
    enrolment: Enrolment | None
    modules: list[Module]
    done_module_ids: frozenset[int]
    percent: int
    next_module: Module | None
    resume_position: str


def course_page_state_get(*, user: User, source_key: object) -> CourseProgress:
    """The course published from a page, its modules and the trainee's progress.

    Two queries whatever the number of modules: modules with their course and
    the trainee's progress on each, then the enrolment with its completion.
    """
    modules = Module.objects.filter(
        course__source_key=source_key, is_active=True
    ).select_related("course__centre")
    if user.is_authenticated:
        # The trainee's progress rides along on each module row (no extra query).
        mine = ModuleProgress.objects.filter(
            enrolment__trainee=user, module=OuterRef("pk")
        )
        modules = modules.annotate(
            my_completed_at=Subquery(mine.values("completed_at")[:1]),
            my_position=Subquery(mine.values("last_position")[:1]),
        )
    modules = list(modules.order_by("position"))
    if modules:
        course = modules[0].course
    else:
        course = (
            Course.objects.select_related("centre")
            .filter(source_key=source_key)
            .first()
        )
    if course is None:
        return CourseProgress(None, None, [], frozenset(), 0, None, "")
    enrolment = None
    if user.is_authenticated:
        enrolment = (
            Enrolment.objects.select_related("completion")
            .filter(trainee=user, course=course)
            .first()
        )
    done = frozenset(
        m.pk for m in modules if getattr(m, "my_completed_at", None) is not None
    )
    required = [m for m in modules if m.required]
    percent = (
        round(100 * len([m for m in required if m.pk in done]) / len(required))
        if required
        else 0
    )
    next_module = None
    position = ""
    if enrolment is not None:
        last = next((m for m in modules if m.pk == enrolment.last_module_id), None)
        if last is not None and last.pk not in done:
            next_module = last
        else:
            next_module = next((m for m in modules if m.pk not in done), last)
        if next_module is not None:
            position = getattr(next_module, "my_position", None) or ""
    return CourseProgress(
        course, enrolment, modules, done, percent, next_module, position
    )


def course_progress_get(*, user: User, course: Course) -> CourseProgress:
    """A trainee's progress in a course (see `course_page_state_get`)."""
    return course_page_state_get(user=user, source_key=course.source_key)


def cohort_get_for_staff(*, user: User, cohort_id: int) -> Cohort:
    """One cohort the staff member may follow; another centre's answers 404."""
    centres = centre_ids_for_staff(user)
    cohorts = Cohort.objects.select_related("course__centre").annotate(
        modules_required=Count(
            "course__modules",
            filter=Q(course__modules__is_active=True, course__modules__required=True),
        )
    )
    if centres is not None:
        cohorts = cohorts.filter(course__centre_id__in=centres)
    cohort = cohorts.filter(pk=cohort_id).first()
    if cohort is None:
        raise Http404
    return cohort


def cohort_list_for_staff(user: User) -> QuerySet[Cohort]:
    """Cohorts of the staff member's centres (all for the central admin)."""
    centres = centre_ids_for_staff(user)
    cohorts = Cohort.objects.select_related("course__centre").order_by(
        "course__code", "starts_on"
    )
    if centres is not None:
        cohorts = cohorts.filter(course__centre_id__in=centres)
    return cohorts


def roster_list_for_staff(*, user: User, cohort: Cohort) -> QuerySet[Enrolment]:
    """A cohort's trainees with their progress, for the roster, exports and API.

    `role_type_shown` is the enrolment's role type, else the one on the trainee's
    profile (an import without a cohort keeps it only there).
    """
    enrolments = Enrolment.objects.filter(cohort=cohort)
    centres = centre_ids_for_staff(user)
    if centres is not None:
        # Scoped again in the query itself: a cohort fetched without scoping by
        # some caller still yields nobody from another centre.
        enrolments = enrolments.filter(cohort__course__centre_id__in=centres)
    return (
        enrolments.select_related("trainee", "completion")
        .annotate(
            modules_done=Count(
                "progress",
                filter=Q(
                    progress__completed_at__isnull=False,
                    progress__module__is_active=True,
                    progress__module__required=True,
                ),
            ),
            # One join, not a query per row: the profile is read in the same query.
            role_type_shown=Coalesce(
                NullIf(F("role_type"), Value("")),
                F("trainee__profile__role_type"),
                Value(""),
            ),
        )
        .order_by("trainee__full_name", "pk")
    )


def module_required_count(cohort: Cohort) -> int:
    """Active required modules of a cohort's course (the roster's denominator)."""
    annotated = getattr(cohort, "modules_required", None)
    if annotated is not None:
        return annotated
    return cohort.course.modules.filter(is_active=True, required=True).count()


@dataclass(frozen=True)
class ModuleView:
    """What a module page needs about the trainee: row, enrolment, progress, order."""

    module: Module | None
    enrolment: Enrolment | None
    progress: ModuleProgress | None
    previous: Module | None
    next: Module | None


def module_view_get(*, user: User, source_key: object) -> ModuleView:
    """The module row published from a page and the trainee's state in it.

    Two queries once the trainee has opened it: the course's active modules
    (this one among them), then the progress row with its enrolment.
    """
    siblings = list(
        Module.objects.filter(course__modules__source_key=source_key, is_active=True)
        .select_related("course")
        .order_by("position")
    )
    index = next(
        (i for i, m in enumerate(siblings) if str(m.source_key) == str(source_key)),
        None,
    )
    if index is None:
        # A retired module (page unpublished since) is not among the active ones.
        module = (
            Module.objects.select_related("course")
            .filter(source_key=source_key)
            .first()
        )
        if module is None:
            return ModuleView(None, None, None, None, None)
        previous = following = None
    else:
        module = siblings[index]
        previous = siblings[index - 1] if index else None
        following = siblings[index + 1] if index + 1 < len(siblings) else None
    enrolment = progress = None
    if user.is_authenticated:
        # Once the trainee has opened the module, one query brings both rows.
        progress = (
            ModuleProgress.objects.select_related("enrolment")
            .filter(enrolment__trainee=user, module=module)
            .first()
        )
        if progress is not None:
            enrolment = progress.enrolment
        else:
            enrolment = Enrolment.objects.filter(
                trainee=user, course_id=module.course_id
            ).first()
    return ModuleView(module, enrolment, progress, previous, following)


def enrolment_request_list_for_staff(user: User) -> QuerySet[Enrolment]:
    """Pending enrolment requests of the courses of the staff member's centres.

    A request for a cohort carries `cohort_places_left` (its capacity less the
    active and completed trainees in it), so the page shows it without a query
    per row.
    """
    requests = Enrolment.objects.filter(state=EnrolmentState.REQUESTED)
    centres = centre_ids_for_staff(user)
    if centres is not None:
        requests = requests.filter(course__centre_id__in=centres)
    taken = (
        Enrolment.objects.filter(
            cohort_id=OuterRef("cohort_id"),
            state__in=(EnrolmentState.ACTIVE, EnrolmentState.COMPLETED),
        )
        .order_by()
        .values("cohort_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        requests.select_related("trainee", "course__centre", "cohort")
        .annotate(
            cohort_places_left=Greatest(
                F("cohort__capacity") - Coalesce(Subquery(taken), 0), 0
            )
        )
        .order_by("requested_at", "pk")
    )


def course_list_for_staff(user: User) -> QuerySet[Course]:
    """Courses of the staff member's centres (all for the central admin)."""
    courses = Course.objects.select_related("centre").order_by("centre__code", "code")
    centres = centre_ids_for_staff(user)
    if centres is not None:
        courses = courses.filter(centre_id__in=centres)
    return courses


def trainer_list_for_staff(*, user: User, course: Course | None) -> QuerySet[User]:
    """Trainers who may run a cohort: of the course's centre, else of the person's."""
    if course is not None:
        centres: Any = [course.centre_id]
    else:
        centres = centre_ids_for_staff(user)
        if centres is None:
            centres = Organisation.objects.centres().values("pk")
    return User.objects.filter(
        pk__in=Membership.objects.active()
        .filter(role=Role.TRAINER, organisation_id__in=centres)
        .values("user_id")
    ).order_by("full_name")
