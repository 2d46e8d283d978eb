"""Open Badges 3.0 credentials for certificates, signed with Ed25519.

A certificate becomes an ``OpenBadgeCredential`` (a W3C Verifiable Credential in
the 2.0 data model): the issuer is the LSP as a ``Profile``, the subject holds an
``Achievement`` for the scheme, aligned to each of its units, with ``validFrom`` /
``validUntil`` and a ``BitstringStatusListEntry`` pointing at the body's status list.

Why Data Integrity ``eddsa-jcs-2022`` rather than VC-JOSE-COSE or ``eddsa-rdfc-2022``:
the exported file stays a readable JSON credential with an embedded ``proof`` (what
Open Badges wallets and verifiers expect), and JCS canonicalisation is plain JSON
with sorted keys and no whitespace, so signing needs neither RDF canonicalisation
nor the JSON-LD contexts, which must never be fetched from the network here. Our
documents hold only strings, integers, lists and objects, for which Python's
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` gives the
RFC 8785 form (keys are ASCII, so UTF-16 and code-point order agree); floats, whose
JCS form differs, are refused.

The proof follows the cryptosuite: hash = SHA-256(JCS(proof options with the
document's ``@context``)) ‖ SHA-256(JCS(document without proof)); the Ed25519
signature of that is the ``proofValue``, multibase base58-btc (``z…``). The
verification method is a ``did:key`` of the public key, which is also the issuer
profile's ``id``, so the key can be checked offline.

The key: ``settings.CREDENTIAL_SIGNING_KEY`` names a PEM file with an Ed25519
private key. When it is empty, a *development* key is derived deterministically
from ``settings.SECRET_KEY`` (SHA-256 of a labelled secret as the 32-byte seed),
so a local run signs and verifies without set-up; a production deployment must
configure a real key, since anyone with the secret key could derive this one.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import zoneinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Certificate, CertificateStatus

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
CRYPTOSUITE = "eddsa-jcs-2022"
# Multicodec prefix of an Ed25519 public key (0xed, varint-encoded).
ED25519_MULTICODEC = b"\xed\x01"
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


# --- encodings ------------------------------------------------------------------


def b58encode(data: bytes) -> str:
    """Base58 (bitcoin alphabet); leading zero bytes become leading ``1``s."""
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def b58decode(text: str) -> bytes:
    """The inverse of `b58encode`; ValueError on a character outside the alphabet."""
    number = 0
    for char in text:
        index = _B58.find(char)
        if index < 0:
            raise ValueError(f"not base58: {char!r}")
        number = number * 58 + index
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body


def _no_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("JCS form of floats is not supported here")
    if isinstance(value, dict):
        for item in value.values():
            _no_floats(item)
    elif isinstance(value, list):
        for item in value:
            _no_floats(item)


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON for documents without floats (see module docstring)."""
    _no_floats(value)
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


# --- keys -----------------------------------------------------------------------


def signing_key() -> Ed25519PrivateKey:
    """The Ed25519 key credentials are signed with (see module docstring)."""
    return _signer()[0]


def _signer() -> tuple[Ed25519PrivateKey, str]:
    """The signing key and its ``did:key``, parsed once per key.

    Bulk issuing signs thousands of credentials in a row; parsing the PEM (or
    deriving the development key) and encoding the ``did:key`` for each was
    repeated work. The cache is keyed by the key itself: the file's bytes
    (read each time, a small file, so a replaced key takes effect at once) or
    the secret key.
    """
    path = getattr(settings, "CREDENTIAL_SIGNING_KEY", "")
    if path:
        return _signer_from_pem(Path(path).read_bytes())
    return _signer_from_secret(settings.SECRET_KEY)


