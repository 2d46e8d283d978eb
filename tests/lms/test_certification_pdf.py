"""The certificate PDF: it renders, shows what it must, and its QR code resolves."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader

from lms.certification.credentials import verify_url
from lms.certification.pdf import (
    _DEFAULT_FALLBACK,
    QR_MASK,
    certificate_pdf,
    font_for,
    qr_matrix,
)
from tests.lms.test_certification import walk_to_certificate

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    """The text a PDF reader extracts from the certificate (through the embedded
    fonts' ToUnicode maps, so it is what a reader's copy-paste gives)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def embedded_fonts(pdf: bytes) -> set[str]:
    """Base names of the fonts the page uses that carry their glyphs (FontFile2)."""
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    names = set()
    for ref in fonts.values():
        font = ref.get_object()
        descriptor = font.get("/FontDescriptor")
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            names.add(str(font["/BaseFont"]))
    return names


def test_pdf_renders_with_holder_scheme_units_dates_and_link():
    certificate = walk_to_certificate()
    pdf = certificate_pdf(certificate, language="en")
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "CERTIFICATE OF COMPETENCE" in text
    for value in (
        certificate.holder_name,
        certificate.number,
        certificate.scheme.code,
        certificate.body.name,
        verify_url(certificate),
        *(u["code"] for u in certificate.units),
    ):
        assert value in text, value
    valid = certificate.valid_until
    assert f"{valid.day} " in text and str(valid.year) in text
    assert certificate.holder.email not in text


def test_pdf_in_indonesian_uses_indonesian_months():
    certificate = walk_to_certificate()
    from lms.certification.pdf import _MONTHS

    pdf = certificate_pdf(certificate, language="id")
    assert _MONTHS["id"][certificate.issued_on.month - 1] in pdf_text(pdf)


def test_qr_code_resolves_to_the_verification_page(client):
    certificate = walk_to_certificate()
    url = verify_url(certificate)
    # The mask is fixed (any of the eight is a valid code); the content is the
    # verification URL at the same error level.
    assert qr_matrix(certificate) == tuple(
        segno.make(url, error="m", mask=QR_MASK).matrix
    )
    page = client.get(url.removeprefix("http://testserver"))
    assert page.status_code == 200
    assert certificate.holder_name in page.content.decode()


def font_programs(pdf: bytes) -> dict[str, bytes]:
    """The embedded font programs (FontFile2) by font name."""
    fonts = PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    programs = {}
    for ref in fonts.values():
        descriptor = ref.get_object().get("/FontDescriptor")
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            stream = descriptor.get_object()["/FontFile2"].get_object()
            programs[str(ref.get_object()["/BaseFont"])] = stream.get_data()
    return programs


def test_reused_font_subsets_still_carry_each_certificates_letters():
    """Font subsets are kept between documents (bulk issuing): a name with
    letters the previous certificate lacked still prints, and the next plain
    name gets the same font program as the first."""
    certificate = walk_to_certificate()
    certificate.holder_name = "Budi Santoso"
    first = certificate_pdf(certificate, language="en")
    certificate.holder_name = "Ñoño Çelik"
    other = certificate_pdf(certificate, language="en")
    certificate.holder_name = "Wayan Sukarta"
    again = certificate_pdf(certificate, language="en")
    assert "Budi Santoso" in pdf_text(first)
    assert "Ñoño Çelik" in pdf_text(other)
    assert "Wayan Sukarta" in pdf_text(again) and "Ñoño" not in pdf_text(again)
    assert font_programs(first) == font_programs(again)
    assert font_programs(other) != font_programs(first)


NAMES = ["Ṣiti Nur'aini", "Đặng Thị Hường", "Siti Nu\u0301r (combining)", "Ñoño «Ç»"]


@pytest.mark.parametrize("name", NAMES)
def test_names_outside_latin1_print_as_written_with_embedded_glyphs(name):
    """The name is set in an embedded Unicode TrueType font (ReportLab's Vera,
    or the fallback font for letters Vera lacks), so a reader extracts the very
    name (NFC) and nothing prints as '?' or as a missing-glyph box."""
    import unicodedata

    certificate = walk_to_certificate()
    certificate.holder_name = name
    pdf = certificate_pdf(certificate, language="en")
    fonts = embedded_fonts(pdf)
    assert fonts and all("Helvetica" not in f for f in fonts)
    expected = unicodedata.normalize("NFC", name)
    _font, printed = font_for(expected, bold=True)
    text = pdf_text(pdf)
    if Path(_DEFAULT_FALLBACK[1]).is_file():
        assert expected in text  # exactly as written, no letter lost
    else:
        assert printed in text  # at worst a letter without its marks
    assert "?" not in printed and "\ufffd" not in text


def test_a_letter_no_font_has_keeps_its_base_letter(settings):
    """Without a fallback font, a letter Vera lacks loses only its marks."""
    settings.LMS_CERTIFICATE_FALLBACK_FONTS = ()
    assert font_for("Ṣiti Đặng", bold=True) == ("CertSans-Bold", "Siti Đang")
