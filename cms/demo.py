"""The demo world: organisations, the site, and one account per role per place.

Used by `manage.py load_demo`. Every account lives on the reserved domain
`lms.example` and shares one password (README). Never load this in production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress

from cms import services as cms_services
from cms import workflows
from cms.demo_world import demo_person_create, demo_world_load
from lms import services as lms_services
from lms.models import Organisation, OrganisationKind, Profile, Role, User

DEMO_PASSWORD = "Demo-LMS-2026!"
DEMO_DOMAIN = "lms.example"

# Partners that are operator data in production; in the demo they are samples.
DEMO_PARTNERS = [
    (
        "POLTEKESOS",
        OrganisationKind.UNIVERSITY,
        "Politeknik Kesejahteraan Sosial Bandung",
        "Poltekesos Bandung",
        "Bandung",
        "Asia/Jakarta",
    ),
    (
        "UNHAS",
        OrganisationKind.UNIVERSITY,
        "Universitas Hasanuddin",
        "Unhas",
        "Makassar",
        "Asia/Makassar",
    ),
    (
        "BANK-MITRA",
        OrganisationKind.BANK,
        "Bank Mitra Literasi Keuangan (demo)",
        "Bank Mitra",
        "Jakarta",
        "Asia/Jakarta",
    ),
]

# First two NIK digits per centre for its demo trainees (a province it covers).
CENTRE_NIK_PROVINCE = {
    "R1": "13",
    "R2": "32",
    "R3": "34",
    "R4": "63",
    "R5": "73",
    "R6": "91",
}
TRAINEE_NAMES = ["Siti Aminah", "Budi Santoso", "Yohana Wenda"]


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    role: str
    organisation_code: str
    registration_number: str = ""
    nik: str = ""


def demo_accounts() -> list[DemoAccount]:
    """Every demo account, in the order the README lists them."""
    accounts = [
        DemoAccount(
            f"admin.pusat@{DEMO_DOMAIN}",
            "Admin Pusat Kemensos",
            Role.CENTRAL_ADMIN,
            "KEMENSOS",
        ),
        DemoAccount(
            f"admin.lsp@{DEMO_DOMAIN}",
            "Admin LSP Kemensos",
            Role.CERTIFICATION_ADMIN,
            "LSP-KEMENSOS",
        ),
        DemoAccount(
            f"komite.lsp@{DEMO_DOMAIN}",
            "Komite Keputusan LSP",
            Role.COMMITTEE,
            "LSP-KEMENSOS",
        ),
        # A second member: an appeal is decided by someone who took no part in
        # the decision appealed against.
        DemoAccount(
            f"komite.banding.lsp@{DEMO_DOMAIN}",
            "Komite Banding LSP",
            Role.COMMITTEE,
            "LSP-KEMENSOS",
        ),
        DemoAccount(
            f"asesor.lsp@{DEMO_DOMAIN}",
            "Asesor LSP Kemensos",
            Role.ASSESSOR,
            "LSP-KEMENSOS",
            "MET.000.000001.2026",
        ),
    ]
    for code in ("POLTEKESOS", "UNHAS"):
        slug = code.lower()
        accounts += [
            DemoAccount(
                f"penilai.{slug}@{DEMO_DOMAIN}",
                f"Penilai {code.title()}",
                Role.GRADER,
                code,
            ),
            DemoAccount(
                f"asesor.{slug}@{DEMO_DOMAIN}",
                f"Asesor {code.title()}",
                Role.ASSESSOR,
                code,
                f"MET.{code}.0001",
            ),
        ]
    for number, code in enumerate(CENTRE_NIK_PROVINCE, start=1):
        slug = code.lower()
        accounts += [
            DemoAccount(
                f"pelatih.{slug}@{DEMO_DOMAIN}", f"Pelatih {code}", Role.TRAINER, code
            ),
            DemoAccount(
                f"penyelenggara.{slug}@{DEMO_DOMAIN}",
                f"Penyelenggara {code}",
                Role.CENTRE_ADMIN,
                code,
            ),
        ]
        for index, name in enumerate(TRAINEE_NAMES, start=1):
            # Shape-valid demo NIK: province, regency 01, district 01, a birth date
            # (women +40 on the day, as real NIKs do), and a serial.
            day = 10 + index + (40 if index != 2 else 0)
            nik = (
                f"{CENTRE_NIK_PROVINCE[code]}0101{day:02d}0{index}9{number}{index:04d}"
            )
            accounts.append(
                DemoAccount(
                    f"peserta{index}.{slug}@{DEMO_DOMAIN}",
                    f"{name} ({code})",
                    Role.TRAINEE,
                    code,
                    nik=nik,
                )
            )
    return accounts


def load_demo(
    *,
    stdout: object | None = None,
    accounts_only: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, int]:
    """Build (or top up) the demo world. Idempotent: a second run adds nothing.

    With `accounts_only` it stops after the organisations, the site and the
    accounts (the light world the test suite starts from); otherwise every centre
    also gets its course, cohort and trainees at each stage (`cms.demo_world`).
    """
    created = {"organisations": 0, "accounts": 0, "centres": 0}
    for code, kind, name, short, city, zone in DEMO_PARTNERS:
        _org, made = Organisation.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "short_name": short,
                "city": city,
                "time_zone": zone,
            },
        )
        created["organisations"] += made
    home = cms_services.home_page_ensure()
    if not home.intro:
        home.intro = (
            "<p>Pelatihan dan sertifikasi pendamping sosial Kementerian Sosial.</p>"
        )
        home.save_revision().publish()
    for centre in Organisation.objects.centres():
        cms_services.centre_site_provision(organisation=centre, home=home)
    organisations = {o.code: o for o in Organisation.objects.all()}
    for account in demo_accounts():
        organisation = organisations[account.organisation_code]
        user = User.objects.filter(email=account.email).first()
        if user is None:
            user = demo_person_create(
                password=DEMO_PASSWORD,
                email=account.email,
                full_name=account.full_name,
                nik=account.nik,
                time_zone=organisation.time_zone,
                email_verified=True,
            )
            created["accounts"] += 1
        else:
            Profile.objects.get_or_create(user=user)
            EmailAddress.objects.get_or_create(
                user=user,
                email=user.email,
                defaults={"primary": True, "verified": True},
            )
        lms_services.membership_grant(
            user=user,
            organisation=organisation,
            role=account.role,
            registration_number=account.registration_number,
        )
    # Course content is moderated per centre; each centre admin is its reviewer.
    workflows.centre_workflows_ensure()
    for centre in Organisation.objects.centres():
        workflows.reviewer_add(
            user=User.objects.get(
                email=f"penyelenggara.{centre.code.lower()}@{DEMO_DOMAIN}"
            ),
            organisation=centre,
        )
    if not accounts_only:
        created["centres"] = demo_world_load(
            password=DEMO_PASSWORD, provinces=CENTRE_NIK_PROVINCE, log=log
        )
    return created
