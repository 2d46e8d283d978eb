"""Roster exports (CSV, XLSX) built from the same selector as the roster page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.utils.translation import gettext as _
from openpyxl import Workbook

from lms.exports import neutralise
from lms.models import User

from .models import Cohort
from .selectors import module_required_count, roster_list_for_staff


def roster_rows(*, user: User, cohort: Cohort) -> Iterable[list[object]]:
    """Header then one row per trainee: name, e-mail, role type, state, modules,
    percent, JP.

    The role type is the enrolment's, falling back to the trainee's profile.

    Raw values; the file writers neutralise formula-like text.
    """
    total = module_required_count(cohort)
    yield [
        _("Full name"),
        _("E-mail"),
        _("Role type"),
        _("State"),
        _("Modules completed"),
        _("Modules required"),
        _("Progress (%)"),
        _("JP earned"),
    ]
    for enrolment in roster_list_for_staff(user=user, cohort=cohort):
        completion = getattr(enrolment, "completion", None)
        yield [
            enrolment.trainee.full_name,
            enrolment.trainee.email,
            enrolment.role_type_shown,
            enrolment.get_state_display(),
            enrolment.modules_done,
            total,
            round(100 * enrolment.modules_done / total) if total else 0,
            completion.jp_earned if completion else 0,
        ]


def roster_csv(*, user: User, cohort: Cohort) -> bytes:
    """The roster as UTF-8 CSV with a BOM (so spreadsheet programs read it right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(
        [neutralise(cell) for cell in row]
        for row in roster_rows(user=user, cohort=cohort)
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def roster_xlsx(*, user: User, cohort: Cohort) -> bytes:
    """The roster as an XLSX workbook (write-only mode keeps memory flat)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(_("Roster"))[:31])
    for row in roster_rows(user=user, cohort=cohort):
        sheet.append([neutralise(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
