"""Reads of assessments that depend on who asks; every page, export and API uses these.

Trainees see published assessments of the centres where they are trainees, and
only their own attempts. Centre staff (trainers, centre admins) see their centre's
assessments; the central admin sees all. Anything else answers 404.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet
from django.http import Http404

from assessments.grading.models import FeedbackFile, Mark, MarkerRole
from assessments.instruments import instrument_types
from assessments.models import (
    Answer,
    AnswerFile,
    Assessment,
    AssessmentStatus,
    Attempt,
    AttemptState,
    GradingMethod,
)
from assessments.questions.types import question_types
from lms.models import Role
from lms.selectors import centre_ids_for_staff, organisation_ids_for_roles

ROLE_ORDER = {MarkerRole.FIRST: 0, MarkerRole.SECOND: 1, MarkerRole.THIRD: 2}


def assessment_list_for_trainee(user: Any) -> QuerySet[Assessment]:
    """Published assessments of the centres where the person is a trainee."""
    if not user.is_authenticated:
        return Assessment.objects.none()
    return (
        Assessment.objects.filter(
            status=AssessmentStatus.PUBLISHED,
            centre_id__in=organisation_ids_for_roles(user, (Role.TRAINEE,)),
        )
        .select_related("centre")
        .order_by("closes_at", "code")
    )


def assessment_get_for_trainee(user: Any, assessment_uuid: Any) -> Assessment:
    """One assessment the trainee may sit (404 otherwise)."""
    assessment = assessment_list_for_trainee(user).filter(uuid=assessment_uuid).first()
    if assessment is None:
        raise Http404
    return assessment


def attempt_list_for_trainee(user: Any) -> QuerySet[Attempt]:
    """The person's own attempts, newest first."""
    if not user.is_authenticated:
        return Attempt.objects.none()
    return (
        Attempt.objects.filter(trainee=user)
        .select_related("assessment", "assessment__centre")
        .order_by("-started_at")
    )


def attempt_get_for_trainee(user: Any, attempt_uuid: Any) -> Attempt:
    """One of the person's own attempts (404 for anyone else's)."""
    attempt = attempt_list_for_trainee(user).filter(uuid=attempt_uuid).first()
    if attempt is None:
        raise Http404
    return attempt


def answer_list_for_attempt(attempt: Attempt) -> list[Answer]:
    """An attempt's answers with what is needed to render them, in slot order."""
    return list(
        attempt.answers.select_related("question_version", "section")
        .prefetch_related("files")
        .order_by("slot")
    )


def answer_file_get_for_trainee(
    user: Any, attempt_uuid: Any, file_id: int
) -> tuple[Attempt, AnswerFile]:
    """A file the person attached to one of their own attempts (404 otherwise)."""
    attempt = attempt_get_for_trainee(user, attempt_uuid)
    found = AnswerFile.objects.filter(pk=file_id, answer__attempt=attempt).first()
    if found is None:
        raise Http404
    return attempt, found


def answer_files_for_attempt(attempt: Attempt) -> list[AnswerFile]:
    """The files a trainee attached to an attempt, in slot order."""
    return list(
        AnswerFile.objects.filter(answer__attempt=attempt).order_by(
            "answer__slot", "uploaded_at", "pk"
        )
    )


@dataclass(frozen=True)
class _DecidingMark:
    submission_id: int
    slot: int
    marker_id: int
    feedback: str


def _deciding_marks(attempt: Attempt) -> list[_DecidingMark]:
    """The completed marks that settled each answer's result (one query).

    A third marker's mark decides alone; otherwise the first marker's (and, under
    double marking, the second's) completed marks make the result. Drafts and
    marks a later completion replaced are working notes, never shown to the
    trainee.
    """
    newest: dict[tuple[int, str], _DecidingMark] = {}
    rows = (
        Mark.objects.filter(submission__attempt=attempt, final=True)
        .order_by("version")
        .values_list(
            "submission_id", "submission__answer__slot", "role", "marker_id", "feedback"
        )
    )
    for submission_id, slot, role, marker_id, feedback in rows:
        newest[(submission_id, role)] = _DecidingMark(
            submission_id, slot, marker_id, feedback
        )
    third = {key[0] for key in newest if key[1] == MarkerRole.THIRD}
    return [
        mark
        for (submission_id, role), mark in sorted(
            newest.items(), key=lambda item: (item[0][0], ROLE_ORDER[item[0][1]])
        )
        if submission_id not in third or role == MarkerRole.THIRD
    ]


