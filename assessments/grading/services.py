"""Writes of the grading workflow: allocate, assign, claim, mark, release, appeal.

Two graders saving the same submission at once: each save names the version it
started from, and the save is an `UPDATE … WHERE version = expected`. The second
one finds the version moved on and gets `MarkConflict` (HTTP 409), never an
overwrite. Every save is a new `Mark` row, so nothing a marker wrote is lost.

Double marking (`assessment.double_marking`): the first marker's completed mark
hands the submission on to a second, different grader (who does not see the
first mark). When the two differ by no more than `assessment.marking_threshold`
percent of the points, the agreed mark is their mean; otherwise a third grader
marks and that mark decides. Only then is the answer's mark final
(`assessments.results.answer_mark_final`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assessments.grading.models import (
    CLAIM_TIMEOUT,
    FINAL_STATES,
    OPEN_STATES,
    Allocation,
    Appeal,
    AppealState,
    FeedbackFile,
    Mark,
    MarkerAssignment,
    MarkerRole,
    MarkLevel,
    Submission,
    SubmissionState,
)
from assessments.models import Attempt, AttemptOverride, AttemptState, RubricLevel
from assessments.results import (
    answer_mark_final,
    appeal_closes_at,
    attempt_override,
)
from lms.models import Membership, Organisation, OrganisationKind, Role, User

CENTS = Decimal("0.01")
FEEDBACK_FILE_MAX_BYTES = 20 * 1024 * 1024
NEXT_ROLE = {MarkerRole.FIRST: MarkerRole.SECOND, MarkerRole.SECOND: MarkerRole.THIRD}


class MarkConflict(Exception):
    """The submission changed since the marker loaded it (stale version), or
    another grader holds it."""


def _active_graders(university: Organisation) -> list[int]:
    return list(
        Membership.objects.active()
        .filter(organisation=university, role=Role.GRADER)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _is_grader_of(user: User, university_id: int | None) -> bool:
    return (
        university_id is not None
        and Membership.objects.active()
        .filter(user=user, organisation_id=university_id, role=Role.GRADER)
        .exists()
    )


# Allocation ---------------------------------------------------------------------


@transaction.atomic
def submissions_allocate(
    *,
    submissions: Iterable[Submission],
    university: Organisation,
    allocated_by: User | None = None,
) -> int:
    """Allocate unmarked submissions (a manual list) to a university's graders.

    A submission already being marked keeps its university; re-allocating an
    unmarked one drops its marker assignments (they belonged to the old one).
    """
    if university.kind != OrganisationKind.UNIVERSITY:
        raise ValidationError([_("Submissions can only go to a university.")])
    ids = list(
        Submission.objects.filter(
            pk__in=[s.pk for s in submissions], state=SubmissionState.UNMARKED
        ).values_list("pk", flat=True)
    )
    MarkerAssignment.objects.filter(submission_id__in=ids).exclude(
        submission__university=university
    ).delete()
    count = Submission.objects.filter(pk__in=ids).update(
        university=university, claimed_by=None, claimed_at=None
    )
    Allocation.objects.bulk_create(
        [
            Allocation(
                submission_id=pk,
                university=university,
                method=Allocation.Method.MANUAL,
                allocated_by=allocated_by,
            )
            for pk in ids
        ],
        batch_size=1000,
    )
    return count


@dataclass(frozen=True)
class AllocationResult:
    per_university: dict[int, int]
    per_grader: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.per_university.values())


@transaction.atomic
def submissions_allocate_balanced(
    *,
    universities: Sequence[Organisation],
    allocated_by: User | None = None,
    centre: Organisation | None = None,
    context: str = "",
    assessment_id: int | None = None,
    assign_graders: bool = True,
) -> AllocationResult:
    """Share the unallocated submissions matching the filters across universities.

    Balanced by open workload per grader: each submission goes to the university
    with the fewest open submissions per active grader (counting what it already
    holds), and within it, to the grader with the fewest first-marker
    assignments. Submissions of one context and assessment are handed out in
    submission order, so a cohort's scripts spread evenly.
    """
    problems: list[str] = []
    if not universities:
        problems.append(_("Choose at least one university."))
    graders: dict[int, list[int]] = {}
    for university in universities:
        if university.kind != OrganisationKind.UNIVERSITY:
            problems.append(
                _("%(name)s is not a university.") % {"name": university.name}
            )
            continue
        graders[university.pk] = _active_graders(university)
        if not graders[university.pk]:
            problems.append(
                _("%(name)s has no active graders.") % {"name": university.name}
            )
    if problems:
        raise ValidationError(problems)

    pending = Submission.objects.filter(
        university__isnull=True, state=SubmissionState.UNMARKED
    )
    if centre is not None:
        pending = pending.filter(centre=centre)
    if context:
        pending = pending.filter(context=context)
    if assessment_id:
        pending = pending.filter(assessment_id=assessment_id)
    ids = list(
        pending.order_by("context", "assessment_id", "submitted_at", "pk").values_list(
            "pk", flat=True
        )
    )
    load = dict(
        Submission.objects.filter(university__in=list(graders), state__in=OPEN_STATES)
        .values_list("university")
        .annotate(n=Count("pk"))
    )
    grader_load = dict(
        MarkerAssignment.objects.filter(
            grader_id__in=[g for gs in graders.values() for g in gs],
            role=MarkerRole.FIRST,
            submission__state__in=OPEN_STATES,
        )
        .values_list("grader")
        .annotate(n=Count("pk"))
    )
    chosen: dict[int, list[int]] = defaultdict(list)
    assignments: list[MarkerAssignment] = []
    per_grader: dict[int, int] = defaultdict(int)
    for pk in ids:
        university_id = min(
            graders,
            key=lambda u: ((load.get(u, 0) + 1) / len(graders[u]), u),
        )
        load[university_id] = load.get(university_id, 0) + 1
        chosen[university_id].append(pk)
        if assign_graders:
            grader_id = min(
                graders[university_id], key=lambda g: (grader_load.get(g, 0), g)
            )
            grader_load[grader_id] = grader_load.get(grader_id, 0) + 1
            per_grader[grader_id] += 1
            assignments.append(
                MarkerAssignment(
                    submission_id=pk,
                    grader_id=grader_id,
                    role=MarkerRole.FIRST,
                    assigned_by=allocated_by,
                )
            )
    for university_id, pks in chosen.items():
        for start in range(0, len(pks), 1000):
            Submission.objects.filter(pk__in=pks[start : start + 1000]).update(
                university_id=university_id
            )
    Allocation.objects.bulk_create(
        [
            Allocation(
                submission_id=pk,
                university_id=university_id,
                method=Allocation.Method.AUTOMATIC,
                allocated_by=allocated_by,
            )
            for university_id, pks in chosen.items()
            for pk in pks
        ],
        batch_size=1000,
    )
    MarkerAssignment.objects.bulk_create(assignments, batch_size=1000)
    return AllocationResult(
        per_university={u: len(p) for u, p in chosen.items()},
        per_grader=dict(per_grader),
    )


@transaction.atomic
def marker_assign(
    *,
    submission: Submission,
    grader: User,
    role: str = MarkerRole.FIRST,
    assigned_by: User | None = None,
) -> MarkerAssignment:
    """Name the grader who gives a submission's first, second or third mark."""
    problems: list[str] = []
    if role not in MarkerRole.values:
        problems.append(_("Unknown marker role."))
    if not _is_grader_of(grader, submission.university_id):
        problems.append(
            _("The grader must be an active grader of the allocated university.")
        )
    earlier = set(
        Mark.objects.filter(submission=submission, final=True)
        .exclude(role=role)
        .values_list("marker_id", flat=True)
    ) | set(
        MarkerAssignment.objects.filter(submission=submission)
        .exclude(role=role)
        .values_list("grader_id", flat=True)
    )
    if grader.pk in earlier:
        problems.append(_("Each mark of a submission needs a different grader."))
    if submission.state not in OPEN_STATES:
        problems.append(_("This submission is no longer being marked."))
    if problems:
        raise ValidationError(problems)
    assignment, _created = MarkerAssignment.objects.update_or_create(
        submission=submission,
        role=role,
        defaults={"grader": grader, "assigned_by": assigned_by},
    )
    return assignment


