"""Writes of the courses domain: publishing sync, enrolment, progress, completion.

Every function here is keyword-only, runs in one transaction and validates all
its input before writing, raising one ValidationError that names every problem.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.models import Attempt
from assessments.selectors import assessment_grade_for_trainee
from lms.certification.services import training_certificate_issue
from lms.evidence.models import EvidenceCategory, EvidenceKind, EvidenceOutcome
from lms.evidence.services import evidence_record
from lms.models import (
    CompetencyUnit,
    Membership,
    Organisation,
    Role,
    TimeZone,
    User,
)

from .models import (
    Cohort,
    CompletionRule,
    Course,
    CourseCompletion,
    Enrolment,
    EnrolmentPolicy,
    EnrolmentState,
    Module,
    ModuleProgress,
)


@dataclass(frozen=True)
class ModuleSpec:
    """A published module as the content side describes it to `course_sync`."""

    source_key: uuid.UUID
    title: str
    jp: int = 0
    estimated_minutes: int = 0
    completion_rule: str = CompletionRule.VIEWED
    min_seconds: int = 0
    required: bool = True
    url: str = ""
    # The H5P contents the published body embeds: who may play them follows it.
    h5p_content_ids: tuple[int, ...] = ()
    # The assessments it embeds: "assessment passed" completes the module.
    assessment_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CourseSpec:
    """A published course and its live modules, in order."""

    source_key: uuid.UUID
    centre: Organisation
    code: str
    title: str
    summary: str = ""
    audience: str = ""
    delivery_mode: str = "daring"
    total_jp: int = 0
    enrolment_policy: str = EnrolmentPolicy.OPEN
    url: str = ""
    unit_ids: list[int] = field(default_factory=list)
    prerequisite_keys: list[uuid.UUID] = field(default_factory=list)
    modules: list[ModuleSpec] = field(default_factory=list)


@transaction.atomic
def course_sync(*, spec: CourseSpec) -> Course:
    """Bring a course's rows in line with its published content.

    Modules are matched by their source key, so a republish updates titles,
    order, JP and rules in place and every trainee's progress stays attached.
    Modules no longer published are retired (inactive), never deleted. The
    course is (re)opened for enrolment.
    """
    course = (
        Course.objects.select_for_update().filter(source_key=spec.source_key).first()
    )
    if course is None:
        course = Course(source_key=spec.source_key)
    course.centre = spec.centre
    course.code = spec.code
    course.title = spec.title
    course.summary = spec.summary
    course.audience = spec.audience
    course.delivery_mode = spec.delivery_mode
    course.total_jp = spec.total_jp
    course.enrolment_policy = spec.enrolment_policy
    course.url = spec.url
    course.is_open = True
    course.synced_at = timezone.now()
    course.full_clean()
    course.save()

    existing = {m.source_key: m for m in Module.objects.filter(course=course)}
    keep: set[uuid.UUID] = set()
    to_create: list[Module] = []
    to_update: list[Module] = []
    for position, item in enumerate(spec.modules, start=1):
        module = existing.get(item.source_key)
        fresh = module is None
        if fresh:
            module = Module(course=course, source_key=item.source_key)
        module.position = position
        module.title = item.title
        module.jp = item.jp
        module.estimated_minutes = item.estimated_minutes
        module.completion_rule = item.completion_rule
        module.min_seconds = item.min_seconds
        module.required = item.required
        module.url = item.url
        module.is_active = True
        module.full_clean(exclude=["course", "source_key"] if not fresh else ["course"])
        keep.add(item.source_key)
        (to_create if fresh else to_update).append(module)
    Module.objects.bulk_create(to_create)
    if to_update:
        Module.objects.bulk_update(
            to_update,
            [
                "position",
                "title",
                "jp",
                "estimated_minutes",
                "completion_rule",
                "min_seconds",
                "required",
                "url",
                "is_active",
            ],
        )
    Module.objects.filter(course=course).exclude(source_key__in=keep).update(
        is_active=False
    )
    _module_links_set(course=course, spec=spec)
    course.units.set(CompetencyUnit.objects.filter(pk__in=spec.unit_ids))
    course.prerequisites.set(
        Course.objects.filter(source_key__in=spec.prerequisite_keys)
    )
    return course


def _module_links_set(*, course: Course, spec: CourseSpec) -> None:
    """Replace the course's module → H5P and assessment links with the published
    ones (set-based: one delete and one insert per kind of link)."""
    modules = dict(
        Module.objects.filter(
            course=course, source_key__in=[m.source_key for m in spec.modules]
        ).values_list("source_key", "pk")
    )
    for relation, column, attribute in (
        (Module.h5p_contents, "h5pcontent_id", "h5p_content_ids"),
        (Module.assessments, "assessment_id", "assessment_ids"),
    ):
        through = relation.through
        through.objects.filter(module__course=course).delete()
        through.objects.bulk_create(
            [
                through(module_id=modules[item.source_key], **{column: linked})
                for item in spec.modules
                for linked in dict.fromkeys(getattr(item, attribute))
            ],
            batch_size=1000,
        )


@transaction.atomic
def course_close(*, source_key: uuid.UUID) -> Course | None:
    """Close a course for enrolment when its page is unpublished; records stay."""
    course = Course.objects.filter(source_key=source_key).first()
    if course is not None and course.is_open:
        course.is_open = False
        course.save(update_fields=["is_open"])
    return course


@transaction.atomic
def module_retire(*, source_key: uuid.UUID) -> None:
    """Retire a module whose page was unpublished; progress on it stays."""
    Module.objects.filter(source_key=source_key).update(is_active=False)


def _prerequisites_missing(*, trainee: User, course: Course) -> list[Course]:
    done = set(
        CourseCompletion.objects.filter(
            enrolment__trainee=trainee,
            enrolment__course__in=course.prerequisites.all(),
        ).values_list("enrolment__course_id", flat=True)
    )
    return [c for c in course.prerequisites.all() if c.pk not in done]


# A place in a cohort is held by an active or completed enrolment; a request
# waits for one and a withdrawn trainee has given theirs up.
PLACE_HOLDING_STATES = (EnrolmentState.ACTIVE, EnrolmentState.COMPLETED)


def _capacity_problems(*, enrolments: list[Enrolment]) -> list[str]:
    """Why approving `enrolments` would overfill their cohorts; one message each.

    Locks the cohorts so two decisions at once cannot both take the last place.
    Requests are served in the order they came; the ones past the places left
    are named.
    """
    waiting: dict[int, list[Enrolment]] = {}
    for enrolment in sorted(enrolments, key=lambda e: (e.requested_at, e.pk)):
        if enrolment.cohort_id is not None:
            waiting.setdefault(enrolment.cohort_id, []).append(enrolment)
    if not waiting:
        return []
    cohorts = list(
        Cohort.objects.select_for_update()
        .filter(pk__in=waiting)
        .select_related("course")
        .order_by("pk")
    )
    taken = dict(
        Enrolment.objects.filter(cohort_id__in=waiting, state__in=PLACE_HOLDING_STATES)
        .values_list("cohort_id")
        .annotate(n=Count("pk"))
        .values_list("cohort_id", "n")
    )
    problems = []
    for cohort in cohorts:
        left = max(cohort.capacity - taken.get(cohort.pk, 0), 0)
        extra = waiting[cohort.pk][left:]
        if extra:
            problems.append(
                ngettext(
                    "%(cohort)s has %(left)d place left; these requests do not "
                    "fit: %(names)s.",
                    "%(cohort)s has %(left)d places left; these requests do not "
                    "fit: %(names)s.",
                    left,
                )
                % {
                    "cohort": cohort,
                    "left": left,
                    "names": ", ".join(str(e.trainee) for e in extra),
                }
            )
    return problems


def _enrolment_problems(
    *, trainee: User, course: Course, cohort: Cohort | None
) -> list[str]:
    problems: list[str] = []
    if not course.is_open:
        problems.append(_("This course is closed for enrolment."))
    missing = _prerequisites_missing(trainee=trainee, course=course)
    if missing:
        problems.append(
            _("First complete: %(courses)s.")
            % {"courses": ", ".join(str(c) for c in missing)}
        )
    if cohort is not None:
        if cohort.course_id != course.pk:
            problems.append(_("This cohort belongs to another course."))
        taken = cohort.enrolments.filter(state__in=PLACE_HOLDING_STATES).count()
        if taken >= cohort.capacity:
            problems.append(_("Cohort %(number)s is full.") % {"number": cohort.number})
    return problems


@transaction.atomic
def enrolment_self_enrol(*, trainee: User, course: Course) -> Enrolment:
    """A trainee enrols themselves (open courses) or asks for a place (approval).

    Idempotent: a trainee already enrolled gets their enrolment back. Cohort-only
    courses refuse: the centre enrols trainees there.
    """
    existing = Enrolment.objects.filter(trainee=trainee, course=course).first()
    if existing is not None and existing.state != EnrolmentState.WITHDRAWN:
        return existing
    problems = _enrolment_problems(trainee=trainee, course=course, cohort=None)
    if course.enrolment_policy == EnrolmentPolicy.COHORT_ONLY:
        problems.append(_("Trainees are enrolled in this course by the centre."))
    if problems:
        raise ValidationError(problems)
    state = (
        EnrolmentState.ACTIVE
        if course.enrolment_policy == EnrolmentPolicy.OPEN
        else EnrolmentState.REQUESTED
    )
    enrolment = existing or Enrolment(trainee=trainee, course=course)
    enrolment.state = state
    enrolment.full_clean(validate_constraints=False)
    enrolment.save()
    return enrolment


@transaction.atomic
def enrolment_decide(
    *, enrolment: Enrolment, approve: bool, decided_by: User, reason: str = ""
) -> Enrolment:
    """The centre approves or declines a requested place (with an optional reason).

    Approving a request for a cohort that has no place left is refused, saying
    how many places are left; nothing is written.
    """
    enrolment = (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("trainee")
        .get(pk=enrolment.pk)
    )
    if enrolment.state != EnrolmentState.REQUESTED:
        raise ValidationError(_("Only a requested enrolment can be decided."))
    if approve:
        problems = _capacity_problems(enrolments=[enrolment])
        if problems:
            raise ValidationError(problems)
    enrolment.state = EnrolmentState.ACTIVE if approve else EnrolmentState.WITHDRAWN
    enrolment.decided_at = timezone.now()
    enrolment.decided_by = decided_by
    enrolment.decision_reason = reason.strip()
    enrolment.full_clean(validate_constraints=False)
    enrolment.save()
    return enrolment


@transaction.atomic
def enrolment_decide_many(
    *,
    enrolments: list[Enrolment],
    approve: bool,
    decided_by: User,
    reason: str = "",
) -> list[Enrolment]:
    """Approve or decline several requests at once; all or nothing.

    A decline needs a reason (the trainee sees it). An approval must fit in
    each cohort's places left: the requests that do not fit are named and none
    is approved. Every problem is named before anything is written.
    """
    problems: list[str] = []
    if not enrolments:
        problems.append(_("Select at least one request."))
    if not approve and not reason.strip():
        problems.append(_("Give a reason when declining a request."))
    if len(reason) > 1000:
        problems.append(_("The reason is longer than 1,000 characters."))
    not_requested = [e for e in enrolments if e.state != EnrolmentState.REQUESTED]
    if not_requested:
        problems.append(
            _("Already decided: %(names)s.")
            % {"names": ", ".join(str(e.trainee) for e in not_requested)}
        )
    if approve:
        problems += _capacity_problems(
            enrolments=[e for e in enrolments if e.state == EnrolmentState.REQUESTED]
        )
    if problems:
        raise ValidationError(problems)
    return [
        enrolment_decide(
            enrolment=e, approve=approve, decided_by=decided_by, reason=reason
        )
        for e in enrolments
    ]


@transaction.atomic
def enrolment_cohort_add(
    *,
    trainee: User,
    cohort: Cohort,
    added_by: User | None = None,
    role_type: str = "",
) -> Enrolment:
    """The centre puts a trainee in a cohort (any policy); idempotent.

    `role_type` (the trainee's role in the programme) is kept on the enrolment
    when given.
    """
    course = cohort.course
    existing = Enrolment.objects.filter(trainee=trainee, course=course).first()
    if existing is not None and existing.cohort_id == cohort.pk:
        if role_type.strip() and existing.role_type != role_type.strip():
            existing.role_type = role_type.strip()[:100]
            existing.save(update_fields=["role_type"])
        return existing
    problems = _enrolment_problems(trainee=trainee, course=course, cohort=cohort)
    if problems:
        raise ValidationError(problems)
    enrolment = existing or Enrolment(trainee=trainee, course=course)
    enrolment.cohort = cohort
    if role_type.strip():
        enrolment.role_type = role_type.strip()[:100]
    if enrolment.state in (EnrolmentState.REQUESTED, EnrolmentState.WITHDRAWN):
        enrolment.state = EnrolmentState.ACTIVE
    enrolment.decided_at = timezone.now()
    enrolment.decided_by = added_by
    enrolment.full_clean(validate_constraints=False)
    enrolment.save()
    return enrolment


def _rule_met(module: Module, progress: ModuleProgress) -> bool:
    if module.completion_rule == CompletionRule.VIEWED:
        return progress.first_viewed_at is not None
    if module.completion_rule == CompletionRule.TIME_SPENT:
        return progress.seconds_spent >= module.min_seconds
    if module.completion_rule == CompletionRule.ASSESSMENT_PASSED:
        trainee = progress.enrolment.trainee
        return any(
            (grade := assessment_grade_for_trainee(assessment=a, trainee=trainee))
            is not None
            and grade >= a.pass_mark
            for a in module.assessments.all()
        )
    # The H5P rule is completed by the H5P engine's services.
    return False


def modules_complete_for_graded_attempt(*, attempt: Attempt) -> int:
    """Re-check "assessment passed" modules after an attempt is graded.

    Called by the `attempt_graded` receiver; returns the modules re-checked.
    """
    modules = Module.objects.filter(
        is_active=True,
        completion_rule=CompletionRule.ASSESSMENT_PASSED,
        assessments=attempt.assessment_id,
        course__enrolments__trainee=attempt.trainee_id,
        course__enrolments__state__in=[EnrolmentState.ACTIVE, EnrolmentState.COMPLETED],
    ).distinct()
    count = 0
    for module in modules:
        module_progress_record(trainee=attempt.trainee, module=module)
        count += 1
    return count


@transaction.atomic
def module_progress_record(
    *,
    trainee: User,
    module: Module,
    seconds: int = 0,
    position: str | None = None,
) -> ModuleProgress:
    """Record that a trainee viewed a module, time spent and where they stopped.

    Completes the module when its rule is met and the course when every active
    required module is complete (JP earned, training evidence written).
    """
    errors: dict[str, list[str]] = {}
    enrolment = (
        Enrolment.objects.select_for_update()
        .filter(trainee=trainee, course_id=module.course_id)
        .first()
    )
    if enrolment is None or enrolment.state not in (
        EnrolmentState.ACTIVE,
        EnrolmentState.COMPLETED,
    ):
        errors.setdefault("module", []).append(
            _("You are not enrolled in this course.")
        )
    if seconds < 0 or seconds > 3600:
        errors.setdefault("seconds", []).append(
            _("Time spent per report must be between 0 and 3600 seconds.")
        )
    if position is not None and len(position) > 200:
        errors.setdefault("position", []).append(_("The position is too long."))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    progress, _created = ModuleProgress.objects.get_or_create(
        enrolment=enrolment, module=module
    )
    if progress.first_viewed_at is None:
        progress.first_viewed_at = now
    progress.seconds_spent += seconds
    if position is not None:
        progress.last_position = position
    if progress.completed_at is None and _rule_met(module, progress):
        progress.completed_at = now
    progress.full_clean(validate_constraints=False)
    progress.save()
    enrolment.last_module = module
    enrolment.save(update_fields=["last_module"])
    if progress.completed_at is not None:
        course_completion_check(enrolment=enrolment)
    return progress


@transaction.atomic
def course_completion_check(*, enrolment: Enrolment) -> CourseCompletion | None:
    """Complete the course when every active required module is complete.

    JP earned is the course's total JP, or the sum of module JP when the course
    gives none. Writes one supplementary training evidence row per unit the
    course targets (idempotent by key, so a second check writes nothing) and
    issues the training certificate (sertifikat pelatihan) of the completion
    from the centre, unique per completion, so completing twice issues one.
    """
    existing = CourseCompletion.objects.filter(enrolment=enrolment).first()
    if existing is not None:
        return existing
    course = enrolment.course
    required = Module.objects.filter(course=course, is_active=True, required=True)
    if not required.exists():
        return None
    open_modules = required.exclude(
        pk__in=ModuleProgress.objects.filter(
            enrolment=enrolment, completed_at__isnull=False
        ).values("module_id")
    )
    if open_modules.exists():
        return None
    jp = course.total_jp or (
        Module.objects.filter(course=course, is_active=True).aggregate(s=Sum("jp"))["s"]
        or 0
    )
    now = timezone.now()
    completion = CourseCompletion(enrolment=enrolment, completed_at=now, jp_earned=jp)
    completion.full_clean()
    completion.save()
    enrolment.state = EnrolmentState.COMPLETED
    enrolment.save(update_fields=["state"])
    evidence = [
        evidence_record(
            trainee=enrolment.trainee,
            unit=unit,
            source_uri=f"urn:lms:course:{course.source_key}",
            source_title=str(course),
            kind=EvidenceKind.SUPPLEMENTARY,
            category=EvidenceCategory.TRAINING,
            outcome=EvidenceOutcome.COMPLETED,
            verified=True,
            occurred_at=now,
            idempotency_key=f"course-completion:{enrolment.pk}:{unit.pk}",
        )
        for unit in course.units.all()
    ]
    # The certificate lists the units of the training evidence, so a course
    # that targets none has nothing to certify; no JP, no certificate either.
    if evidence and jp > 0:
        training_certificate_issue(
            evidence=evidence[0],
            jp=jp,
            centre=course.centre,
            issued_by=None,
            issued_on=timezone.localdate(now),
        )
    return completion


# Cohort numbers: digits, or Roman numerals as centres write them (XXXIV).
_COHORT_NUMBER = re.compile(
    r"^(?:[0-9]{1,6}|M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))$"
)


@transaction.atomic
def cohort_save(
    *,
    course: Course,
    number: str,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    time_zone: str,
    capacity: int | None,
    trainer_ids: list[int],
    cohort: Cohort | None = None,
) -> Cohort:
    """Create or edit a cohort (angkatan) of a course; every problem named at once.

    The number is digits or a Roman numeral (upper case, e.g. XXXIV) and unique
    per course; trainers must be trainers of the course's centre; an edited
    cohort's capacity cannot drop below the trainees already in it. A dates or
    capacity of None means the form value was missing or unreadable.
    """
    problems: dict[str, list[str]] = {}

    def add(field_name: str, message: str) -> None:
        problems.setdefault(field_name, []).append(message)

    number = number.strip().upper()
    if not number:
        add("number", _("The cohort number is required."))
    elif not _COHORT_NUMBER.match(number):
        add(
            "number",
            _("The cohort number must be digits or a Roman numeral (e.g. XXXIV)."),
        )
    elif (
        Cohort.objects.filter(course=course, number=number)
        .exclude(pk=cohort.pk if cohort else None)
        .exists()
    ):
        add(
            "number",
            _("This course already has cohort %(number)s.") % {"number": number},
        )
    if cohort is not None and cohort.course_id != course.pk:
        add("course", _("A cohort cannot move to another course."))
    if starts_on is None:
        add("starts_on", _("Enter a valid start date."))
    if ends_on is None:
        add("ends_on", _("Enter a valid end date."))
    if starts_on and ends_on and ends_on < starts_on:
        add("ends_on", _("A cohort cannot end before it starts."))
    if time_zone not in TimeZone.values:
        add("time_zone", _("Choose WIB, WITA or WIT."))
    if capacity is None or capacity < 1:
        add("capacity", _("The capacity must be a whole number of at least 1."))
    elif cohort is not None:
        taken = cohort.enrolments.filter(state__in=PLACE_HOLDING_STATES).count()
        if capacity < taken:
            add(
                "capacity",
                _("%(count)d trainees are already in this cohort.") % {"count": taken},
            )
    trainers = list(
        User.objects.filter(
            pk__in=Membership.objects.active()
            .filter(
                organisation_id=course.centre_id,
                role=Role.TRAINER,
                user_id__in=trainer_ids,
            )
            .values("user_id")
        )
    )
    if len(trainers) != len(set(trainer_ids)):
        add("trainers", _("Choose trainers of this course's centre only."))
    if problems:
        raise ValidationError(problems)
    cohort = cohort or Cohort(course=course)
    cohort.number = number
    cohort.starts_on = starts_on
    cohort.ends_on = ends_on
    cohort.time_zone = time_zone
    cohort.capacity = capacity
    cohort.full_clean(validate_constraints=False)
    cohort.save()
    cohort.trainers.set(trainers)
    return cohort
