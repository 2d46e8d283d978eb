"""Staff assessment pages (`/staf/asesmen/`, behind MFA like every staff page)."""

from django.urls import path

from assessments import views

app_name = "assessments_staff"

urlpatterns = [
    path("", views.staff_list, name="list"),
    path("<uuid:assessment_uuid>/analisis/", views.staff_analysis, name="analysis"),
]
