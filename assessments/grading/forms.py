"""Forms of the grading staff pages (input parsing only; services decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.grading.models import MarkerRole
from lms.models import Organisation, OrganisationKind


class AllocationForm(forms.Form):
    """Balanced automatic allocation of a centre's unallocated submissions."""

    universities = forms.ModelMultipleChoiceField(
        label=_("Universities"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.UNIVERSITY),
        widget=forms.CheckboxSelectMultiple,
    )
    context = forms.CharField(label=_("Cohort (context)"), required=False)
    assessment = forms.IntegerField(label=_("Assessment"), required=False)


class ManualAllocationForm(forms.Form):
    """Chosen submissions (by candidate code) to one university."""

    university = forms.ModelChoiceField(
        label=_("University"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.UNIVERSITY),
    )
    codes = forms.CharField(
        label=_("Candidate codes"),
        help_text=_("One or more, separated by spaces, commas or new lines."),
        widget=forms.Textarea,
    )

    def clean_codes(self) -> list[str]:
        raw = self.cleaned_data["codes"].replace(",", " ").split()
        return list(dict.fromkeys(code.strip() for code in raw if code.strip()))


class AssignmentForm(forms.Form):
    """Name the grader who gives one marker role of a submission."""

    code = forms.CharField(label=_("Candidate code"), max_length=20)
    grader = forms.EmailField(label=_("Grader's email"))
    role = forms.ChoiceField(label=_("Marker"), choices=MarkerRole.choices)


class ReleaseForm(forms.Form):
    assessment = forms.IntegerField(label=_("Assessment"), required=False)


class OverrideForm(forms.Form):
    new_score = forms.DecimalField(label=_("New score"), max_digits=9, decimal_places=2)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea, required=False)


class AppealDecisionForm(forms.Form):
    upheld = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Uphold")), ("0", _("Reject"))],
        coerce=lambda v: v == "1",
    )
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea, required=False)
    new_score = forms.DecimalField(
        label=_("New score"), max_digits=9, decimal_places=2, required=False
    )


class MarksImportForm(forms.Form):
    file = forms.FileField(label=_("Marks sheet (CSV or XLSX)"))
