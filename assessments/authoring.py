"""Authoring of assessments: banks, questions, rubrics, assessments and their sections.

Every write of the Wagtail admin screens (and of anything else that authors) goes
through these functions. Each one checks *everything* first and raises one
`ValidationError` listing every problem, bilingual through gettext; nothing is
written when there is one.

Two rules protect what trainees already saw:

- a question's content lives in immutable `QuestionVersion` rows: an edit that
  changes the content adds a version (the attempt keeps the one it was shown), an
  edit that changes nothing adds none;
- an assessment's structure (sections, items, checklist lines) changes only
  while it is a draft without attempts; once trainees have attempts, only its
  title and availability window may change.

The reads the authoring screens need (what a staff member may see and change)
are at the end of this module, next to the writes they guard.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import uploads
from assessments.grading.models import MarkLevel
from assessments.instruments import instrument_types
from assessments.models import (
    Assessment,
    AssessmentPurpose,
    AssessmentStatus,
    ChecklistLine,
    Question,
    QuestionBank,
    QuestionTag,
    QuestionVersion,
    Rubric,
    RubricCriterion,
    RubricLevel,
    Section,
    SectionItem,
)
from assessments.questions.parsed import TEXT_FORMATS
from assessments.questions.types import question_types
from lms.models import (
    Organisation,
    OrganisationKind,
    PerformanceCriterion,
)
from lms.selectors import (
    CENTRE_STAFF_ROLES,
    organisation_ids_for_roles,
    user_is_central_admin,
)

BATCH_SIZE = 1000
MAX_POINTS = Decimal("99999.99")
# Settings a published assessment with attempts may still change.
ALWAYS_EDITABLE = frozenset({"title", "opens_at", "closes_at"})
ASSESSMENT_FIELDS = (
    "code",
    "title",
    "description",
    "purpose",
    "pre_test",
    "unit",
    "opens_at",
    "closes_at",
    "time_zone",
    "time_limit_minutes",
    "grace_seconds",
    "attempts_allowed",
    "grading_method",
    "pass_mark",
    "feedback_release",
    "review_release",
    "shuffle_questions",
    "marking_threshold",
    "double_marking",
)


def _refuse(problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems)


def _text_problems(value: str, *, label: str, limit: int, required: bool) -> list[str]:
    if required and not (value or "").strip():
        return [_("%(field)s is required.") % {"field": label}]
    if len(value or "") > limit:
        return [
            _("%(field)s is longer than %(limit)d characters.")
            % {"field": label, "limit": limit}
        ]
    return []


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        number = Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _points_problems(value: Any, *, label: str) -> list[str]:
    number = _decimal(value)
    if number is None or not Decimal(0) <= number <= MAX_POINTS:
        return [_("%(field)s must be a number from 0 to 99,999.") % {"field": label}]
    return []


# Question banks -------------------------------------------------------------------


def bank_save(
    *,
    centre: Organisation,
    title: str,
    description: str = "",
    shared_with: Iterable[Organisation] = (),
    bank: QuestionBank | None = None,
    by: Any = None,
) -> QuestionBank:
    """Create a centre's question bank, or edit one, and set the centres it is shared
    with (other regional centres only)."""
    shared = list(dict.fromkeys(shared_with))
    problems = _text_problems(title, label=_("The title"), limit=200, required=True)
    if centre.kind != OrganisationKind.CENTRE:
        problems.append(_("Only a regional centre keeps question banks."))
    if bank is not None and bank.centre_id != centre.pk:
        problems.append(_("A bank cannot move to another centre."))
    for other in shared:
        if other.pk == centre.pk:
            problems.append(_("A bank is not shared with its own centre."))
        elif other.kind != OrganisationKind.CENTRE:
            problems.append(
                _("%(name)s is not a regional centre; banks are shared with centres.")
                % {"name": other.name}
            )
    _refuse(problems)
    with transaction.atomic():
        if bank is None:
            bank = QuestionBank(centre=centre, created_by=by)
        bank.title, bank.description = title.strip(), description
        bank.save()
        bank.shared_with.set(shared)
    return bank


def bank_delete(*, bank: QuestionBank) -> None:
    """Delete an empty bank; a bank with questions is kept (retire them instead)."""
    if bank.questions.exists():
        raise ValidationError(
            _(
                "This bank still holds questions and cannot be deleted; retire its "
                "questions instead."
            )
        )
    bank.delete()


# Questions and their versions -------------------------------------------------------


@dataclass(frozen=True)
class VersionContent:
    """The content of one question version: what decides whether an edit is one."""

    kind: str
    text: str
    data: Any
    points: Decimal
    text_format: str = "html"
    general_feedback: str = ""

    def key(self) -> tuple[Any, ...]:
        """Comparable form: 1 and 1.0 are the same weight, key order does not count."""
        return (
            self.kind,
            self.text,
            self.text_format,
            json.dumps(_plain_numbers(self.data), sort_keys=True),
            Decimal(self.points).quantize(Decimal("0.01")),
            self.general_feedback,
        )

    @classmethod
    def of(cls, version: QuestionVersion) -> VersionContent:
        return cls(
            kind=version.kind,
            text=version.text,
            data=version.data,
            points=version.points,
            text_format=version.text_format,
            general_feedback=version.general_feedback,
        )


def _plain_numbers(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain_numbers(item) for item in value]
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return float(value)
    return value


def content_changed(question: Question, content: VersionContent) -> bool:
    """True when `content` differs from the question's current version."""
    current = question.current_version
    return current is None or VersionContent.of(current).key() != content.key()