# Claim and mark -------------------------------------------------------------------


def _claim_problems(submission: Submission, grader: User) -> list[str]:
    """Why this grader may not take the submission's current mark (empty if fine)."""
    problems: list[str] = []
    if submission.state not in OPEN_STATES:
        problems.append(_("This submission is no longer being marked."))
        return problems
    assigned = (
        MarkerAssignment.objects.filter(
            submission=submission, role=submission.marking_role
        )
        .values_list("grader_id", flat=True)
        .first()
    )
    if assigned is not None and assigned != grader.pk:
        problems.append(_("This submission is assigned to another grader."))
    if (
        Mark.objects.filter(submission=submission, marker=grader, final=True)
        .exclude(role=submission.marking_role)
        .exists()
    ):
        problems.append(
            _("You have already marked this submission; another grader must mark it.")
        )
    return problems


@transaction.atomic
def submission_claim(*, submission: Submission, grader: User) -> Submission:
    """Take a submission for marking; refused while another grader holds it.

    A claim lasts `CLAIM_TIMEOUT`; after that another grader may take it over.
    """
    problems = _claim_problems(submission, grader)
    if problems:
        raise MarkConflict(" ".join(problems))
    now = timezone.now()
    taken = Submission.objects.filter(
        Q(claimed_by__isnull=True)
        | Q(claimed_by=grader)
        | Q(claimed_at__lt=now - CLAIM_TIMEOUT),
        pk=submission.pk,
        state__in=OPEN_STATES,
    ).update(
        claimed_by=grader,
        claimed_at=now,
        state=SubmissionState.IN_MARKING,
        version=F("version") + 1,
    )
    if not taken:
        raise MarkConflict(_("Another grader is marking this submission."))
    submission.refresh_from_db()
    return submission


