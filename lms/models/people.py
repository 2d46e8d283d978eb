"""People: the user account and the person's profile (with the encrypted NIK)."""

from __future__ import annotations

from django.contrib.auth.models import (
    AbstractBaseUser,
    BaseUserManager,
    PermissionsMixin,
)
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.nik import nik_cipher, nik_hash, nik_mask


class TimeZone(models.TextChoices):
    """Indonesia's three civil time zones, shown by their Indonesian abbreviations."""

    WIB = "Asia/Jakarta", _("WIB (Western Indonesia Time)")
    WITA = "Asia/Makassar", _("WITA (Central Indonesia Time)")
    WIT = "Asia/Jayapura", _("WIT (Eastern Indonesia Time)")

    @classmethod
    def abbreviation(cls, zone: str) -> str:
        """ "WIB", "WITA" or "WIT" for a zone name; the zone name itself otherwise."""
        for member in cls:
            if member.value == zone:
                return member.name
        return zone


class UserManager(BaseUserManager["User"]):
    """Creates users keyed by e-mail (there is no username)."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(
        self, email: str, password: str | None = None, **extra: object
    ) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(
        self, email: str, password: str | None = None, **extra: object
    ) -> User:
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person's account. Sign-in is by e-mail; one full-name field.

    Many Indonesians have a single name, so there is no first/last split. Academic
    titles (gelar) are kept apart so certificates can print them correctly.
    """

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    title_prefix = models.CharField(
        _("title before the name"),
        max_length=50,
        blank=True,
        help_text=_("For example: Dr., Ir., Hj."),
    )
    title_suffix = models.CharField(
        _("title after the name"),
        max_length=80,
        blank=True,
        help_text=_("For example: S.Sos., M.Si."),
    )
    time_zone = models.CharField(
        _("time zone"), max_length=40, choices=TimeZone.choices, default=TimeZone.WIB
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=[("id", "Bahasa Indonesia"), ("en", "English")],
        default="id",
    )
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Set from the person's roles; lets them reach the admin."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="lms_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def name_with_titles(self) -> str:
        """The name as a certificate prints it: "Dr. Siti Aminah, S.Sos., M.Si."."""
        name = " ".join(p for p in (self.title_prefix, self.full_name) if p)
        return f"{name}, {self.title_suffix}" if self.title_suffix else name


class Profile(models.Model):
    """Personal data beyond the account; the NIK lives here, encrypted.

    `nik_hash` is a keyed HMAC so uniqueness is enforced by the database without the
    NIK itself being readable there. Use `lms.services.profile_set_nik` to write it.
    """

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user")
    )
    nik_encrypted = models.TextField(_("NIK (encrypted)"), blank=True, editable=False)
    nik_hash = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    province = models.ForeignKey(
        "lms.Province",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    regency = models.CharField(_("regency/city"), max_length=120, blank=True)
    # The trainee's role in the programme (e.g. "Pendamping PKH"), from the
    # trainee import; kept here so it survives an import without a cohort.
    role_type = models.CharField(_("role type"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)

    def __repr__(self) -> str:
        # Never let the NIK reach a log through a repr.
        return f"<Profile user={self.user_id}>"

    @property
    def has_nik(self) -> bool:
        return bool(self.nik_hash)

    def nik(self) -> str:
        """The clear NIK, for the rare view that needs it (decrypts on each call)."""
        return nik_cipher().decrypt(self.nik_encrypted) if self.nik_encrypted else ""

    def nik_masked(self) -> str:
        return nik_mask(self.nik()) if self.nik_encrypted else ""

    @staticmethod
    def hash_for(nik: str) -> str:
        return nik_hash(nik)
