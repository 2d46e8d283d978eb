"""Competency records: one outcome per trainee per unit, derived from evidence.

A record is a cache of a roll-up (`lms.records.rollup`): it can be dropped and
recomputed from the evidence log at any time with `competency_recompute`, and the
incremental update after each new evidence row gives the same result.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CompetencyOutcome(models.TextChoices):
    COMPETENT = "K", _("Competent (Kompeten)")
    NOT_YET_COMPETENT = "BK", _("Not yet competent (Belum Kompeten)")
    PENDING = "pending", _("Pending (not enough evidence)")


class CompetencyRecord(models.Model):
    """A trainee's derived outcome on one competency unit (K, BK or pending).

    The foreign keys carry no database constraint (``db_constraint=False``): the
    rows are derived from evidence rows whose own foreign keys are enforced, and
    checking 1.6 million keys again at commit doubled the full roll-up's time.
    Django's deletion collector still cascades / protects as declared.
    ``computed_at`` is when the derived values last changed.
    """

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        db_constraint=False,
        # The unique (trainee, unit) index serves lookups by trainee.
        db_index=False,
        related_name="competency_records",
        verbose_name=_("trainee"),
    )
    unit = models.ForeignKey(
        "lms.CompetencyUnit",
        on_delete=models.PROTECT,
        db_constraint=False,
        related_name="competency_records",
        verbose_name=_("unit"),
    )
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=CompetencyOutcome.choices
    )
    method = models.CharField(_("roll-up method"), max_length=40)
    score = models.DecimalField(
        _("score"),
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("The value the method compared (points, ratio, average)."),
    )
    evidence_count = models.PositiveIntegerField(_("evidence counted"), default=0)
    last_evidence_at = models.DateTimeField(_("latest evidence"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["trainee", "unit"]
        verbose_name = _("competency record")
        verbose_name_plural = _("competency records")
        constraints = [
            models.UniqueConstraint(
                fields=["trainee", "unit"], name="lms_competencyrecord_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.trainee_id} · {self.unit_id} · {self.outcome}"
