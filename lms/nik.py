"""NIK (Nomor Induk Kependudukan) handling: shape validation, encryption, keyed hash.

A NIK is 16 digits: province (2), regency (2), district (2), birth day (2, plus 40
for women), birth month (2), birth year (2), serial (4). We check its *shape* only
and never derive sex or birth date from it (DESIGN.md §3). It is stored encrypted
and found through a keyed hash, so the database alone never reveals it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from typing import Protocol

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

NIK_PATTERN = re.compile(r"^\d{16}$")
_SEPARATORS = re.compile(r"[\s.\-]")


def nik_normalise(value: str) -> str:
    """Drop the spaces, dots and dashes people type between digit groups."""
    if value and value.isdigit():
        # The common case (already clean): skip the regex, same result. A bulk
        # import normalises each NIK several times.
        return value
    return _SEPARATORS.sub("", value or "")


def nik_problems(value: str, *, province_codes: set[str]) -> list[str]:
    """Every reason `value` is not a well-shaped NIK, as translatable messages.

    Returns an empty list for a valid NIK. All reasons are listed at once.
    """
    nik = nik_normalise(value)
    if not NIK_PATTERN.match(nik):
        return [str(_("A NIK must be exactly 16 digits."))]
    problems = []
    if nik[:2] not in province_codes:
        problems.append(
            str(_("The NIK's province code %(code)s is not a known province."))
            % {"code": nik[:2]}
        )
    day, month = int(nik[6:8]), int(nik[8:10])
    if not (1 <= day <= 31 or 41 <= day <= 71):
        problems.append(
            str(_("The NIK's birth day (%(day)s) must be 01–31 or 41–71."))
            % {"day": nik[6:8]}
        )
    if not 1 <= month <= 12:
        problems.append(
            str(_("The NIK's birth month (%(month)s) must be 01–12."))
            % {"month": nik[8:10]}
        )
    return problems


def validate_nik(value: str) -> None:
    """Django validator: raise one ValidationError naming every problem."""
    from lms.models import Province

    problems = nik_problems(value, province_codes=Province.objects.codes())
    if problems:
        raise ValidationError(problems, code="invalid_nik")


def nik_hash(nik: str) -> str:
    """Keyed hash (HMAC-SHA256) for uniqueness checks without storing the NIK."""
    keyed = _hash_base(settings.LMS_NIK_HASH_KEY).copy()
    keyed.update(nik_normalise(nik).encode())
    return keyed.hexdigest()


@functools.lru_cache(maxsize=4)
def _hash_base(key: bytes) -> hmac.HMAC:
    # The HMAC with its key already mixed in, copied per NIK: the same digest
    # as hmac.new(key, nik) without redoing the key schedule for every row of
    # a bulk import. Keyed by the key so a changed setting (tests) is honoured.
    return hmac.new(key, digestmod=hashlib.sha256)


def nik_mask(nik: str) -> str:
    """Show only the last four digits, e.g. for a person checking their own record."""
    nik = nik_normalise(nik)
    return "•" * (len(nik) - 4) + nik[-4:] if len(nik) > 4 else "••••"


class NikCipher(Protocol):
    """What a NIK cipher must offer (swappable through `LMS_NIK_CIPHER`)."""

    def encrypt(self, nik: str) -> str: ...

    def decrypt(self, token: str) -> str: ...


class FernetNikCipher:
    """Authenticated encryption (AES-CBC + HMAC) from the `cryptography` package."""

    def __init__(self) -> None:
        self._fernet = Fernet(settings.LMS_NIK_FERNET_KEY)

    def encrypt(self, nik: str) -> str:
        return self._fernet.encrypt(nik_normalise(nik).encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:  # wrong key: say so rather than show garbage
            raise ValueError("NIK cannot be decrypted with the configured key") from exc


def nik_cipher() -> NikCipher:
    """The configured cipher (a dotted path in `LMS_NIK_CIPHER`)."""
    return import_string(settings.LMS_NIK_CIPHER)()
