"""The certificate page of the issuing body: suspend, revoke, reinstate.

Each change needs a reason and a confirmation, is listed in the history, and
shows at once on the public verification page and in the signed status lists.
"""

from __future__ import annotations

import pytest

from lms.certification import credentials
from lms.certification.models import Certificate, CertificateStatusChange
from lms.models import Role
from tests.lms.test_certification import ADMIN, COMMITTEE, people, walk_to_certificate
from tests.lms.test_certification_pages import _queries, body_staff
from tests.lms.test_credentials import _bit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

REGISTER = "/staf/sertifikasi/register/"


def page_url(certificate: Certificate) -> str:
    return f"/staf/sertifikasi/sertifikat/{certificate.pk}/"


def status_lists(client, certificate: Certificate) -> dict[str, bool]:
    """Whether the certificate's bit is set in each of its body's status lists."""
    document = credentials.certificate_credential(certificate)
    bits = {}
    for entry in document["credentialStatus"]:
        response = client.get(
            entry["statusListCredential"].removeprefix("http://testserver")
        )
        assert response.status_code == 200
        bits[entry["statusPurpose"]] = _bit(
            response.json(), int(entry["statusListIndex"])
        )
    return bits


def change(client, certificate, action: str, reason: str):
    """Both steps: the form, then the confirmation; returns the second response."""
    first = client.post(page_url(certificate), {"action": action, "reason": reason})
    assert first.status_code == 200, first.content.decode()
    assert 'data-testid="confirm-form"' in first.content.decode()
    return client.post(
        page_url(certificate), {"action": action, "reason": reason, "confirm": "True"}
    )


def changed_by_admin(client, sign_in, certificate, action, reason, *, shows: str):
    """The admin changes the status; anyone then sees it at once, on the
    verification page and in the credential status lists."""
    assert change(sign_in(ADMIN), certificate, action, reason).status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == shows
    client.logout()
    verify = client.get(f"/verify/{certificate.number}/").content.decode()
    assert f'data-status="{shows}"' in verify
    return status_lists(client, certificate)


def test_admin_suspends_reinstates_and_revokes_from_the_register(client, sign_in):
    certificate = walk_to_certificate()
    admin = sign_in(ADMIN)
    assert page_url(certificate) in admin.get(REGISTER).content.decode()
    page = admin.get(page_url(certificate)).content.decode()
    assert 'data-testid="status-form"' in page and certificate.number in page
    rows = CertificateStatusChange.objects.filter(certificate=certificate).count()

    # No reason: refused, named, nothing written.
    response = admin.post(page_url(certificate), {"action": "suspend", "reason": ""})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    # The first step only asks to confirm.
    response = admin.post(
        page_url(certificate), {"action": "suspend", "reason": "Aduan masyarakat."}
    )
    assert 'data-testid="confirm-form"' in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == "aktif"
    assert CertificateStatusChange.objects.filter(certificate=certificate).count() == (
        rows
    )

    for action, reason, shows, lists in (
        ("suspend", "Aduan masyarakat.", "dibekukan", (False, True)),
        ("reinstate", "Aduan tidak terbukti.", "aktif", (False, False)),
        ("revoke", "Dokumen palsu.", "dicabut", (True, False)),
    ):
        assert changed_by_admin(
            client, sign_in, certificate, action, reason, shows=shows
        ) == dict(zip(("revocation", "suspension"), lists, strict=True))

    # A revoked certificate is never reinstated: the refusal names why.
    admin = sign_in(ADMIN)
    response = change(admin, certificate, "reinstate", "Salah cabut.")
    assert response.status_code == 422
    assert 'data-testid="problems"' in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == "dicabut"
    history = admin.get(page_url(certificate)).content.decode()
    positions = [
        history.index(reason)
        for reason in ("Aduan masyarakat.", "Aduan tidak terbukti.", "Dokumen palsu.")
    ]
    assert positions == sorted(positions)
    assert "Salah cabut." not in history


def test_another_bodys_certificate_is_404_and_unchanged(sign_in):
    certificate = walk_to_certificate()
    other = body_staff("LSP-LAIN", Role.CERTIFICATION_ADMIN, "admin@lain.example")
    client = sign_in(other.email)
    assert client.get(page_url(certificate)).status_code == 404
    response = client.post(
        page_url(certificate),
        {"action": "revoke", "reason": "Iseng.", "confirm": "True"},
    )
    assert response.status_code == 404
    certificate.refresh_from_db()
    assert certificate.status == "aktif"
    # The holder and a centre's staff have no such page either.
    for email in ("peserta1.r3@lms.example", "penyelenggara.r3@lms.example"):
        assert sign_in(email).get(page_url(certificate)).status_code == 404


def test_central_admin_reads_but_the_service_refuses_a_change(sign_in):
    certificate = walk_to_certificate()
    client = sign_in("admin.pusat@lms.example")
    page = client.get(page_url(certificate)).content.decode()
    assert 'data-testid="status-form"' not in page
    response = client.post(
        page_url(certificate),
        {"action": "suspend", "reason": "Audit.", "confirm": "True"},
    )
    assert response.status_code == 422
    assert "can change its certificates" in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.status == "aktif"


def test_certificate_page_query_count_does_not_grow(sign_in, django_assert_num_queries):
    from lms.certification import services

    certificate = walk_to_certificate()
    client = sign_in(COMMITTEE)
    small = _queries(client, page_url(certificate))
    admin = people()["admin"]
    for _ in range(3):
        services.certificate_suspend(certificate=certificate, by=admin, reason="A.")
        services.certificate_reinstate(certificate=certificate, by=admin, reason="B.")
    with django_assert_num_queries(small):
        page = client.get(page_url(certificate))
    assert page.content.decode().count("<td>B.</td>") == 3
    assert small <= 10, small
