"""Trainee assessment pages (`/asesmen/`)."""

from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("<uuid:assessment_uuid>/", views.assessment_detail, name="detail"),
    path("<uuid:assessment_uuid>/mulai/", views.attempt_start, name="start"),
    path("percobaan/<uuid:attempt_uuid>/", views.attempt_take, name="attempt"),
    path("percobaan/<uuid:attempt_uuid>/hasil/", views.attempt_result, name="result"),
    path(
        "percobaan/<uuid:attempt_uuid>/banding/",
        views.attempt_appeal,
        name="appeal",
    ),
    path(
        "percobaan/<uuid:attempt_uuid>/berkas/<int:file_id>/",
        views.answer_file,
        name="answer_file",
    ),
    path(
        "percobaan/<uuid:attempt_uuid>/umpan-balik/<int:file_id>/",
        views.feedback_file,
        name="feedback_file",
    ),
]
