"""Models of the core: people, organisations and roles (more sub-domains follow)."""

from .organisations import (
    ROLE_ORGANISATION_KINDS,
    Membership,
    Organisation,
    OrganisationKind,
    OrganisationName,
    Province,
    Role,
    RoleGroup,
)
from .people import Profile, TimeZone, User

__all__ = [
    "ROLE_ORGANISATION_KINDS",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "OrganisationName",
    "Profile",
    "Province",
    "Role",
    "RoleGroup",
    "TimeZone",
    "User",
]
