"""Template helpers of the core: the active zone's Indonesian abbreviation."""

from django import template
from django.utils import timezone

from lms.models import TimeZone

register = template.Library()


@register.simple_tag
def zone_abbreviation() -> str:
    """ "WIB", "WITA" or "WIT" for the zone times are being shown in."""
    return TimeZone.abbreviation(timezone.get_current_timezone_name())
