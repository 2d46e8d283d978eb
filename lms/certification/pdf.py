"""The certificate as a one-page A4 PDF (ReportLab) with a QR code to its page.

Drawn directly on a canvas rather than through Platypus flowables: the layout is
fixed and a canvas page renders in a few milliseconds, which bulk issuing needs.
The QR code is drawn as vector squares from segno's module matrix, so no image
library is involved and it stays sharp at any print size.
"""

from __future__ import annotations

import io

import segno
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from .credentials import verify_url
from .models import Certificate

# Indonesian month names: certificates carry Indonesian dates in either language
# only when rendered in Indonesian, so both are kept here, not in a locale.
_MONTHS = {
    "id": [
        "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli",
        "Agustus", "September", "Oktober", "November", "Desember",
    ],
    "en": [
        "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December",
    ],
}  # fmt: skip


def _date(day: object, language: str) -> str:
    months = _MONTHS.get(language, _MONTHS["en"])
    return f"{day.day} {months[day.month - 1]} {day.year}"


def qr_matrix(certificate: Certificate) -> tuple[tuple[int, ...], ...]:
    """The QR code's modules for the certificate's verification URL."""
    return tuple(segno.make(verify_url(certificate), error="m").matrix)


def _draw_qr(canvas: Canvas, matrix: tuple, *, x: float, y: float, size: float) -> None:
    quiet = 4  # the quiet zone QR readers need, in modules
    module = size / (len(matrix) + 2 * quiet)
    canvas.setFillColorRGB(0, 0, 0)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                canvas.rect(
                    x + (col + quiet) * module,
                    y + size - (row + quiet + 1) * module,
                    module,
                    module,
                    stroke=0,
                    fill=1,
                )


def certificate_pdf(certificate: Certificate, *, language: str = "id") -> bytes:
    """The certificate PDF in ``language`` ("id" or "en").

    Shows the holder's name with titles, scheme, units, number, dates, issuing
    body and a QR code to the public verification page (whose URL is printed
    too, for readers without a camera). Nothing else personal.
    """
    buffer = io.BytesIO()
    width, height = landscape(A4)
    canvas = Canvas(buffer, pagesize=(width, height), pageCompression=0)
    with translation.override(language):
        if certificate.is_training:
            title = _("Training certificate")
            line = _("has completed the training")
            subject = f"{certificate.course_title} · {certificate.training_jp} JP"
        else:
            title = _("Certificate of competence")
            line = _("competent in the certification scheme")
            subject = f"{certificate.scheme.code} · {certificate.scheme.title}"
        canvas.setTitle(f"{title} {certificate.number}")
        canvas.setLineWidth(2)
        canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
        canvas.setFont("Helvetica", 12)
        canvas.drawCentredString(width / 2, height - 30 * mm, certificate.body.name)
        canvas.setFont("Helvetica-Bold", 26)
        canvas.drawCentredString(width / 2, height - 45 * mm, title.upper())
        canvas.setFont("Helvetica", 11)
        canvas.drawCentredString(
            width / 2, height - 53 * mm, _("No. %(n)s") % {"n": certificate.number}
        )
        canvas.drawCentredString(width / 2, height - 66 * mm, _("awarded to"))
        canvas.setFont("Helvetica-Bold", 20)
        canvas.drawCentredString(width / 2, height - 78 * mm, certificate.holder_name)
        canvas.setFont("Helvetica", 11)
        canvas.drawCentredString(
            width / 2,
            height - 90 * mm,
            line,
        )
        canvas.setFont("Helvetica-Bold", 13)
        canvas.drawCentredString(
            width / 2,
            height - 98 * mm,
            subject[:90],
        )
        canvas.setFont("Helvetica", 9)
        y = height - 110 * mm
        canvas.drawString(25 * mm, y, _("Competency units:"))
        for unit in certificate.units[:12]:
            y -= 5 * mm
            canvas.drawString(28 * mm, y, f"{unit['code']}  {unit['title']}"[:110])
        if len(certificate.units) > 12:
            y -= 5 * mm
            canvas.drawString(
                28 * mm,
                y,
                _("… and %(n)d more units, listed on the verification page.")
                % {"n": len(certificate.units) - 12},
            )
        canvas.setFont("Helvetica", 10)
        canvas.drawString(
            25 * mm,
            30 * mm,
            _("Issued on %(date)s") % {"date": _date(certificate.issued_on, language)},
        )
        canvas.drawString(
            25 * mm,
            24 * mm,
            _("Valid until %(date)s")
            % {"date": _date(certificate.valid_until, language)},
        )
        size = 38 * mm
        qr_x = width - 25 * mm - size
        _draw_qr(canvas, qr_matrix(certificate), x=qr_x, y=22 * mm, size=size)
        canvas.setFont("Helvetica", 7)
        canvas.drawRightString(width - 25 * mm, 18 * mm, verify_url(certificate))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