@transaction.atomic
def submission_unclaim(*, submission: Submission, grader: User) -> Submission:
    """Give a claimed submission back to the queue (drafts are kept)."""
    Submission.objects.filter(pk=submission.pk, claimed_by=grader).update(
        claimed_by=None, claimed_at=None, version=F("version") + 1
    )
    submission.refresh_from_db()
    return submission


def _rubric_score(
    submission: Submission, levels: Mapping[Any, Any], *, complete: bool
) -> tuple[Decimal, list[tuple[int, RubricLevel]], list[str]]:
    """The rubric score of the chosen levels (one per criterion, summed, clamped)."""
    rubric = submission.rubric
    if rubric is None:
        return Decimal(0), [], [_("This submission has no rubric; give a score.")]
    chosen: list[tuple[int, RubricLevel]] = []
    problems: list[str] = []
    total = Decimal(0)
    available = {
        level.pk: level
        for level in RubricLevel.objects.filter(criterion__rubric=rubric)
    }
    for criterion in rubric.criteria.all():
        raw = levels.get(str(criterion.pk), levels.get(criterion.pk))
        level = available.get(int(raw)) if str(raw or "").isdigit() else None
        if level is None or level.criterion_id != criterion.pk:
            if complete or raw not in (None, ""):
                problems.append(
                    _("Choose a level for %(criterion)s.")
                    % {"criterion": criterion.title}
                )
            continue
        chosen.append((criterion.pk, level))
        total += level.points
    return min(total, submission.points), chosen, problems


def _score_value(score: Any, points: Decimal, problems: list[str]) -> Decimal:
    try:
        value = Decimal(str(score).strip().replace(",", ".")).quantize(CENTS)
    except (InvalidOperation, ValueError):
        problems.append(_("The score must be a number."))
        return Decimal(0)
    if value < 0 or value > points:
        problems.append(
            _("The score must be between 0 and %(points)s.") % {"points": points}
        )
    return value


def _agreed(first: Decimal, second: Decimal) -> Decimal:
    return ((first + second) / 2).quantize(CENTS, ROUND_HALF_UP)


def _final_marks(submission: Submission) -> dict[str, Decimal]:
    """Each role's completed score (the newest completed mark of each role)."""
    scores: dict[str, Decimal] = {}
    for role, score in (
        Mark.objects.filter(submission=submission, final=True)
        .order_by("version")
        .values_list("role", "score")
    ):
        scores[role] = score
    return scores


