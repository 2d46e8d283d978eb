"""Submissions waiting for a person's mark, and the marks given to them.

A `Submission` is opened by `assessments.services.attempt_submit` for every answer
that needs marking (essay, assignment, observation, oral record). Graders only ever
see its `candidate_code`, never who the trainee is.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.models import Organisation


def candidate_code_new() -> str:
    """A random, unguessable code graders see instead of the trainee (K-7F3A9C2D)."""
    return "K-" + secrets.token_hex(4).upper()


class SubmissionState(models.TextChoices):
    UNMARKED = "unmarked", _("Unmarked")
    IN_MARKING = "in_marking", _("In marking")
    MARKED = "marked", _("Marked")
    MODERATED = "moderated", _("Moderated")
    RELEASED = "released", _("Released")


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
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(version__gte=1), name="grading_submission_version_positive"
            )
        ]

    def __str__(self) -> str:
        return self.candidate_code


class Mark(models.Model):
    """One save of a marker's mark (append-only: every save is a new row).

    The newest row of a submission is the mark in force; `final` marks the one
    the marker completed. Levels chosen on a rubric are kept as
    {rubric criterion id: level id}.
    """

    submission = models.ForeignKey(
        Submission, on_delete=models.PROTECT, related_name="marks"
    )
    marker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    score = models.DecimalField(_("score"), max_digits=9, decimal_places=2)
    levels = models.JSONField(_("rubric levels"), default=dict, blank=True)
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
