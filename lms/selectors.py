"""Reads of the core that depend on who asks."""

from __future__ import annotations

from collections.abc import Iterable

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


def _active_memberships(user: User) -> list[tuple[str, int]]:
    """(role, organisation id) of a person's roles today: one query per request."""
    cached = getattr(user, "_lms_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.active()
            .filter(user=user)
            .values_list("role", "organisation_id")
        )
        user._lms_memberships = cached
    return cached


def user_roles(user: User) -> set[str]:
    """The role codes a person holds today (cached on the user object per request)."""
    if not user.is_authenticated:
        return set()
    return {role for role, _ in _active_memberships(user)}


def user_is_central_admin(user: User) -> bool:
    """The Kemensos central admin (or a superuser), who sees every centre."""
    return user.is_authenticated and (
        user.is_superuser or Role.CENTRAL_ADMIN in user_roles(user)
    )


def organisation_ids_for_roles(user: User, roles: Iterable[str]) -> set[int]:
    """The organisations where the person holds one of `roles` today."""
    if not user.is_authenticated:
        return set()
    wanted = set(roles)
    return {org for role, org in _active_memberships(user) if role in wanted}


# The roles that work on their own centre's courses, cohorts and assessments.
CENTRE_STAFF_ROLES = (Role.TRAINER, Role.CENTRE_ADMIN)


def centre_ids_for_staff(user: User) -> set[int] | None:
    """Centres whose work a staff member may see and change; None means every centre.

    The one rule for "staff of my centres", used by courses, assessments and their
    admin screens: trainers and centre admins see their own centres, the central
    admin sees all.
    """
    if not user.is_authenticated:
        return set()
    if user_is_central_admin(user):
        return None
    return organisation_ids_for_roles(user, CENTRE_STAFF_ROLES)


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
