"""Forms of the assessment authoring screens (Wagtail admin).

The forms only parse and offer choices scoped to the person; every write goes
through `assessments.authoring`, whose problems the views show on the form.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from assessments import authoring
from assessments.instruments import instrument_types
from assessments.models import Assessment, AssessmentPurpose, Question, Rubric
from assessments.questions.parsed import TEXT_FORMATS
from assessments.questions.types import question_types
from lms.models import Organisation, OrganisationKind, PerformanceCriterion


def criteria_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        queryset=PerformanceCriterion.objects.select_related("element__unit").order_by(
            "element__unit__code", "position"
        ),
        required=False,
        label=_("Performance criteria (KUK)"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )


class AuthoringForm(forms.Form):
    """A plain form the generic Wagtail views can use: it takes `instance` and
    `for_user`, and `save()` calls an authoring service."""

    def __init__(self, *args: Any, instance: Any = None, for_user: Any = None, **kw):
        self.instance = instance
        self.for_user = for_user
        if instance is not None and instance.pk:
            kw["initial"] = {**self.initial_from(instance), **(kw.get("initial") or {})}
        super().__init__(*args, **kw)

    def initial_from(self, instance: Any) -> dict[str, Any]:
        return {}

    @property
    def editing(self) -> bool:
        return self.instance is not None and self.instance.pk is not None


class CentreChoiceMixin:
    """A `centre` field offering the centres the person authors for."""

    def setup_centre(self, current: Organisation | None) -> None:
        field = self.fields["centre"]
        field.queryset = authoring.author_centres(self.for_user)
        if current is not None:
            field.disabled = True
            field.initial = current.pk
        elif field.queryset.count() == 1:
            field.initial = field.queryset.first().pk


class BankForm(CentreChoiceMixin, AuthoringForm):
    centre = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Centre")
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    shared_with = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.filter(kind=OrganisationKind.CENTRE).order_by(
            "code"
        ),
        required=False,
        label=_("Shared with centres"),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Trainers of these centres may use the bank's questions."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_centre(self.instance.centre if self.editing else None)

    def initial_from(self, instance: Any) -> dict[str, Any]:
        return {
            "title": instance.title,
            "description": instance.description,
            "shared_with": list(instance.shared_with.all()),
        }

    def save(self, *, user: Any) -> Any:
        data = self.cleaned_data
        return authoring.bank_save(
            bank=self.instance if self.editing else None,
            centre=self.instance.centre if self.editing else data["centre"],
            title=data["title"],
            description=data["description"],
            shared_with=data["shared_with"],
            by=user,
        )


class QuestionForm(AuthoringForm):
    bank = forms.ModelChoiceField(queryset=None, label=_("Question bank"))
    kind = forms.ChoiceField(label=_("Question type"))
    name = forms.CharField(label=_("Name"), max_length=250, required=False)
    idnumber = forms.CharField(label=_("ID number"), max_length=100, required=False)
    text = forms.CharField(
        label=_("Question text"), widget=forms.Textarea, required=False
    )
    text_format = forms.ChoiceField(
        label=_("Text format"), choices=[(f, f) for f in TEXT_FORMATS], initial="html"
    )
    data = forms.JSONField(
        label=_("Definition (JSON)"),
        widget=forms.Textarea(attrs={"rows": 12, "class": "w-font-mono"}),
        help_text=_(
            "The answers in the shape of the chosen type, e.g. single choice: "
            '{"choices": [{"id": "a", "text": "…", "fraction": 1}, {"id": "b", '
            '"text": "…", "fraction": 0}]}; true/false: {"answer": true}. The '
            "type checks it and names every problem."
        ),
    )
    points = forms.DecimalField(label=_("Points"), initial=1, decimal_places=2)
    general_feedback = forms.CharField(
        label=_("General feedback"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        help_text=_("Separated by commas; used to draw random questions."),
    )
    criteria = criteria_field()
    rubric = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Rubric (for essays)")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = authoring.bank_list_for_author(
            self.for_user, editable=True
        ).order_by("centre__code", "title")
        self.fields["kind"].choices = [(t.kind, t.label) for t in question_types]
        self.fields["rubric"].queryset = authoring.rubric_list_for_author(
            self.for_user
        ).order_by("title")
        if self.editing:
            self.fields["bank"].disabled = True

    def initial_from(self, instance: Question) -> dict[str, Any]:
        version = instance.current_version
        initial: dict[str, Any] = {
            "bank": instance.bank_id,
            "kind": instance.kind,
            "name": instance.name,
            "idnumber": instance.idnumber,
            "tags": ", ".join(t.name for t in instance.tags.all()),
            "criteria": list(instance.criteria.all()),
            "rubric": instance.rubric_id,
        }
        if version is not None:
            initial.update(
                text=version.text,
                text_format=version.text_format,
                data=version.data,
                points=version.points,
                general_feedback=version.general_feedback,
            )
        return initial

    def save(self, *, user: Any) -> Question:
        data = self.cleaned_data
        question, _version = authoring.question_save(
            question=self.instance if self.editing else None,
            bank=self.instance.bank if self.editing else data["bank"],
            kind=data["kind"],
            name=data["name"],
            idnumber=data["idnumber"],
            text=data["text"],
            text_format=data["text_format"],
            data=data["data"],
            points=data["points"],
            general_feedback=data["general_feedback"],
            tags=data["tags"].split(","),
            criteria=data["criteria"],
            rubric=data["rubric"],
            by=user,
        )
        return question


def _kuk(value: Any, known: dict[int, PerformanceCriterion]) -> Any:
    if value in (None, ""):
        return None
    try:
        return known[int(value)]
    except (KeyError, TypeError, ValueError):
        raise forms.ValidationError(
            _("KUK %(id)s does not exist."), params={"id": value}
        ) from None


class RubricForm(CentreChoiceMixin, AuthoringForm):
    centre = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Centre")
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    grid = forms.JSONField(
        label=_("Criteria and levels (JSON)"),
        widget=forms.Textarea(attrs={"rows": 14, "class": "w-font-mono"}),
        help_text=_(
            'A list of criteria: [{"title": "…", "kuk": KUK id or null, "levels": '
            '[{"title": "…", "descriptor": "…", "points": 5}]}].'
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_centre(self.instance.centre if self.editing else None)

    def initial_from(self, instance: Rubric) -> dict[str, Any]:
        return {
            "title": instance.title,
            "grid": [
                {
                    "title": c.title,
                    "kuk": c.criterion_id,
                    "levels": [
                        {
                            "title": lv.title,
                            "descriptor": lv.descriptor,
                            "points": float(lv.points),
                        }
                        for lv in c.levels.all()
                    ],
                }
                for c in instance.criteria.prefetch_related("levels")
            ],
        }

    def clean_grid(self) -> list[dict[str, Any]]:
        grid = self.cleaned_data["grid"]
        if not isinstance(grid, list) or not all(isinstance(r, dict) for r in grid):
            raise forms.ValidationError(_("Give a list of criteria (JSON objects)."))
        ids = [r.get("kuk") for r in grid if str(r.get("kuk") or "").isdigit()]
        known = PerformanceCriterion.objects.in_bulk([int(i) for i in ids])
        rows, errors = [], []
        for row in grid:
            levels = row.get("levels")
            try:
                kuk = _kuk(row.get("kuk"), known)
            except forms.ValidationError as error:
                errors.append(error)
                kuk = None
            rows.append(
                {
                    "title": row.get("title", ""),
                    "criterion": kuk,
                    "levels": [lv for lv in levels if isinstance(lv, dict)]
                    if isinstance(levels, list)
                    else [],
                }
            )
        if errors:
            raise forms.ValidationError(errors)
        return rows

    def save(self, *, user: Any) -> Rubric:
        data = self.cleaned_data
        return authoring.rubric_save(
            rubric=self.instance if self.editing else None,
            centre=self.instance.centre if self.editing else data["centre"],
            title=data["title"],
            criteria=data["grid"],
            by=user,
        )


class AssessmentForm(WagtailAdminModelForm):
    """An assessment's settings; sections are edited on its structure page."""

    class Meta:
        model = Assessment
        fields = ["centre", *authoring.ASSESSMENT_FIELDS]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.for_user
        centres = authoring.author_centres(user)
        self.fields["centre"].queryset = centres
        editing = self.instance.pk is not None
        if editing:
            self.fields["centre"].disabled = True
        elif centres.count() == 1:
            self.fields["centre"].initial = centres.first().pk
        pre_tests = authoring.assessment_list_for_author(user).filter(
            purpose=AssessmentPurpose.PRE_TEST
        )
        if editing:
            pre_tests = pre_tests.exclude(pk=self.instance.pk)
        self.fields["pre_test"].queryset = pre_tests.order_by("code")

    def _post_clean(self) -> None:
        # The model's checks run in the service, with the lock rules, all at once.
        pass

    def save(self, commit: bool = True, *, user: Any = None) -> Assessment:
        data = self.cleaned_data
        existing = self.instance if self.instance.pk else None
        return authoring.assessment_save(
            assessment=existing,
            centre=existing.centre if existing else data["centre"],
            values={name: data[name] for name in authoring.ASSESSMENT_FIELDS},
            by=user,
        )


