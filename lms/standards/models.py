"""Competency standards in the national SKKNI shape, and certification schemes.

A standard has units (code like ``J.620100.001.01``, versioned), each unit has
numbered elements, and each element has performance criteria (kriteria unjuk kerja,
KUK) numbered "1.1", "1.2" … A scheme (skema sertifikasi) is an ordered set of units
owned by a certification body (LSP).

Units are immutable once imported: a changed unit is a *new version* (a new row with
the same code), so evidence and records made against the old version keep pointing at
exactly what the trainee was assessed on.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class StandardStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class CompetencyStandard(models.Model):
    """A competency standard (e.g. an SKKNI decree) in one version."""

    code = models.CharField(
        _("code"),
        max_length=60,
        help_text=_("Stable code of the standard, e.g. SKKNI-PENDAMPING-SOSIAL."),
    )
    title = models.CharField(_("title"), max_length=300)
    version = models.CharField(_("version"), max_length=20)
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("The decree or document the standard comes from."),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=StandardStatus.choices,
        default=StandardStatus.ACTIVE,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code", "version"]
        verbose_name = _("competency standard")
        verbose_name_plural = _("competency standards")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="lms_standard_code_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.version})"


class CompetencyUnit(models.Model):
    """A competency unit (unit kompetensi) in one version.

    How evidence rolls up into a K/BK outcome for this unit is configured here
    (`rollup_method`, `rollup_params`, `evidence_recency_days`); the methods live in
    `lms.records.rollup`.
    """

    standard = models.ForeignKey(
        CompetencyStandard,
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name=_("standard"),
    )
    code = models.CharField(_("code"), max_length=40)
    version = models.CharField(_("version"), max_length=20)
    title = models.CharField(_("title"), max_length=400)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    rollup_method = models.CharField(
        _("roll-up method"), max_length=40, default="all_criteria_met"
    )
    rollup_params = models.JSONField(_("roll-up parameters"), default=dict, blank=True)
    evidence_recency_days = models.PositiveIntegerField(
        _("evidence recency (days)"),
        null=True,
        blank=True,
        help_text=_("Only evidence this recent counts; empty means no limit."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["standard", "position", "code"]
        verbose_name = _("competency unit")
        verbose_name_plural = _("competency units")
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="lms_unit_code_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class CompetencyElement(models.Model):
    """An element of competency (elemen kompetensi) of a unit, numbered 1, 2 …"""

    unit = models.ForeignKey(
        CompetencyUnit,
        on_delete=models.PROTECT,
        related_name="elements",
        verbose_name=_("unit"),
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=400)

    class Meta:
        ordering = ["unit", "number"]
        verbose_name = _("competency element")
        verbose_name_plural = _("competency elements")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "number"], name="lms_element_unit_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class PerformanceCriterion(models.Model):
    """A performance criterion (kriteria unjuk kerja, KUK), numbered "1.1", "1.2" …"""

    element = models.ForeignKey(
        CompetencyElement,
        on_delete=models.PROTECT,
        related_name="criteria",
        verbose_name=_("element"),
    )
    number = models.CharField(_("number"), max_length=10)
    # "1.10" sorts after "1.9" only numerically, so the order is kept apart.
    position = models.PositiveSmallIntegerField(_("position"))
    text = models.TextField(_("text"))

    class Meta:
        ordering = ["element", "position"]
        verbose_name = _("performance criterion (KUK)")
        verbose_name_plural = _("performance criteria (KUK)")
        constraints = [
            models.UniqueConstraint(
                fields=["element", "number"], name="lms_criterion_element_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text}"


class SchemeType(models.TextChoices):
    KKNI = "kkni", _("KKNI qualification")
    OKUPASI = "okupasi", _("Occupation (okupasi)")
    KLASTER = "klaster", _("Cluster (klaster)")


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class CertificationScheme(models.Model):
    """A certification scheme (skema sertifikasi): ordered units, owner LSP, validity.

    Write through `lms.standards.services` (`scheme_create`, `scheme_activate`):
    those check the owner is a certification body and an active scheme has units.
    """

    code = models.CharField(_("code"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=300)
    scheme_type = models.CharField(_("type"), max_length=10, choices=SchemeType.choices)
    kkni_level = models.PositiveSmallIntegerField(
        _("KKNI level"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
    )
    validity_months = models.PositiveSmallIntegerField(
        _("validity (months)"),
        default=36,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    owner = models.ForeignKey(
        "lms.Organisation",
        on_delete=models.PROTECT,
        related_name="schemes",
        verbose_name=_("certification body"),
        limit_choices_to={"kind": "certification_body"},
    )
    min_training_jp = models.PositiveIntegerField(
        _("minimum completed training (JP)"),
        default=0,
        help_text=_("Lesson hours (JP) of completed training needed to apply."),
    )
    entry_requirements = models.TextField(_("other entry requirements"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SchemeStatus.choices,
        default=SchemeStatus.DRAFT,
    )
    units = models.ManyToManyField(
        CompetencyUnit,
        through="SchemeUnit",
        related_name="schemes",
        verbose_name=_("units"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("certification scheme")
        verbose_name_plural = _("certification schemes")
        constraints = [
            # A KKNI scheme is a qualification at a level; the other types have none.
            models.CheckConstraint(
                condition=(Q(scheme_type="kkni") & Q(kkni_level__isnull=False))
                | (~Q(scheme_type="kkni") & Q(kkni_level__isnull=True)),
                name="lms_scheme_kkni_level_iff_kkni",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class SchemeUnit(models.Model):
    """One unit of a scheme, in the scheme's order."""

    scheme = models.ForeignKey(
        CertificationScheme,
        on_delete=models.CASCADE,
        related_name="scheme_units",
        verbose_name=_("scheme"),
    )
    unit = models.ForeignKey(
        CompetencyUnit,
        on_delete=models.PROTECT,
        related_name="scheme_units",
        verbose_name=_("unit"),
    )
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        ordering = ["scheme", "position"]
        verbose_name = _("scheme unit")
        verbose_name_plural = _("scheme units")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "unit"], name="lms_schemeunit_unit_once"
            ),
            models.UniqueConstraint(
                fields=["scheme", "position"], name="lms_schemeunit_position_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} #{self.position}: {self.unit.code}"
