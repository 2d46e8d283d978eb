"""Grading staff pages (`/staf/penilaian/`)."""

from django.urls import path

from assessments.grading import views

app_name = "grading"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("berikutnya/", views.next_submission, name="next"),
    path("ekspor/<str:fmt>/", views.export, name="export"),
    path("impor/", views.marks_import, name="import"),
    path("pusat/", views.centre_list, name="centres"),
    path("pusat/<str:code>/", views.centre, name="centre"),
    path("pusat/<str:code>/alokasi/", views.allocate, name="allocate"),
    path(
        "pusat/<str:code>/alokasi-manual/",
        views.allocate_manual,
        name="allocate_manual",
    ),
    path("pusat/<str:code>/tugaskan/", views.assign, name="assign"),
    path("pusat/<str:code>/rilis/", views.release, name="release"),
    path("percobaan/<uuid:attempt_uuid>/ubah-nilai/", views.override, name="override"),
    path("banding/<int:pk>/", views.appeal, name="appeal"),
    path("naskah/<str:code>/", views.mark, name="mark"),
    path("naskah/<str:code>/klaim/", views.claim, name="claim"),
    path("naskah/<str:code>/berkas/<int:file_id>/", views.answer_file, name="file"),
    path(
        "naskah/<str:code>/umpan-balik/<int:file_id>/",
        views.feedback_file,
        name="feedback_file",
    ),
]