def question_versions_add(
    *,
    targets: Sequence[tuple[Question, VersionContent]],
    created_by: Any = None,
    update_fields: Sequence[str] = (),
) -> list[QuestionVersion]:
    """Add one new version to each (saved) question and make it current.

    Shared by the editor and the GIFT/Moodle XML import: numbers continue from
    each question's last version, rows are written in batches, and nothing that
    exists is ever changed (an attempt keeps the version it saw).
    """
    if not targets:
        return []
    rows = (
        QuestionVersion.objects.filter(question__in=[q for q, _c in targets])
        .values("question")
        .annotate(last=Max("number"))
    )
    numbers = {row["question"]: row["last"] + 1 for row in rows}
    versions = [
        QuestionVersion(
            question=question,
            number=numbers.get(question.pk, 1),
            kind=content.kind,
            text=content.text,
            text_format=content.text_format,
            data=content.data,
            points=content.points,
            general_feedback=content.general_feedback,
            created_by=created_by,
        )
        for question, content in targets
    ]
    QuestionVersion.objects.bulk_create(versions, batch_size=BATCH_SIZE)
    for (question, content), version in zip(targets, versions, strict=True):
        question.current_version = version
        question.kind = content.kind
    Question.objects.bulk_update(
        [q for q, _c in targets],
        ["current_version", "kind", *update_fields],
        batch_size=BATCH_SIZE,
    )
    return versions


def _usable_bank_ids(centre: Organisation) -> set[int]:
    return set(
        QuestionBank.objects.usable_by_centre(centre).values_list("pk", flat=True)
    )


