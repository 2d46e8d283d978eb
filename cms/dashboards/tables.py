"""The dashboard's tables: one source for the page, its charts and its downloads.

The page renders these tables next to their charts and the CSV/XLSX downloads
write the very same rows, so what is exported never drifts from what is shown.
The figures are counts: no name, e-mail or NIK is in any table.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from openpyxl import Workbook

from cms.dashboards import charts
from cms.dashboards.selectors import EXPIRY_MONTHS, STAGES, DashboardFigures
from lms.exports import csv_response, neutralise

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Table:
    """A captioned table with the chart drawn from the same rows."""

    name: str
    caption: str
    header: list[str]
    rows: list[list[Any]]
    chart: SafeString
    # Leading columns of text (labels); the rest are numbers, right-aligned.
    text_columns: int = 1

    @property
    def display_rows(self) -> list[list[str]]:
        """Rows as the page shows them (numbers in the active language's format)."""
        shown = []
        for row in self.rows:
            cells = []
            for i, cell in enumerate(row):
                if cell is None:
                    cells.append("–")
                elif isinstance(cell, float):
                    cells.append(charts.number(cell, 1))
                elif isinstance(cell, int) and i >= self.text_columns:
                    cells.append(charts.number(cell))
                else:
                    cells.append(str(cell))
            shown.append(cells)
        return shown


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def stage_labels() -> dict[str, str]:
    return {
        "enrolled": _("Enrolled"),
        "trained": _("Trained"),
        "assessed": _("Assessed"),
        "competent": _("Competent"),
        "certified": _("Certified"),
    }


def breakdown_labels() -> dict[str, str]:
    return {
        "centre": _("Centre"),
        "province": _("Province"),
        "scheme": _("Scheme"),
        "cohort": _("Cohort"),
    }


def _target_table(figures: DashboardFigures) -> Table:
    certified = figures.certified_holders
    target = figures.target
    if figures.scope.national:
        label = _("Holders of an active certificate")
    else:
        label = _("Holders of an active certificate among this centre's trainees")
    return Table(
        name="target",
        caption=_("Progress toward the national certification target"),
        header=[_("Measure"), _("National target"), _("Certified"), _("% of target")],
        rows=[[label, target, certified, _share(certified, target)]],
        chart=charts.bar_chart(
            chart_id="chart-target",
            title=_("Progress toward the national certification target"),
            desc=_("%(certified)s people certified of a target of %(target)s.")
            % {"certified": charts.number(certified), "target": charts.number(target)},
            bars=[
                charts.Bar(
                    label=_("Certified"),
                    value=certified,
                    whole=target,
                    note=_("%(share)s of %(target)s")
                    % {
                        "share": charts.percent(certified, target),
                        "target": charts.number(target),
                    },
                )
            ],
        ),
    )


def _funnel_table(figures: DashboardFigures) -> Table:
    labels = stage_labels()
    enrolled = figures.funnel["enrolled"]
    rows = [
        [labels[s], figures.funnel[s], _share(figures.funnel[s], enrolled)]
        for s in STAGES
    ]
    return Table(
        name="funnel",
        caption=_("From enrolment to certificate"),
        header=[_("Stage"), _("Trainees"), _("% of enrolled")],
        rows=rows,
        chart=charts.bar_chart(
            chart_id="chart-funnel",
            title=_("From enrolment to certificate"),
            desc="; ".join(
                f"{labels[s]}: {charts.number(figures.funnel[s])}" for s in STAGES
            ),
            bars=[
                charts.Bar(
                    label=labels[s],
                    value=figures.funnel[s],
                    whole=enrolled,
                    note=charts.percent(figures.funnel[s], enrolled),
                )
                for s in STAGES
            ],
        ),
    )


def _row_label(by: str, row: dict[str, Any]) -> tuple[str, str]:
    """(code, name) of a breakdown row; missing keys get a readable name."""
    if row["key"] is None:
        missing = {
            "centre": _("No centre"),
            "province": _("Province not given"),
            "scheme": _("No scheme targeted"),
            "cohort": _("Not in a cohort"),
        }
        return "", missing[by]
    if by == "cohort":
        return row["code"], f"{row['label']} · {row['code']} ({row['centre']})"
    return row["code"] or "", row["label"] or ""


def _breakdown_table(figures: DashboardFigures) -> Table:
    by = figures.filters.by
    labels = stage_labels()
    rows = []
    bars = []
    for row in figures.breakdown:
        code, name = _row_label(by, row)
        rows.append(
            [
                code,
                name,
                *(row[s] for s in STAGES),
                _share(row["certified"], row["enrolled"]),
            ]
        )
        bars.append(
            charts.Bar(
                label=name if by == "cohort" or not code else f"{code} {name}",
                value=row["certified"],
                whole=row["enrolled"],
                note=_("of %(enrolled)s enrolled")
                % {"enrolled": charts.number(row["enrolled"])},
            )
        )
    dimension = breakdown_labels()[by]
    caption = _("Funnel by %(dimension)s") % {"dimension": dimension.lower()}
    return Table(
        name="breakdown",
        caption=caption,
        header=[
            _("Code"),
            dimension,
            *(labels[s] for s in STAGES),
            _("Share certified of enrolled, percent"),
        ],
        rows=rows,
        text_columns=2,
        chart=charts.bar_chart(
            chart_id="chart-breakdown",
            title=caption,
            desc=_(
                "For each %(dimension)s: trainees certified (dark bar) of "
                "trainees enrolled (pale bar)."
            )
            % {"dimension": dimension.lower()},
            bars=bars,
        ),
    )


def _expiring_table(figures: DashboardFigures) -> Table:
    month_labels = {
        m: _("Expiring within %(months)s months") % {"months": m} for m in EXPIRY_MONTHS
    }
    rows = [
        [
            row["code"],
            row["label"],
            row["active"],
            *(row["expiring"][m] for m in EXPIRY_MONTHS),
        ]
        for row in figures.expiring_by_scheme
    ]
    rows.append(
        [
            "",
            _("All schemes"),
            figures.active_certificates,
            *(figures.expiring_total[m] for m in EXPIRY_MONTHS),
        ]
    )
    return Table(
        name="expiring",
        caption=_("Active certificates expiring soon"),
        header=[
            _("Code"),
            _("Scheme"),
            _("Active certificates"),
            *(month_labels[m] for m in EXPIRY_MONTHS),
        ],
        rows=rows,
        text_columns=2,
        chart=charts.bar_chart(
            chart_id="chart-expiring",
            title=_("Active certificates expiring soon"),
            desc="; ".join(
                f"{month_labels[m]}: {charts.number(figures.expiring_total[m])}"
                for m in EXPIRY_MONTHS
            ),
            bars=[
                charts.Bar(label=month_labels[m], value=figures.expiring_total[m])
                for m in EXPIRY_MONTHS
            ],
        ),
    )


def dashboard_tables(figures: DashboardFigures) -> dict[str, Table]:
    """The four tables of a dashboard, in page order, keyed by export name."""
    tables = [
        _target_table(figures),
        _funnel_table(figures),
        _breakdown_table(figures),
        _expiring_table(figures),
    ]
    return {t.name: t for t in tables}


def _export_cells(row: Sequence[Any]) -> list[Any]:
    return ["" if cell is None else cell for cell in row]


def table_csv(table: Table, *, filename: str) -> StreamingHttpResponse:
    """The table as streamed CSV (cells neutralised by `lms.exports.csv_response`)."""
    return csv_response(
        filename=filename,
        header=table.header,
        rows=(_export_cells(row) for row in table.rows),
    )


def table_xlsx(table: Table, *, filename: str) -> FileResponse:
    """The table as an XLSX workbook, streamed from a temporary file.

    openpyxl's write-only mode keeps rows out of memory, and the finished file
    is sent in chunks, so memory stays flat however long the table is.
    """
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.name)
    sheet.append([neutralise(cell) for cell in table.header])
    for row in table.rows:
        sheet.append([neutralise(cell) for cell in _export_cells(row)])
    spool = tempfile.TemporaryFile()  # closed by FileResponse once sent
    book.save(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_TYPE
    )
