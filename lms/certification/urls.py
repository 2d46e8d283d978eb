"""Public certification URLs (`/verify/…`)."""

from django.urls import path

from . import views

app_name = "certification"

urlpatterns = [
    path("status/<str:body>/<str:purpose>/", views.status_list, name="status_list"),
    # Numbers carry slashes (LSP/SCHEME/YEAR/SERIAL), hence the path converter.
    path("<path:number>/", views.verify, name="verify"),
]