class SectionForm(AuthoringForm):
    instrument = forms.ChoiceField(label=_("Instrument"))
    title = forms.CharField(label=_("Title"), max_length=250, required=False)
    instructions = forms.CharField(
        label=_("Instructions"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    points = forms.DecimalField(
        label=_("Points"),
        initial=0,
        decimal_places=2,
        help_text=_("Points of a section that is not a quiz."),
    )
    config = forms.JSONField(
        label=_("Settings (JSON)"),
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 3, "class": "w-font-mono"}),
        help_text=_(
            'What the instrument needs, e.g. an assignment: {"file_types": ["pdf"], '
            '"max_file_mb": 10, "max_files": 3}.'
        ),
    )
    rubric = forms.ModelChoiceField(queryset=None, required=False, label=_("Rubric"))
    criteria = criteria_field()
    items = forms.JSONField(
        label=_("Quiz items (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "w-font-mono"}),
        help_text=_(
            'In order: a fixed question {"question": id, "points": 2} or a random '
            'draw {"bank": id, "tag": id, "criterion": KUK id, "count": 5}.'
        ),
    )
    lines = forms.JSONField(
        label=_("Checklist lines (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "w-font-mono"}),
        help_text=_('In order: {"text": "…", "criterion": KUK id}.'),
    )

    def __init__(self, *args: Any, assessment: Assessment, **kwargs: Any) -> None:
        self.assessment = assessment
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = instrument_types.choices()
        self.fields["rubric"].queryset = Rubric.objects.filter(
            centre_id=assessment.centre_id
        ).order_by("title")

    def initial_from(self, section: Any) -> dict[str, Any]:
        items = []
        for item in section.items.all():
            row: dict[str, Any] = (
                {"question": item.question_id}
                if item.question_id
                else {"bank": item.draw_bank_id, "count": item.draw_count}
            )
            if item.draw_tag_id:
                row["tag"] = item.draw_tag_id
            if item.draw_criterion_id:
                row["criterion"] = item.draw_criterion_id
            if item.points is not None:
                row["points"] = float(item.points)
            items.append(row)
        return {
            "instrument": section.instrument,
            "title": section.title,
            "instructions": section.instructions,
            "points": section.points,
            "config": section.config,
            "rubric": section.rubric_id,
            "criteria": list(section.criteria.all()),
            "items": items,
            "lines": [
                {"text": line.text, "criterion": line.criterion_id}
                for line in section.checklist_lines.all()
            ],
        }

    def _list_of_objects(self, name: str) -> list[dict[str, Any]] | None:
        value = self.cleaned_data.get(name)
        if value in (None, ""):
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise forms.ValidationError(_("Give a list of JSON objects."))
        return value

    def clean_items(self) -> list[dict[str, Any]] | None:
        return self._list_of_objects("items")

    def clean_lines(self) -> list[dict[str, Any]] | None:
        return self._list_of_objects("lines")

    def save(self, *, user: Any) -> Any:
        data = self.cleaned_data
        return authoring.section_save(
            assessment=self.assessment,
            section=self.instance if self.editing else None,
            instrument=data["instrument"],
            title=data["title"],
            instructions=data["instructions"],
            points=data["points"],
            config=data["config"] if data["config"] is not None else {},
            rubric=data["rubric"],
            criteria=data["criteria"],
            items=data["items"],
            lines=data["lines"],
        )
