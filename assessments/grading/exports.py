"""Marks sheets for offline marking: the grader's queue out as CSV/XLSX, and back in.

A sheet carries candidate codes only (blind marking): never a name, NIK or email.
The `version` column lets the import refuse rows that changed after the export.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from assessments.grading.models import Submission
from assessments.grading.services import MarkRow
from lms.exports import csv_response, neutralise

HEADER = [
    "candidate_code",
    "assessment",
    "state",
    "marker_role",
    "version",
    "points",
    "submitted_at",
    "score",
    "feedback",
    "complete",
]
IMPORT_MAX_ROWS = 20_000


def _rows(submissions: Iterable[Submission]) -> Iterator[list[Any]]:
    for s in submissions:
        yield [
            s.candidate_code,
            s.assessment.code,
            s.state,
            s.marking_role,
            s.version,
            str(s.points),
            s.submitted_at.isoformat(timespec="seconds"),
            "",
            "",
            "",
        ]


def queue_csv(submissions: Iterable[Submission]) -> StreamingHttpResponse:
    """The queue as CSV, streamed (every cell neutralised against formulas)."""
    return csv_response(
        filename="penilaian.csv", header=HEADER, rows=_rows(submissions)
    )


def queue_xlsx(submissions: Iterable[Submission]) -> HttpResponse:
    """The queue as an XLSX workbook (write-only, so memory stays flat)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("penilaian")
    sheet.append(HEADER)
    for row in _rows(submissions):
        sheet.append([neutralise(cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type=(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ),
    )
    response["Content-Disposition"] = 'attachment; filename="penilaian.xlsx"'
    return response


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    # A neutralised cell comes back with its apostrophe: drop it again.
    return text[1:] if text.startswith("'") else text


def marks_sheet_read(upload: UploadedFile) -> list[MarkRow]:
    """Parse an uploaded CSV or XLSX marks sheet (format problems all at once)."""
    raw = upload.read()
    table: list[list[Any]]
    if raw[:2] == b"PK":
        try:
            book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds on a broken file
            raise ValidationError(
                [_("The file is not a readable XLSX workbook.")]
            ) from error
        table = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError([_("The CSV file must be UTF-8 text.")]) from error
        table = list(csv.reader(io.StringIO(text)))
    if not table:
        raise ValidationError([_("The file is empty.")])
    header = [_cell(h).strip().lower() for h in table[0]]
    missing = [c for c in ("candidate_code", "version", "score") if c not in header]
    if missing:
        raise ValidationError(
            [_("Missing column: %(column)s.") % {"column": c} for c in missing]
        )
    if len(table) - 1 > IMPORT_MAX_ROWS:
        raise ValidationError(
            [_("At most %(n)s rows per file.") % {"n": IMPORT_MAX_ROWS}]
        )
    index = {name: header.index(name) for name in header}

    def get(row: list[Any], name: str) -> str:
        i = index.get(name)
        return _cell(row[i]) if i is not None and i < len(row) else ""

    return [
        MarkRow(
            line=number,
            candidate_code=get(row, "candidate_code"),
            version=get(row, "version").split(".")[0],
            score=get(row, "score"),
            feedback=get(row, "feedback"),
            complete=get(row, "complete"),
        )
        for number, row in enumerate(table[1:], start=2)
        if any(_cell(c).strip() for c in row)
    ]