def feedback_files_for_attempt(attempt: Attempt) -> dict[int, list[FeedbackFile]]:
    """Feedback files per slot from the markers whose marks settled the result."""
    deciding = {(m.submission_id, m.marker_id) for m in _deciding_marks(attempt)}
    files: dict[int, list[FeedbackFile]] = {}
    rows = FeedbackFile.objects.filter(submission__attempt=attempt).annotate(
        slot=F("submission__answer__slot")
    )
    for found in rows.order_by("slot", "created_at", "pk"):
        if (found.submission_id, found.uploaded_by_id) in deciding:
            files.setdefault(found.slot, []).append(found)
    return files


def feedback_file_get_for_trainee(
    user: Any, attempt_uuid: Any, file_id: int
) -> tuple[Attempt, FeedbackFile]:
    """A feedback file of the person's own attempt from a deciding marker (else 404)."""
    attempt = attempt_get_for_trainee(user, attempt_uuid)
    found = FeedbackFile.objects.filter(pk=file_id, submission__attempt=attempt).first()
    deciding = {(m.submission_id, m.marker_id) for m in _deciding_marks(attempt)}
    if found is None or (found.submission_id, found.uploaded_by_id) not in deciding:
        raise Http404
    return attempt, found


def assessment_grade_for_trainee(
    *, assessment: Assessment, trainee: Any
) -> Decimal | None:
    """The trainee's grade (percent) under the assessment's grading method."""
    percents = list(
        Attempt.objects.filter(
            assessment=assessment, trainee=trainee, state=AttemptState.GRADED
        )
        .order_by("number")
        .values_list("percent", flat=True)
    )
    if not percents:
        return None
    method = assessment.grading_method
    if method == GradingMethod.FIRST:
        return percents[0]
    if method == GradingMethod.LAST:
        return percents[-1]
    if method == GradingMethod.AVERAGE:
        return (sum(percents) / len(percents)).quantize(Decimal("0.01"))
    return max(percents)


def assessment_list_for_staff(user: Any) -> QuerySet[Assessment]:
    """Assessments of the centres the person works for (all for the central admin)."""
    assessments = Assessment.objects.select_related("centre").annotate(
        attempts_count=Count("attempts", distinct=True)
    )
    if not user.is_authenticated:
        return assessments.none()
    centre_ids = centre_ids_for_staff(user)
    if centre_ids is None:
        return assessments
    return assessments.filter(centre_id__in=centre_ids)


def assessment_get_for_staff(user: Any, assessment_uuid: Any) -> Assessment:
    assessment = assessment_list_for_staff(user).filter(uuid=assessment_uuid).first()
    if assessment is None:
        raise Http404
    return assessment


@dataclass(frozen=True)
class ItemStatistics:
    """Classical item analysis of one question version."""

    version_id: int
    name: str
    kind: str
    answered: int
    facility: Decimal | None  # mean fraction scored, 0..1
    discrimination: Decimal | None  # upper 27 % minus lower 27 % facility


def item_analysis(*, assessment: Assessment) -> list[ItemStatistics]:
    """Facility and discrimination per question of an assessment's graded attempts.

    Facility is an SQL aggregate; discrimination compares the top and bottom 27 %
    of attempts by total score (Kelley's groups), computed from one query of
    (attempt, version, fraction) rows.
    """
    graded = Attempt.objects.filter(assessment=assessment, state=AttemptState.GRADED)
    answers = Answer.objects.filter(
        attempt__in=graded, question_version__isnull=False, fraction__isnull=False
    )
    facility = {
        row["question_version_id"]: row
        for row in answers.values(
            "question_version_id",
            "question_version__question__name",
            "question_version__kind",
        ).annotate(answered=Count("id"), facility=Avg("fraction"))
    }
    ranked = list(graded.order_by("-percent", "pk").values_list("pk", flat=True))
    group = max(1, round(len(ranked) * 0.27)) if len(ranked) >= 4 else 0
    upper, lower = set(ranked[:group]), set(ranked[-group:]) if group else set()
    by_group: dict[int, dict[str, list[Decimal]]] = {}
    if group:
        for attempt_id, version_id, fraction in answers.filter(
            Q(attempt_id__in=upper) | Q(attempt_id__in=lower)
        ).values_list("attempt_id", "question_version_id", "fraction"):
            side = "upper" if attempt_id in upper else "lower"
            by_group.setdefault(version_id, {"upper": [], "lower": []})[side].append(
                fraction
            )
    rows = []
    for version_id, row in facility.items():
        groups = by_group.get(version_id)
        discrimination = None
        if groups and groups["upper"] and groups["lower"]:
            discrimination = Decimal(
                statistics.fmean(groups["upper"]) - statistics.fmean(groups["lower"])
            ).quantize(Decimal("0.01"))
        rows.append(
            ItemStatistics(
                version_id=version_id,
                name=row["question_version__question__name"],
                kind=row["question_version__kind"],
                answered=row["answered"],
                facility=Decimal(row["facility"]).quantize(Decimal("0.01"))
                if row["facility"] is not None
                else None,
                discrimination=discrimination,
            )
        )
    return sorted(rows, key=lambda r: r.version_id)


