"""The signed-in person's home (`/saya/`), where sign-in lands."""

from django.urls import path

from cms import home

app_name = "home"

urlpatterns = [path("", home.my_home, name="mine")]
