"""Open Badges 3.0 credentials: export, verify, and what makes them fail."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from lms.certification import credentials, services
from tests.lms.test_certification import people, walk_to_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Messages are asserted in their English source; the default language is id.

    Pages follow the language switcher's cookie, so the client carries it too.
    """
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def export(certificate, tmp_path) -> tuple[dict, object]:
    path = tmp_path / "credential.json"
    call_command("export_credential", certificate.number, "--output", str(path))
    return json.loads(path.read_text()), path


def verify(path) -> str:
    """Run verify_credential; return its output, or raise CommandError."""
    import io

    out = io.StringIO()
    call_command("verify_credential", str(path), stdout=out)
    return out.getvalue()


def test_exported_credential_verifies(tmp_path):
    certificate = walk_to_certificate()
    document, path = export(certificate, tmp_path)
    assert "Valid" in verify(path)
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert document["issuer"]["name"] == certificate.body.name
    assert document["issuer"]["id"].startswith("did:key:z6Mk")
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["humanCode"] == certificate.scheme.code
    assert [a["targetCode"].split(" ")[0] for a in achievement["alignment"]] == [
        u["code"] for u in certificate.units
    ]
    assert document["validFrom"] < document["validUntil"]
    assert document["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert document["proof"]["proofValue"].startswith("z")
    statuses = {s["statusPurpose"] for s in document["credentialStatus"]}
    assert statuses == {"revocation", "suspension"}
    text = path.read_text()
    assert certificate.holder.email not in text
    assert certificate.holder.profile.nik() not in text


def test_export_prints_to_stdout_and_refuses_unknown_numbers(capsys):
    certificate = walk_to_certificate()
    call_command("export_credential", certificate.number)
    assert json.loads(capsys.readouterr().out)["id"].endswith(
        f"/verify/{certificate.number}/"
    )
    with pytest.raises(CommandError, match="No certificate"):
        call_command("export_credential", "NOPE/1")


def test_one_changed_byte_fails(tmp_path):
    certificate = walk_to_certificate()
    _document, path = export(certificate, tmp_path)
    raw = bytearray(path.read_bytes())
    # Change one byte inside the holder's name: still valid JSON, other content.
    at = raw.index(certificate.holder_name.encode()) + 1
    raw[at] = ord("X") if raw[at] != ord("X") else ord("Y")
    path.write_bytes(bytes(raw))
    with pytest.raises(CommandError, match="signature does not match"):
        verify(path)


def test_a_changed_date_fails(tmp_path):
    certificate = walk_to_certificate()
    document, path = export(certificate, tmp_path)
    document["validUntil"] = "2099-12-31T23:59:59Z"
    path.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="signature does not match"):
        verify(path)


def test_revocation_and_suspension_fail_an_exported_credential(tmp_path):
    certificate = walk_to_certificate()
    _document, path = export(certificate, tmp_path)
    admin = people()["admin"]
    services.certificate_suspend(certificate=certificate, by=admin, reason="Audit.")
    with pytest.raises(CommandError, match="Suspended"):
        verify(path)
    services.certificate_reinstate(certificate=certificate, by=admin, reason="OK.")
    assert "Valid" in verify(path)
    services.certificate_revoke(certificate=certificate, by=admin, reason="Palsu.")
    with pytest.raises(CommandError, match="Revoked"):
        verify(path)


def test_expired_credential_fails():
    certificate = walk_to_certificate()
    document = credentials.certificate_credential(certificate)
    later = dt.datetime.combine(
        certificate.valid_until + dt.timedelta(days=2), dt.time(12), tzinfo=dt.UTC
    )
    problems = " ".join(credentials.credential_verify(document, now=later))
    assert "expired" in problems
    assert "Expired" in problems


