"""Shared fixtures: the demo world loaded once per test database, and clients."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from cms.demo import DEMO_PASSWORD


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the demo world once; each test runs in a transaction rolled back after.

    Browser tests (transactional) run after the others (pytest-django orders them
    last) and build what they need themselves.
    """
    with django_db_blocker.unblock():
        call_command("load_demo", "--force", "--accounts-only", verbosity=0)


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD


@pytest.fixture
def user_by_email(db):
    from lms.models import User

    def get(email: str) -> User:
        return User.objects.get(email=email)

    return get


@pytest.fixture
def staff_client(client, user_by_email):
    """Sign a staff person in with a TOTP authenticator enrolled (MFA satisfied)."""
    from tests.factories import totp_enrol

    def sign_in(email: str):
        user = user_by_email(email)
        totp_enrol(user)
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
