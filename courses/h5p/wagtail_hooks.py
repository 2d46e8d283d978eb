"""Wagtail hooks of the H5P engine: registrations only (see viewsets.py)."""

from wagtail import hooks

from courses.h5p.viewsets import H5PContentViewSet


@hooks.register("register_admin_viewset")
def register_h5p_admin():
    return H5PContentViewSet("h5p_admin")
