"""Forms of the H5P screens in the Wagtail admin.

They only parse and offer choices scoped to the person; every write goes through
`courses.h5p.services` (the same services the staff page and `h5p_import` use),
whose problems the views show on the form.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.forms import AuthoringForm, criteria_field
from courses.h5p import selectors, services
from courses.h5p.models import GradingMethod, H5PContent
from lms.models import Organisation


class H5PUploadForm(AuthoringForm):
    """An `.h5p` package for one of the uploader's centres."""

    file = forms.FileField(label=_("H5P package (.h5p)"))
    centre = forms.ModelChoiceField(
        label=_("Centre"), queryset=Organisation.objects.none()
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        centres = selectors.centre_list_for_uploader(user=self.for_user)
        self.fields["centre"].queryset = centres
        if len(centres) == 1:
            self.fields["centre"].initial = centres[0].pk
        self.result: services.ImportResult | None = None

    def save(self, *, user: Any) -> H5PContent:
        self.result = services.content_import(
            source=self.cleaned_data["file"],
            centre=self.cleaned_data["centre"],
            user=user,
            can_install_libraries=user.has_perm("h5p.install_h5plibrary"),
        )
        return self.result.content


class H5PSettingsForm(AuthoringForm):
    """What staff may change of an imported content (the package stays as is)."""

    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    criteria = criteria_field()
    pass_ratio = forms.DecimalField(
        label=_("Pass mark (share of the maximum)"),
        max_digits=4,
        decimal_places=3,
        required=False,
        help_text=_("Between 0 and 1; 0.7 means seven tenths of the maximum score."),
    )
    grading_method = forms.ChoiceField(
        label=_("Grading method"), choices=GradingMethod.choices
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["criteria"].help_text = _(
            "A server-verified attempt becomes evidence for each of these; "
            "attempts the server cannot verify count for training only."
        )

    def initial_from(self, instance: H5PContent) -> dict[str, Any]:
        return {
            "title": instance.title,
            "criteria": list(instance.criteria.all()),
            "pass_ratio": instance.pass_ratio,
            "grading_method": instance.grading_method,
        }

    def save(self, *, user: Any) -> H5PContent:
        data = self.cleaned_data
        pass_ratio = data["pass_ratio"]
        return services.content_settings_update(
            content=self.instance,
            title=data["title"],
            criteria=data["criteria"],
            pass_ratio=Decimal(pass_ratio) if pass_ratio is not None else None,
            grading_method=data["grading_method"],
            by=user,
        )
