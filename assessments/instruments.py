"""Instrument types: the registry every assessment section draws its behaviour from.

A section names an instrument (`Section.instrument`). The type decides which slots
an attempt gets (`build_slots`), whether the trainee answers them or an assessor
fills them in, and how a slot is scored on submit (`auto_fraction`; `None` means a
person marks it through the grading workflow).

Built-in types are registered in `AssessmentsConfig.ready()`. Apps above may add
their own: the H5P engine in `courses` registers the H5P activity type, so this
app never imports the H5P code (DESIGN.md §2).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assessments import uploads
from assessments.questions.types import question_types

if TYPE_CHECKING:
    from django.http import HttpRequest

    from assessments.models import Answer, Attempt, QuestionVersion, Section


@dataclass(frozen=True)
class SlotSpec:
    """One slot of an attempt's layout, frozen when the attempt starts."""

    section_id: int
    points: Decimal
    question_version_id: int | None = None


class InstrumentType:
    """The interface a registered instrument type meets.

    Subclasses set `kind` (the registry key) and `label`; `answered_by_trainee`
    is False for instruments an assessor fills in (observation, oral record).
    """

    kind: ClassVar[str]
    label: ClassVar[Any]
    answered_by_trainee: ClassVar[bool] = True
    # True for instruments whose slots take uploaded files (assessments.uploads).
    accepts_files: ClassVar[bool] = False
    # The national evidence type (L/TL/T) a result of this instrument gives.
    evidence_kind: ClassVar[str] = "indirect"

    def problems(self, section: Section) -> list[str]:
        """Every problem with the section's definition ([] when it can be sat)."""
        return []

    def build_slots(
        self, section: Section, *, rng: random.Random, pools: QuestionPools
    ) -> list[SlotSpec]:
        """The slots an attempt gets for this section (default: one slot)."""
        return [SlotSpec(section_id=section.pk, points=section.points)]

    def response_problems(
        self, *, version: QuestionVersion | None, response: Any
    ) -> list[str]:
        """Problems with the shape of a trainee's answer to one slot."""
        return []

    def auto_fraction(
        self, *, answer: Answer, version: QuestionVersion | None, attempt: Attempt
    ) -> Decimal | None:
        """The machine score as a fraction 0..1, or None when a person marks it."""
        return None

    def render_context(self, *, request: HttpRequest, section: Section) -> dict:
        """Extra template context the slot's widget needs (e.g. a player frame)."""
        return {}


class QuestionPools:
    """Draws questions for quiz sections; one query per draw item, never per row.

    Given to `build_slots` so an instrument that draws from banks does not run its
    own queries per question.
    """

    def draw(
        self,
        *,
        bank_id: int,
        tag_id: int | None,
        criterion_id: int | None,
        count: int,
        rng: random.Random,
        exclude: set[int],
    ) -> list[tuple[int, Decimal]]:
        """`count` random (version id, points) pairs from a pool, without repeats."""
        from assessments.models import Question

        pool = Question.objects.filter(
            bank_id=bank_id, retired_at__isnull=True, current_version__isnull=False
        )
        if tag_id:
            pool = pool.filter(tags__id=tag_id)
        if criterion_id:
            pool = pool.filter(criteria__id=criterion_id)
        candidates = [
            (version_id, points)
            for version_id, points in pool.values_list(
                "current_version_id", "current_version__points"
            ).distinct()
            if version_id not in exclude
        ]
        if len(candidates) < count:
            raise ValueError(
                gettext(
                    "The pool has %(available)d questions; %(count)d are to be drawn."
                )
                % {"available": len(candidates), "count": count}
            )
        return rng.sample(sorted(candidates), count)


