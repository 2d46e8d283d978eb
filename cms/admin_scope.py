"""Query filters that keep each centre's staff inside their own subtree."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from cms.middleware import page_scope_paths


def _in_scope(pages: QuerySet, user: Any, *, include_live: bool) -> QuerySet:
    if user.is_superuser:
        return pages
    roots = page_scope_paths(user)
    condition = Q(pk__in=[])
    for root in roots:
        condition |= Q(path__startswith=root)
        # Ancestors, so the chooser/explorer can still walk down to the subtree.
        condition |= Q(path__in=[root[:n] for n in range(4, len(root), 4)])
    if include_live:
        # Published pages are public anyway; linking to them is allowed.
        condition |= Q(live=True)
    return pages.filter(condition)


def scope_page_chooser(pages: QuerySet, request: HttpRequest) -> QuerySet:
    """Page chooser: own subtree plus pages anyone can already see on the site."""
    return _in_scope(pages, request.user, include_live=True)


def scope_page_explorer(
    parent_page: Any, pages: QuerySet, request: HttpRequest
) -> QuerySet:
    """Explorer listing: own subtree only (and the ancestors leading to it)."""
    return _in_scope(pages, request.user, include_live=False)
