"""Staff pages of the H5P engine (included under /staf/h5p/; MFA applies)."""

from django.urls import path

from courses.h5p import views

app_name = "h5p_staff"

urlpatterns = [
    path("unggah/", views.staff_upload, name="upload"),
    path("<uuid:content_uuid>/", views.staff_results, name="results"),
    path("<uuid:content_uuid>/hapus/", views.staff_delete, name="delete"),
]
