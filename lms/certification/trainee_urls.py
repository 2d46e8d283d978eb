"""The trainee's competency record and certificate downloads (`/rekam-kompetensi/`)."""

from django.urls import path

from . import views

app_name = "competency"

urlpatterns = [
    path("", views.competency_record, name="record"),
    path("permohonan/<int:pk>/banding/", views.appeal_lodge, name="appeal"),
    path("skema/<str:code>/ajukan/", views.application_apply, name="apply"),
    path(
        "sertifikat/<int:pk>/unduh.pdf",
        views.certificate_download,
        name="certificate_pdf",
    ),
    path(
        "sertifikat/<int:pk>/kredensial.json",
        views.certificate_credential_download,
        name="certificate_credential",
    ),
]
