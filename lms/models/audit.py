"""The export log: who downloaded which list, with which filters, and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportLog(models.Model):
    """One download of an export (append-only; PostgreSQL refuses changes).

    Exports carry personal data out of the system, so each one is recorded
    before its first byte is sent: the person, the export's name, the format,
    the scope and filters it was made with, and the time.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    name = models.CharField(_("export"), max_length=100)
    file_format = models.CharField(_("format"), max_length=10)
    parameters = models.JSONField(_("scope and filters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "created_at"])]
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")

    def __str__(self) -> str:
        return f"{self.name}.{self.file_format} · {self.user_id} · {self.created_at}"
