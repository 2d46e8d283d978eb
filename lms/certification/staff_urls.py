"""Staff pages of certification (`/staf/sertifikasi/`, MFA required)."""

from django.urls import path, re_path

from . import views

app_name = "certification_staff"

urlpatterns = [
    path("asesor/", views.assessor_queue, name="assessor_queue"),
    path("asesor/<int:pk>/", views.assessor_application, name="assessor_application"),
    path("komite/", views.committee_queue, name="committee_queue"),
    path("komite/<int:pk>/", views.committee_application, name="committee_application"),
    path(
        "permohonan/<int:pk>/konflik/",
        views.conflict_declare,
        name="conflict_declare",
    ),
    path(
        "permohonan/<int:pk>/riwayat/",
        views.application_audit,
        name="application_audit",
    ),
    path(
        "sertifikat/<int:pk>/riwayat/",
        views.certificate_audit,
        name="certificate_audit",
    ),
    path("banding/", views.appeal_queue, name="appeal_queue"),
    path("banding/<int:pk>/", views.appeal_detail, name="appeal_detail"),
    path(
        "sertifikat/<int:pk>/",
        views.certificate_detail,
        name="certificate_detail",
    ),
    path("register/", views.register, name="register"),
    re_path(
        r"^register/ekspor\.(?P<file_format>csv|xlsx)$",
        views.register_export,
        name="register_export",
    ),
]