class QuizInstrument(InstrumentType):
    """Questions from banks: fixed ones and random draws, machine-marked if possible."""

    kind = "quiz"
    label = _("Quiz")

    def problems(self, section: Section) -> list[str]:
        items = list(section.items.all())
        if not items:
            return [gettext("A quiz section needs at least one question.")]
        return []

    def build_slots(
        self, section: Section, *, rng: random.Random, pools: QuestionPools
    ) -> list[SlotSpec]:
        slots: list[SlotSpec] = []
        used: set[int] = set()
        for item in section.items.all():
            if item.question_id is not None:
                version = item.question.current_version
                if version is None:
                    continue
                pairs = [(version.pk, version.points)]
            else:
                pairs = pools.draw(
                    bank_id=item.draw_bank_id,
                    tag_id=item.draw_tag_id,
                    criterion_id=item.draw_criterion_id,
                    count=item.draw_count,
                    rng=rng,
                    exclude=used,
                )
            for version_id, points in pairs:
                used.add(version_id)
                slots.append(
                    SlotSpec(
                        section_id=section.pk,
                        question_version_id=version_id,
                        points=item.points if item.points is not None else points,
                    )
                )
        if section.assessment.shuffle_questions:
            rng.shuffle(slots)
        return slots

    def response_problems(
        self, *, version: QuestionVersion | None, response: Any
    ) -> list[str]:
        if version is None or response is None:
            return []
        return question_types.get(version.kind).response_problems(
            version.data, response
        )

    def auto_fraction(
        self, *, answer: Answer, version: QuestionVersion | None, attempt: Attempt
    ) -> Decimal | None:
        if version is None:
            return Decimal(0)
        return question_types.get(version.kind).grade(version.data, answer.response)


class AssignmentInstrument(InstrumentType):
    """An assignment or portfolio: text and uploaded files, marked by a grader."""

    kind = "assignment"
    label = _("Assignment or portfolio upload")
    accepts_files = True

    def problems(self, section: Section) -> list[str]:
        problems = uploads.config_problems(section.config or {})
        if section.points <= 0:
            problems.insert(0, gettext("An assignment needs points above zero."))
        return problems

    def response_problems(
        self, *, version: QuestionVersion | None, response: Any
    ) -> list[str]:
        if response is not None and not isinstance(response, str):
            return [gettext("The assignment text must be text.")]
        return []


class ObservationInstrument(InstrumentType):
    """An observation checklist per performance criterion, filled in by an assessor."""

    kind = "observation"
    label = _("Observation checklist")
    answered_by_trainee = False
    evidence_kind = "direct"

    def problems(self, section: Section) -> list[str]:
        problems = []
        if not section.checklist_lines.exists():
            problems.append(
                gettext("An observation checklist needs at least one line.")
            )
        if section.points <= 0:
            problems.append(
                gettext("An observation checklist needs points above zero.")
            )
        return problems


class OralInstrument(InstrumentType):
    """An oral or interview record, written and marked by an assessor."""

    kind = "oral"
    label = _("Oral or interview record")
    answered_by_trainee = False
    evidence_kind = "direct"

    def problems(self, section: Section) -> list[str]:
        if section.points <= 0:
            return [gettext("An oral record needs points above zero.")]
        return []


class InstrumentRegistry:
    """Instrument types by kind; `register()` refuses a second type of the same kind."""

    def __init__(self) -> None:
        self._types: dict[str, InstrumentType] = {}

    def register(self, cls: type[InstrumentType]) -> type[InstrumentType]:
        if cls.kind in self._types:
            raise ValueError(f"Instrument type {cls.kind!r} is already registered.")
        self._types[cls.kind] = cls()
        return cls

    def get(self, kind: str) -> InstrumentType:
        try:
            return self._types[kind]
        except KeyError:
            raise LookupError(
                gettext("Unknown instrument type %(kind)s.") % {"kind": kind}
            ) from None

    def choices(self) -> list[tuple[str, Any]]:
        return [(kind, t.label) for kind, t in self._types.items()]

    def __contains__(self, kind: object) -> bool:
        return kind in self._types

    def __iter__(self) -> Iterator[InstrumentType]:
        return iter(self._types.values())


instrument_types = InstrumentRegistry()

BUILTIN_INSTRUMENT_TYPES: tuple[type[InstrumentType], ...] = (
    QuizInstrument,
    AssignmentInstrument,
    ObservationInstrument,
    OralInstrument,
)
