"""Organisations, provinces, and people's roles as memberships of organisations."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .people import TimeZone


class ProvinceQuerySet(models.QuerySet["Province"]):
    def codes(self) -> set[str]:
        """All two-digit province codes (used to check the first digits of a NIK)."""
        return set(self.values_list("code", flat=True))


class Province(models.Model):
    """One of Indonesia's 38 provinces, with its Home Affairs (Kemendagri) code."""

    code = models.CharField(_("code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(
        _("time zone"), max_length=40, choices=TimeZone.choices, default=TimeZone.WIB
    )
    source = models.CharField(
        _("source"),
        max_length=200,
        help_text=_("The decree the code and name come from."),
    )

    objects = ProvinceQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class OrganisationKind(models.TextChoices):
    CENTRAL = "central", _("Central unit (Kemensos)")
    CENTRE = "centre", _("Regional training centre (BBPPKS)")
    UNIVERSITY = "university", _("Partner university")
    CERTIFICATION_BODY = "certification_body", _("Certification body (LSP)")
    BANK = "bank", _("Bank (content partner)")


class OrganisationQuerySet(models.QuerySet["Organisation"]):
    def current(self, on: object | None = None) -> OrganisationQuerySet:
        """Organisations valid on a date (today by default)."""
        day = on or timezone.localdate()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_until__isnull=True) | Q(valid_until__gte=day),
        )

    def centres(self) -> OrganisationQuerySet:
        return self.filter(kind=OrganisationKind.CENTRE)


class Organisation(models.Model):
    """A body taking part in the programme: Kemensos, a centre, a university, an LSP.

    Names and coverage change over time (centres are renamed and regrouped), so an
    organisation carries a validity period and its former names in
    `OrganisationName`. Kept as data, editable by the central admin.
    """

    kind = models.CharField(_("kind"), max_length=30, choices=OrganisationKind.choices)
    code = models.CharField(
        _("code"),
        max_length=20,
        unique=True,
        help_text=_("Short stable code, e.g. R3."),
    )
    name = models.CharField(_("official name"), max_length=250)
    short_name = models.CharField(_("short name"), max_length=80)
    city = models.CharField(_("city"), max_length=100, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=40, choices=TimeZone.choices, default=TimeZone.WIB
    )
    provinces = models.ManyToManyField(
        Province,
        blank=True,
        related_name="organisations",
        verbose_name=_("provinces covered"),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    collection = models.OneToOneField(
        "wagtailcore.Collection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="organisation",
        verbose_name=_("media collection"),
    )

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="lms_organisation_validity_order",
            )
        ]

    def __str__(self) -> str:
        return self.short_name

    @property
    def time_zone_abbreviation(self) -> str:
        return TimeZone.abbreviation(self.time_zone)


class OrganisationName(models.Model):
    """A former (or future) official name of an organisation, with its dates."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="names"
    )
    name = models.CharField(_("name"), max_length=250)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["organisation", "valid_from"]
        verbose_name = _("organisation name")
        verbose_name_plural = _("organisation names")

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What a person does for an organisation. One person may hold several."""

    TRAINEE = "trainee", _("Trainee")
    TRAINER = "trainer", _("Trainer")
    CENTRE_ADMIN = "centre_admin", _("Centre administrator")
    GRADER = "grader", _("University grader")
    ASSESSOR = "assessor", _("Assessor")
    CERTIFICATION_ADMIN = "certification_admin", _("Certification body administrator")
    COMMITTEE = "committee", _("Decision committee member")
    CENTRAL_ADMIN = "central_admin", _("Central administrator")

    @classmethod
    def staff_roles(cls) -> frozenset[str]:
        """Roles that work in staff pages and therefore must use MFA."""
        return frozenset(r.value for r in cls if r != cls.TRAINEE)


# Which organisation kinds may grant which roles.
ROLE_ORGANISATION_KINDS: dict[str, set[str]] = {
    Role.TRAINEE: {OrganisationKind.CENTRE},
    Role.TRAINER: {OrganisationKind.CENTRE},
    Role.CENTRE_ADMIN: {OrganisationKind.CENTRE},
    Role.GRADER: {OrganisationKind.UNIVERSITY},
    Role.ASSESSOR: {OrganisationKind.CERTIFICATION_BODY, OrganisationKind.UNIVERSITY},
    Role.CERTIFICATION_ADMIN: {OrganisationKind.CERTIFICATION_BODY},
    Role.COMMITTEE: {OrganisationKind.CERTIFICATION_BODY},
    Role.CENTRAL_ADMIN: {OrganisationKind.CENTRAL},
}


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        today = timezone.localdate()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=today),
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
            revoked_at__isnull=True,
        )


class Membership(models.Model):
    """A person's role in an organisation (trainer at R3, grader at a university…).

    Each (organisation, role) pair is backed by a Django group (see `RoleGroup`),
    so Wagtail's own permission checks enforce what the role may do. Memberships
    are revoked, never deleted, so the record of who could do what stays.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    registration_number = models.CharField(
        _("registration number"),
        max_length=60,
        blank=True,
        help_text=_("The assessor's registration (MET) number."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                condition=Q(revoked_at__isnull=True),
                name="lms_membership_one_active_per_role",
            ),
            models.CheckConstraint(
                condition=~Q(role="assessor") | ~Q(registration_number=""),
                name="lms_membership_assessor_has_registration",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organisation}"


class RoleGroup(models.Model):
    """The Django group that carries the permissions of one role in one organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="role_groups"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "role"], name="lms_rolegroup_unique"
            )
        ]

    def __str__(self) -> str:
        return self.group.name
