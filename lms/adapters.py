"""allauth adapter: the few places where the suite changes allauth's behaviour."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from lms.models import User


class AccountAdapter(DefaultAccountAdapter):
    """Stores the full name on the user before allauth's first save."""

    def save_user(
        self, request: HttpRequest, user: User, form: object, commit: bool = True
    ) -> User:
        data = getattr(form, "cleaned_data", {})
        if data.get("full_name"):
            user.full_name = data["full_name"].strip()
        if data.get("time_zone"):
            user.time_zone = data["time_zone"]
        return super().save_user(request, user, form, commit=commit)