def question_save(
    *,
    bank: QuestionBank,
    kind: str,
    name: str,
    text: str,
    data: Any,
    points: Any = 1,
    text_format: str = "html",
    general_feedback: str = "",
    idnumber: str = "",
    tags: Iterable[str] = (),
    criteria: Iterable[PerformanceCriterion] = (),
    rubric: Rubric | None = None,
    question: Question | None = None,
    by: Any = None,
) -> tuple[Question, QuestionVersion | None]:
    """Create a question, or edit one; returns it and the version the call added.

    An edit whose content (type, text, definition, points, feedback) is unchanged
    adds no version (None is returned); tags, KUK, rubric and name are properties
    of the question, not of a version, and are updated in place.
    """
    tag_names = list(dict.fromkeys(t.strip() for t in tags if t and t.strip()))
    problems: list[str] = []
    if question is not None and question.bank_id != bank.pk:
        problems.append(_("A question cannot move to another bank."))
    if question is not None and question.retired_at is not None:
        problems.append(_("This question is retired and can no longer be edited."))
    problems += _text_problems(name, label=_("The name"), limit=250, required=True)
    problems += _text_problems(
        idnumber, label=_("The ID number"), limit=100, required=False
    )
    problems += _text_problems(
        text, label=_("The question text"), limit=100_000, required=True
    )
    if text_format not in TEXT_FORMATS:
        problems.append(_("Unknown text format %(format)s.") % {"format": text_format})
    problems += _points_problems(points, label=_("The points"))
    if kind not in question_types:
        problems.append(_("Unknown question type %(kind)s.") % {"kind": kind})
    else:
        problems += question_types.get(kind).problems(data)
    problems += [
        _("Tag '%(tag)s' is longer than 100 characters.") % {"tag": tag[:20]}
        for tag in tag_names
        if len(tag) > 100
    ]
    if rubric is not None and rubric.centre_id != bank.centre_id:
        problems.append(_("The rubric belongs to another centre."))
    if idnumber.strip():
        clash = Question.objects.filter(bank=bank, idnumber=idnumber.strip())
        if question is not None:
            clash = clash.exclude(pk=question.pk)
        if clash.exists():
            problems.append(
                _("Another question in this bank has the ID number %(id)s.")
                % {"id": idnumber.strip()}
            )
    _refuse(problems)

    content = VersionContent(
        kind=kind,
        text=text,
        data=data,
        points=_decimal(points) or Decimal(0),
        text_format=text_format,
        general_feedback=general_feedback,
    )
    with transaction.atomic():
        if question is None:
            question = Question.objects.create(
                bank=bank, name=name.strip(), idnumber=idnumber.strip(), kind=kind
            )
            changed = True
        else:
            question = (
                # Lock the question row only: the version join is an outer join,
                # which PostgreSQL will not lock.
                Question.objects.select_for_update(of=("self",))
                .select_related("current_version")
                .get(pk=question.pk)
            )
            changed = content_changed(question, content)
            question.name, question.idnumber = name.strip(), idnumber.strip()
        question.rubric = rubric
        added = None
        if changed:
            (added,) = question_versions_add(
                targets=[(question, content)],
                created_by=by,
                update_fields=["name", "idnumber", "rubric"],
            )
        else:
            question.save(update_fields=["name", "idnumber", "rubric"])
        question.tags.set(_tags_ensure(bank, tag_names))
        question.criteria.set(list(criteria))
    return question, added


def _tags_ensure(bank: QuestionBank, names: list[str]) -> list[QuestionTag]:
    existing = {
        t.name: t for t in QuestionTag.objects.filter(bank=bank, name__in=names)
    }
    missing = [QuestionTag(bank=bank, name=n) for n in names if n not in existing]
    if missing:
        QuestionTag.objects.bulk_create(missing, batch_size=BATCH_SIZE)
        existing = {
            t.name: t for t in QuestionTag.objects.filter(bank=bank, name__in=names)
        }
    return [existing[n] for n in names]


def question_retire(*, question: Question) -> Question:
    """Take a question out of use: no new draws or items; attempts keep theirs."""
    if question.retired_at is None:
        question.retired_at = timezone.now()
        question.save(update_fields=["retired_at"])
    return question


# Rubrics ------------------------------------------------------------------------------


def rubric_in_use(rubric: Rubric) -> bool:
    """True once a mark chose a level of this rubric (its grid is then fixed)."""
    return MarkLevel.objects.filter(rubric_criterion__rubric=rubric).exists()