def test_another_key_is_not_the_issuer(tmp_path, settings):
    certificate = walk_to_certificate()
    key_file = tmp_path / "other.pem"
    key_file.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.CREDENTIAL_SIGNING_KEY = str(key_file)
    forged = credentials.certificate_credential(certificate)
    # The forged credential verifies under its own key…
    assert credentials.credential_verify(forged) == []
    settings.CREDENTIAL_SIGNING_KEY = ""
    # …but not against the deployment's key.
    problems = credentials.credential_verify(forged)
    assert "The proof was not made with this issuer's key." in problems
    assert "The issuer is not this certification system's key." in problems


def pem_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def test_a_replaced_key_file_signs_at_once_and_the_old_proof_fails(tmp_path, settings):
    """The parsed key is kept between credentials (bulk issuing), but a key
    file replaced in place is used for the very next credential."""
    certificate = walk_to_certificate()
    key_file = tmp_path / "signing.pem"
    key_file.write_bytes(pem_key())
    settings.CREDENTIAL_SIGNING_KEY = str(key_file)
    before = credentials.certificate_credential(certificate)
    assert credentials.credential_verify(before) == []
    key_file.write_bytes(pem_key())
    after = credentials.certificate_credential(certificate)
    assert after["issuer"]["id"] != before["issuer"]["id"]
    assert credentials.credential_verify(after) == []
    assert "The proof was not made with this issuer's key." in (
        credentials.credential_verify(before)
    )


def test_every_failure_is_named(tmp_path):
    path = tmp_path / "junk.json"
    path.write_text(json.dumps({"issuer": "did:example:x", "id": "https://x/"}))
    with pytest.raises(CommandError) as exc:
        verify(path)
    text = str(exc.value)
    for words in ("no proof", "issuer is not", "validFrom", "No certificate"):
        assert words in text
    path.write_text("{not json")
    with pytest.raises(CommandError, match="Cannot read"):
        verify(path)


def test_development_key_is_stable_and_base58_round_trips():
    assert credentials.issuer_id() == credentials.issuer_id()
    for data in (b"", b"\0\0abc", bytes(range(40))):
        assert credentials.b58decode(credentials.b58encode(data)) == data
    assert credentials.jcs({"b": 1, "a": ["é", {"d": None, "c": True}]}) == (
        '{"a":["é",{"c":true,"d":null}],"b":1}'.encode()
    )
    with pytest.raises(TypeError):
        credentials.jcs({"x": 1.5})


def _bit(document: dict, index: int) -> bool:
    import base64
    import gzip

    encoded = document["credentialSubject"]["encodedList"]
    assert encoded.startswith("u")
    data = encoded[1:] + "=" * (-len(encoded[1:]) % 4)
    bits = gzip.decompress(base64.urlsafe_b64decode(data))
    assert len(bits) * 8 >= credentials.STATUS_LIST_MIN_BITS
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def test_status_lists_show_suspension_and_revocation_at_once(client):
    certificate = walk_to_certificate()
    document = credentials.certificate_credential(certificate)
    entries = {e["statusPurpose"]: e for e in document["credentialStatus"]}
    revocation_url = entries["revocation"]["statusListCredential"]
    suspension_url = entries["suspension"]["statusListCredential"]
    index = int(entries["revocation"]["statusListIndex"])

    def fetch(url: str) -> dict:
        response = client.get(url.removeprefix("http://testserver"))
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        body = response.json()
        # The list itself is signed by the same issuer key.
        assert credentials.credential_verify_proof(body) == []
        return body

    assert not _bit(fetch(revocation_url), index)
    admin = people()["admin"]
    services.certificate_suspend(certificate=certificate, by=admin, reason="Audit.")
    assert _bit(fetch(suspension_url), index)
    assert not _bit(fetch(revocation_url), index)
    services.certificate_revoke(certificate=certificate, by=admin, reason="Palsu.")
    assert _bit(fetch(revocation_url), index)
    assert not _bit(fetch(suspension_url), index)
    assert client.get("/verify/status/LSP-KEMENSOS/other/").status_code == 404
    assert client.get("/verify/status/NOPE/revocation/").status_code == 404
