"""Reads of the grading workflow: one grader queue for every surface, centre views.

Who sees what (decided here, once):

- A grader sees a submission when it is allocated to a university where they are
  an active grader, and its current marker role (first, second, third) is either
  assigned to them or assigned to nobody. A submission assigned to a colleague,
  or allocated elsewhere, answers 404, as does one whose current mark is for
  someone else after they gave theirs (double marking is blind).
- Centre staff (trainer, centre admin) see their centre's submissions, attempts
  and appeals; the central admin sees all.

Graders only ever see a candidate code; nothing here selects the trainee.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from assessments.grading.models import (
    CLAIM_TIMEOUT,
    OPEN_STATES,
    Appeal,
    FeedbackFile,
    Mark,
    MarkerAssignment,
    Submission,
    SubmissionState,
)
from assessments.models import AnswerFile, Attempt
from lms.models import Organisation, OrganisationKind, Role, User
from lms.selectors import centre_ids_for_staff, organisation_ids_for_roles

PAGE_SIZE = 50
SORTS = {
    "oldest": ("submitted_at", "pk"),
    "newest": ("-submitted_at", "-pk"),
    # Grouped by assessment (in creation order), so the index serves it too.
    "assessment": ("assessment_id", "submitted_at", "pk"),
}


def grader_university_ids(user: Any) -> list[int]:
    """The universities where the person is an active grader (cached per request).

    Resolved to literal ids (one small query) rather than a subquery, so the
    database can walk the open-queue index of one university in order and stop
    after a page, instead of sorting the whole backlog.
    """
    cached = getattr(user, "_grading_university_ids", None)
    if cached is None:
        cached = sorted(organisation_ids_for_roles(user, (Role.GRADER,)))
        user._grading_university_ids = cached
    return cached


def _visible_to_grader(user: Any) -> Q:
    assigned_elsewhere = MarkerAssignment.objects.filter(
        submission=OuterRef("pk"), role=OuterRef("marking_role")
    ).exclude(grader=user)
    # Double marking is blind: once a grader has given their mark and the
    # submission waits for another marker, it leaves their view.
    marked_earlier = Mark.objects.filter(
        submission=OuterRef("pk"), marker=user, final=True
    ).exclude(role=OuterRef("marking_role"))
    return (
        Q(university_id__in=grader_university_ids(user))
        & ~Q(Exists(assigned_elsewhere))
        & ~Q(Exists(marked_earlier))
    )


def submission_list_for_grader(
    user: Any,
    *,
    state: str = "open",
    assessment_code: str = "",
    sort: str = "oldest",
) -> QuerySet[Submission]:
    """The grader's queue (one query, whatever the backlog; slice it to page).

    `state` is "open" (unmarked or in marking), "all", or one state's value.
    """
    if not user.is_authenticated:
        return Submission.objects.none()
    submissions = Submission.objects.filter(_visible_to_grader(user)).select_related(
        "assessment"
    )
    if state == "open":
        submissions = submissions.filter(state__in=OPEN_STATES)
    elif state in SubmissionState.values:
        submissions = submissions.filter(state=state)
    if assessment_code:
        submissions = submissions.filter(assessment__code=assessment_code)
    return submissions.order_by(*SORTS.get(sort, SORTS["oldest"]))


@dataclass(frozen=True)
class QueuePage:
    items: list[Submission]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


def queue_page(queryset: QuerySet[Submission], *, page: Any = 1) -> QueuePage:
    """A page of the queue with a cheap "has next" (one row more, no COUNT)."""
    try:
        number = max(int(page), 1)
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * PAGE_SIZE
    rows = list(queryset[start : start + PAGE_SIZE + 1])
    return QueuePage(
        items=rows[:PAGE_SIZE], page=number, has_next=len(rows) > PAGE_SIZE
    )


def submission_get_for_grader(user: Any, candidate_code: str) -> Submission:
    """One submission the grader may see, with its answer (Http404 otherwise)."""
    submission = (
        submission_list_for_grader(user, state="all")
        .select_related(
            "answer__question_version__question__rubric",
            "answer__section__rubric",
        )
        .filter(candidate_code=candidate_code)
        .first()
    )
    if submission is None:
        raise Http404
    return submission


def submission_next_for_grader(user: Any, *, assessment_code: str = "") -> Any:
    """The oldest open submission this grader can claim now (or None)."""
    return (
        submission_list_for_grader(user, assessment_code=assessment_code)
        .filter(
            Q(claimed_by__isnull=True)
            | Q(claimed_by=user)
            | Q(claimed_at__lt=timezone.now() - CLAIM_TIMEOUT)
        )
        .first()
    )


def answer_file_get_for_grader(
    user: Any, candidate_code: str, file_id: int
) -> tuple[Submission, AnswerFile]:
    """A file of a submission's answer, for a grader who may see it (404 otherwise)."""
    submission = submission_get_for_grader(user, candidate_code)
    answer_file = AnswerFile.objects.filter(
        pk=file_id, answer_id=submission.answer_id
    ).first()
    if answer_file is None:
        raise Http404
    return submission, answer_file