def _settle(submission: Submission, role: str, value: Decimal) -> tuple[str, str, Any]:
    """After a completed mark: (next state, next marker role, final score or None)."""
    assessment = submission.assessment
    if not assessment.double_marking:
        return SubmissionState.MARKED, role, value
    # Waiting for the next marker: still in marking, but free to claim.
    if role == MarkerRole.FIRST:
        return SubmissionState.IN_MARKING, MarkerRole.SECOND, None
    if role == MarkerRole.SECOND:
        first = _final_marks(submission).get(MarkerRole.FIRST, value)
        allowed = submission.points * assessment.marking_threshold / 100
        if abs(first - value) > allowed:
            return SubmissionState.IN_MARKING, MarkerRole.THIRD, None
        return SubmissionState.MODERATED, role, _agreed(first, value)
    # The third marker decides.
    return SubmissionState.MODERATED, role, value


@transaction.atomic
def mark_save(
    *,
    submission: Submission,
    grader: User,
    expected_version: int,
    score: Any = None,
    levels: Mapping[Any, Any] | None = None,
    feedback: str = "",
    final: bool = False,
    upload: UploadedFile | None = None,
) -> Mark:
    """Save a draft or complete a mark against the version the grader loaded.

    `upload`, when given, is attached as a feedback file in the same transaction
    (so a conflicting save attaches nothing).

    With rubric levels the score is the sum of the chosen levels' points (capped at
    the submission's points; completing needs one level per criterion); without
    them the grader gives the score. Completing hands the submission to the next
    marker, or settles it and records the answer's final mark.
    """
    submission = Submission.objects.select_related("assessment").get(pk=submission.pk)
    if submission.claimed_by_id not in (None, grader.pk) and not (
        submission.claimed_at and submission.claimed_at < timezone.now() - CLAIM_TIMEOUT
    ):
        raise MarkConflict(_("Another grader is marking this submission."))
    problems: list[str] = []
    chosen: list[tuple[int, RubricLevel]] = []
    has_levels = bool(levels) and any(v not in (None, "") for v in levels.values())
    if has_levels:
        value, chosen, problems = _rubric_score(submission, levels, complete=final)
    elif score in (None, ""):
        value = Decimal(0)
        problems.append(_("Give a score or choose rubric levels."))
    else:
        value = _score_value(score, submission.points, problems)
    if submission.claimed_by_id != grader.pk:
        problems.append(_("Claim the submission before marking it."))
    if upload is not None and submission.claimed_by_id == grader.pk:
        problems.extend(_upload_problems(upload))
    if problems:
        raise ValidationError(problems)
    role = submission.marking_role
    if final:
        state, next_role, final_score = _settle(submission, role, value)
    else:
        state, next_role, final_score = SubmissionState.IN_MARKING, role, None
    release_claim = {"claimed_by": None, "claimed_at": None} if final else {}
    moved = Submission.objects.filter(
        pk=submission.pk,
        version=expected_version,
        claimed_by=grader,
        state=SubmissionState.IN_MARKING,
    ).update(
        version=F("version") + 1,
        state=state,
        marking_role=next_role,
        final_score=final_score,
        **release_claim,
    )
    if not moved:
        raise MarkConflict(
            _("Someone saved this submission after you opened it; reload it.")
        )
    mark = Mark.objects.create(
        submission=submission,
        marker=grader,
        role=role,
        score=value,
        feedback=(feedback or "").strip(),
        final=final,
        version=expected_version + 1,
    )
    MarkLevel.objects.bulk_create(
        [
            MarkLevel(
                mark=mark,
                rubric_criterion_id=criterion_id,
                level=level,
                points=level.points,
            )
            for criterion_id, level in chosen
        ]
    )
    if upload is not None:
        _feedback_file_create(submission=submission, grader=grader, upload=upload)
    if final_score is not None:
        answer_mark_final(answer=submission.answer, score=final_score)
    return mark


def mark_complete(
    *,
    submission: Submission,
    grader: User,
    expected_version: int,
    score: Any = None,
    levels: Mapping[Any, Any] | None = None,
    feedback: str = "",
) -> Mark:
    """Complete a mark (`mark_save(final=True)`)."""
    return mark_save(
        submission=submission,
        grader=grader,
        expected_version=expected_version,
        score=score,
        levels=levels,
        feedback=feedback,
        final=True,
    )


@transaction.atomic
def feedback_file_add(
    *, submission: Submission, grader: User, upload: UploadedFile
) -> FeedbackFile:
    """Attach a feedback file from the marker who holds the submission."""
    problems: list[str] = []
    if submission.claimed_by_id != grader.pk:
        problems.append(_("Claim the submission before adding feedback."))
    problems.extend(_upload_problems(upload))
    if problems:
        raise ValidationError(problems)
    return _feedback_file_create(submission=submission, grader=grader, upload=upload)


