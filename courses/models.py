"""Courses, modules, cohorts (angkatan), enrolment, progress and completion.

These rows are the system of record for training. Wagtail pages point at them
(never the other way round), so drafts and page revisions cannot touch what a
trainee has done. Each course and module carries the stable key of the content
it was published from (`source_key`) so a republish updates the same rows.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.models import CompetencyUnit, Organisation, TimeZone


class DeliveryMode(models.TextChoices):
    ONLINE = "daring", _("Online (daring)")
    IN_PERSON = "luring", _("In person (luring)")
    BLENDED = "blended", _("Blended")


class EnrolmentPolicy(models.TextChoices):
    OPEN = "open", _("Open: trainees enrol themselves")
    APPROVAL = "approval", _("On request, approved by the centre")
    COHORT_ONLY = "cohort", _("Cohort only: the centre enrols trainees")


class CompletionRule(models.TextChoices):
    VIEWED = "viewed", _("Viewed")
    TIME_SPENT = "time", _("Time spent")
    H5P_COMPLETED = "h5p", _("H5P activity completed")
    ASSESSMENT_PASSED = "assessment", _("Assessment passed")


class CourseQuerySet(models.QuerySet["Course"]):
    def for_centre(self, centre: Organisation) -> CourseQuerySet:
        return self.filter(centre=centre)

    def enrollable(self) -> CourseQuerySet:
        return self.filter(is_open=True)


class Course(models.Model):
    """A course a regional centre offers, as last published by its trainers."""

    centre = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name=_("centre"),
        limit_choices_to={"kind": "centre"},
    )
    # The published content's stable key (a page's translation key): the link
    # from content to record without a foreign key into the cms.
    source_key = models.UUIDField(_("source key"), unique=True)
    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=255)
    summary = models.TextField(_("summary"), blank=True)
    audience = models.TextField(_("audience"), blank=True)
    delivery_mode = models.CharField(
        _("delivery mode"),
        max_length=10,
        choices=DeliveryMode.choices,
        default=DeliveryMode.ONLINE,
    )
    total_jp = models.PositiveIntegerField(_("total JP"), default=0)
    enrolment_policy = models.CharField(
        _("enrolment policy"),
        max_length=10,
        choices=EnrolmentPolicy.choices,
        default=EnrolmentPolicy.OPEN,
    )
    units = models.ManyToManyField(
        CompetencyUnit, blank=True, related_name="+", verbose_name=_("target units")
    )
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, verbose_name=_("prerequisites")
    )
    # Unpublishing closes enrolment; the row and every record on it stay.
    is_open = models.BooleanField(_("open for enrolment"), default=True)
    url = models.CharField(_("address"), max_length=500, blank=True)
    synced_at = models.DateTimeField(_("last synchronised"), null=True, blank=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "code"], name="courses_course_code_per_centre"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Module(models.Model):
    """One module of a course, in order; retired modules keep their progress."""

    course = models.ForeignKey(
        Course,
        on_delete=models.CASCADE,
        related_name="modules",
        verbose_name=_("course"),
    )
    source_key = models.UUIDField(_("source key"), unique=True)
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=255)
    jp = models.PositiveIntegerField(_("JP"), default=0)
    estimated_minutes = models.PositiveIntegerField(_("estimated minutes"), default=0)
    completion_rule = models.CharField(
        _("completion rule"),
        max_length=12,
        choices=CompletionRule.choices,
        default=CompletionRule.VIEWED,
    )
    min_seconds = models.PositiveIntegerField(
        _("minimum seconds"),
        default=0,
        help_text=_("For the time-spent rule: seconds the trainee must spend."),
    )
    required = models.BooleanField(_("required"), default=True)
    # A module page removed or unpublished is retired, not deleted: progress stays.
    is_active = models.BooleanField(_("active"), default=True)
    url = models.CharField(_("address"), max_length=500, blank=True)
    h5p_contents = models.ManyToManyField(
        "h5p.H5PContent",
        blank=True,
        related_name="modules",
        verbose_name=_("H5P contents"),
        help_text=_("The H5P exercises the published module embeds (set on publish)."),
    )
    assessments = models.ManyToManyField(
        "assessments.Assessment",
        blank=True,
        related_name="+",
        verbose_name=_("assessments"),
        help_text=_("The assessments the published module embeds (set on publish)."),
    )

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")
        ordering = ["course", "position"]

    def __str__(self) -> str:
        return self.title


class Cohort(models.Model):
    """A cohort (angkatan): one numbered run of a course at its centre."""

    course = models.ForeignKey(
        Course,
        on_delete=models.PROTECT,
        related_name="cohorts",
        verbose_name=_("course"),
    )
    # Centres number their runs in Roman numerals (XXXIV) or digits; kept as text.
    number = models.CharField(_("number"), max_length=20)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    time_zone = models.CharField(
        _("time zone"), max_length=40, choices=TimeZone.choices, default=TimeZone.WIB
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), validators=[MinValueValidator(1)]
    )
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("trainers"),
    )

    class Meta:
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        constraints = [
            models.UniqueConstraint(
                fields=["course", "number"], name="courses_cohort_number_per_course"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="courses_cohort_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.code} · {_('Cohort')} {self.number}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError(
                {"ends_on": _("A cohort cannot end before it starts.")}
            )


class EnrolmentState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Enrolment(models.Model):
    """A trainee's place on a course, optionally in a cohort."""

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("trainee"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="enrolments"
    )
    cohort = models.ForeignKey(
        Cohort,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="enrolments",
    )
    state = models.CharField(
        _("state"),
        max_length=12,
        choices=EnrolmentState.choices,
        default=EnrolmentState.ACTIVE,
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_module = models.ForeignKey(
        Module, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Why the centre declined a request (shown to the trainee on "my courses").
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    # The trainee's role in the programme as the centre enrolled them (the
    # import's `role_type`, e.g. "Pendamping PKH", "TKSK"); shown in the roster.
    role_type = models.CharField(_("role type"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(
                fields=["trainee", "course"], name="courses_one_enrolment_per_course"
            )
        ]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.course}"


class ModuleProgress(models.Model):
    """What one trainee has done in one module: viewed, time, where they stopped."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="progress"
    )
    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="+")
    first_viewed_at = models.DateTimeField(_("first viewed"), null=True, blank=True)
    seconds_spent = models.PositiveIntegerField(_("seconds spent"), default=0)
    last_position = models.CharField(_("last position"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("module progress")
        verbose_name_plural = _("module progress")
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment", "module"], name="courses_progress_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrolment} · {self.module}"


class CourseCompletion(models.Model):
    """Training completion of a course, with JP earned; kept if the course changes."""

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.PROTECT, related_name="completion"
    )
    completed_at = models.DateTimeField(_("completed"))
    jp_earned = models.PositiveIntegerField(_("JP earned"))

    class Meta:
        verbose_name = _("course completion")
        verbose_name_plural = _("course completions")

    def __str__(self) -> str:
        return f"{self.enrolment} · {self.jp_earned} JP"
