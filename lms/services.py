"""Writes of the core: people, NIKs, memberships and role groups.

Every write in the suite about people and roles goes through these functions; the
sign-up form, the admin, the API and the import commands call the same ones.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.models import (
    ROLE_ORGANISATION_KINDS,
    Membership,
    Organisation,
    Profile,
    Province,
    Role,
    RoleGroup,
    User,
)
from lms.nik import nik_cipher, nik_hash, nik_normalise, nik_problems


def nik_check(*, nik: str, exclude_user: User | None = None) -> list[str]:
    """Every problem with a NIK: its shape and whether another person holds it."""
    problems = nik_problems(nik, province_codes=Province.objects.codes())
    if not problems:
        holders = Profile.objects.filter(nik_hash=nik_hash(nik))
        if exclude_user is not None:
            holders = holders.exclude(user=exclude_user)
        if holders.exists():
            problems.append(_("This NIK is already registered to another person."))
    return problems


@transaction.atomic
def profile_set_nik(*, user: User, nik: str) -> Profile:
    """Store a person's NIK encrypted, with its keyed hash; refuse bad or taken NIKs."""
    problems = nik_check(nik=nik, exclude_user=user)
    if problems:
        raise ValidationError({"nik": problems})
    profile, _created = Profile.objects.select_for_update().get_or_create(user=user)
    normalised = nik_normalise(nik)
    profile.nik_encrypted = nik_cipher().encrypt(normalised)
    profile.nik_hash = nik_hash(nik)
    if profile.province_id is None:
        # Where the NIK was issued (its first two digits) until the person says
        # otherwise; the dashboards group trainees by it.
        profile.province = Province.objects.filter(code=normalised[:2]).first()
    profile.save(update_fields=["nik_encrypted", "nik_hash", "province"])
    return profile


@transaction.atomic
def person_complete_signup(
    *, user: User, full_name: str, time_zone: str, nik: str = ""
) -> User:
    """Finish a self sign-up: name, zone, profile and (if given) the NIK."""
    user.full_name = full_name.strip()
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name", "time_zone"])
    Profile.objects.get_or_create(user=user)
    if nik:
        profile_set_nik(user=user, nik=nik)
    return user


@transaction.atomic
def person_create(
    *,
    email: str,
    full_name: str,
    password: str | None = None,
    nik: str = "",
    time_zone: str = "Asia/Jakarta",
    title_prefix: str = "",
    title_suffix: str = "",
    email_verified: bool = False,
) -> User:
    """Create a person (account + profile) after checking every field at once.

    Raises one ValidationError naming every problem; writes nothing in that case.
    """
    from allauth.account.models import EmailAddress

    errors: dict[str, list[str]] = {}
    if User.objects.filter(email__iexact=email.strip()).exists():
        errors["email"] = [_("A person with this e-mail address already exists.")]
    if nik:
        problems = nik_check(nik=nik)
        if problems:
            errors["nik"] = problems
    user = User(
        email=email.strip().lower(),
        full_name=full_name.strip(),
        time_zone=time_zone,
        title_prefix=title_prefix,
        title_suffix=title_suffix,
    )
    try:
        user.full_clean(
            exclude=["password", "email"] if "email" in errors else ["password"]
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    Profile.objects.create(user=user)
    if nik:
        profile_set_nik(user=user, nik=nik)
    EmailAddress.objects.create(
        user=user, email=user.email, primary=True, verified=email_verified
    )
    return user


# Global (not object-level) permissions each role's group carries. Page and
# collection permissions are granted per organisation by `cms.services`.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.TRAINEE: [],
    Role.TRAINER: ["wagtailadmin.access_admin"],
    Role.CENTRE_ADMIN: ["wagtailadmin.access_admin"],
    Role.GRADER: ["wagtailadmin.access_admin"],
    Role.ASSESSOR: ["wagtailadmin.access_admin"],
    Role.CERTIFICATION_ADMIN: ["wagtailadmin.access_admin"],
    Role.COMMITTEE: ["wagtailadmin.access_admin"],
    Role.CENTRAL_ADMIN: ["wagtailadmin.access_admin"],
}


def role_group_ensure(*, organisation: Organisation, role: str) -> Group:
    """The group behind (organisation, role), created with its permissions if new."""
    existing = (
        RoleGroup.objects.filter(organisation=organisation, role=role)
        .select_related("group")
        .first()
    )
    if existing:
        return existing.group
    group, _created = Group.objects.get_or_create(
        # The code, not the translated label: group names must not depend on the
        # language active when the group was first made.
        name=f"{organisation.code} · {role}"
    )
    for dotted in ROLE_PERMISSIONS[role]:
        app_label, codename = dotted.split(".")
        group.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    RoleGroup.objects.create(organisation=organisation, role=role, group=group)
    return group


@transaction.atomic
def membership_grant(
    *,
    user: User,
    organisation: Organisation,
    role: str,
    registration_number: str = "",
) -> Membership:
    """Give a person a role in an organisation (idempotent for an active one)."""
    errors = []
    if organisation.kind not in ROLE_ORGANISATION_KINDS[role]:
        errors.append(
            _("The role %(role)s cannot be held in a %(kind)s.")
            % {"role": Role(role).label, "kind": organisation.get_kind_display()}
        )
    if role == Role.ASSESSOR and not registration_number.strip():
        errors.append(_("An assessor needs a registration number."))
    if errors:
        raise ValidationError(errors)
    membership, _created = Membership.objects.get_or_create(
        user=user,
        organisation=organisation,
        role=role,
        revoked_at__isnull=True,
        defaults={"registration_number": registration_number.strip()},
    )
    user.groups.add(role_group_ensure(organisation=organisation, role=role))
    _sync_staff_flags(user)
    return membership


@transaction.atomic
def membership_revoke(*, membership: Membership) -> Membership:
    """End a membership; the row stays as the record of who held the role."""
    membership.revoked_at = timezone.now()
    membership.save(update_fields=["revoked_at"])
    still_held = Membership.objects.active().filter(
        user=membership.user, organisation=membership.organisation, role=membership.role
    )
    if not still_held.exists():
        group = role_group_ensure(
            organisation=membership.organisation, role=membership.role
        )
        membership.user.groups.remove(group)
    _sync_staff_flags(membership.user)
    return membership


def _sync_staff_flags(user: User) -> None:
    roles = set(
        Membership.objects.active().filter(user=user).values_list("role", flat=True)
    )
    user.is_staff = bool(roles & Role.staff_roles())
    # The central admin may do everything (DESIGN.md §1); no other role is superuser.
    if Role.CENTRAL_ADMIN in roles:
        user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
