"""The evidence log (bukti): append-only rows a competency outcome is derived from.

Each row is a frozen *snapshot*: who showed what, against which unit / element / KUK,
from which source (URI and title as they were), with which score and outcome, judged
by whom, when, and whether the server verified it. Rows never change and are never
deleted; a correction is a new row, and the old row's `superseded_by` is set to it:
that single NULL → id step is the only update the log allows.

Three guards keep it so: the model's `save()`/`delete()`, its QuerySet's
`update()`/`delete()` (all backends), and on PostgreSQL a trigger (migration
0005) that refuses DELETE and any UPDATE but that one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an evidence record."""


class EvidenceKind(models.TextChoices):
    """The national evidence types: langsung, tidak langsung, tambahan (L/TL/T)."""

    DIRECT = "direct", _("Direct (L)")
    INDIRECT = "indirect", _("Indirect (TL)")
    SUPPLEMENTARY = "supplementary", _("Supplementary (T)")


class EvidenceCategory(models.TextChoices):
    TRAINING = "training", _("Training")
    ASSESSMENT = "assessment", _("Assessment")


class EvidenceOutcome(models.TextChoices):
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")
    COMPLETED = "completed", _("Completed")
    NOT_COMPLETED = "not_completed", _("Not completed")

    @classmethod
    def positive(cls) -> tuple[str, ...]:
        """Outcomes that count in the trainee's favour in a roll-up."""
        return (cls.MET.value, cls.COMPLETED.value)


class EvidenceRecordQuerySet(models.QuerySet["EvidenceRecord"]):
    """Reads as usual; refuses bulk changes except linking a correction."""

    def current(self) -> EvidenceRecordQuerySet:
        """Rows not superseded by a correction."""
        return self.filter(superseded_by__isnull=True)

    def update(self, **kwargs: Any) -> int:
        if set(kwargs) - {"superseded_by", "superseded_by_id"}:
            raise AppendOnlyError("Evidence records are append-only.")
        # Only rows not yet superseded may be linked (NULL → id, never id → id).
        linkable = self.filter(superseded_by__isnull=True)
        return super(EvidenceRecordQuerySet, linkable).update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Evidence records are append-only.")

    # bulk_update goes through update(); named here so the refusal is explicit.
    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("Evidence records are append-only.")


class EvidenceRecord(models.Model):
    """One piece of evidence for a trainee, against a unit (and element / KUK).

    Write only with `lms.evidence.services.evidence_record` and correct with
    `evidence_correct`.
    """

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evidence_records",
        verbose_name=_("trainee"),
    )
    unit = models.ForeignKey(
        "lms.CompetencyUnit",
        on_delete=models.PROTECT,
        related_name="evidence_records",
        verbose_name=_("unit"),
    )
    element = models.ForeignKey(
        "lms.CompetencyElement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence_records",
        verbose_name=_("element"),
    )
    criterion = models.ForeignKey(
        "lms.PerformanceCriterion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="evidence_records",
        verbose_name=_("performance criterion (KUK)"),
    )
    kind = models.CharField(_("kind"), max_length=15, choices=EvidenceKind.choices)
    category = models.CharField(
        _("category"), max_length=12, choices=EvidenceCategory.choices
    )
    source_uri = models.CharField(_("source URI"), max_length=500)
    source_title = models.CharField(_("source title"), max_length=300)
    score = models.DecimalField(
        _("score"), max_digits=9, decimal_places=3, null=True, blank=True
    )
    score_max = models.DecimalField(
        _("maximum score"), max_digits=9, decimal_places=3, null=True, blank=True
    )
    outcome = models.CharField(
        _("outcome"), max_length=15, choices=EvidenceOutcome.choices
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assessor"),
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    verified = models.BooleanField(
        _("verified by the server"),
        help_text=_("Only verified evidence counts towards certification."),
    )
    correction_reason = models.TextField(
        _("reason for the correction"),
        blank=True,
        help_text=_("Set on a row that corrects (supersedes) an earlier one."),
    )
    superseded_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("superseded by"),
    )
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=200, unique=True
    )

    objects = EvidenceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name = _("evidence record")
        verbose_name_plural = _("evidence records")
        indexes = [
            # The roll-up reads the current rows of (trainee, unit) pairs by time.
            models.Index(
                fields=["unit", "trainee", "occurred_at"],
                condition=Q(superseded_by__isnull=True),
                name="lms_evidence_current_idx",
            ),
            models.Index(fields=["trainee", "unit"], name="lms_evidence_trainee_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(score__isnull=True) & Q(score_max__isnull=True))
                | (
                    Q(score__isnull=False)
                    & Q(score_max__gt=0)
                    & Q(score__gte=0)
                    & Q(score__lte=models.F("score_max"))
                ),
                name="lms_evidence_score_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(superseded_by=models.F("id")),
                name="lms_evidence_not_self_superseded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainee_id} · {self.unit_id} · {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(
                "Evidence records are append-only; correct with evidence_correct()."
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Evidence records are append-only.")

    @property
    def ratio(self) -> float | None:
        """Score as a fraction of the maximum, when the row has a score."""
        if self.score is None or not self.score_max:
            return None
        return float(self.score / self.score_max)
