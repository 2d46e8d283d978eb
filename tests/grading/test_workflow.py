"""Rubric marking end to end: claim, mark, complete, second/third marker, release."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.grading import services as grading
from assessments.grading.models import (
    Allocation,
    Mark,
    MarkerAssignment,
    MarkerRole,
    Submission,
    SubmissionState,
)
from assessments.models import Answer, Attempt, AttemptState, ReleaseRule
from tests.grading.factories import (
    CENTRE_ADMIN,
    GRADER_A,
    client_for,
    essay_submission,
    grader_make,
    levels_for,
    secret_trainee,
)


def _complete(client, submission, *points, feedback="Baik."):
    """Claim (API), save a draft, complete with rubric levels; returns the JSON."""
    code = submission.candidate_code
    claimed = client.post(f"/api/v1/grading/submissions/{code}/claim")
    assert claimed.status_code == 200, claimed.content
    version = claimed.json()["version"]
    draft = client.post(
        f"/api/v1/grading/submissions/{code}/mark",
        {"version": version, "levels": levels_for(submission.rubric, points[0])},
        content_type="application/json",
    )
    assert draft.status_code == 200, draft.content
    done = client.post(
        f"/api/v1/grading/submissions/{code}/complete",
        {
            "version": draft.json()["version"],
            "levels": levels_for(submission.rubric, *points),
            "feedback": feedback,
        },
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    return done.json()


def test_single_marking_with_rubric_then_bulk_release(
    centre, university_a, user_by_email
):
    trainee, _nik = secret_trainee(centre)
    submission = essay_submission(
        centre, trainee, university_a, feedback_release=ReleaseRule.MANUAL
    )
    grader = client_for(user_by_email(GRADER_A))
    done = _complete(grader, submission, 3, 5)
    assert done["state"] == SubmissionState.MARKED
    assert Decimal(done["score"]) == Decimal(8)
    answer = Answer.objects.get(pk=submission.answer_id)
    assert answer.score == Decimal("8.00")  # answer_mark_final ran
    attempt = Attempt.objects.get(pk=submission.attempt_id)
    assert attempt.state == AttemptState.GRADED and attempt.released_at is None
    assert attempt.percent == Decimal("80.00")
    mark = Mark.objects.get(submission=submission, final=True)
    assert sorted(mark.levels.values_list("points", flat=True)) == [3, 5]

    admin = client_for(user_by_email(CENTRE_ADMIN))
    response = admin.post(f"/staf/penilaian/pusat/{centre.code}/rilis/")
    assert response.status_code == 302
    attempt.refresh_from_db()
    submission.refresh_from_db()
    assert attempt.released_at is not None
    assert submission.state == SubmissionState.RELEASED
    page = admin.get(f"/staf/penilaian/pusat/{centre.code}/")
    assert page.status_code == 200


def test_double_marking_agrees_within_the_threshold(
    centre, university_a, user_by_email
):
    trainee, _nik = secret_trainee(centre)
    submission = essay_submission(
        centre, trainee, university_a, double_marking=True, marking_threshold=15
    )
    first = user_by_email(GRADER_A)
    second = grader_make(university_a)
    done = _complete(client_for(first), submission, 3, 5)  # 8
    assert done["state"] == SubmissionState.IN_MARKING
    submission.refresh_from_db()
    assert submission.marking_role == MarkerRole.SECOND
    assert Answer.objects.get(pk=submission.answer_id).score is None
    # The first marker cannot give the second mark: it has left their view.
    again = client_for(first).post(
        f"/api/v1/grading/submissions/{submission.candidate_code}/claim"
    )
    assert again.status_code == 404
    queue = client_for(first).get("/api/v1/grading/queue?state=all")
    assert submission.candidate_code not in queue.content.decode()
    # Blind: the second marker does not see the first mark.
    detail = client_for(second).get(
        f"/api/v1/grading/submissions/{submission.candidate_code}"
    )
    assert "Baik." not in detail.content.decode()
    done = _complete(client_for(second), submission, 5, 5)  # 10: gap 2 > 1.5
    assert done["state"] == SubmissionState.IN_MARKING
    submission.refresh_from_db()
    assert submission.marking_role == MarkerRole.THIRD
    third = grader_make(university_a)
    done = _complete(client_for(third), submission, 5, 3)  # 8: the third decides
    assert done["state"] == SubmissionState.MODERATED
    attempt = Attempt.objects.get(pk=submission.attempt_id)
    assert attempt.state == AttemptState.GRADED
    assert attempt.score == Decimal("8.00")
    assert list(
        Mark.objects.filter(submission=submission, final=True)
        .order_by("version")
        .values_list("role", flat=True)
    ) == ["first", "second", "third"]


def test_double_marking_within_threshold_takes_the_mean(
    centre, university_a, user_by_email
):
    trainee, _nik = secret_trainee(centre)
    submission = essay_submission(
        centre, trainee, university_a, double_marking=True, marking_threshold=25
    )
    _complete(client_for(user_by_email(GRADER_A)), submission, 3, 5)  # 8
    done = _complete(client_for(grader_make(university_a)), submission, 5, 5)  # 10
    assert done["state"] == SubmissionState.MODERATED
    submission.refresh_from_db()
    assert submission.final_score == Decimal("9.00")
    assert Attempt.objects.get(pk=submission.attempt_id).score == Decimal("9.00")


def test_complete_needs_one_level_per_criterion(centre, university_a, user_by_email):
    trainee, _nik = secret_trainee(centre)
    submission = essay_submission(centre, trainee, university_a)
    grader = user_by_email(GRADER_A)
    grading.submission_claim(submission=submission, grader=grader)
    submission.refresh_from_db()
    only_first = dict(list(levels_for(submission.rubric, 3, 5).items())[:1])
    with pytest.raises(ValidationError) as caught:
        grading.mark_complete(
            submission=submission,
            grader=grader,
            expected_version=submission.version,
            levels=only_first,
        )
    assert len(caught.value.messages) == 1
    assert not Mark.objects.filter(submission=submission).exists()


def test_balanced_allocation_spreads_across_universities_and_graders(
    centre, university_a, university_b, user_by_email
):
    trainee, _nik = secret_trainee(centre)
    extra = grader_make(university_a)  # A now has two graders, B one
    submissions = [
        essay_submission(centre, trainee, None, context="ANGKATAN-7") for _ in range(6)
    ]
    result = grading.submissions_allocate_balanced(
        universities=[university_a, university_b],
        centre=centre,
        context="ANGKATAN-7",
        allocated_by=user_by_email(CENTRE_ADMIN),
    )
    assert result.total == 6
    counts = result.per_university
    # Per grader: A's two graders and B's one get two each.
    assert counts[university_a.pk] == 4 and counts[university_b.pk] == 2
    assert set(result.per_grader.values()) == {2}
    assert extra.pk in result.per_grader
    assert (
        Allocation.objects.filter(
            submission__in=submissions, method="automatic"
        ).count()
        == 6
    )
    assert MarkerAssignment.objects.filter(submission__in=submissions).count() == 6
    with pytest.raises(ValidationError) as caught:
        grading.submissions_allocate_balanced(universities=[centre])
    assert len(caught.value.messages) == 1


def test_offline_marks_sheet_round_trip_is_all_or_nothing(
    centre, university_a, user_by_email
):
    trainee, _nik = secret_trainee(centre)
    one = essay_submission(centre, trainee, university_a)
    two = essay_submission(centre, trainee, university_a)
    client = client_for(user_by_email(GRADER_A))
    body = b"".join(client.get("/staf/penilaian/ekspor/csv/").streaming_content)
    lines = body.decode("utf-8-sig").splitlines()
    header, rows = lines[0], {line.split(",")[0]: line for line in lines[1:]}
    assert header.startswith("candidate_code,")

    def sheet(score_one: str, score_two: str) -> SimpleUploadedFile:
        out = [header]
        for code, score in (
            (one.candidate_code, score_one),
            (two.candidate_code, score_two),
        ):
            cells = rows[code].split(",")
            cells[7], cells[8], cells[9] = score, "Offline", "ya"
            out.append(",".join(cells))
        return SimpleUploadedFile("nilai.csv", "\n".join(out).encode(), "text/csv")

    bad = client.post("/staf/penilaian/impor/", {"file": sheet("7", "11")})
    assert bad.status_code == 422
    assert "Baris 3" in bad.content.decode() or "Line 3" in bad.content.decode()
    assert not Mark.objects.filter(submission__in=[one, two]).exists()
    good = client.post("/staf/penilaian/impor/", {"file": sheet("7", "6.5")})
    assert good.status_code == 302
    assert Submission.objects.get(pk=two.pk).final_score == Decimal("6.50")
    # The same sheet again: versions moved on, so every row is refused.
    stale = client.post("/staf/penilaian/impor/", {"file": sheet("1", "1")})
    assert stale.status_code == 422
    assert Submission.objects.get(pk=one.pk).final_score == Decimal("7.00")


def test_next_claims_the_oldest_and_opens_it(centre, university_a, user_by_email):
    trainee, _nik = secret_trainee(centre)
    submission = essay_submission(centre, trainee, university_a)
    client = client_for(user_by_email(GRADER_A))
    response = client.get("/staf/penilaian/berikutnya/")
    assert response.status_code == 302
    assert submission.candidate_code in response["Location"]
    submission.refresh_from_db()
    assert submission.claimed_by == user_by_email(GRADER_A)
    page = client.get(response["Location"])
    assert "Deskriptor Isi 1" in page.content.decode()  # the rubric grid


def test_centre_admin_allocates_by_hand_and_assigns_a_grader(
    centre, university_a, university_b, user_by_email
):
    trainee, _nik = secret_trainee(centre)
    one = essay_submission(centre, trainee, None)
    two = essay_submission(centre, trainee, None)
    admin = client_for(user_by_email(CENTRE_ADMIN))
    page = admin.get(f"/staf/penilaian/pusat/{centre.code}/").content.decode()
    assert one.candidate_code in page and two.candidate_code in page
    bad = admin.post(
        f"/staf/penilaian/pusat/{centre.code}/alokasi-manual/",
        {"university": university_a.pk, "codes": f"{one.candidate_code} K-NOPE"},
    )
    assert bad.status_code == 422
    assert Submission.objects.get(pk=one.pk).university_id is None
    ok = admin.post(
        f"/staf/penilaian/pusat/{centre.code}/alokasi-manual/",
        {"university": university_a.pk, "codes": f"{one.candidate_code}\n"},
    )
    assert ok.status_code == 302
    assert Submission.objects.get(pk=one.pk).university == university_a
    assert Allocation.objects.filter(submission=one, method="manual").exists()
    # A grader of the other university cannot be named for it.
    wrong = admin.post(
        f"/staf/penilaian/pusat/{centre.code}/tugaskan/",
        {
            "code": one.candidate_code,
            "grader": "penilai.poltekesos@lms.example",
            "role": "first",
        },
    )
    assert wrong.status_code == 422
    colleague = grader_make(university_a)
    named = admin.post(
        f"/staf/penilaian/pusat/{centre.code}/tugaskan/",
        {"code": one.candidate_code, "grader": colleague.email, "role": "first"},
    )
    assert named.status_code == 302
    assert MarkerAssignment.objects.get(submission=one).grader == colleague
    # Now only the named grader sees it in their queue.
    queue = client_for(user_by_email(GRADER_A)).get("/api/v1/grading/queue")
    assert one.candidate_code not in queue.content.decode()
    queue = client_for(colleague).get("/api/v1/grading/queue")
    assert one.candidate_code in queue.content.decode()


def test_marking_on_the_page_with_rubric_grid_and_feedback_file(
    centre, university_a, user_by_email
):
    trainee, _nik = secret_trainee(centre)
    submission = essay_submission(centre, trainee, university_a)
    client = client_for(user_by_email(GRADER_A))
    url = f"/staf/penilaian/naskah/{submission.candidate_code}/"
    assert client.post(f"{url}klaim/").status_code == 302
    submission.refresh_from_db()
    levels = {f"level-{k}": v for k, v in levels_for(submission.rubric, 5, 3).items()}
    done = client.post(
        url,
        {
            "version": submission.version,
            "action": "complete",
            "feedback": "Runtut.",
            "feedback_file": SimpleUploadedFile("c.txt", b"catatan", "text/plain"),
            **levels,
        },
    )
    assert done.status_code == 302, done.content.decode()[:2000]
    submission.refresh_from_db()
    assert submission.state == SubmissionState.MARKED
    assert submission.final_score == Decimal("8.00")
    assert submission.feedback_files.count() == 1
    assert Mark.objects.get(submission=submission).feedback == "Runtut."