def rubric_save(
    *,
    centre: Organisation,
    title: str,
    criteria: Sequence[Mapping[str, Any]],
    rubric: Rubric | None = None,
    by: Any = None,
) -> Rubric:
    """Create or edit a rubric with its whole grid (criteria × levels).

    `criteria` is a list of {"title", "criterion" (a KUK or None), "levels":
    [{"title", "descriptor", "points"}]}, in order. Once a mark used the rubric,
    its grid is fixed and only the title may change.
    """
    problems = _text_problems(title, label=_("The title"), limit=200, required=True)
    if rubric is not None and rubric.centre_id != centre.pk:
        problems.append(_("A rubric cannot move to another centre."))
    if not criteria:
        problems.append(_("A rubric needs at least one criterion."))
    for n, row in enumerate(criteria, start=1):
        found = _text_problems(
            str(row.get("title", "")), label=_("The title"), limit=250, required=True
        )
        levels = row.get("levels") or []
        if not levels:
            found.append(_("It needs at least one level."))
        for m, level in enumerate(levels, start=1):
            found += [
                _("Level %(m)d: %(problem)s") % {"m": m, "problem": p}
                for p in _text_problems(
                    str(level.get("title", "")),
                    label=_("The title"),
                    limit=100,
                    required=True,
                )
                + _points_problems(level.get("points"), label=_("The points"))
            ]
        problems += [
            _("Criterion %(n)d: %(problem)s") % {"n": n, "problem": p} for p in found
        ]
    if (
        rubric is not None
        and rubric_in_use(rubric)
        and _grid(rubric) != _grid_of(criteria)
    ):
        problems.append(
            _(
                "Graders have already marked with this rubric: its criteria and "
                "levels can no longer change, only its title."
            )
        )
    _refuse(problems)
    with transaction.atomic():
        if rubric is None:
            rubric = Rubric.objects.create(centre=centre, title=title.strip())
        else:
            rubric.title = title.strip()
            rubric.save(update_fields=["title"])
            if _grid(rubric) == _grid_of(criteria):
                return rubric
            rubric.criteria.all().delete()
        rows = [
            RubricCriterion(
                rubric=rubric,
                position=n,
                title=str(row["title"]).strip(),
                criterion=row.get("criterion"),
            )
            for n, row in enumerate(criteria, start=1)
        ]
        RubricCriterion.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        RubricLevel.objects.bulk_create(
            [
                RubricLevel(
                    criterion=criterion,
                    position=m,
                    title=str(level["title"]).strip(),
                    descriptor=str(level.get("descriptor", "")),
                    points=_decimal(level["points"]),
                )
                for criterion, row in zip(rows, criteria, strict=True)
                for m, level in enumerate(row["levels"], start=1)
            ],
            batch_size=BATCH_SIZE,
        )
    return rubric


def _grid(rubric: Rubric) -> list[tuple[Any, ...]]:
    return [
        (
            c.title,
            c.criterion_id,
            [(lv.title, lv.descriptor, lv.points) for lv in c.levels.all()],
        )
        for c in rubric.criteria.prefetch_related("levels").order_by("position")
    ]


def _grid_of(criteria: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            str(row.get("title", "")).strip(),
            getattr(row.get("criterion"), "pk", None),
            [
                (
                    str(lv.get("title", "")).strip(),
                    str(lv.get("descriptor", "")),
                    (_decimal(lv.get("points")) or Decimal(0)).quantize(
                        Decimal("0.01")
                    ),
                )
                for lv in row.get("levels") or []
            ],
        )
        for row in criteria
    ]


def rubric_delete(*, rubric: Rubric) -> None:
    """Delete a rubric no question, section or mark uses."""
    if rubric.questions.exists() or rubric.sections.exists() or rubric_in_use(rubric):
        raise ValidationError(
            _("This rubric is in use by questions, sections or marks; keep it.")
        )
    rubric.delete()


# Assessments --------------------------------------------------------------------------


