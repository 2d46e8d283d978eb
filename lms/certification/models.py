"""The certification path as data, mirroring the national forms.

An application (APL-01) with its purpose, a self-assessment per element (APL-02),
an assessor's recommendation per unit (AK-02), the certification body's decision,
an appeal (banding, AK-04), and the certificate with its status history.

Recommendations and decisions are append-only: a correction is a new row and the
old row's ``superseded_by`` points to it (the one NULL → id change allowed), so the
record of who judged what, and when, is never rewritten.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an append-only certification row."""


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk changes except linking a correction (superseded_by NULL → id)."""

    def update(self, **kwargs: Any) -> int:
        if set(kwargs) - {"superseded_by", "superseded_by_id"}:
            raise AppendOnlyError("This record is append-only.")
        linkable = self.filter(superseded_by__isnull=True)
        return super(AppendOnlyQuerySet, linkable).update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("This record is append-only.")

    def current(self) -> AppendOnlyQuerySet:
        """Rows not replaced by a correction."""
        return self.filter(superseded_by__isnull=True)


class AppendOnlyModel(models.Model):
    """Rows written once; save() on an existing row and delete() are refused."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("This record is append-only; add a correction.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("This record is append-only.")


class ApplicationPurpose(models.TextChoices):
    """Why the trainee applies (tujuan asesmen, APL-01)."""

    CERTIFICATION = "sertifikasi", _("Certification")
    RECERTIFICATION = "sertifikasi_ulang", _("Recertification")
    PKT = "pkt", _("Recognition of current competence (PKT)")
    RPL = "rpl", _("Recognition of prior learning (RPL)")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class UnitOutcome(models.TextChoices):
    COMPETENT = "K", _("Competent (Kompeten)")
    NOT_YET_COMPETENT = "BK", _("Not yet competent (Belum Kompeten)")


