"""Models of the core: people, organisations and roles (more sub-domains follow)."""

# The sub-domains keep their models in their own packages (standards, evidence,
# records); importing them here registers them with the lms app. They refer to
# people and organisations by string, so the import order does not matter.
from lms.certification.models import (
    Appeal,
    AssessorRecommendation,
    Certificate,
    CertificateSequence,
    CertificateStatusChange,
    CertificationApplication,
    CommitteeDecision,
    ConflictOfInterestDeclaration,
    SelfAssessment,
)
from lms.evidence.models import EvidenceRecord
from lms.records.models import CompetencyRecord, SchemeCompetence
from lms.standards.models import (
    CertificationScheme,
    CompetencyElement,
    CompetencyStandard,
    CompetencyUnit,
    PerformanceCriterion,
    SchemeUnit,
)

from .audit import ExportLog
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
    "Appeal",
    "AssessorRecommendation",
    "Certificate",
    "CertificateSequence",
    "CertificateStatusChange",
    "CertificationApplication",
    "CertificationScheme",
    "CommitteeDecision",
    "CompetencyElement",
    "CompetencyRecord",
    "CompetencyStandard",
    "CompetencyUnit",
    "ConflictOfInterestDeclaration",
    "EvidenceRecord",
    "ExportLog",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "OrganisationName",
    "PerformanceCriterion",
    "Profile",
    "Province",
    "Role",
    "RoleGroup",
    "SchemeCompetence",
    "SchemeUnit",
    "SelfAssessment",
    "TimeZone",
    "User",
]