def assessment_has_attempts(assessment: Assessment) -> bool:
    return assessment.pk is not None and assessment.attempts.exists()


def structure_lock_problems(assessment: Assessment) -> list[str]:
    """Why the sections of an assessment may not change now ([] when they may)."""
    if assessment_has_attempts(assessment):
        return [
            _(
                "Trainees have already sat this assessment: its sections, questions "
                "and checklist lines are locked (only the title and the window may "
                "change)."
            )
        ]
    if assessment.status != AssessmentStatus.DRAFT:
        return [
            _(
                "The assessment is published: return it to draft before changing "
                "its sections."
            )
        ]
    return []


def assessment_save(
    *,
    centre: Organisation,
    values: Mapping[str, Any],
    assessment: Assessment | None = None,
    by: Any = None,
) -> Assessment:
    """Create an assessment (a draft) or change its settings.

    `values` holds any of `ASSESSMENT_FIELDS`. Once trainees have attempts only
    the title and the availability window may change; every other change is
    refused, naming the fields.
    """
    unknown = sorted(set(values) - set(ASSESSMENT_FIELDS))
    if unknown:
        raise ValueError(f"Unknown assessment fields: {unknown}")
    problems: list[str] = []
    if centre.kind != OrganisationKind.CENTRE:
        problems.append(_("Only a regional centre holds assessments."))
    if assessment is not None and assessment.centre_id != centre.pk:
        problems.append(_("An assessment cannot move to another centre."))
    candidate = (
        Assessment(centre=centre, created_by=by)
        if assessment is None
        else Assessment.objects.get(pk=assessment.pk)
    )
    if assessment_has_attempts(candidate):
        locked = [
            str(Assessment._meta.get_field(name).verbose_name)
            for name, value in values.items()
            if name not in ALWAYS_EDITABLE and _differs(candidate, name, value)
        ]
        if locked:
            problems.append(
                _(
                    "Trainees have already sat this assessment: only its title and "
                    "window may change (not: %(fields)s)."
                )
                % {"fields": ", ".join(locked)}
            )
    for name, value in values.items():
        setattr(candidate, name, value)
    problems += _model_problems(candidate)
    pre_test = candidate.pre_test
    if pre_test is not None:
        if pre_test.centre_id != centre.pk:
            problems.append(_("The paired pre-test belongs to another centre."))
        elif pre_test.purpose != AssessmentPurpose.PRE_TEST:
            problems.append(_("The paired assessment is not a pre-test."))
        if candidate.pk and pre_test.pk == candidate.pk:
            problems.append(_("An assessment cannot be its own pre-test."))
    _refuse(problems)
    candidate.save()
    return candidate


def _differs(assessment: Assessment, name: str, value: Any) -> bool:
    field = Assessment._meta.get_field(name)
    current = getattr(assessment, field.attname)
    new = getattr(value, "pk", value) if field.is_relation else value
    if isinstance(current, Decimal) and new is not None:
        return current != _decimal(new)
    return current != new


def _model_problems(instance: Any, exclude: Sequence[str] = ()) -> list[str]:
    """The model's own checks, each message prefixed with its field's label."""
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        problems = []
        for field, messages in error.message_dict.items():
            label = (
                str(instance._meta.get_field(field).verbose_name)
                if field != "__all__"
                else ""
            )
            problems += [
                f"{label[:1].upper()}{label[1:]}: {m}" if label else m for m in messages
            ]
        return problems
    return []


def assessment_unpublish(*, assessment: Assessment) -> Assessment:
    """Return a published assessment nobody has sat yet to draft, to change it."""
    if assessment_has_attempts(assessment):
        raise ValidationError(
            _("Trainees have already sat this assessment; it cannot return to draft.")
        )
    assessment.status = AssessmentStatus.DRAFT
    assessment.save(update_fields=["status"])
    return assessment


