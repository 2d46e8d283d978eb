"""H5P libraries, contents, xAPI statements, attempts and saved user state."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class GradingMethod(models.TextChoices):
    """How several finished attempts of one person make one result."""

    HIGHEST = "highest", _("Highest score")
    LAST = "last", _("Last attempt")
    FIRST = "first", _("First attempt")
    AVERAGE = "average", _("Average of attempts")


class H5PLibrary(models.Model):
    """One installed library version, stored once and shared by every content.

    Identity is machine name + major.minor (H5P's own rule); a patch upgrade
    replaces the files in place, a new minor version sits beside the old one.
    `content_hash` tells two packages' copies of the same version apart.
    """

    machine_name = models.CharField(max_length=127)
    major_version = models.PositiveIntegerField()
    minor_version = models.PositiveIntegerField()
    patch_version = models.PositiveIntegerField()
    title = models.CharField(max_length=255)
    runnable = models.BooleanField(default=False)
    content_hash = models.CharField(max_length=64)
    preloaded_js = models.JSONField(default=list, blank=True)
    preloaded_css = models.JSONField(default=list, blank=True)
    dependencies = models.JSONField(
        default=list, blank=True, help_text="[[machine_name, major, minor], …]"
    )
    installed_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("H5P library")
        verbose_name_plural = _("H5P libraries")
        permissions = [
            ("install_h5plibrary", _("Can install and upgrade H5P libraries"))
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["machine_name", "major_version", "minor_version"],
                name="h5p_library_version_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.machine_name} {self.version}"

    @property
    def version(self) -> str:
        return f"{self.major_version}.{self.minor_version}.{self.patch_version}"

    @property
    def folder(self) -> str:
        """The folder name H5P players expect: `Machine.Name-major.minor`."""
        return f"{self.machine_name}-{self.major_version}.{self.minor_version}"


class H5PContentQuerySet(models.QuerySet["H5PContent"]):
    def for_centre(self, centre: object) -> H5PContentQuerySet:
        return self.filter(centre=centre)


class H5PContent(models.Model):
    """An uploaded H5P package's content, owned by one centre.

    `params` is `content/content.json` as imported; it is what the server
    re-scores answers against, so it never changes after import (a new upload is
    a new content).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        "lms.Organisation", on_delete=models.PROTECT, related_name="h5p_contents"
    )
    title = models.CharField(_("title"), max_length=255)
    language = models.CharField(_("language"), max_length=10, blank=True)
    license = models.CharField(_("licence"), max_length=40, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    main_library = models.ForeignKey(
        H5PLibrary, on_delete=models.PROTECT, related_name="main_for"
    )
    libraries = models.ManyToManyField(H5PLibrary, related_name="used_by")
    params = models.JSONField(default=dict)
    criteria = models.ManyToManyField(
        "lms.PerformanceCriterion",
        blank=True,
        related_name="+",
        verbose_name=_("performance criteria (KUK) it shows"),
        help_text=_(
            "A server-verified attempt becomes evidence for each of these; "
            "attempts the server cannot verify count for training only."
        ),
    )
    pass_ratio = models.DecimalField(
        _("pass mark (share of the maximum)"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.7"),
    )
    grading_method = models.CharField(
        _("grading method"),
        max_length=10,
        choices=GradingMethod.choices,
        default=GradingMethod.HIGHEST,
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = H5PContentQuerySet.as_manager()

    class Meta:
        verbose_name = _("H5P content")
        verbose_name_plural = _("H5P contents")

    def __str__(self) -> str:
        return self.title


class XapiStatement(models.Model):
    """One xAPI statement as received from the player: stored once, never changed.

    `claimed_*` is what the browser said; `verified_*` what the server computed
    by re-scoring `result.response` against the content (null when the type
    cannot be re-scored). `flagged` marks a claim the server disagrees with.
    """

    statement_id = models.UUIDField(unique=True)
    content = models.ForeignKey(H5PContent, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verb = models.CharField(max_length=255)
    sub_content_id = models.CharField(max_length=64, blank=True)
    is_top_level = models.BooleanField()
    claimed_raw = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    claimed_max = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    verified_raw = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    verified_max = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    flagged = models.BooleanField(default=False)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["content", "user", "received_at"])]

    def __str__(self) -> str:
        return str(self.statement_id)


class H5PAttempt(models.Model):
    """A finished attempt: closed by a top-level statement with a score."""

    content = models.ForeignKey(
        H5PContent, on_delete=models.PROTECT, related_name="attempts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="h5p_attempts"
    )
    statement = models.OneToOneField(
        XapiStatement, on_delete=models.PROTECT, related_name="attempt"
    )
    raw = models.DecimalField(max_digits=12, decimal_places=4)
    max = models.DecimalField(max_digits=12, decimal_places=4)
    verified = models.BooleanField(
        help_text="The server re-scored the answers and agrees with this score."
    )
    flagged = models.BooleanField(default=False)
    finished_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["content", "user", "finished_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(raw__gte=0) & Q(raw__lte=models.F("max")),
                name="h5p_attempt_score_in_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.content_id}: {self.raw}/{self.max}"


class H5PUserData(models.Model):
    """Saved player state (H5P's `contentUserData`), so a trainee can resume."""

    content = models.ForeignKey(H5PContent, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sub_content_id = models.CharField(max_length=64, default="0")
    data_type = models.CharField(max_length=127)
    data = models.TextField()
    preload = models.BooleanField(default=True)
    invalidate = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["content", "user", "sub_content_id", "data_type"],
                name="h5p_user_data_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.content_id}/{self.data_type}"
