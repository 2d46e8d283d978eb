"""Template helpers of the attempt page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping[key]` for a dict held in the context (None when absent)."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None