def assessment_delete(*, assessment: Assessment) -> None:
    """Delete a draft nobody has sat (its sections go with it)."""
    if assessment_has_attempts(assessment) or assessment.post_tests.exists():
        raise ValidationError(
            _(
                "This assessment has attempts or is paired with a post-test and "
                "cannot be deleted."
            )
        )
    assessment.delete()


# Sections, items and checklist lines ---------------------------------------------


def _item_problems(
    assessment: Assessment, items: Sequence[Mapping[str, Any]]
) -> tuple[list[str], list[SectionItem]]:
    """Check a quiz section's items; returns the problems and the unsaved rows."""
    problems: list[str] = []
    rows: list[SectionItem] = []
    question_ids = {i.get("question") for i in items if i.get("question")}
    tag_ids = {i.get("tag") for i in items if i.get("tag")}
    criterion_ids = {i.get("criterion") for i in items if i.get("criterion")}
    usable = _usable_bank_ids(assessment.centre)
    questions = Question.objects.in_bulk(_ints(question_ids))
    tags = QuestionTag.objects.in_bulk(_ints(tag_ids))
    criteria = PerformanceCriterion.objects.in_bulk(_ints(criterion_ids))
    seen: set[int] = set()
    for n, item in enumerate(items, start=1):
        found: list[str] = []
        if item.get("points") not in (None, ""):
            found += _points_problems(item["points"], label=_("The points"))
        row = SectionItem(position=n, points=_decimal(item.get("points")))
        if item.get("question") and item.get("bank"):
            found.append(_("Give either a question or a bank to draw from, not both."))
        elif item.get("question"):
            question = questions.get(_int(item["question"]))
            if question is None or question.bank_id not in usable:
                found.append(
                    _("Question %(id)s is not in a bank your centre can use.")
                    % {"id": item["question"]}
                )
            elif question.retired_at is not None:
                found.append(_("Question %(id)s is retired.") % {"id": question.pk})
            elif question.current_version_id is None:
                found.append(
                    _("Question %(id)s has no content yet.") % {"id": question.pk}
                )
            elif question.pk in seen:
                found.append(
                    _("Question %(id)s is already in this section.")
                    % {"id": question.pk}
                )
            else:
                seen.add(question.pk)
                row.question = question
        elif item.get("bank"):
            bank_id = _int(item["bank"])
            if bank_id not in usable:
                found.append(
                    _("Bank %(id)s is not one your centre can use.")
                    % {"id": item["bank"]}
                )
            else:
                row.draw_bank_id = bank_id
            if item.get("tag"):
                tag = tags.get(_int(item["tag"]))
                if tag is None or tag.bank_id != bank_id:
                    found.append(
                        _("Tag %(id)s is not a tag of that bank.") % {"id": item["tag"]}
                    )
                else:
                    row.draw_tag = tag
            if item.get("criterion"):
                criterion = criteria.get(_int(item["criterion"]))
                if criterion is None:
                    found.append(
                        _("KUK %(id)s does not exist.") % {"id": item["criterion"]}
                    )
                else:
                    row.draw_criterion = criterion
            count = _int(item.get("count", 1))
            if count is None or count < 1:
                found.append(_("The number of questions to draw must be at least 1."))
            else:
                row.draw_count = count
        else:
            found.append(_("Give a question or a bank to draw from."))
        problems += [
            _("Item %(n)d: %(problem)s") % {"n": n, "problem": p} for p in found
        ]
        rows.append(row)
    return problems, rows


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _ints(values: Iterable[Any]) -> list[int]:
    return [n for v in values if (n := _int(v)) is not None]


