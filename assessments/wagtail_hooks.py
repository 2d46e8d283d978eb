"""Wagtail hooks of the assessments app: registrations only (see viewsets.py)."""

from wagtail import hooks

from assessments.viewsets import AssessmentAuthoringGroup


@hooks.register("register_admin_viewset")
def register_assessment_authoring():
    return AssessmentAuthoringGroup()
