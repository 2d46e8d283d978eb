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


class SchemeCompetence(models.Model):
    """A trainee competent (K) on every unit of a scheme: derived from the records.

    One row per (trainee, scheme) whose competency records are K on all the
    scheme's units; no row means not (yet) competent for the scheme. It is a
    cache of the records, kept by `competency_recompute` in the same transaction
    (full and incremental paths alike), so the dashboards read competence from
    one indexed table instead of re-deriving it from every record per request.
    `scheme_competence_refresh` rebuilds it for given schemes after a scheme's
    units change. ``as_of`` is the latest evidence behind the K records.
    """

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        # Derived rows, like the records they come from (see CompetencyRecord).
        db_constraint=False,
        # The unique (trainee, scheme) index serves lookups by trainee.
        db_index=False,
        related_name="scheme_competences",
        verbose_name=_("trainee"),
    )
    scheme = models.ForeignKey(
        "lms.CertificationScheme",
        on_delete=models.CASCADE,
        db_constraint=False,
        # Covered by the (scheme, trainee) index below.
        db_index=False,
        related_name="competences",
        verbose_name=_("scheme"),
    )
    as_of = models.DateTimeField(
        _("competent as of"),
        null=True,
        blank=True,
        # The latest evidence behind the scheme's K records: a value of the
        # evidence alone, so a full recompute and the incremental updates agree.
        help_text=_("Latest evidence behind the K records of the scheme's units."),
    )

    class Meta:
        ordering = ["trainee", "scheme"]
        verbose_name = _("scheme competence")
        verbose_name_plural = _("scheme competences")
        constraints = [
            models.UniqueConstraint(
                fields=["trainee", "scheme"], name="lms_schemecompetence_unique"
            )
        ]
        indexes = [
            # Dashboards filtered on a scheme read its competent trainees.
            models.Index(fields=["scheme", "trainee"], name="lms_schemecomp_scheme_idx")
        ]

    def __str__(self) -> str:
        return f"{self.trainee_id} · {self.scheme_id}"
