"""factory-boy factories and small helpers shared by the tests."""

from __future__ import annotations

import itertools

import factory
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from lms.models import User

_serial = itertools.count(1)


def valid_nik(province: str = "32", *, serial: int | None = None) -> str:
    """A shape-valid NIK with a unique serial (province, birth 15-08-90)."""
    number = serial if serial is not None else next(_serial) + 5000
    return f"{province}0101150890{number:04d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"orang{n}@lms.example")
    full_name = factory.Faker("name", locale="id_ID")
    password = factory.django.Password("Rahasia-123-abc")


def totp_enrol(user: User) -> Authenticator:
    """Enrol a TOTP authenticator for a person, as if they had scanned the QR code."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)
    if existing.exists():
        return existing.get()
    return TOTP.activate(user, generate_totp_secret()).instance
