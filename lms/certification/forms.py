"""Forms of the certification pages: they check shape only, the services the rules."""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import AppealOutcome, ApplicationPurpose, CertificateStatus, UnitOutcome


class ConflictDeclarationForm(forms.Form):
    """Whether the person has a conflict of interest on an application."""

    has_conflict = forms.TypedChoiceField(
        label=_("Do you have a conflict of interest on this application?"),
        choices=[("no", _("No")), ("yes", _("Yes"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    statement = forms.CharField(
        label=_("Statement (required when there is a conflict)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RecommendationForm(forms.Form):
    """An assessor's K/BK on one unit with reasons (AK-02)."""

    unit = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Recommendation"),
        choices=UnitOutcome.choices,
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    correction_reason = forms.CharField(
        label=_("Reason for the correction (when the unit was already recommended)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DecisionForm(forms.Form):
    """The committee's K/BK decision on an application."""

    outcome = forms.ChoiceField(
        label=_("Decision"), choices=UnitOutcome.choices, widget=forms.RadioSelect
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    correction_reason = forms.CharField(
        label=_("Reason for the correction (when the application was decided)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RegisterFilterForm(forms.Form):
    """Search and status filter of a certification body's register."""

    q = forms.CharField(
        label=_("Number, holder or scheme"), required=False, max_length=100
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All statuses")), *CertificateStatus.choices],
    )


class AppealForm(forms.Form):
    """The applicant's grounds for an appeal (banding, AK-04)."""

    grounds = forms.CharField(
        label=_("Grounds of the appeal"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Say which part of the decision you disagree with, and why."),
    )


class AppealDecisionForm(forms.Form):
    """A committee member's outcome on an appeal, with reasons."""

    outcome = forms.ChoiceField(
        label=_("Outcome of the appeal"),
        choices=[
            (AppealOutcome.UPHELD, AppealOutcome.UPHELD.label),
            (AppealOutcome.REJECTED, AppealOutcome.REJECTED.label),
        ],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CertificateAction(models.TextChoices):
    """What the body's administrator may do to a certificate from its page."""

    SUSPEND = "suspend", _("Suspend (bekukan)")
    REVOKE = "revoke", _("Revoke (cabut)")
    REINSTATE = "reinstate", _("Reinstate (aktifkan kembali)")


class CertificateStatusForm(forms.Form):
    """A status change with its required reason; ``confirm`` is the second step."""

    action = forms.ChoiceField(
        label=_("Action"), choices=CertificateAction.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason (shown in the history)"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ApplicationForm(forms.Form):
    """APL-01 (purpose) with the APL-02 self-assessment: one answer per element."""

    purpose = forms.ChoiceField(label=_("Purpose of the assessment"), choices=[])

    def __init__(self, *args, scheme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = ApplicationPurpose.choices
        self.rows = []
        for scheme_unit in scheme.scheme_units.all():
            unit = scheme_unit.unit
            elements = []
            for element in unit.elements.all():
                name = f"element_{element.pk}"
                self.fields[name] = forms.TypedChoiceField(
                    label=str(element),
                    choices=[
                        ("1", _("I am competent (K)")),
                        ("0", _("Not yet competent (BK)")),
                    ],
                    coerce=lambda value: value == "1",
                    widget=forms.RadioSelect,
                )
                elements.append((element, self[name]))
            self.rows.append((unit, elements))

    def answers(self) -> list[tuple[object, bool]]:
        """(element, competent) for every element of the scheme, in order."""
        return [
            (element, self.cleaned_data[field.name])
            for _unit, elements in self.rows
            for element, field in elements
        ]
