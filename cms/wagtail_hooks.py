"""Wagtail hooks of the site: registrations only; the logic lives in its modules."""

from wagtail import hooks

from cms.admin_scope import scope_page_chooser, scope_page_explorer

hooks.register("construct_page_chooser_queryset", scope_page_chooser)
hooks.register("construct_explorer_page_queryset", scope_page_explorer)


@hooks.register("register_admin_viewset")
def register_h5p_chooser():
    from cms.viewsets import h5p_chooser_viewset

    return h5p_chooser_viewset


@hooks.register("register_admin_viewset")
def register_assessment_chooser():
    from cms.viewsets import assessment_chooser_viewset

    return assessment_chooser_viewset
