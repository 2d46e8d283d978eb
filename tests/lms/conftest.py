"""Fixtures shared by the certification page tests."""

from __future__ import annotations

import pytest
from django.utils import translation

from lms.models import User
from tests.factories import totp_enrol


@pytest.fixture
def english(client, settings):
    """Pages and messages in their English source (the site's default is id)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def sign_in(client):
    """Sign a person in by e-mail; staff get TOTP enrolled (MFA satisfied)."""

    def go(email: str):
        user = User.objects.get(email=email)
        totp_enrol(user)
        client.force_login(user)
        return client

    return go