def _line_problems(
    lines: Sequence[Mapping[str, Any]],
) -> tuple[list[str], list[ChecklistLine]]:
    problems: list[str] = []
    rows: list[ChecklistLine] = []
    criteria = PerformanceCriterion.objects.in_bulk(
        _ints(line.get("criterion") for line in lines if line.get("criterion"))
    )
    for n, line in enumerate(lines, start=1):
        found = _text_problems(
            str(line.get("text", "")), label=_("The text"), limit=500, required=True
        )
        row = ChecklistLine(position=n, text=str(line.get("text", "")).strip())
        if line.get("criterion"):
            criterion = criteria.get(_int(line["criterion"]))
            if criterion is None:
                found.append(
                    _("KUK %(id)s does not exist.") % {"id": line["criterion"]}
                )
            row.criterion = criterion
        problems += [
            _("Line %(n)d: %(problem)s") % {"n": n, "problem": p} for p in found
        ]
        rows.append(row)
    return problems, rows


def section_save(
    *,
    assessment: Assessment,
    instrument: str,
    title: str = "",
    instructions: str = "",
    config: Any = None,
    points: Any = 0,
    rubric: Rubric | None = None,
    criteria: Iterable[PerformanceCriterion] = (),
    items: Sequence[Mapping[str, Any]] | None = None,
    lines: Sequence[Mapping[str, Any]] | None = None,
    section: Section | None = None,
) -> Section:
    """Add a section at the end of a draft assessment, or edit one.

    `items` (quiz: {"question": id} or {"bank": id, "tag": id, "criterion": id,
    "count": n}, each with optional "points") and `lines` (observation checklist:
    {"text", "criterion": id}) replace the section's rows when given. What a
    section still lacks to be sat (e.g. a quiz with no question) is allowed in a
    draft and reported when publishing.
    """
    config = {} if config is None else config
    problems = structure_lock_problems(assessment)
    if section is not None and section.assessment_id != assessment.pk:
        problems.append(_("The section belongs to another assessment."))
    problems += _text_problems(title, label=_("The title"), limit=250, required=False)
    problems += _points_problems(points, label=_("The points"))
    kind = None
    if instrument not in instrument_types:
        problems.append(_("Unknown instrument type %(kind)s.") % {"kind": instrument})
    else:
        kind = instrument_types.get(instrument)
    if not isinstance(config, dict):
        problems.append(_("The settings must be a JSON object."))
    elif kind is not None and kind.accepts_files:
        problems += uploads.config_problems(config)
    if rubric is not None and rubric.centre_id != assessment.centre_id:
        problems.append(_("The rubric belongs to another centre."))
    item_rows: list[SectionItem] = []
    line_rows: list[ChecklistLine] = []
    if items:
        if instrument != "quiz":
            problems.append(_("Only a quiz section has questions."))
        else:
            found, item_rows = _item_problems(assessment, items)
            problems += found
    if lines:
        if kind is None or kind.answered_by_trainee:
            problems.append(
                _("Only a section an assessor fills in has checklist lines.")
            )
        else:
            found, line_rows = _line_problems(lines)
            problems += found
    _refuse(problems)
    with transaction.atomic():
        if section is None:
            last = assessment.sections.aggregate(last=Max("position"))["last"] or 0
            section = Section(assessment=assessment, position=last + 1)
        section.title, section.instructions = title.strip(), instructions
        section.instrument, section.config = instrument, config
        section.points, section.rubric = _decimal(points), rubric
        section.save()
        section.criteria.set(list(criteria))
        if items is not None:
            section.items.all().delete()
            for row in item_rows:
                row.section = section
            SectionItem.objects.bulk_create(item_rows, batch_size=BATCH_SIZE)
        if lines is not None:
            section.checklist_lines.all().delete()
            for row in line_rows:
                row.section = section
            ChecklistLine.objects.bulk_create(line_rows, batch_size=BATCH_SIZE)
    return section


def sections_reorder(*, assessment: Assessment, order: Sequence[int]) -> None:
    """Put a draft's sections in the given order (a list of every section id)."""
    problems = structure_lock_problems(assessment)
    current = list(assessment.sections.values_list("pk", flat=True))
    if sorted(current) != sorted(order) or len(set(order)) != len(order):
        problems.append(_("The new order must list every section once."))
    _refuse(problems)
    with transaction.atomic():
        sections = {s.pk: s for s in assessment.sections.all()}
        # Two passes: positions are unique per assessment at every moment.
        offset = len(order) + 1000
        for n, pk in enumerate(order, start=1):
            sections[pk].position = offset + n
        Section.objects.bulk_update(sections.values(), ["position"])
        for section in sections.values():
            section.position -= offset
        Section.objects.bulk_update(sections.values(), ["position"])


