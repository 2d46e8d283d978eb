"""Reads of the core that depend on who asks."""

from __future__ import annotations

from django.db.models import QuerySet

from lms.models import Membership, Organisation, OrganisationKind, Role, User


def organisation_list_centres() -> QuerySet[Organisation]:
    """The regional centres valid today, in code order (public information)."""
    return (
        Organisation.objects.current()
        .filter(kind=OrganisationKind.CENTRE)
        .prefetch_related("provinces")
        .order_by("code")
    )


def membership_list_for_user(user: User) -> QuerySet[Membership]:
    """A person's active roles with their organisations."""
    return Membership.objects.active().filter(user=user).select_related("organisation")


def user_roles(user: User) -> set[str]:
    """The role codes a person holds today (cached on the user object per request)."""
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_lms_roles", None)
    if cached is None:
        cached = set(
            Membership.objects.active().filter(user=user).values_list("role", flat=True)
        )
        user._lms_roles = cached
    return cached


def user_is_staff_member(user: User) -> bool:
    """True for anyone who works in staff pages (any role but trainee, or superuser)."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(user_roles(user) & Role.staff_roles())


def user_has_totp(user: User) -> bool:
    """Whether the person has enrolled a TOTP authenticator with allauth.mfa."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).exists()
