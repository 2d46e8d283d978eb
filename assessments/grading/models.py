"""Submissions waiting for a person's mark, and the marks given to them.

A `Submission` is opened by `assessments.services.attempt_submit` for every answer
that needs marking (essay, assignment, observation, oral record). Graders only ever
see its `candidate_code`, never who the trainee is.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.models import Organisation


def candidate_code_new() -> str:
    """A random, unguessable code graders see instead of the trainee (K-7F3A9C2D)."""
    return "K-" + secrets.token_hex(4).upper()


class SubmissionState(models.TextChoices):
    """unmarked → in_marking → marked (one marker) or moderated (agreed by two or
    decided by a third) → released."""

    UNMARKED = "unmarked", _("Unmarked")
    IN_MARKING = "in_marking", _("In marking")
    MARKED = "marked", _("Marked")
    MODERATED = "moderated", _("Moderated")
    RELEASED = "released", _("Released")


# States in which the submission's final score is settled.
FINAL_STATES = (SubmissionState.MARKED, SubmissionState.MODERATED)
OPEN_STATES = (SubmissionState.UNMARKED, SubmissionState.IN_MARKING)
# A claim left alone this long lapses, so a submission is never stuck with
# someone who went home.
CLAIM_TIMEOUT = timedelta(hours=2)


class MarkerRole(models.TextChoices):
    """Which mark a marker gives: first, second (double marking), third (a gap)."""

    FIRST = "first", _("First marker")
    SECOND = "second", _("Second marker")
    THIRD = "third", _("Third marker")


class Submission(models.Model):
    """One answer waiting for, or given, a person's mark."""

    answer = models.OneToOneField(
        "assessments.Answer", on_delete=models.PROTECT, related_name="submission"
    )
    attempt = models.ForeignKey(
        "assessments.Attempt", on_delete=models.PROTECT, related_name="submissions"
    )
    assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.PROTECT, related_name="submissions"
    )
    centre = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    context = models.CharField(_("context"), max_length=100, blank=True)
    candidate_code = models.CharField(
        _("candidate code"), max_length=20, unique=True, default=candidate_code_new
    )
    university = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocated_submissions",
        verbose_name=_("university"),
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=SubmissionState.choices,
        default=SubmissionState.UNMARKED,
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    marking_role = models.CharField(
        _("next mark"),
        max_length=10,
        choices=MarkerRole.choices,
        default=MarkerRole.FIRST,
        help_text=_("Which marker's mark the submission waits for."),
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    final_score = models.DecimalField(
        _("final score"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "pk"]
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        indexes = [
            models.Index(
                fields=["university", "state", "submitted_at"],
                name="grading_queue_idx",
            ),
            models.Index(
                fields=["university", "submitted_at", "id"],
                name="grading_university_order_idx",
            ),
            # The open queue of one university, already in queue order: a page
            # is read straight off the index, whatever the backlog.
            models.Index(
                fields=["university", "submitted_at", "id"],
                condition=Q(state__in=["unmarked", "in_marking"]),
                name="grading_open_queue_idx",
            ),
            models.Index(
                fields=["university", "assessment", "submitted_at", "id"],
                condition=Q(state__in=["unmarked", "in_marking"]),
                name="grading_open_by_assessment_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(version__gte=1), name="grading_submission_version_positive"
            )
        ]

    def __str__(self) -> str:
        return self.candidate_code

    @property
    def rubric(self):
        """The rubric it is marked with: the essay question's, or the section's."""
        answer = self.answer
        if answer.question_version_id:
            return answer.question_version.question.rubric
        return answer.section.rubric


class Allocation(models.Model):
    """History: a submission was given to a university, by whom, how and when."""

    class Method(models.TextChoices):
        MANUAL = "manual", _("Manual")
        AUTOMATIC = "automatic", _("Automatic (balanced)")

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="allocations"
    )
    university = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(
        _("method"), max_length=20, choices=Method.choices, default=Method.MANUAL
    )
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("allocated at"), auto_now_add=True)

    class Meta:
        ordering = ["submission", "created_at", "pk"]
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")

    def __str__(self) -> str:
        return f"{self.submission_id} → {self.university_id}"


class MarkerAssignment(models.Model):
    """A named grader for one marker role of a submission (first, second, third).

    A submission without an assignment for its current role is open to every
    grader of its university; with one, only to the assigned grader.
    """

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="assignments"
    )
    grader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(_("role"), max_length=10, choices=MarkerRole.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned at"), auto_now_add=True)

    class Meta:
        ordering = ["submission", "role"]
        verbose_name = _("marker assignment")
        verbose_name_plural = _("marker assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "role"], name="grading_assignment_one_per_role"
            )
        ]
        indexes = [models.Index(fields=["grader", "role"])]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.role}: {self.grader_id}"


class Mark(models.Model):
    """One save of a marker's mark (append-only: every save is a new row).

    A marker's newest row for a role is their mark in force; `final` marks the
    one they completed (a draft otherwise). Levels chosen on a rubric are kept as
    `MarkLevel` rows. `version` is the submission's version this save produced.
    """

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="marks"
    )
    marker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(
        _("role"), max_length=10, choices=MarkerRole.choices, default=MarkerRole.FIRST
    )
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=2)
    feedback = models.TextField(_("feedback"), blank=True)
    final = models.BooleanField(_("final"), default=False)
    version = models.PositiveIntegerField(_("submission version"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["submission", "created_at", "pk"]
        verbose_name = _("mark")
        verbose_name_plural = _("marks")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "version"], name="grading_mark_one_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.submission_id} v{self.version}: {self.score}"


class MarkLevel(models.Model):
    """The level a mark chose on one rubric criterion (and the points it gave)."""

    mark = models.ForeignKey(Mark, on_delete=models.PROTECT, related_name="levels")
    rubric_criterion = models.ForeignKey(
        "assessments.RubricCriterion", on_delete=models.PROTECT, related_name="+"
    )
    level = models.ForeignKey(
        "assessments.RubricLevel", on_delete=models.PROTECT, related_name="+"
    )
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["mark", "rubric_criterion"]
        constraints = [
            models.UniqueConstraint(
                fields=["mark", "rubric_criterion"], name="grading_marklevel_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.mark_id}: {self.rubric_criterion_id} → {self.level_id}"


def _feedback_path(instance: FeedbackFile, filename: str) -> str:
    # Stored under the candidate code, never a person's name.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return (
        f"grading/{instance.submission.candidate_code}/{secrets.token_hex(8)}.{suffix}"
    )


class FeedbackFile(models.Model):
    """A file a marker attaches as feedback (annotated script, audio comment)."""

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="feedback_files"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=_feedback_path)
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(max_length=100)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["submission", "created_at", "pk"]
        verbose_name = _("feedback file")
        verbose_name_plural = _("feedback files")

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.pk}"


class AppealState(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class Appeal(models.Model):
    """A trainee's appeal (banding, FR.AK-04) against a released result."""

    attempt = models.ForeignKey(
        "assessments.Attempt", on_delete=models.PROTECT, related_name="appeals"
    )
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=AppealState.choices,
        default=AppealState.OPEN,
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.TextField(_("outcome"), blank=True)
    new_score = models.DecimalField(
        _("new score"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.UniqueConstraint(
                fields=["attempt"],
                condition=Q(state="open"),
                name="grading_appeal_one_open",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="grading_appeal_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.state}"
