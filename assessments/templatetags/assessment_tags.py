"""Template helpers of the attempt page."""

from __future__ import annotations

from typing import Any

import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping[key]` for a dict held in the context (None when absent)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def clean_html(text: str) -> SafeString:
    """Question text written in HTML, with scripts, handlers and styles removed.

    Questions arrive from uploaded GIFT and Moodle XML files, so their HTML is
    never trusted: nh3 (a maintained allow-list sanitiser) keeps the markup a
    question needs and drops everything that could run in the trainee's page.
    """
    return mark_safe(nh3.clean(text or ""))
