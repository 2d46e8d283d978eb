"""The core's part of the HTTP API (`/api/v1/`): who am I, which centres exist."""

from __future__ import annotations

from allauth.headless.contrib.ninja.security import x_session_token_auth
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import django_auth

from lms import selectors

router = Router(tags=["core"])

# Browser sessions (CSRF-checked) and app sessions (allauth's X-Session-Token).
SIGNED_IN = [x_session_token_auth, django_auth]


class MembershipOut(Schema):
    organisation_code: str
    organisation: str
    role: str


class MeOut(Schema):
    email: str
    full_name: str
    name_with_titles: str
    time_zone: str
    language: str
    memberships: list[MembershipOut]


class CentreOut(Schema):
    code: str
    name: str
    short_name: str
    city: str
    time_zone: str
    provinces: list[str]


@router.get("/me", response=MeOut, auth=SIGNED_IN)
def me(request: HttpRequest) -> dict[str, object]:
    """The signed-in person and their roles (never their NIK)."""
    user = request.user
    return {
        "email": user.email,
        "full_name": user.full_name,
        "name_with_titles": user.name_with_titles,
        "time_zone": user.time_zone,
        "language": user.language,
        "memberships": [
            {
                "organisation_code": m.organisation.code,
                "organisation": m.organisation.short_name,
                "role": m.role,
            }
            for m in selectors.membership_list_for_user(user)
        ],
    }


@router.get("/centres", response=list[CentreOut], auth=None)
def centres(request: HttpRequest) -> list[dict[str, object]]:
    """The regional training centres and the provinces they cover (public)."""
    return [
        {
            "code": c.code,
            "name": c.name,
            "short_name": c.short_name,
            "city": c.city,
            "time_zone": c.time_zone_abbreviation,
            "provinces": [p.code for p in c.provinces.all()],
        }
        for c in selectors.organisation_list_centres()
    ]