@dataclass(frozen=True)
class LearningGain:
    """Pre-test → post-test figures over trainees who sat both."""

    trainees: int
    pre_mean: Decimal | None
    post_mean: Decimal | None
    normalised_gain: Decimal | None  # Hake's <g> = (post - pre) / (100 - pre)


def learning_gain(*, post_test: Assessment) -> LearningGain:
    """Mean pre- and post-test percent and the normalised gain, best attempt each."""
    if post_test.pre_test_id is None:
        return LearningGain(0, None, None, None)

    def best(assessment_id: int) -> dict[int, Decimal]:
        best_by_trainee: dict[int, Decimal] = {}
        for trainee_id, percent in Attempt.objects.filter(
            assessment_id=assessment_id, state=AttemptState.GRADED
        ).values_list("trainee_id", "percent"):
            if percent is not None and percent > best_by_trainee.get(
                trainee_id, Decimal(-1)
            ):
                best_by_trainee[trainee_id] = percent
        return best_by_trainee

    pre, post = best(post_test.pre_test_id), best(post_test.pk)
    both = pre.keys() & post.keys()
    if not both:
        return LearningGain(0, None, None, None)
    pre_mean = Decimal(statistics.fmean(pre[t] for t in both))
    post_mean = Decimal(statistics.fmean(post[t] for t in both))
    gain = (post_mean - pre_mean) / (100 - pre_mean) if pre_mean < 100 else Decimal(0)
    cents = Decimal("0.01")
    return LearningGain(
        len(both),
        pre_mean.quantize(cents),
        post_mean.quantize(cents),
        gain.quantize(cents),
    )


@dataclass
class SheetSlot:
    """One slot of an attempt as the trainee sees it (no correct answers)."""

    slot: int
    section_title: str
    instructions: str
    kind: str
    text: str
    text_format: str
    public: dict[str, Any]
    response: Any
    points: Decimal
    answered_by_trainee: bool
    answer: Answer


def attempt_sheet(attempt: Attempt, answers: list[Answer]) -> list[SheetSlot]:
    """What the attempt page and the API show for each slot.

    Choices are shuffled with a seed fixed per attempt and slot, so a resumed
    attempt (on another device too) shows the same order.
    """
    sheet = []
    for answer in answers:
        version = answer.question_version
        instrument = instrument_types.get(answer.section.instrument)
        if version is not None:
            public = question_types.get(version.kind).public_data(
                version.data, rng=random.Random(f"{attempt.seed}:{answer.slot}")
            )
            kind, text, text_format = version.kind, version.text, version.text_format
        else:
            public = {}
            kind, text, text_format = answer.section.instrument, "", "plain"
        sheet.append(
            SheetSlot(
                slot=answer.slot,
                section_title=answer.section.title,
                instructions=answer.section.instructions,
                kind=kind,
                text=text,
                text_format=text_format,
                public=public,
                response=answer.response,
                points=answer.points,
                answered_by_trainee=instrument.answered_by_trainee,
                answer=answer,
            )
        )
    return sheet


def feedback_for_attempt(attempt: Attempt) -> dict[int, str]:
    """Feedback per slot from the marks that settled it (graders stay anonymous).

    Under double marking both markers' comments are shown, first marker first.
    """
    feedback: dict[int, list[str]] = {}
    for mark in _deciding_marks(attempt):
        if mark.feedback:
            feedback.setdefault(mark.slot, []).append(mark.feedback)
    return {slot: "\n\n".join(texts) for slot, texts in feedback.items()}