@functools.lru_cache(maxsize=4)
def _signer_from_pem(pem: bytes) -> tuple[Ed25519PrivateKey, str]:
    key = serialization.load_pem_private_key(pem, None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("CREDENTIAL_SIGNING_KEY is not an Ed25519 private key")
    return key, did_key(key.public_key())


@functools.lru_cache(maxsize=4)
def _signer_from_secret(secret: str) -> tuple[Ed25519PrivateKey, str]:
    seed = hashlib.sha256(f"lms-credential-signing-dev:{secret}".encode()).digest()
    key = Ed25519PrivateKey.from_private_bytes(seed)
    return key, did_key(key.public_key())


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def did_key(public: Ed25519PublicKey) -> str:
    """The ``did:key`` identifier of an Ed25519 public key."""
    return "did:key:z" + b58encode(ED25519_MULTICODEC + _raw(public))


def public_key_from_did_key(did: str) -> Ed25519PublicKey:
    """The public key inside a ``did:key`` (ValueError when it is not Ed25519)."""
    if not did.startswith("did:key:z"):
        raise ValueError("not a base58 did:key")
    data = b58decode(did.removeprefix("did:key:z"))
    if not data.startswith(ED25519_MULTICODEC) or len(data) != 34:
        raise ValueError("not an Ed25519 did:key")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def issuer_id() -> str:
    return _signer()[1]


# --- building -----------------------------------------------------------------


def public_base_url() -> str:
    """Where the public pages live (LMS_PUBLIC_BASE_URL, else the admin base URL)."""
    base = (
        getattr(settings, "LMS_PUBLIC_BASE_URL", "") or settings.WAGTAILADMIN_BASE_URL
    )
    return base.rstrip("/")


def verify_url(certificate: Certificate) -> str:
    """The public verification page of a certificate (also the credential id)."""
    # Numbers carry slashes (kept) and, from a scheme code, maybe other signs.
    return f"{public_base_url()}/verify/{quote(certificate.number, safe='/')}/"


def status_list_url(certificate: Certificate, purpose: str) -> str:
    return f"{public_base_url()}/verify/status/{certificate.body.code}/{purpose}/"


def _utc(day: dt.date, at: dt.time, zone: str) -> str:
    """A local date and time in the body's zone, as an ISO 8601 UTC instant."""
    local = dt.datetime.combine(day, at, tzinfo=zoneinfo.ZoneInfo(zone))
    return local.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _achievement(certificate: Certificate) -> dict[str, Any]:
    """What the credential attests: a scheme's certification or a course's training."""
    if certificate.is_training:
        course = (certificate.training_key or "").replace(":", "-")
        return {
            "id": f"{public_base_url()}/verify/courses/{quote(course)}",
            "type": ["Achievement"],
            "achievementType": "Course",
            "name": certificate.course_title,
            "description": _("Training certificate: %(course)s, %(jp)d JP.")
            % {"course": certificate.course_title, "jp": certificate.training_jp},
            "criteria": {
                "narrative": _(
                    "Completed every required module of the course at the training "
                    "centre."
                )
            },
        }
    scheme = certificate.scheme
    return {
        "id": f"{public_base_url()}/verify/schemes/{scheme.code}",
        "type": ["Achievement"],
        "achievementType": "Certification",
        "name": scheme.title,
        "humanCode": scheme.code,
        "description": _("Competency certificate of scheme %(code)s.")
        % {"code": scheme.code},
        "criteria": {
            "narrative": _(
                "Assessed competent (Kompeten) in every unit of the scheme "
                "and decided by the certification body's committee."
            )
        },
    }


def credential_build(certificate: Certificate) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential of a certificate.

    Personal data is what the certificate shows: the holder's name with titles;
    no e-mail or NIK. Dates are the certificate's, read in the issuing body's time
    zone (the certificate is valid through the whole of its last day there).
    """
    body = certificate.body
    url = verify_url(certificate)
    status_entry = {
        "id": f"{status_list_url(certificate, 'revocation')}#{certificate.serial}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(certificate.serial),
        "statusListCredential": status_list_url(certificate, "revocation"),
    }
    suspension_entry = {
        **status_entry,
        "id": f"{status_list_url(certificate, 'suspension')}#{certificate.serial}",
        "statusPurpose": "suspension",
        "statusListCredential": status_list_url(certificate, "suspension"),
    }
    return {
        "@context": list(CONTEXTS),
        "id": url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{certificate.subject_title} · {certificate.number}",
        "issuer": {
            "id": issuer_id(),
            "type": ["Profile"],
            "name": body.name,
            "url": public_base_url(),
        },
        "validFrom": _utc(certificate.issued_on, dt.time.min, body.time_zone),
        "validUntil": _utc(
            certificate.valid_until, dt.time(23, 59, 59), body.time_zone
        ),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityType": "name",
                    "hashed": False,
                    "identityHash": certificate.holder_name,
                }
            ],
            "achievement": {
                **_achievement(certificate),
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": unit["title"],
                        "targetCode": f"{unit['code']} v{unit['version']}",
                        "targetUrl": f"{url}#unit-{unit['code']}",
                        "targetType": "ceterms:Competency",
                    }
                    for unit in certificate.units
                ],
            },
        },
        "credentialStatus": [status_entry, suspension_entry],
    }


# --- signing and verifying ------------------------------------------------------


def _hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {**proof_options, "@context": document.get("@context")}
    return (
        hashlib.sha256(jcs(config)).digest() + hashlib.sha256(jcs(unsecured)).digest()
    )


def credential_sign(
    document: dict[str, Any], *, created: dt.datetime | None = None
) -> dict[str, Any]:
    """The document with an ``eddsa-jcs-2022`` DataIntegrityProof added."""
    key, did = _signer()
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": (created or timezone.now())
        .astimezone(dt.UTC)
        .strftime("%Y-%m-%dT%H:%M:%SZ"),
        "verificationMethod": f"{did}#{did.removeprefix('did:key:')}",
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash_data(document, options))
    return {**document, "proof": {**options, "proofValue": "z" + b58encode(signature)}}


def certificate_credential(certificate: Certificate) -> dict[str, Any]:
    """The signed Open Badges 3.0 credential of a certificate."""
    return credential_sign(credential_build(certificate))


def _parse_instant(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _certificate_for(document: dict[str, Any]) -> Certificate | None:
    identifier = str(document.get("id", ""))
    # The id is the verification page: under the public base URL when it is
    # ours (which may carry a path prefix), else read from the URL's path.
    base = public_base_url()
    path = (
        identifier.removeprefix(base)
        if identifier.startswith(base + "/")
        else urlsplit(identifier).path
    )
    if not (path.startswith("/verify/") and path.endswith("/")):
        return None
    number = unquote(path.removeprefix("/verify/").removesuffix("/"))
    return Certificate.objects.filter(number=number).select_related("body").first()


def credential_verify_proof(
    document: Any, *, now: dt.datetime | None = None
) -> list[str]:
    """Every reason a signed document's proof and dates do not hold.

    Checks the proof's form, that its key is this deployment's issuer key and the
    issuer's own ``did:key``, the Ed25519 signature over the JCS hashes, and the
    validity dates against ``now``. Used for certificates' credentials and the
    status lists alike.
    """
    now = now or timezone.now()
    if not isinstance(document, dict):
        return [_("The credential is not a JSON object.")]
    problems: list[str] = []
    proof = document.get("proof")
    if not isinstance(proof, dict):
        problems.append(_("The credential has no proof."))
        proof = {}
    if proof and (
        proof.get("type") != "DataIntegrityProof"
        or proof.get("cryptosuite") != CRYPTOSUITE
    ):
        problems.append(
            _("The proof is not a DataIntegrityProof of %(suite)s.")
            % {"suite": CRYPTOSUITE}
        )
    method = str(proof.get("verificationMethod", ""))
    issuer = document.get("issuer")
    issuer_did = issuer.get("id") if isinstance(issuer, dict) else issuer
    expected = issuer_id()
    if proof and method.split("#")[0] != expected:
        problems.append(_("The proof was not made with this issuer's key."))
    if issuer_did != expected:
        problems.append(_("The issuer is not this certification system's key."))
    if proof:
        try:
            public = public_key_from_did_key(method.split("#")[0])
            value = str(proof.get("proofValue", ""))
            if not value.startswith("z"):
                raise ValueError("proofValue is not base58-btc multibase")
            options = {k: v for k, v in proof.items() if k != "proofValue"}
            public.verify(b58decode(value[1:]), _hash_data(document, options))
        except (ValueError, TypeError, InvalidSignature):
            problems.append(_("The signature does not match the credential."))
    valid_from = _parse_instant(document.get("validFrom"))
    valid_until = _parse_instant(document.get("validUntil"))
    if valid_from is None:
        problems.append(_("The credential has no valid validFrom date."))
    elif now < valid_from:
        problems.append(_("The credential is not valid yet."))
    if valid_until is not None and now > valid_until:
        problems.append(
            _("The credential expired on %(date)s.") % {"date": valid_until}
        )
    return problems


def credential_verify(document: Any, *, now: dt.datetime | None = None) -> list[str]:
    """Every reason a certificate's credential does not hold; empty when it holds.

    The proof and dates (`credential_verify_proof`), then the certificate's
    current status in the register: suspended, revoked, expired or unknown.
    """
    now = now or timezone.now()
    problems = credential_verify_proof(document, now=now)
    if not isinstance(document, dict):
        return problems
    certificate = _certificate_for(document)
    if certificate is None:
        problems.append(_("No certificate with this credential's number exists."))
    else:
        status = certificate.effective_status(timezone.localdate(now))
        if status != CertificateStatus.ACTIVE:
            problems.append(
                _("The certificate is %(status)s.")
                % {"status": CertificateStatus(status).label}
            )
    return problems


# --- status lists -----------------------------------------------------------------

STATUS_PURPOSES = {
    "revocation": CertificateStatus.REVOKED,
    "suspension": CertificateStatus.SUSPENDED,
}
# The Bitstring Status List minimum (16 KB), so a list does not reveal how many
# certificates a body has issued.
STATUS_LIST_MIN_BITS = 131_072


def status_list_encode(indexes: set[int]) -> str:
    """The ``encodedList``: GZIP of the bitstring (index 0 = leftmost bit), multibase
    base64url without padding (``u…``)."""
    import base64
    import gzip

    size = max(STATUS_LIST_MIN_BITS, ((max(indexes, default=0) // 8) + 1) * 8)
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0 keeps the output stable for the same set of indexes.
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def status_list_credential(*, body_code: str, purpose: str) -> dict[str, Any] | None:
    """The signed BitstringStatusListCredential of one body and purpose, or None.

    A certificate's bit is set while its stored status is the purpose's status
    (revoked, suspended), so a change shows in the list on the next request.
    Expiry is not listed: every credential carries its own ``validUntil``.
    """
    from lms.models import Organisation

    if purpose not in STATUS_PURPOSES:
        return None
    body = Organisation.objects.filter(code=body_code).first()
    if body is None:
        return None
    serials = set(
        Certificate.objects.filter(
            body=body, status=STATUS_PURPOSES[purpose]
        ).values_list("serial", flat=True)
    )
    url = f"{public_base_url()}/verify/status/{body.code}/{purpose}/"
    document = {
        "@context": [CONTEXTS[0]],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": issuer_id(), "type": ["Profile"], "name": body.name},
        "validFrom": timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": status_list_encode(serials),
        },
    }
    return credential_sign(document)
