"""Spreadsheet-safe exports shared by every app (CSV and XLSX)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

# A cell starting with one of these is read as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix formula-looking text with an apostrophe so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """Stream rows as CSV in constant memory, every cell neutralised."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"  # so spreadsheet programs read UTF-8 (Indonesian names)
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([neutralise(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_logged(
    *, user: Any, name: str, file_format: str, parameters: dict[str, Any] | None = None
) -> None:
    """Record an export before it is sent (who, which, scope and filters, when).

    Every view or command that lets personal data leave the system calls this.
    """
    from lms.models import ExportLog

    ExportLog.objects.create(
        user=user, name=name, file_format=file_format, parameters=parameters or {}
    )
