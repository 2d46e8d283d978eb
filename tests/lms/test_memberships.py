"""Roles as memberships, backed by groups; staff flags follow the roles."""

import pytest
from django.core.exceptions import ValidationError

from lms.models import Membership, Organisation, Role
from lms.services import membership_grant, membership_revoke
from tests.factories import UserFactory


def test_granting_a_role_puts_the_person_in_that_centres_group(db):
    user = UserFactory()
    r4 = Organisation.objects.get(code="R4")
    membership_grant(user=user, organisation=r4, role=Role.TRAINER)
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["R4 · trainer"]
    assert user.is_staff and not user.is_superuser
    assert user.has_perm("wagtailadmin.access_admin")


def test_one_person_may_hold_several_roles(db):
    user = UserFactory()
    membership_grant(
        user=user, organisation=Organisation.objects.get(code="R1"), role=Role.TRAINEE
    )
    membership_grant(
        user=user, organisation=Organisation.objects.get(code="UNHAS"), role=Role.GRADER
    )
    assert set(Membership.objects.filter(user=user).values_list("role", flat=True)) == {
        "trainee",
        "grader",
    }


def test_granting_twice_keeps_one_membership(db):
    user = UserFactory()
    r2 = Organisation.objects.get(code="R2")
    first = membership_grant(user=user, organisation=r2, role=Role.CENTRE_ADMIN)
    second = membership_grant(user=user, organisation=r2, role=Role.CENTRE_ADMIN)
    assert first.pk == second.pk


def test_wrong_organisation_kind_and_missing_registration_are_both_reported(db):
    user = UserFactory()
    with pytest.raises(ValidationError) as caught:
        membership_grant(
            user=user,
            organisation=Organisation.objects.get(code="R3"),
            role=Role.ASSESSOR,
        )
    assert len(caught.value.messages) == 2
    assert not Membership.objects.filter(user=user).exists()


def test_revoking_keeps_the_row_and_removes_the_rights(db):
    user = UserFactory()
    membership = membership_grant(
        user=user, organisation=Organisation.objects.get(code="R5"), role=Role.TRAINER
    )
    membership_revoke(membership=membership)
    user.refresh_from_db()
    assert Membership.objects.filter(
        pk=membership.pk, revoked_at__isnull=False
    ).exists()
    assert not user.groups.exists()
    assert not user.is_staff


def test_trainee_role_is_not_staff(db):
    user = UserFactory()
    membership_grant(
        user=user, organisation=Organisation.objects.get(code="R6"), role=Role.TRAINEE
    )
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.has_perm("wagtailadmin.access_admin")
