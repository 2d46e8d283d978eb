"""The certificate as a one-page A4 PDF (ReportLab) with a QR code to its page.

Drawn directly on a canvas rather than through Platypus flowables: the layout is
fixed and a canvas page renders in a few milliseconds, which bulk issuing needs.
The QR code is drawn as vector squares from segno's module matrix, so no image
library is involved and it stays sharp at any print size.

Text is set in Bitstream Vera, the Unicode TrueType font that ships inside
ReportLab (embedded as a subset), not in the PDF base fonts, which only know
Latin-1: names such as "Đặng" or "Ṣiti" must print as written. Vera covers
Latin-1 and most of Latin Extended-A; a string with a letter Vera lacks (the
Vietnamese and dotted letters of Latin Extended Additional, combining marks that
do not compose) is set in the fallback font (LMS_CERTIFICATE_FALLBACK_FONTS,
by default DejaVu Sans where the system has it) when that covers it, and
otherwise with such letters reduced to their base letter, never as a black box.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from pathlib import Path

import reportlab
import segno
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
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


# The QR mask is fixed rather than chosen by scoring all eight: every mask is a
# valid code (readers try them all), and scoring was ~80 % of a PDF's time.
QR_MASK = 0

_REPORTLAB_FONTS = Path(reportlab.__file__).parent / "fonts"
_PRIMARY = ("CertSans", _REPORTLAB_FONTS / "Vera.ttf")
_PRIMARY_BOLD = ("CertSans-Bold", _REPORTLAB_FONTS / "VeraBd.ttf")
_DEFAULT_FALLBACK = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)


@functools.cache
def _font(name: str, path: str) -> frozenset[int] | None:
    """Register a TrueType font once; the code points it has, or None if absent."""
    if not Path(path).is_file():
        return None
    font = TTFont(name, path)
    _reuse_subsets(font)
    pdfmetrics.registerFont(font)
    return frozenset(font.face.charToGlyph)


def _reuse_subsets(font: TTFont) -> None:
    """Keep the font programs of recent subsets instead of rebuilding them.

    ReportLab embeds a subset of the font in every document, built from the
    font file each time. The first subset holds the whole of printable ASCII
    at fixed places plus the document's other letters in order of appearance,
    so certificates whose text differs only in ASCII letters and digits (most
    names, numbers and dates) ask for the very same subset, and bulk issuing
    built the same bytes again for each. ``makeSubset`` depends on nothing but
    the code points given, so its result can be kept, keyed by them.
    """
    make = font.face.makeSubset

    @functools.lru_cache(maxsize=64)
    def subset_program(codes: tuple[int, ...]) -> bytes:
        return make(list(codes))

    font.face.makeSubset = lambda subset: subset_program(tuple(subset))


def _covers(chars: frozenset[int] | None, text: str) -> bool:
    return chars is not None and all(ord(c) in chars for c in text if c.isprintable())


def font_for(text: str, *, bold: bool = False) -> tuple[str, str]:
    """The font to set ``text`` in and the text as it will be set (see module)."""
    text = unicodedata.normalize("NFC", text)
    name, path = _PRIMARY_BOLD if bold else _PRIMARY
    chars = _font(name, str(path))
    if _covers(chars, text):
        return name, text
    fallback = getattr(settings, "LMS_CERTIFICATE_FALLBACK_FONTS", _DEFAULT_FALLBACK)
    if fallback:
        other = fallback[1] if bold and len(fallback) > 1 else fallback[0]
        other_name = f"CertFallback{'-Bold' if bold else ''}"
        if _covers(_font(other_name, str(other)), text):
            return other_name, text
    # Last resort: a letter the font lacks loses its marks ("Ṣ" -> "S").
    reduced = "".join(
        c
        if ord(c) in chars
        else "".join(
            b for b in unicodedata.normalize("NFD", c) if not unicodedata.combining(b)
        )
        for c in text
    )
    return name, reduced


def _text(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    *,
    size: float,
    bold: bool = False,
    align: str = "left",
) -> None:
    font, text = font_for(text, bold=bold)
    canvas.setFont(font, size)
    draw = {
        "left": canvas.drawString,
        "centre": canvas.drawCentredString,
        "right": canvas.drawRightString,
    }[align]
    draw(x, y, text)


def _date(day: object, language: str) -> str:
    months = _MONTHS.get(language, _MONTHS["en"])
    return f"{day.day} {months[day.month - 1]} {day.year}"


_DARK_RUN = re.compile(rb"[^\x00]+")


def qr_matrix(certificate: Certificate) -> tuple[tuple[int, ...], ...]:
    """The QR code's modules for the certificate's verification URL."""
    return tuple(segno.make(verify_url(certificate), error="m", mask=QR_MASK).matrix)


def _draw_qr(canvas: Canvas, matrix: tuple, *, x: float, y: float, size: float) -> None:
    """The modules as one filled path, a rectangle per horizontal run of dark
    modules, in module units: far fewer and shorter operators than a square
    per module through ``canvas.rect``, which was most of the drawing time.
    The runs are found by a regular expression over each row's bytes."""
    quiet = 4  # the quiet zone QR readers need, in modules
    count = len(matrix) + 2 * quiet
    module = size / count
    ops = []
    for row, line in enumerate(matrix):
        # y grows upwards in PDF; row 0 is the top of the code.
        base = count - row - quiet - 1
        ops.extend(
            f"{run.start() + quiet} {base} {run.end() - run.start()} 1 re"
            for run in _DARK_RUN.finditer(bytes(line))
        )
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.translate(x, y)
    canvas.scale(module, module)
    canvas.addLiteral("\n".join(ops) + "\nf")
    canvas.restoreState()


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
        centre = width / 2
        _text(
            canvas,
            centre,
            height - 30 * mm,
            certificate.body.name,
            size=12,
            align="centre",
        )
        _text(
            canvas,
            centre,
            height - 45 * mm,
            title.upper(),
            size=26,
            bold=True,
            align="centre",
        )
        _text(
            canvas,
            centre,
            height - 53 * mm,
            _("No. %(n)s") % {"n": certificate.number},
            size=11,
            align="centre",
        )
        _text(
            canvas, centre, height - 66 * mm, _("awarded to"), size=11, align="centre"
        )
        _text(
            canvas,
            centre,
            height - 78 * mm,
            certificate.holder_name,
            size=20,
            bold=True,
            align="centre",
        )
        _text(canvas, centre, height - 90 * mm, line, size=11, align="centre")
        _text(
            canvas,
            centre,
            height - 98 * mm,
            subject[:90],
            size=13,
            bold=True,
            align="centre",
        )
        y = height - 110 * mm
        _text(canvas, 25 * mm, y, _("Competency units:"), size=9)
        for unit in certificate.units[:12]:
            y -= 5 * mm
            _text(canvas, 28 * mm, y, f"{unit['code']}  {unit['title']}"[:110], size=9)
        if len(certificate.units) > 12:
            y -= 5 * mm
            _text(
                canvas,
                28 * mm,
                y,
                _("… and %(n)d more units, listed on the verification page.")
                % {"n": len(certificate.units) - 12},
                size=9,
            )
        _text(
            canvas,
            25 * mm,
            30 * mm,
            _("Issued on %(date)s") % {"date": _date(certificate.issued_on, language)},
            size=10,
        )
        _text(
            canvas,
            25 * mm,
            24 * mm,
            _("Valid until %(date)s")
            % {"date": _date(certificate.valid_until, language)},
            size=10,
        )
        size = 38 * mm
        qr_x = width - 25 * mm - size
        _draw_qr(canvas, qr_matrix(certificate), x=qr_x, y=22 * mm, size=size)
        _text(
            canvas,
            width - 25 * mm,
            18 * mm,
            verify_url(certificate),
            size=7,
            align="right",
        )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
