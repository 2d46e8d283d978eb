"""Admin scoping: another centre's pages answer 404 in every admin page view.

Wagtail's permission policy already refuses edits outside a user's subtree, but it
answers with a redirect and a message ("Sorry, you do not have permission"), which
still confirms the page exists, and some read-only views (history, revisions,
usage) are open to any admin user. The suite's rule is stricter: another centre's
objects do not exist for you. This middleware checks every page id in an admin
page URL against the subtrees the user holds page permissions on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from wagtail.models import GroupPagePermission, Page

# URL keyword arguments of Wagtail's admin page views that carry a page id.
PAGE_ID_KWARGS = {
    "page_id",
    "parent_page_id",
    "page_to_move_id",
    "destination_id",
    "pk",
}
# Admin URL namespaces/names whose ids are page ids.
PAGE_URL_PREFIXES = ("wagtailadmin_pages:", "wagtailadmin_explore")


def page_scope_paths(user: Any) -> list[str]:
    """Tree paths of the pages the user's groups hold any permission on."""
    cached = getattr(user, "_cms_page_scope", None)
    if cached is None:
        cached = list(
            GroupPagePermission.objects.filter(group__user=user)
            .values_list("page__path", flat=True)
            .distinct()
        )
        user._cms_page_scope = cached
    return cached


def user_can_reach_page(user: Any, page_path: str, *, allow_ancestors: bool) -> bool:
    """Inside a permitted subtree (or, for browsing, an ancestor leading to one)."""
    if user.is_superuser:
        return True
    for root in page_scope_paths(user):
        if page_path.startswith(root):
            return True
        if allow_ancestors and root.startswith(page_path):
            return True
    return False


class CentreScopedAdminMiddleware:
    """Raise 404 for admin page URLs outside the user's centre subtree."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., HttpResponse],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        match = request.resolver_match
        user = getattr(request, "user", None)
        if match is None or user is None or not user.is_authenticated:
            return None
        if not match.view_name.startswith(PAGE_URL_PREFIXES):
            return None
        ids = [
            int(value)
            for key, value in view_kwargs.items()
            if key in PAGE_ID_KWARGS and str(value).isdigit()
        ]
        if not ids:
            return None
        paths = dict(Page.objects.filter(pk__in=ids).values_list("pk", "path"))
        # Browsing (explorer) may pass through ancestors; everything else may not.
        browsing = match.view_name in {
            "wagtailadmin_explore",
            "wagtailadmin_explore_results",
        }
        for page_id in ids:
            path = paths.get(page_id)
            if path is None or not user_can_reach_page(
                user, path, allow_ancestors=browsing
            ):
                raise Http404
        return None
