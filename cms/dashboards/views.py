"""Dashboard views: resolve scope and filters, compute the figures, render or export.

`/staf/dasbor/` is one page with two scopes: the central admin sees every centre
(the national view), a centre admin (penyelenggara) only their own centre(s).
Everyone else finds nothing (404). Like every `/staf/` page it sits behind MFA
(`lms.middleware.StaffMfaRequiredMiddleware`).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cms.dashboards import selectors, tables
from lms.exports import export_logged


def _figures(request: HttpRequest) -> selectors.DashboardFigures:
    scope = selectors.dashboard_scope_for(request.user)
    filters = selectors.dashboard_filters_parse(scope=scope, data=request.GET)
    return selectors.dashboard_figures(scope=scope, filters=filters)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Target progress, funnel, breakdown and expiring certificates, with filters."""
    figures = _figures(request)
    query = request.GET.copy()
    return render(
        request,
        "cms/dashboards/dashboard.html",
        {
            "figures": figures,
            "filters": figures.filters,
            "options": figures.filters.options,
            "tables": tables.dashboard_tables(figures).values(),
            "breakdowns": tables.breakdown_labels(),
            "query": query.urlencode(),
        },
    )


@login_required
@require_GET
def dashboard_export(
    request: HttpRequest, table: str, file_format: str
) -> HttpResponse:
    """One dashboard table as CSV or XLSX, scoped and filtered like the page, logged."""
    figures = _figures(request)
    chosen = tables.dashboard_tables(figures)[table]
    scope = "nasional" if figures.scope.national else "pusat"
    parameters = {
        "scope": "national"
        if figures.scope.national
        else ",".join(c.code for c in figures.scope.centres),
        **figures.filters.as_parameters(),
    }
    export_logged(
        user=request.user,
        name=f"dashboard-{table}",
        file_format=file_format,
        parameters=parameters,
    )
    filename = f"dasbor-{scope}-{table}-{figures.today.isoformat()}.{file_format}"
    if file_format == "csv":
        return tables.table_csv(chosen, filename=filename)
    return tables.table_xlsx(chosen, filename=filename)