def feedback_file_get_for_grader(
    user: Any, candidate_code: str, file_id: int
) -> tuple[Submission, FeedbackFile]:
    submission = submission_get_for_grader(user, candidate_code)
    feedback = FeedbackFile.objects.filter(pk=file_id, submission=submission).first()
    if feedback is None:
        raise Http404
    return submission, feedback


def mark_list_for_grader(user: Any, submission: Submission) -> QuerySet[Mark]:
    """The grader's own marks on a submission, newest first (blind: not others')."""
    return (
        submission.marks.filter(marker=user)
        .prefetch_related("levels")
        .order_by("-version")
    )


def mark_list_for_submission(submission: Submission) -> QuerySet[Mark]:
    return submission.marks.order_by("-version")


def submission_rubric_rows(submission: Submission) -> list[Any]:
    """The rubric's criteria with their levels prefetched (2 queries), or []."""
    rubric = submission.rubric
    if rubric is None:
        return []
    return list(rubric.criteria.prefetch_related("levels"))


# Centre staff ---------------------------------------------------------------------


def centre_list_for_staff(user: Any) -> QuerySet[Organisation]:
    """The centres whose grading a person manages (all for the central admin)."""
    centres = Organisation.objects.filter(kind=OrganisationKind.CENTRE)
    if not user.is_authenticated:
        return centres.none()
    centre_ids = centre_ids_for_staff(user)
    if centre_ids is not None:
        centres = centres.filter(pk__in=centre_ids)
    return centres.order_by("code")


def centre_get_for_staff(user: Any, code: str) -> Organisation:
    centre = centre_list_for_staff(user).filter(code=code).first()
    if centre is None:
        raise Http404
    return centre


def submission_list_for_centre(
    user: Any, *, centre: Organisation | None = None
) -> QuerySet[Submission]:
    """Submissions of the centres the person manages."""
    submissions = Submission.objects.filter(
        centre__in=centre_list_for_staff(user)
    ).select_related("assessment", "university")
    if centre is not None:
        submissions = submissions.filter(centre=centre)
    return submissions


def marking_progress(centre: Organisation) -> list[dict[str, Any]]:
    """Per university (none = not yet allocated): submissions in each state."""
    rows = (
        Submission.objects.filter(centre=centre)
        .values("university__name")
        .annotate(
            total=Count("pk"),
            **{
                value: Count("pk", filter=Q(state=value))
                for value in SubmissionState.values
            },
        )
        .order_by("university__name")
    )
    return list(rows)


def attempt_get_for_centre_staff(user: Any, attempt_uuid: Any) -> Attempt:
    """A graded attempt of a centre the person manages (404 otherwise)."""
    attempt = (
        Attempt.objects.filter(
            uuid=attempt_uuid, assessment__centre__in=centre_list_for_staff(user)
        )
        .select_related("assessment")
        .first()
    )
    if attempt is None:
        raise Http404
    return attempt


def appeal_list_for_centre(
    user: Any, *, centre: Organisation | None = None
) -> QuerySet[Appeal]:
    appeals = Appeal.objects.filter(
        attempt__assessment__centre__in=centre_list_for_staff(user)
    ).select_related("attempt__assessment", "trainee")
    if centre is not None:
        appeals = appeals.filter(attempt__assessment__centre=centre)
    return appeals


def appeal_get_for_centre(user: Any, pk: int) -> Appeal:
    appeal = appeal_list_for_centre(user).filter(pk=pk).first()
    if appeal is None:
        raise Http404
    return appeal


def user_get_by_email(email: str) -> Any:
    """An account by email (for naming a grader), or None."""
    return User.objects.filter(email__iexact=email.strip()).first()


def university_list() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=OrganisationKind.UNIVERSITY).order_by(
        "name"
    )
