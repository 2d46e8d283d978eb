"""The certificate PDF: it renders, shows what it must, and its QR code resolves."""

from __future__ import annotations

import time

import pytest
import segno

from lms.certification.credentials import verify_url
from lms.certification.pdf import certificate_pdf, qr_matrix
from tests.lms.test_certification import walk_to_certificate

pytestmark = pytest.mark.django_db


def pdf_text(text: str) -> bytes:
    """How ReportLab writes a string into an uncompressed page (parens escaped)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return escaped.encode("latin-1")


def test_pdf_renders_with_holder_scheme_units_dates_and_link():
    certificate = walk_to_certificate()
    pdf = certificate_pdf(certificate, language="en")
    assert pdf.startswith(b"%PDF-")
    assert b"CERTIFICATE OF COMPETENCE" in pdf
    for text in (
        certificate.holder_name,
        certificate.number,
        certificate.scheme.code,
        certificate.body.name,
        verify_url(certificate),
        *(u["code"] for u in certificate.units),
    ):
        assert pdf_text(text) in pdf, text
    valid = certificate.valid_until
    assert f"{valid.day} ".encode() in pdf and str(valid.year).encode() in pdf
    assert certificate.holder.email.encode() not in pdf


def test_pdf_in_indonesian_uses_indonesian_months():
    certificate = walk_to_certificate()
    from lms.certification.pdf import _MONTHS

    pdf = certificate_pdf(certificate, language="id")
    assert _MONTHS["id"][certificate.issued_on.month - 1].encode() in pdf


def test_qr_code_resolves_to_the_verification_page(client):
    certificate = walk_to_certificate()
    url = verify_url(certificate)
    assert qr_matrix(certificate) == tuple(segno.make(url, error="m").matrix)
    page = client.get(url.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert certificate.holder_name in page.content.decode()


def test_one_pdf_renders_quickly():
    certificate = walk_to_certificate()
    certificate_pdf(certificate)  # warm up fonts and imports
    start = time.perf_counter()
    certificate_pdf(certificate)
    # The budget is 50 ms; leave room for a loaded CI machine.
    assert time.perf_counter() - start < 0.25