def section_move(*, section: Section, step: int) -> None:
    """Move a section one place up (-1) or down (+1) in its draft assessment."""
    order = list(
        section.assessment.sections.order_by("position").values_list("pk", flat=True)
    )
    index = order.index(section.pk)
    target = index + step
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
    sections_reorder(assessment=section.assessment, order=order)


def section_remove(*, section: Section) -> None:
    """Remove a section (with its items and lines) from a draft; the rest close up."""
    assessment = section.assessment
    _refuse(structure_lock_problems(assessment))
    with transaction.atomic():
        section.delete()
        rest = list(
            assessment.sections.order_by("position").values_list("pk", flat=True)
        )
        if rest:
            sections_reorder(assessment=assessment, order=rest)


# Reads for the authoring screens ----------------------------------------------------


def author_centre_ids(user: Any) -> list[int]:
    """The centres where the person is a trainer or centre admin."""
    return sorted(organisation_ids_for_roles(user, CENTRE_STAFF_ROLES))


def author_is_central(user: Any) -> bool:
    return user_is_central_admin(user)


def author_centres(user: Any) -> QuerySet[Organisation]:
    """The centres a person may author for (all of them for the central admin)."""
    centres = Organisation.objects.filter(kind=OrganisationKind.CENTRE).order_by("code")
    if author_is_central(user):
        return centres
    return centres.filter(pk__in=author_centre_ids(user))


def bank_list_for_author(
    user: Any, *, editable: bool = False
) -> QuerySet[QuestionBank]:
    """Banks of the person's centres and those shared with them.

    With `editable`, only the banks of their own centres (shared ones are read-only).
    """
    banks = QuestionBank.objects.select_related("centre").annotate(
        questions_count=Count("questions", distinct=True)
    )
    if author_is_central(user):
        return banks
    centres = author_centre_ids(user)
    if editable:
        return banks.filter(centre_id__in=centres)
    shared = QuestionBank.shared_with.through.objects.filter(
        organisation_id__in=centres
    ).values("questionbank_id")
    return banks.filter(Q(centre_id__in=centres) | Q(pk__in=shared))


def question_list_for_author(
    user: Any, *, editable: bool = False
) -> QuerySet[Question]:
    """Questions in the banks the person may see (or edit, with `editable`)."""
    banks = bank_list_for_author(user, editable=editable).values("pk")
    return Question.objects.filter(bank_id__in=banks).select_related(
        "bank", "bank__centre", "current_version"
    )


def rubric_list_for_author(user: Any) -> QuerySet[Rubric]:
    rubrics = Rubric.objects.select_related("centre").annotate(
        criteria_count=Count("criteria", distinct=True)
    )
    if author_is_central(user):
        return rubrics
    return rubrics.filter(centre_id__in=author_centre_ids(user))


def assessment_list_for_author(user: Any) -> QuerySet[Assessment]:
    """Assessments of the person's centres (all for the central admin)."""
    assessments = Assessment.objects.select_related("centre").annotate(
        attempts_count=Count("attempts", distinct=True),
        sections_count=Count("sections", distinct=True),
    )
    if author_is_central(user):
        return assessments
    return assessments.filter(centre_id__in=author_centre_ids(user))


def section_get_for_author(user: Any, section_id: int) -> Section:
    section = (
        Section.objects.select_related("assessment", "assessment__centre")
        .filter(
            pk=section_id, assessment__in=assessment_list_for_author(user).values("pk")
        )
        .first()
    )
    if section is None:
        raise Http404
    return section
