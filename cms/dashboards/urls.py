"""Dashboard URLs under `/staf/dasbor/` (staff pages: MFA by the staff middleware)."""

from django.urls import path, re_path

from cms.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    re_path(
        r"^ekspor/(?P<table>target|funnel|breakdown|expiring)\.(?P<file_format>csv|xlsx)$",
        views.dashboard_export,
        name="export",
    ),
]
