"""Blind marking: no grader-facing response names the trainee."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from tests.grading.factories import (
    EMAIL,
    GRADER_A,
    NAME,
    ORIGINAL_FILE_NAME,
    assignment_submission,
    client_for,
    essay_submission,
    levels_for,
    secret_trainee,
)


def _text(response) -> str:
    """Body and headers of a response, as text (XLSX unpacked into its cells)."""
    headers = " ".join(f"{k}: {v}" for k, v in response.items())
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxml"):
        book = load_workbook(io.BytesIO(body))
        cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row]
        return headers + " " + " ".join(cells)
    return headers + " " + body.decode("utf-8", errors="replace")


def test_no_grader_response_contains_name_email_or_nik(
    centre, university_a, user_by_email
):
    trainee, nik = secret_trainee(centre)
    essay = essay_submission(centre, trainee, university_a)
    task = assignment_submission(centre, trainee, university_a)
    grader = user_by_email(GRADER_A)
    client = client_for(grader)
    responses = []

    def keep(response, status=200):
        assert response.status_code == status, (response.status_code, response)
        responses.append(response)
        return response

    # Pages, exports and the queue API before anything is claimed.
    keep(client.get("/staf/penilaian/"))
    keep(client.get("/staf/penilaian/?state=all&sort=newest"))
    keep(client.get("/staf/penilaian/ekspor/csv/"))
    keep(client.get("/staf/penilaian/ekspor/xlsx/"))
    keep(client.get("/staf/penilaian/impor/"))
    keep(client.get("/api/v1/grading/queue"))
    for submission in (essay, task):
        code = submission.candidate_code
        keep(client.get(f"/staf/penilaian/naskah/{code}/"))
        keep(client.get(f"/api/v1/grading/submissions/{code}"))
        keep(client.post(f"/api/v1/grading/submissions/{code}/claim"))
        keep(client.get(f"/staf/penilaian/naskah/{code}/"))  # the rubric form
        submission.refresh_from_db()
        keep(
            client.post(
                f"/api/v1/grading/submissions/{code}/feedback",
                {"file": SimpleUploadedFile("komentar.txt", b"catatan", "text/plain")},
            ),
            201,
        )
        draft = keep(
            client.post(
                f"/api/v1/grading/submissions/{code}/mark",
                {"version": submission.version, "score": "5", "feedback": "Draf."},
                content_type="application/json",
            )
        )
        keep(
            client.post(
                f"/api/v1/grading/submissions/{code}/complete",
                {
                    "version": draft.json()["version"],
                    "levels": levels_for(submission.rubric, 3, 5),
                    "feedback": "Baik.",
                },
                content_type="application/json",
            )
        )
    file = task.answer.files.get()
    download = keep(
        client.get(f"/staf/penilaian/naskah/{task.candidate_code}/berkas/{file.pk}/")
    )
    assert task.candidate_code in download["Content-Disposition"]
    feedback = task.feedback_files.get()
    keep(
        client.get(
            f"/staf/penilaian/naskah/{task.candidate_code}/umpan-balik/{feedback.pk}/"
        )
    )
    keep(client.get("/staf/penilaian/?state=all"))
    keep(client.get("/staf/penilaian/ekspor/csv/?state=all"))
    keep(client.get("/staf/penilaian/ekspor/xlsx/?state=all"))
    keep(client.get("/api/v1/grading/queue?state=all"))

    secrets = [NAME, *NAME.split(), EMAIL, EMAIL.split("@")[0], nik, nik[-6:]]
    secrets.append(ORIGINAL_FILE_NAME)
    texts = [_text(r) for r in responses]
    assert any(essay.candidate_code in t for t in texts)
    for response, text in zip(responses, texts, strict=True):
        for secret in secrets:
            assert secret not in text, (secret, response.request["PATH_INFO"])