def _upload_problems(upload: UploadedFile) -> list[str]:
    if not upload.size:
        return [_("The file is empty.")]
    if upload.size > FEEDBACK_FILE_MAX_BYTES:
        return [_("The file is larger than 20 MB.")]
    return []


def _feedback_file_create(
    *, submission: Submission, grader: User, upload: UploadedFile
) -> FeedbackFile:
    return FeedbackFile.objects.create(
        submission=submission,
        uploaded_by=grader,
        file=upload,
        original_name=(upload.name or "")[:255],
        size=upload.size,
        content_type=(upload.content_type or "application/octet-stream")[:100],
    )


# Offline marking (import of an exported sheet) ---------------------------------------


@dataclass(frozen=True)
class MarkRow:
    """One parsed row of a marks sheet (line number as the grader sees it)."""

    line: int
    candidate_code: str
    version: str
    score: str
    feedback: str
    complete: str


def marks_import(
    *, grader: User, rows: Sequence[MarkRow], visible: Mapping[str, Submission]
) -> int:
    """Apply a marks sheet: every row checked first, then all saved, or none.

    `visible` maps candidate codes to the grader's submissions (from
    `selectors.submission_list_for_grader`). Each row's `version` must still be
    the submission's version, so a sheet exported before someone else's save is
    refused for that row instead of overwriting it. Raises `ValidationError`
    with one message per problem, each naming its line.
    """
    problems: list[str] = []
    seen: set[str] = set()
    plan: list[tuple[Submission, int, Decimal, str, bool]] = []
    for row in rows:
        where = _("Line %(line)s") % {"line": row.line}
        code = row.candidate_code.strip()
        submission = visible.get(code)
        if submission is None:
            problems.append(
                _("%(where)s: unknown candidate code %(code)s.")
                % {"where": where, "code": code}
            )
            continue
        if code in seen:
            problems.append(
                _("%(where)s: %(code)s appears twice.") % {"where": where, "code": code}
            )
            continue
        seen.add(code)
        if not row.score.strip():
            continue  # not marked offline: left as it is
        row_problems: list[str] = []
        value = _score_value(row.score, submission.points, row_problems)
        if not row.version.strip().isdigit() or int(row.version) != submission.version:
            row_problems.append(
                _("the submission changed since the sheet was exported; export again")
            )
        row_problems.extend(_claim_problems(submission, grader))
        now = timezone.now()
        if (
            submission.claimed_by_id not in (None, grader.pk)
            and submission.claimed_at
            and submission.claimed_at >= now - CLAIM_TIMEOUT
        ):
            row_problems.append(_("Another grader is marking this submission."))
        for problem in row_problems:
            problems.append(
                _("%(where)s (%(code)s): %(problem)s")
                % {"where": where, "code": code, "problem": problem}
            )
        complete = row.complete.strip().lower() in {"1", "ya", "yes", "y", "true"}
        plan.append((submission, int(row.version or 0), value, row.feedback, complete))
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        for submission, version, value, feedback, complete in plan:
            if submission.claimed_by_id != grader.pk:
                claimed = Submission.objects.filter(
                    pk=submission.pk, version=version
                ).update(
                    claimed_by=grader,
                    claimed_at=timezone.now(),
                    state=SubmissionState.IN_MARKING,
                    version=F("version") + 1,
                )
                if not claimed:
                    raise MarkConflict(
                        _("%(code)s changed during the import; nothing was saved.")
                        % {"code": submission.candidate_code}
                    )
                version += 1
                submission.claimed_by = grader
            mark_save(
                submission=submission,
                grader=grader,
                expected_version=version,
                score=value,
                feedback=feedback,
                final=complete,
            )
    return len(plan)


# Release, override, appeal ------------------------------------------------------------


def attempts_release(*, attempts: Iterable[Attempt], released_by: User) -> int:
    """Release every graded attempt given; their settled submissions become released.

    Set-based: two UPDATEs per thousand attempts, however many are released.
    """
    ids = [attempt.pk for attempt in attempts if attempt.state == AttemptState.GRADED]
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(ids), 1000):
            chunk = ids[start : start + 1000]
            Attempt.objects.filter(
                pk__in=chunk, state=AttemptState.GRADED, released_at__isnull=True
            ).update(released_at=now)
            Submission.objects.filter(
                attempt_id__in=chunk, state__in=FINAL_STATES
            ).update(state=SubmissionState.RELEASED, released_at=now)
    return len(ids)


