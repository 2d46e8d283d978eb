"""Course URLs for trainees (`/kursus/`) and staff (`/staf/kursus/`, MFA-protected)."""

from django.urls import path, re_path

from cms import views

app_name = "cms"

urlpatterns = [
    path("kursus/", views.catalogue, name="catalogue"),
    path("kursus/saya/", views.my_courses, name="my_courses"),
    path("kursus/<int:course_id>/daftar/", views.course_enrol, name="course_enrol"),
    path(
        "kursus/modul/<int:module_id>/kemajuan/",
        views.module_progress,
        name="module_progress",
    ),
    path("staf/kursus/angkatan/", views.cohort_list, name="cohort_list"),
    path(
        "staf/kursus/pendaftaran/",
        views.enrolment_requests,
        name="enrolment_requests",
    ),
    path("staf/kursus/angkatan/baru/", views.cohort_edit, name="cohort_create"),
    path(
        "staf/kursus/angkatan/<int:cohort_id>/ubah/",
        views.cohort_edit,
        name="cohort_edit",
    ),
    path(
        "staf/kursus/angkatan/<int:cohort_id>/peserta/",
        views.cohort_trainee_add,
        name="cohort_trainee_add",
    ),
    path(
        "staf/kursus/angkatan/<int:cohort_id>/",
        views.cohort_roster,
        name="cohort_roster",
    ),
    re_path(
        r"^staf/kursus/angkatan/(?P<cohort_id>[0-9]+)/ekspor\.(?P<file_format>csv|xlsx)$",
        views.cohort_roster_export,
        name="cohort_roster_export",
    ),
]
