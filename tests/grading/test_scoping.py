"""Another university's (or centre's) objects answer 404 everywhere."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from assessments.grading import services as grading
from assessments.grading.models import FeedbackFile, Submission
from tests.assessments.builders import centre_make
from tests.grading.factories import (
    CENTRE_ADMIN,
    GRADER_A,
    GRADER_B,
    assignment_submission,
    client_for,
    essay_submission,
    secret_trainee,
)


@pytest.fixture
def at_a(centre, university_a, user_by_email):
    """An assignment at University A, claimed there, with a feedback file."""
    trainee, _nik = secret_trainee(centre)
    submission = assignment_submission(centre, trainee, university_a)
    grader = user_by_email(GRADER_A)
    grading.submission_claim(submission=submission, grader=grader)
    from django.core.files.base import ContentFile

    upload = ContentFile(b"catatan", name="catatan.txt")
    upload.content_type = "text/plain"
    grading.feedback_file_add(submission=submission, grader=grader, upload=upload)
    submission.refresh_from_db()
    return submission


def test_grader_of_university_b_gets_404_on_pages_downloads_and_api(
    at_a, user_by_email
):
    code = at_a.candidate_code
    answer_file = at_a.answer.files.get()
    feedback = FeedbackFile.objects.get(submission=at_a)
    b = client_for(user_by_email(GRADER_B))
    a = client_for(user_by_email(GRADER_A))
    gets = [
        f"/staf/penilaian/naskah/{code}/",
        f"/staf/penilaian/naskah/{code}/berkas/{answer_file.pk}/",
        f"/staf/penilaian/naskah/{code}/umpan-balik/{feedback.pk}/",
        f"/api/v1/grading/submissions/{code}",
    ]
    posts = [
        f"/staf/penilaian/naskah/{code}/",
        f"/staf/penilaian/naskah/{code}/klaim/",
        f"/api/v1/grading/submissions/{code}/claim",
        f"/api/v1/grading/submissions/{code}/mark",
        f"/api/v1/grading/submissions/{code}/complete",
    ]
    for url in gets:
        assert a.get(url).status_code == 200, url  # the owner reaches it
        assert b.get(url).status_code == 404, url
    for url in posts:
        response = b.post(
            url,
            {"version": at_a.version, "score": "1"},
            content_type="application/json",
        )
        assert response.status_code == 404, url
    feedback_post = b.post(
        f"/api/v1/grading/submissions/{code}/feedback",
        {"file": io.BytesIO(b"x")},
    )
    assert feedback_post.status_code == 404
    at_a.refresh_from_db()
    assert at_a.claimed_by == user_by_email(GRADER_A)


def test_exports_and_queues_of_university_b_leave_out_a(at_a, user_by_email):
    code = at_a.candidate_code
    b = client_for(user_by_email(GRADER_B))
    a = client_for(user_by_email(GRADER_A))
    for params in ("", "?state=all"):
        csv_b = b"".join(
            b.get(f"/staf/penilaian/ekspor/csv/{params}").streaming_content
        )
        assert code.encode() not in csv_b
        csv_a = b"".join(
            a.get(f"/staf/penilaian/ekspor/csv/{params}").streaming_content
        )
        assert code.encode() in csv_a
        xlsx = b.get(f"/staf/penilaian/ekspor/xlsx/{params}")
        cells = [
            c
            for row in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(
                values_only=True
            )
            for c in row
        ]
        assert code not in cells
        assert code not in b.get(f"/staf/penilaian/{params}").content.decode()
        assert code not in b.get(f"/api/v1/grading/queue{params}").content.decode()


def test_an_assignment_to_a_colleague_hides_the_submission(
    centre, university_a, user_by_email
):
    from tests.grading.factories import grader_make

    trainee, _nik = secret_trainee(centre)
    submission = essay_submission(centre, trainee, university_a)
    colleague = grader_make(university_a)
    grading.marker_assign(submission=submission, grader=colleague)
    me = client_for(user_by_email(GRADER_A))
    assert (
        me.get(f"/api/v1/grading/submissions/{submission.candidate_code}").status_code
        == 404
    )
    ok = client_for(colleague).get(
        f"/api/v1/grading/submissions/{submission.candidate_code}"
    )
    assert ok.status_code == 200


def test_centre_pages_of_another_centre_answer_404(centre, university_a, user_by_email):
    other = centre_make("R5")
    trainee, _nik = secret_trainee(other)
    submission = essay_submission(other, trainee, university_a)
    admin = client_for(user_by_email(CENTRE_ADMIN))  # centre admin of R3
    assert admin.get("/staf/penilaian/pusat/R3/").status_code == 200
    assert admin.get("/staf/penilaian/pusat/R5/").status_code == 404
    assert admin.post("/staf/penilaian/pusat/R5/rilis/").status_code == 404
    assert (
        admin.post(
            "/staf/penilaian/pusat/R5/alokasi/", {"universities": [university_a.pk]}
        ).status_code
        == 404
    )
    attempt = Submission.objects.get(pk=submission.pk).attempt
    assert (
        admin.get(f"/staf/penilaian/percobaan/{attempt.uuid}/ubah-nilai/").status_code
        == 404
    )
    # And a grader is not centre staff.
    grader = client_for(user_by_email(GRADER_A))
    assert grader.get("/staf/penilaian/pusat/R3/").status_code == 404


def test_every_export_is_logged_with_who_and_which_filters(at_a, user_by_email):
    from lms.models import ExportLog

    grader = user_by_email(GRADER_A)
    client_for(grader).get("/staf/penilaian/ekspor/xlsx/?state=all")
    entry = ExportLog.objects.get()
    assert (entry.user, entry.name, entry.file_format) == (
        grader,
        "grading_queue",
        "xlsx",
    )
    assert entry.parameters["state"] == "all"