def submissions_release(
    *,
    centre: Organisation,
    released_by: User,
    assessment_id: int | None = None,
) -> int:
    """Release, for one centre (and assessment), every attempt whose marking is done.

    An attempt qualifies when it is graded and none of its submissions is still
    open: every one is marked, moderated or already released.
    """
    attempts = Attempt.objects.filter(
        assessment__centre=centre,
        state=AttemptState.GRADED,
        submissions__state__in=FINAL_STATES,
    ).exclude(submissions__state__in=OPEN_STATES)
    if assessment_id:
        attempts = attempts.filter(assessment_id=assessment_id)
    return attempts_release(
        attempts=attempts.select_related("assessment").distinct().order_by("pk"),
        released_by=released_by,
    )


def attempt_score_override(
    *, attempt: Attempt, new_score: Any, reason: str, changed_by: User
) -> AttemptOverride:
    """Change a graded attempt's score with a reason (the original is kept)."""
    return attempt_override(
        attempt=attempt,
        new_score=new_score,
        reason=(reason or "").strip(),
        changed_by=changed_by,
        source="override",
    )


@transaction.atomic
def appeal_open(
    *, attempt: Attempt, trainee: User, reason: str, now: datetime | None = None
) -> Appeal:
    """A trainee appeals (banding) against their released result, within
    `LMS_APPEAL_DAYS` of its release."""
    problems: list[str] = []
    if attempt.trainee_id != trainee.pk:
        problems.append(_("You can only appeal your own result."))
    closes = appeal_closes_at(attempt)
    if closes is None:
        problems.append(_("Only a released result can be appealed."))
    elif (now or timezone.now()) > closes:
        problems.append(
            _(
                "The time to appeal ended on %(date)s, %(days)d days after "
                "the result was released."
            )
            % {
                "date": date_format(timezone.localtime(closes), "DATE_FORMAT"),
                "days": settings.LMS_APPEAL_DAYS,
            }
        )
    if not (reason or "").strip():
        problems.append(_("Give a reason for the appeal."))
    if Appeal.objects.filter(attempt=attempt, state=AppealState.OPEN).exists():
        problems.append(_("This result already has an open appeal."))
    if problems:
        raise ValidationError(problems)
    return Appeal.objects.create(
        attempt=attempt, trainee=trainee, reason=reason.strip()
    )


@transaction.atomic
def appeal_decide(
    *,
    appeal: Appeal,
    reviewer: User,
    upheld: bool,
    outcome: str,
    new_score: Any = None,
) -> Appeal:
    """Decide an open appeal; an upheld one with a new score overrides the attempt."""
    appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
    problems: list[str] = []
    if appeal.state != AppealState.OPEN:
        problems.append(_("This appeal has already been decided."))
    if Mark.objects.filter(
        submission__attempt_id=appeal.attempt_id, marker=reviewer
    ).exists():
        problems.append(
            _("You marked this result; another person must review the appeal.")
        )
    if not (outcome or "").strip():
        problems.append(_("Explain the outcome of the appeal."))
    score = None
    if new_score not in (None, ""):
        if not upheld:
            problems.append(_("Only an upheld appeal changes the score."))
        try:
            score = Decimal(str(new_score).replace(",", ".")).quantize(CENTS)
        except (InvalidOperation, ValueError):
            problems.append(_("The new score must be a number."))
    if problems:
        raise ValidationError(problems)
    attempt = Attempt.objects.get(pk=appeal.attempt_id)
    if upheld and score is not None and score != attempt.score:
        attempt_override(
            attempt=attempt,
            new_score=score,
            reason=outcome.strip(),
            changed_by=reviewer,
            source="appeal",
        )
    appeal.state = AppealState.UPHELD if upheld else AppealState.REJECTED
    appeal.reviewer = reviewer
    appeal.outcome = outcome.strip()
    appeal.new_score = score
    appeal.decided_at = timezone.now()
    appeal.save(
        update_fields=["state", "reviewer", "outcome", "new_score", "decided_at"]
    )
    return appeal
