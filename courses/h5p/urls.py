"""URLs of the H5P engine (included under /h5p/ by lms/urls.py)."""

from django.urls import path

from courses.h5p import views

app_name = "h5p"

urlpatterns = [
    path("<uuid:content_uuid>/", views.embed, name="embed"),
    path("<uuid:content_uuid>/play/", views.play, name="play"),
    path("<uuid:content_uuid>/xapi/", views.xapi_statements, name="xapi"),
    path(
        "content-user-data/<uuid:content_uuid>/<slug:data_type>/<str:sub_content_id>/",
        views.content_user_data,
        name="user_data",
    ),
    path(
        "<uuid:content_uuid>/play/state/<slug:data_type>/<str:sub_content_id>/",
        views.player_user_data,
        name="player_user_data",
    ),
    path("files/<path:name>", views.file, name="file"),
]
