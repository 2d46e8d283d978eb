"""Reads of the H5P engine that depend on who asks."""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import (
    Avg,
    CharField,
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.http import Http404

from assessments.models import AttemptState, Section
from courses.h5p.models import GradingMethod, H5PAttempt, H5PContent, H5PUserData
from courses.instruments import H5P_INSTRUMENT
from courses.models import Enrolment, EnrolmentState
from lms.models import Membership, Role


def content_list_for_player(
    *, user: Any, via_assessment: bool = False
) -> QuerySet[H5PContent]:
    """Contents a person may play and post results to (none for anonymous).

    The common ways in: a trainee plays what a current module of a course they
    are enrolled in (active or completed) embeds; the content's centre's
    trainers and admins and the central admin play anything of theirs. With
    `via_assessment`, the one rarer way in instead: the H5P activity of an
    assessment attempt the person has open. Kept apart because its JSON cast
    makes the common case's query slower.
    """
    contents = H5PContent.objects.select_related("main_library")
    if not user.is_authenticated:
        return contents.none()
    if user.is_superuser:
        return contents
    if via_assessment:
        return contents.filter(
            Exists(
                Section.objects.filter(
                    instrument=H5P_INSTRUMENT,
                    assessment__attempts__trainee=user,
                    assessment__attempts__state=AttemptState.IN_PROGRESS,
                )
                .annotate(h5p_content=Cast(KT("config__h5p_content"), IntegerField()))
                .filter(h5p_content=OuterRef("pk"))
            )
        )
    staff = Membership.objects.active().filter(user=user)
    return contents.filter(
        Exists(
            Enrolment.objects.filter(
                trainee=user,
                state__in=[EnrolmentState.ACTIVE, EnrolmentState.COMPLETED],
                course__modules__is_active=True,
                course__modules__h5p_contents=OuterRef("pk"),
            )
        )
        | Exists(
            staff.filter(
                organisation=OuterRef("centre_id"),
                role__in=[Role.TRAINER, Role.CENTRE_ADMIN],
            )
        )
        | Exists(staff.filter(role=Role.CENTRAL_ADMIN))
    )


def content_get_for_player(*, user: Any, content_uuid: Any) -> H5PContent:
    """The content a person may play and post results to (404 otherwise).

    See `content_list_for_player` for who may. One query, whatever the data (a
    second, for the rarer way in, only when the first finds nothing).
    """
    if not user.is_authenticated:
        raise Http404
    content = (
        content_list_for_player(user=user).filter(uuid=content_uuid).first()
        or content_list_for_player(user=user, via_assessment=True)
        .filter(uuid=content_uuid)
        .first()
    )
    if content is None:
        raise Http404
    return content


def content_get_for_intake(*, content_uuid: Any) -> H5PContent:
    """A content's facts that never change after import, for the xAPI intake.

    Who may post is NOT decided here: the intake folds that check into its
    insert (`services.xapi_statement_record(check_access=True)`), so it is
    always as fresh as the database. What this returns is only what re-scoring
    reads: id, uuid, main library and `params` (content.json), all fixed at
    import (a new version of a package is a new content). Kept per process so
    a statement costs no content query and content.json is parsed once; a
    deleted content stays cached harmlessly, since the insert's access check
    reads its row. Do not read fields staff may edit (title, grading method,
    pass mark, criteria) from the returned object. 404 for an unknown id.
    """
    return _intake_content(str(content_uuid))


@functools.lru_cache(maxsize=256)
def _intake_content(content_uuid: str) -> H5PContent:
    # An unknown id raises, and exceptions are not cached: a miss is never kept.
    content = (
        H5PContent.objects.select_related("main_library")
        .filter(uuid=content_uuid)
        .first()
    )
    if content is None:
        raise Http404
    return content


def content_list_for_staff(*, user: Any) -> QuerySet[H5PContent]:
    """Contents of the centres the person works for (all, for the central admin)."""
    contents = H5PContent.objects.select_related("centre", "main_library")
    if user.is_superuser:
        return contents
    return contents.filter(
        centre__memberships__user=user,
        centre__memberships__role__in=["trainer", "centre_admin"],
        centre__memberships__revoked_at__isnull=True,
    ).distinct()


def user_data_list(*, user: Any, content: H5PContent) -> QuerySet[H5PUserData]:
    """The person's saved states for one content (for preloading the player)."""
    return H5PUserData.objects.filter(user=user, content=content, preload=True)


def attempt_result(*, user: Any, content: H5PContent) -> dict[str, Any] | None:
    """The person's result under the content's grading method (one or two queries).

    Returns raw/max of the chosen attempt (average: the mean of raw over the
    mean of max), whether every counted attempt was server-verified, and the count.
    """
    attempts = H5PAttempt.objects.filter(user=user, content=content)
    method = content.grading_method
    if method == GradingMethod.AVERAGE:
        row = attempts.aggregate(
            raw=Avg("raw"),
            max=Avg("max"),
            count=Count("pk"),
            unverified=Count("pk", filter=Q(verified=False)),
        )
        if not row["count"]:
            return None
        return {
            "raw": row["raw"],
            "max": row["max"],
            "count": row["count"],
            "verified": row["unverified"] == 0,
        }
    order = {
        GradingMethod.HIGHEST: ["-raw", "-finished_at"],
        GradingMethod.LAST: ["-finished_at", "-pk"],
        GradingMethod.FIRST: ["finished_at", "pk"],
    }[method]
    chosen = attempts.order_by(*order).values("raw", "max", "verified").first()
    if chosen is None:
        return None
    return {**chosen, "count": attempts.count()}


def content_get_for_staff(*, user: Any, content_uuid: Any) -> H5PContent:
    """A content of the person's own centre (404 for any other centre's)."""
    content = content_list_for_staff(user=user).filter(uuid=content_uuid).first()
    if content is None:
        raise Http404
    return content


def attempt_summary_for_content(*, content: H5PContent) -> QuerySet:
    """Per trainee: attempts, best score, verified and flagged counts (one query).

    Rows carry the trainee's name and e-mail (trainers know their trainees) but
    never the NIK.
    """
    return (
        H5PAttempt.objects.filter(content=content)
        .values("user_id", "user__full_name", "user__email")
        .annotate(
            attempts=Count("pk"),
            best_raw=Max("raw"),
            max=Max("max"),
            verified=Count("pk", filter=Q(verified=True)),
            flagged=Count("pk", filter=Q(flagged=True)),
            last_at=Max("finished_at"),
        )
        .order_by("user__full_name", "user_id")
    )


def centre_list_for_uploader(*, user: Any) -> QuerySet:
    """Centres the person may add H5P content to (their own; all for the centre admin
    of Kemensos, i.e. a superuser)."""
    from lms.models import Organisation

    centres = Organisation.objects.centres().order_by("code")
    if user.is_superuser:
        return centres
    return centres.filter(
        memberships__user=user,
        memberships__role__in=["trainer", "centre_admin"],
        memberships__revoked_at__isnull=True,
    ).distinct()


def _pages_using(content_type: Any, page_type: Any) -> Subquery:
    # Wagtail's reference index keys the target by its primary key as text.
    from wagtail.models import ReferenceIndex

    return Subquery(
        ReferenceIndex.objects.filter(
            to_content_type=content_type,
            to_object_id=Cast(OuterRef("pk"), CharField()),
            base_content_type=page_type,
        )
        .order_by()
        .values("to_object_id")
        .annotate(n=Count("object_id", distinct=True))
        .values("n"),
        output_field=IntegerField(),
    )


def _assessments_using() -> Subquery:
    return Subquery(
        Section.objects.filter(instrument=H5P_INSTRUMENT)
        .annotate(h5p_content=Cast(KT("config__h5p_content"), IntegerField()))
        .filter(h5p_content=OuterRef("pk"))
        .order_by()
        .values("h5p_content")
        .annotate(n=Count("assessment_id", distinct=True))
        .values("n"),
        output_field=IntegerField(),
    )


def content_list_for_admin(*, user: Any) -> QuerySet[H5PContent]:
    """The Wagtail admin's H5P listing: the person's centres' contents (all of
    them for the central admin), each with how many pages embed it and how many
    assessments play it, in one query whatever the number of contents.

    `content_list_for_staff` scopes by centre; the central admin here is anyone
    `lms` counts as one (a superuser or the central-admin role), matching the
    admin screens' permission policy.
    """
    from django.contrib.contenttypes.models import ContentType
    from wagtail.models import Page

    from lms.selectors import user_is_central_admin

    contents = (
        H5PContent.objects.select_related("centre", "main_library")
        if user_is_central_admin(user)
        else content_list_for_staff(user=user)
    )
    return contents.annotate(
        pages_count=Coalesce(
            _pages_using(
                ContentType.objects.get_for_model(H5PContent),
                ContentType.objects.get_for_model(Page),
            ),
            0,
        ),
        assessments_count=Coalesce(_assessments_using(), 0),
    ).order_by("-created_at", "-pk")