class CertificationApplication(models.Model):
    """A trainee's application for certification in a scheme (APL-01)."""

    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="certification_applications",
        verbose_name=_("applicant"),
    )
    scheme = models.ForeignKey(
        "lms.CertificationScheme",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("scheme"),
    )
    purpose = models.CharField(
        _("purpose"), max_length=20, choices=ApplicationPurpose.choices
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.SUBMITTED,
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    renewal_of = models.ForeignKey(
        "Certificate",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="renewal_applications",
        verbose_name=_("certificate renewed"),
    )
    carried_over_units = models.ManyToManyField(
        "lms.CompetencyUnit",
        blank=True,
        related_name="+",
        verbose_name=_("units carried over"),
        help_text=_(
            "Recertification: units whose evidence is still current; they are not "
            "assessed again."
        ),
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("certification application")
        verbose_name_plural = _("certification applications")
        constraints = [
            # One open application per person and scheme: a double submit or a
            # second tab must not start a parallel assessment.
            models.UniqueConstraint(
                fields=["trainee", "scheme"],
                condition=Q(status="submitted"),
                name="lms_application_one_open_per_scheme",
            )
        ]

    def __str__(self) -> str:
        return f"{self.trainee} · {self.scheme.code} · {self.get_purpose_display()}"


class SelfAssessment(models.Model):
    """The applicant's own judgement on one element (asesmen mandiri, APL-02)."""

    application = models.ForeignKey(
        CertificationApplication,
        on_delete=models.CASCADE,
        related_name="self_assessments",
        verbose_name=_("application"),
    )
    element = models.ForeignKey(
        "lms.CompetencyElement",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("element"),
    )
    competent = models.BooleanField(_("I am competent"))
    note = models.TextField(_("note / evidence offered"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["application", "element__unit_id", "element__number"]
        verbose_name = _("self-assessment")
        verbose_name_plural = _("self-assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "element"], name="lms_selfassessment_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} · {self.element_id} · {self.competent}"


class AssessorRecommendation(AppendOnlyModel):
    """An assessor's recommendation K/BK on one unit of an application (AK-02)."""

    application = models.ForeignKey(
        CertificationApplication,
        on_delete=models.PROTECT,
        related_name="recommendations",
        verbose_name=_("application"),
    )
    unit = models.ForeignKey(
        "lms.CompetencyUnit",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
    )
    outcome = models.CharField(_("outcome"), max_length=2, choices=UnitOutcome.choices)
    reasons = models.TextField(_("reasons"))
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("assessor"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    superseded_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("superseded by"),
    )

    class Meta:
        ordering = ["application", "recorded_at", "id"]
        verbose_name = _("assessor recommendation")
        verbose_name_plural = _("assessor recommendations")
        # One current row per unit is kept by the service, which locks the
        # application first; a partial unique index cannot hold it, as the new row
        # must exist before the old one can point to it.
        indexes = [
            models.Index(fields=["application", "unit"], name="lms_recommendation_idx")
        ]

    def __str__(self) -> str:
        return f"{self.application_id} · {self.unit_id} · {self.outcome}"


class ConflictOfInterestDeclaration(models.Model):
    """A person's declaration about a conflict of interest on one application."""

    application = models.ForeignKey(
        CertificationApplication,
        on_delete=models.PROTECT,
        related_name="conflict_declarations",
        verbose_name=_("application"),
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("declared by"),
    )
    has_conflict = models.BooleanField(_("has a conflict of interest"))
    statement = models.TextField(_("statement"), blank=True)
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)

    class Meta:
        ordering = ["declared_at", "id"]
        verbose_name = _("conflict-of-interest declaration")
        verbose_name_plural = _("conflict-of-interest declarations")

    def __str__(self) -> str:
        return f"{self.application_id} · {self.declared_by_id} · {self.has_conflict}"


class CommitteeDecision(AppendOnlyModel):
    """The certification body's decision on an application (keputusan sertifikasi)."""

    application = models.ForeignKey(
        CertificationApplication,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("application"),
    )
    outcome = models.CharField(_("outcome"), max_length=2, choices=UnitOutcome.choices)
    reasons = models.TextField(_("reasons"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    superseded_by = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supersedes",
        verbose_name=_("superseded by"),
    )

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = _("committee decision")
        verbose_name_plural = _("committee decisions")
        # One current decision per application is kept by `decision_record`
        # under a lock on the application (see AssessorRecommendation).

    def __str__(self) -> str:
        return f"{self.application_id} · {self.outcome}"


class AppealOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    UPHELD = "upheld", _("Upheld (decision to be reviewed)")
    REJECTED = "rejected", _("Rejected (decision stands)")


class Appeal(models.Model):
    """An appeal (banding, AK-04) against a decision, with its own outcome.

    Lodged by the applicant; decided once by a committee member who did not take
    the decision appealed against. The outcome changes from pending exactly once.
    """

    decision = models.ForeignKey(
        CommitteeDecision,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("decision appealed"),
    )
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("lodged by"),
    )
    grounds = models.TextField(_("grounds"))
    lodged_at = models.DateTimeField(_("lodged at"), default=timezone.now)
    outcome = models.CharField(
        _("outcome"),
        max_length=10,
        choices=AppealOutcome.choices,
        default=AppealOutcome.PENDING,
    )
    outcome_reasons = models.TextField(_("reasons for the outcome"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["lodged_at", "id"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="pending", decided_at__isnull=True)
                | (~Q(outcome="pending") & Q(decided_at__isnull=False)),
                name="lms_appeal_decided_iff_outcome",
            )
        ]

    def __str__(self) -> str:
        return f"{self.decision_id} · {self.outcome}"


class CertificateStatus(models.TextChoices):
    ACTIVE = "aktif", _("Active (aktif)")
    EXPIRED = "kedaluwarsa", _("Expired (kedaluwarsa)")
    SUSPENDED = "dibekukan", _("Suspended (dibekukan)")
    REVOKED = "dicabut", _("Revoked (dicabut)")


class CertificateKind(models.TextChoices):
    """Competency certificates (LSP, on a decision) and training certificates."""

    COMPETENCY = "kompetensi", _("Certificate of competence (sertifikat kompetensi)")
    TRAINING = "pelatihan", _("Training certificate (sertifikat pelatihan)")


class CertificateSequence(models.Model):
    """The last certificate serial a certification body used.

    Numbers come from this row under SELECT … FOR UPDATE, so two issuers never take
    the same serial, and a rolled-back issue leaves the counter as it was.
    """

    body = models.OneToOneField(
        "lms.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("certification body"),
    )
    last_value = models.PositiveIntegerField(_("last serial used"), default=0)

    class Meta:
        verbose_name = _("certificate sequence")
        verbose_name_plural = _("certificate sequences")

    def __str__(self) -> str:
        return f"{self.body_id}: {self.last_value}"


class Certificate(models.Model):
    """A certificate: of competence on one decision, or of training on a completion.

    A competency certificate (kind ``kompetensi``) is issued on exactly one
    decision (the one-to-one column is the database's guarantee). A training
    certificate (kind ``pelatihan``) is issued by a centre on one course
    completion (``training_key``, unique) with the JP earned, and has no decision
    or scheme; it shares numbering per issuing body, the verification page, PDF,
    credential and status rules.

    The holder's name with titles, the scheme and its units are kept as they were
    on the issue date, so a later rename does not change a legal document. The
    stored ``status`` holds what people did (suspend, revoke); expiry is computed
    from ``valid_until`` (see `effective_status`), so it needs no job to flip it.
    Rows are never deleted; every status change leaves a `CertificateStatusChange`.
    """

    kind = models.CharField(
        _("kind"),
        max_length=12,
        choices=CertificateKind.choices,
        default=CertificateKind.COMPETENCY,
    )
    number = models.CharField(_("number"), max_length=80, unique=True)
    serial = models.PositiveIntegerField(_("serial within the body"))
    decision = models.OneToOneField(
        CommitteeDecision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificate",
        verbose_name=_("decision"),
    )
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("holder"),
    )
    holder_name = models.CharField(_("holder's name with titles"), max_length=340)
    scheme = models.ForeignKey(
        "lms.CertificationScheme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certificates",
        verbose_name=_("scheme"),
    )
    training_key = models.CharField(
        _("training completion key"),
        max_length=200,
        null=True,
        blank=True,
        unique=True,
        help_text=_("The course completion a training certificate was issued on."),
    )
    training_evidence = models.ForeignKey(
        "lms.EvidenceRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("training evidence"),
    )
    course_title = models.CharField(_("course"), max_length=300, blank=True)
    training_jp = models.PositiveIntegerField(
        _("training hours (JP)"), null=True, blank=True
    )
    body = models.ForeignKey(
        "lms.Organisation",
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("certification body"),
    )
    units = models.JSONField(
        _("units certified"),
        default=list,
        help_text=_("Code, version and title of each unit on the issue date."),
    )
    issued_on = models.DateField(_("issue date"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CertificateStatus.choices,
        default=CertificateStatus.ACTIVE,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(
                fields=["body", "serial"], name="lms_certificate_serial_per_body"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=models.F("issued_on")),
                name="lms_certificate_valid_after_issue",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="kompetensi",
                        decision__isnull=False,
                        scheme__isnull=False,
                        training_key__isnull=True,
                    )
                    | Q(
                        kind="pelatihan",
                        decision__isnull=True,
                        training_key__isnull=False,
                        training_jp__isnull=False,
                    )
                ),
                name="lms_certificate_kind_fields",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Certificates are never deleted; revoke them.")

    def effective_status(self, on: Any = None) -> str:
        """The status on a date (today by default): expiry beats a stored aktif.

        Suspension and revocation stay as they are after the end date: a revoked
        certificate must not read as merely expired.
        """
        day = on or timezone.localdate()
        if self.status == CertificateStatus.ACTIVE and day > self.valid_until:
            return CertificateStatus.EXPIRED
        return self.status

    def effective_status_label(self, on: Any = None) -> str:
        return str(CertificateStatus(self.effective_status(on)).label)

    @property
    def is_valid(self) -> bool:
        return self.effective_status() == CertificateStatus.ACTIVE

    @property
    def is_training(self) -> bool:
        return self.kind == CertificateKind.TRAINING

    @property
    def subject_code(self) -> str:
        """The scheme's code, or for a training certificate the JP earned."""
        if self.is_training:
            return f"{self.training_jp} JP"
        return self.scheme.code if self.scheme_id else ""

    @property
    def subject_title(self) -> str:
        """What the certificate is for: the scheme's or the course's title."""
        if self.is_training:
            return self.course_title
        return self.scheme.title if self.scheme_id else ""


class CertificateStatusChange(models.Model):
    """One change of a certificate's status: from, to, who, when and why."""

    certificate = models.ForeignKey(
        Certificate,
        on_delete=models.PROTECT,
        related_name="status_changes",
        verbose_name=_("certificate"),
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=CertificateStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("to"), max_length=12, choices=CertificateStatus.choices
    )
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
        help_text=_("Empty when the system made the change (expiry)."),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("certificate status change")
        verbose_name_plural = _("certificate status changes")

    def __str__(self) -> str:
        return f"{self.certificate_id}: {self.from_status} → {self.to_status}"


class CertificateReminder(models.Model):
    """One expiry reminder of one certificate at one threshold (days before expiry).

    The row is inserted and committed *before* the e-mail goes out: the unique
    (certificate, threshold) pair is what stops a second run, or a concurrent
    one, from sending the same reminder again. So delivery is at most once; a
    failed send is kept with its error for the operator, never retried.
    """

    certificate = models.ForeignKey(
        Certificate,
        on_delete=models.PROTECT,
        related_name="reminders",
        verbose_name=_("certificate"),
    )
    threshold_days = models.PositiveSmallIntegerField(_("days before expiry"))
    valid_until = models.DateField(_("valid until (when claimed)"))
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["certificate", "-threshold_days"]
        verbose_name = _("certificate reminder")
        verbose_name_plural = _("certificate reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["certificate", "threshold_days"],
                name="lms_certificate_reminder_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.certificate_id} · {self.threshold_days}"


class IssuingRunState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class IssuingRun(models.Model):
    """One bulk issue of certificates, run in the background in batches.

    ``total`` is fixed when the run starts (the decisions awaiting a certificate
    then); ``done`` counts certificates issued or found already issued, and
    ``failed`` decisions refused with their reasons in ``problems``.
    """

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    body = models.ForeignKey(
        "lms.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("certification body"),
    )
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=IssuingRunState.choices,
        default=IssuingRunState.QUEUED,
    )
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    decision_ids = models.JSONField(_("decisions"), default=list, blank=True)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    heartbeat_at = models.DateTimeField(_("last progress"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("issuing run")
        verbose_name_plural = _("issuing runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total"))
                & Q(failed__lte=models.F("total")),
                name="lms_issuingrun_counts_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pk}: {self.done}/{self.total} ({self.state})"

    @property
    def progress(self) -> str:
        return f"{self.done + self.failed}/{self.total}"
