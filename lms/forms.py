"""Forms of the core. Sign-up adds the person's name and (optionally) NIK."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lms import services
from lms.models import TimeZone, User


class SignupForm(forms.Form):
    """Extra fields for allauth's sign-up form (`ACCOUNT_SIGNUP_FORM_CLASS`).

    allauth validates e-mail and password; we validate name and NIK here, all in
    `clean()`, so every problem is shown at once and nothing is created on error.
    """

    full_name = forms.CharField(
        label=_("Full name"),
        max_length=200,
        help_text=_("As on your identity card (KTP); one name is fine."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    nik = forms.CharField(
        label=_("NIK"),
        required=False,
        max_length=24,
        help_text=_("16-digit population number (optional now, needed to certify)."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"), choices=TimeZone.choices, initial=TimeZone.WIB
    )

    def clean_nik(self) -> str:
        nik = self.cleaned_data.get("nik", "")
        if nik:
            problems = services.nik_check(nik=nik)
            if problems:
                raise ValidationError(problems)
        return nik

    def signup(self, request: HttpRequest, user: User) -> None:
        """Called by allauth after the user row exists (inside its signup flow)."""
        services.person_complete_signup(
            user=user,
            full_name=self.cleaned_data["full_name"],
            time_zone=self.cleaned_data["time_zone"],
            nik=self.cleaned_data.get("nik", ""),
        )
