"""Request middleware of the core: the person's time zone, and MFA for staff."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from lms import selectors


class UserTimezoneMiddleware:
    """Show times in the signed-in person's zone (WIB, WITA or WIT); WIB otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            timezone.activate(user.time_zone)
        else:
            timezone.deactivate()
        return self.get_response(request)


class StaffMfaRequiredMiddleware:
    """Send staff without a TOTP authenticator to set one up before any staff page.

    Staff are people with any role but trainee. Staff pages are the paths under
    `LMS_STAFF_PATH_PREFIXES` (the Wagtail admin and our staff views). allauth's
    own pages stay reachable, so the set-up page itself is never blocked.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.LMS_MFA_REQUIRED_FOR_STAFF
            and request.path.startswith(settings.LMS_STAFF_PATH_PREFIXES)
            and request.user.is_authenticated
            and selectors.user_is_staff_member(request.user)
            and not selectors.user_has_totp(request.user)
        ):
            target = reverse("mfa_activate_totp")
            return HttpResponseRedirect(f"{target}?{urlencode({'next': request.path})}")
        return self.get_response(request)


class IndonesianFirstMiddleware:
    """Indonesian unless the person chose English (the switcher's cookie).

    Many phones here are set to English, but the programme's language is
    Bahasa Indonesia (DESIGN.md §6), so the browser's Accept-Language header is
    not consulted; Django's LocaleMiddleware then falls back to LANGUAGE_CODE.
    Must come before LocaleMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
