"""Writes of assessments: publish a definition, start, autosave and submit attempts.

The HTML pages, the API and any offline sync call these same functions. The
server clock decides: an attempt's deadline is fixed when it starts (time limit,
capped by the assessment's closing time), answers arriving after the deadline and
its grace period are kept apart in `LateAnswer` and never graded, and a submit is
idempotent (the same attempt submitted twice, or with the same key, gives one
result).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments import uploads
from assessments.grading.models import Submission
from assessments.instruments import QuestionPools, instrument_types
from assessments.models import (
    Answer,
    AnswerFile,
    Assessment,
    AssessmentStatus,
    Attempt,
    AttemptState,
    FinalisedBy,
    LateAnswer,
    QuestionVersion,
)
from assessments.results import attempt_grade, fraction_score
from lms.models import User


class AttemptClosed(Exception):
    """The attempt was already submitted or closed at its deadline."""

    def __init__(self, attempt: Attempt) -> None:
        super().__init__(str(attempt.uuid))
        self.attempt = attempt


class SubmitKeyReused(Exception):
    """An idempotency key already used for another attempt of the same trainee."""


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def assessment_problems(*, assessment: Assessment) -> list[str]:
    """Every reason an assessment cannot be sat yet (empty when it can)."""
    problems: list[str] = []
    sections = list(
        assessment.sections.prefetch_related("items", "checklist_lines").order_by(
            "position"
        )
    )
    if not sections:
        problems.append(_("The assessment has no sections."))
    for section in sections:
        if section.instrument not in instrument_types:
            problems.append(
                _("Section %(n)d: unknown instrument type %(kind)s.")
                % {"n": section.position, "kind": section.instrument}
            )
            continue
        for problem in instrument_types.get(section.instrument).problems(section):
            problems.append(
                _("Section %(n)d: %(problem)s")
                % {"n": section.position, "problem": problem}
            )
    if assessment.pre_test_id and assessment.pre_test.centre_id != assessment.centre_id:
        problems.append(_("The paired pre-test belongs to another centre."))
    return problems


def assessment_publish(*, assessment: Assessment) -> Assessment:
    """Open a checked assessment to trainees; every problem is listed at once."""
    problems = assessment_problems(assessment=assessment)
    if problems:
        raise ValidationError(problems)
    assessment.status = AssessmentStatus.PUBLISHED
    assessment.save(update_fields=["status"])
    return assessment


def _start_problems(*, assessment: Assessment, used: int, now: datetime) -> list[str]:
    problems = []
    if assessment.status != AssessmentStatus.PUBLISHED:
        problems.append(_("This assessment is not open."))
    if assessment.opens_at and now < assessment.opens_at:
        problems.append(_("This assessment has not opened yet."))
    if assessment.closes_at and now >= assessment.closes_at:
        problems.append(_("This assessment has closed."))
    if assessment.attempts_allowed and used >= assessment.attempts_allowed:
        problems.append(
            _("You have used all %(n)d attempts.") % {"n": assessment.attempts_allowed}
        )
    return problems


def attempt_start(
    *,
    assessment: Assessment,
    trainee: User,
    context: str = "",
    now: datetime | None = None,
) -> Attempt:
    """Start an attempt, or return the one already open (a trainee resumes it).

    The questions are drawn and frozen in the attempt's layout now, with the
    versions current at this moment; the deadline is fixed now too.
    """
    now = _now(now)
    open_attempt = Attempt.objects.filter(
        assessment=assessment, trainee=trainee, state=AttemptState.IN_PROGRESS
    ).first()
    if open_attempt is not None:
        return open_attempt
    used = Attempt.objects.filter(assessment=assessment, trainee=trainee).count()
    problems = _start_problems(assessment=assessment, used=used, now=now)
    if problems:
        raise ValidationError(problems)

    seed = secrets.randbits(48)
    rng = random.Random(seed)
    pools = QuestionPools()
    slots = []
    sections = assessment.sections.prefetch_related(
        "items__question__current_version"
    ).order_by("position")
    try:
        for section in sections:
            instrument = instrument_types.get(section.instrument)
            slots.extend(instrument.build_slots(section, rng=rng, pools=pools))
    except ValueError as error:
        raise ValidationError([str(error)]) from None

    deadline = None
    if assessment.time_limit_minutes:
        deadline = now + timedelta(minutes=assessment.time_limit_minutes)
    if assessment.closes_at and (deadline is None or assessment.closes_at < deadline):
        deadline = assessment.closes_at
    attempt = Attempt(
        assessment=assessment,
        trainee=trainee,
        number=used + 1,
        context=context,
        seed=seed,
        started_at=now,
        deadline_at=deadline,
        score_max=sum((s.points for s in slots), start=0),
        layout=[
            {
                "slot": index,
                "section": s.section_id,
                "version": s.question_version_id,
                "points": str(s.points),
            }
            for index, s in enumerate(slots, start=1)
        ],
    )
    try:
        with transaction.atomic():
            attempt.save()
            Answer.objects.bulk_create(
                [
                    Answer(
                        attempt=attempt,
                        slot=index,
                        section_id=s.section_id,
                        question_version_id=s.question_version_id,
                        points=s.points,
                    )
                    for index, s in enumerate(slots, start=1)
                ],
                batch_size=1000,
            )
    except IntegrityError:
        # A second tab or a double tap started the same attempt a moment earlier.
        existing = Attempt.objects.filter(
            assessment=assessment, trainee=trainee, state=AttemptState.IN_PROGRESS
        ).first()
        if existing is None:
            raise
        return existing
    return attempt


def _parse_responses(
    responses: Mapping[Any, Any], answers: dict[int, Answer]
) -> tuple[dict[int, Any], list[str]]:
    """Responses by slot number, and every problem with them."""
    parsed: dict[int, Any] = {}
    problems: list[str] = []
    for key, response in responses.items():
        try:
            slot = int(key)
        except (TypeError, ValueError):
            problems.append(_("Unknown question %(slot)s.") % {"slot": key})
            continue
        answer = answers.get(slot)
        if answer is None:
            problems.append(_("Unknown question %(slot)s.") % {"slot": key})
            continue
        instrument = instrument_types.get(answer.section.instrument)
        if not instrument.answered_by_trainee:
            problems.append(
                _("Question %(slot)d is filled in by an assessor.") % {"slot": slot}
            )
            continue
        for problem in instrument.response_problems(
            version=answer.question_version, response=response
        ):
            problems.append(
                _("Question %(slot)d: %(problem)s") % {"slot": slot, "problem": problem}
            )
        parsed[slot] = response
    return parsed, problems


def _locked(attempt: Attempt, trainee: User) -> Attempt:
    try:
        return (
            Attempt.objects.select_for_update(of=("self",))
            .select_related("assessment")
            .get(pk=attempt.pk, trainee=trainee)
        )
    except Attempt.DoesNotExist:
        raise ValidationError([_("This attempt is not yours.")]) from None


def _answers(attempt: Attempt) -> dict[int, Answer]:
    return {
        a.slot: a for a in attempt.answers.select_related("question_version", "section")
    }


def _is_late(attempt: Attempt, now: datetime) -> bool:
    if attempt.deadline_at is None:
        return False
    grace = timedelta(seconds=attempt.assessment.grace_seconds)
    return now > attempt.deadline_at + grace


def answers_save(
    *,
    attempt: Attempt,
    trainee: User,
    responses: Mapping[Any, Any],
    now: datetime | None = None,
) -> Attempt:
    """Autosave answers of an open attempt.

    After the deadline and its grace the answers are kept in `LateAnswer` (never
    graded) and the attempt is closed with the answers saved in time.
    """
    now = _now(now)
    with transaction.atomic():
        attempt = _locked(attempt, trainee)
        if not attempt.is_open:
            raise AttemptClosed(attempt)
        answers = _answers(attempt)
        parsed, problems = _parse_responses(responses, answers)
        if problems:
            raise ValidationError(problems)
        if _is_late(attempt, now):
            _keep_late(attempt, parsed, now)
            _finalise(attempt, answers, now=now, by=FinalisedBy.DEADLINE, key="")
            return attempt
        changed = []
        for slot, response in parsed.items():
            answer = answers[slot]
            answer.response = response
            answer.saved_at = now
            changed.append(answer)
        Answer.objects.bulk_update(changed, ["response", "saved_at"], batch_size=1000)
    return attempt


def answer_file_add(
    *,
    attempt: Attempt,
    trainee: User,
    slot: int,
    upload: UploadedFile,
    now: datetime | None = None,
) -> AnswerFile:
    """Attach an uploaded file to an assignment slot of an open attempt.

    The file is checked against the section's rules (type read from the content,
    size, number of files) and refused with every reason at once. A file arriving
    after the deadline and its grace is not stored: its name, size and checksum
    are kept apart as a late answer and the attempt closes with what was saved in
    time (`AttemptClosed` is raised after that is committed).
    """
    now = _now(now)
    with transaction.atomic():
        attempt = _locked(attempt, trainee)
        if not attempt.is_open:
            raise AttemptClosed(attempt)
        answers = _answers(attempt)
        answer = answers.get(slot)
        if (
            answer is None
            or not instrument_types.get(answer.section.instrument).accepts_files
        ):
            raise ValidationError(
                [_("Question %(slot)d does not take files.") % {"slot": slot}]
            )
        late = _is_late(attempt, now)
        if not late:
            rules = uploads.rules_for(answer.section)
            problems = uploads.file_problems(upload, rules)
            if answer.files.count() >= rules.max_files:
                problems.append(
                    _("At most %(count)d files may be attached to question %(slot)d.")
                    % {"count": rules.max_files, "slot": slot}
                )
            if problems:
                raise ValidationError(problems)
            return AnswerFile.objects.create(
                answer=answer,
                file=upload,
                original_name=(upload.name or "")[:255],
                size=upload.size,
                sha256=uploads.sha256_of(upload),
                content_type=uploads.content_type_of(upload),
            )
        late_file = {
            "file": (upload.name or "")[:255],
            "size": upload.size,
            "sha256": uploads.sha256_of(upload),
        }
        _keep_late(attempt, {slot: late_file}, now)
        _finalise(attempt, answers, now=now, by=FinalisedBy.DEADLINE, key="")
    raise AttemptClosed(attempt)


def answer_file_remove(*, attempt: Attempt, trainee: User, file_id: int) -> None:
    """Take a file off an open attempt (the stored copy goes once committed)."""
    with transaction.atomic():
        attempt = _locked(attempt, trainee)
        if not attempt.is_open:
            raise AttemptClosed(attempt)
        found = AnswerFile.objects.filter(pk=file_id, answer__attempt=attempt).first()
        if found is None:
            raise ValidationError([_("This file is not part of the attempt.")])
        storage, name = found.file.storage, found.file.name
        found.delete()
        transaction.on_commit(lambda: storage.delete(name))


def _keep_late(attempt: Attempt, parsed: dict[int, Any], now: datetime) -> None:
    LateAnswer.objects.bulk_create(
        [
            LateAnswer(attempt=attempt, slot=slot, response=response, received_at=now)
            for slot, response in parsed.items()
        ],
        batch_size=1000,
    )


def _finalise(
    attempt: Attempt,
    answers: dict[int, Answer],
    *,
    now: datetime,
    by: str,
    key: str,
) -> None:
    """Score every slot the machine can, open submissions for the rest, grade."""
    manual: list[Answer] = []
    for answer in answers.values():
        instrument = instrument_types.get(answer.section.instrument)
        version: QuestionVersion | None = answer.question_version
        fraction = instrument.auto_fraction(
            answer=answer, version=version, attempt=attempt
        )
        if fraction is None:
            answer.needs_marking = True
            manual.append(answer)
        else:
            answer.fraction = fraction
            answer.score = fraction_score(fraction, answer.points)
    Answer.objects.bulk_update(
        list(answers.values()), ["fraction", "score", "needs_marking"], batch_size=1000
    )
    attempt.state = AttemptState.SUBMITTED
    attempt.submitted_at = now
    attempt.finalised_by = by
    attempt.submit_key = key
    if manual:
        Submission.objects.bulk_create(
            [
                Submission(
                    answer=answer,
                    attempt=attempt,
                    assessment_id=attempt.assessment_id,
                    centre_id=attempt.assessment.centre_id,
                    context=attempt.context,
                    points=answer.points,
                    submitted_at=now,
                )
                for answer in manual
            ],
            batch_size=1000,
        )
        attempt.save(
            update_fields=["state", "submitted_at", "finalised_by", "submit_key"]
        )
    else:
        attempt_grade(attempt=attempt, answers=list(answers.values()), now=now)


def attempt_submit(
    *,
    attempt: Attempt,
    trainee: User,
    idempotency_key: str,
    responses: Mapping[Any, Any] | None = None,
    now: datetime | None = None,
) -> Attempt:
    """Submit an attempt once; a repeat (same attempt or same key) returns the result.

    Answers sent with the submit are saved first if they arrive in time; after the
    deadline and its grace they are kept apart and the attempt is graded on the
    answers saved in time. Grading of machine-marked slots happens in the same
    transaction; slots a person marks open grading submissions.
    """
    now = _now(now)
    key = (idempotency_key or "").strip()[:100]
    if not key:
        raise ValidationError([_("An Idempotency-Key is required to submit.")])
    try:
        with transaction.atomic():
            attempt = _locked(attempt, trainee)
            if not attempt.is_open:
                return attempt
            answers = _answers(attempt)
            parsed, problems = _parse_responses(responses or {}, answers)
            if problems:
                raise ValidationError(problems)
            if _is_late(attempt, now):
                _keep_late(attempt, parsed, now)
                by = FinalisedBy.DEADLINE
            else:
                for slot, response in parsed.items():
                    answers[slot].response = response
                    answers[slot].saved_at = now
                if parsed:
                    Answer.objects.bulk_update(
                        [answers[slot] for slot in parsed],
                        ["response", "saved_at"],
                        batch_size=1000,
                    )
                by = FinalisedBy.TRAINEE
            _finalise(attempt, answers, now=now, by=by, key=key)
    except IntegrityError:
        # The key was already used for another attempt of this trainee.
        raise SubmitKeyReused(key) from None
    return attempt


def attempts_close_overdue(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Close open attempts past their deadline and grace with what was saved in time.

    Run by the operator's scheduler through `close_overdue_attempts`, so a trainee
    who walks away still gets a result (an overdue attempt is also closed the
    moment its trainee saves or submits again).
    """
    now = _now(now)
    closed = 0
    candidates = (
        Attempt.objects.filter(
            state=AttemptState.IN_PROGRESS, deadline_at__isnull=False
        )
        .filter(deadline_at__lt=now)
        .select_related("assessment", "trainee")
        .order_by("deadline_at")[:limit]
    )
    for candidate in candidates:
        if not _is_late(candidate, now):
            continue
        with transaction.atomic():
            attempt = _locked(candidate, candidate.trainee)
            if not attempt.is_open:
                continue
            _finalise(
                attempt,
                _answers(attempt),
                now=now,
                by=FinalisedBy.DEADLINE,
                key="",
            )
            closed += 1
    return closed
