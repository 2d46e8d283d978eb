"""Assignment and portfolio uploads: a trainee attaches files to an attempt.

Files are checked by their content (not their name), limited per section,
removable while the attempt is open and final once it is submitted; a file that
arrives after the deadline is kept apart, not stored for marking. Markers'
feedback files reach the trainee once the result is released.
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.translation import override

from assessments import services
from assessments.grading import services as grading
from assessments.grading.models import Submission
from assessments.models import (
    AnswerFile,
    Assessment,
    AssessmentStatus,
    AttemptState,
    FinalisedBy,
    LateAnswer,
    ReleaseRule,
    Section,
)
from tests.assessments.builders import centre_make, trainee_make
from tests.factories import totp_enrol
from tests.grading.factories import (
    CENTRE_ADMIN,
    GRADER_A,
    client_for,
    levels_for,
    rubric_make,
    university_of,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120


def docx_bytes() -> bytes:
    """A minimal Word document as Word writes it (a zip with OOXML parts)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with override("en"):
        yield


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assignment_make(*, centre=None, **config) -> Assessment:
    centre = centre or centre_make()
    assessment = Assessment.objects.create(
        centre=centre,
        code="TUGAS-RP",
        title="Rencana pendampingan",
        status=AssessmentStatus.PUBLISHED,
        feedback_release=ReleaseRule.MANUAL,
    )
    Section.objects.create(
        assessment=assessment,
        position=1,
        instrument="assignment",
        title="Unggah rencana",
        points=10,
        rubric=rubric_make(centre),
        config={"file_types": ["pdf", "docx", "png"], "max_file_mb": 1, "max_files": 2}
        | config,
    )
    return assessment


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def started():
    assessment = assignment_make()
    trainee = trainee_make(assessment.centre)
    attempt = services.attempt_start(assessment=assessment, trainee=trainee)
    return attempt, trainee


def test_a_pdf_and_a_word_document_are_attached_with_checksum_and_real_type(started):
    attempt, trainee = started
    pdf = services.answer_file_add(
        attempt=attempt, trainee=trainee, slot=1, upload=upload("rencana.pdf", PDF)
    )
    docx = services.answer_file_add(
        attempt=attempt,
        trainee=trainee,
        slot=1,
        upload=upload("lampiran.docx", docx_bytes()),
    )
    assert pdf.content_type == "application/pdf"
    assert pdf.size == len(PDF)
    assert len(pdf.sha256) == 64
    assert docx.original_name == "lampiran.docx"
    # The stored name never carries what the trainee called the file.
    assert "rencana" not in pdf.file.name
    assert pdf.file.read() == PDF


def test_every_problem_with_a_file_is_named_at_once_and_nothing_is_stored(
    started, settings
):
    attempt, trainee = started
    too_big_program = upload("rencana.pdf", EXE + b"\x00" * (1024 * 1024))
    with pytest.raises(services.ValidationError) as caught:
        services.answer_file_add(
            attempt=attempt, trainee=trainee, slot=1, upload=too_big_program
        )
    messages = caught.value.messages
    assert len(messages) == 2
    assert any("at most 1.0" in m and "rencana.pdf" in m for m in messages)
    assert any("not a .pdf file" in m for m in messages)
    with pytest.raises(services.ValidationError) as caught:
        services.answer_file_add(
            attempt=attempt, trainee=trainee, slot=1, upload=upload("foto.jpg", PNG)
        )
    assert "foto.jpg: this type of file is not accepted" in caught.value.messages[0]
    assert AnswerFile.objects.count() == 0
    assert stored_files(settings) == []


def test_the_sections_file_limit_holds(started):
    attempt, trainee = started
    for n in range(2):
        services.answer_file_add(
            attempt=attempt, trainee=trainee, slot=1, upload=upload(f"{n}.pdf", PDF)
        )
    with pytest.raises(services.ValidationError) as caught:
        services.answer_file_add(
            attempt=attempt, trainee=trainee, slot=1, upload=upload("3.pdf", PDF)
        )
    assert caught.value.messages == ["At most 2 files may be attached to question 1."]


def test_a_file_after_the_deadline_is_kept_apart_and_the_attempt_closes(started):
    attempt, trainee = started
    Assessment.objects.filter(pk=attempt.assessment_id).update(grace_seconds=60)
    services.answer_file_add(
        attempt=attempt, trainee=trainee, slot=1, upload=upload("tepat.pdf", PDF)
    )
    attempt.deadline_at = timezone.now() - timedelta(minutes=5)
    attempt.save(update_fields=["deadline_at"])
    with pytest.raises(services.AttemptClosed):
        services.answer_file_add(
            attempt=attempt, trainee=trainee, slot=1, upload=upload("telat.pdf", PDF)
        )
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.SUBMITTED
    assert attempt.finalised_by == FinalisedBy.DEADLINE
    late = LateAnswer.objects.get(attempt=attempt)
    assert late.response["file"] == "telat.pdf"
    assert list(AnswerFile.objects.values_list("original_name", flat=True)) == [
        "tepat.pdf"
    ]
    # The file saved in time goes to marking.
    assert Submission.objects.get(attempt=attempt).answer.files.count() == 1


def test_a_slot_without_files_refuses_them():
    from tests.assessments.builders import quiz_make

    quiz = quiz_make(questions=1)
    trainee = trainee_make(quiz.centre)
    attempt = services.attempt_start(assessment=quiz, trainee=trainee)
    with pytest.raises(services.ValidationError) as caught:
        services.answer_file_add(
            attempt=attempt, trainee=trainee, slot=1, upload=upload("a.pdf", PDF)
        )
    assert caught.value.messages == ["Question 1 does not take files."]


def test_on_the_page_a_trainee_attaches_removes_and_submits_files(started, settings):
    attempt, trainee = started
    client = client_for(trainee)
    url = f"/asesmen/percobaan/{attempt.uuid}/"
    response = client.post(
        url,
        {
            "slot-1": "Rencana terlampir.",
            "slot-1-files": [upload("rencana.pdf", PDF), upload("salah.pdf", EXE)],
            "save": "1",
        },
        follow=True,
    )
    page = response.content.decode()
    # The site speaks Indonesian by default.
    assert "salah.pdf: isinya bukan berkas .pdf." in page
    assert 'data-testid="file"' in page and "rencana.pdf" in page
    kept = AnswerFile.objects.get()
    assert kept.answer.response == "Rencana terlampir."
    # The trainee downloads their own file under its own name.
    download = client.get(f"{url}berkas/{kept.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert "rencana.pdf" in download["Content-Disposition"]
    # Removing it takes the stored copy away too.
    client.post(url, {"slot-1": "Rencana terlampir.", "remove_file": str(kept.pk)})
    assert AnswerFile.objects.count() == 0
    assert stored_files(settings) == []
    client.post(
        url,
        {
            "slot-1": "Versi akhir.",
            "slot-1-files": upload("akhir.pdf", PDF),
            "submit": "1",
            "idempotency_key": "k-1",
        },
    )
    attempt.refresh_from_db()
    assert attempt.state == AttemptState.SUBMITTED
    submission = Submission.objects.get(attempt=attempt)
    assert [f.original_name for f in submission.answer.files.all()] == ["akhir.pdf"]
    # Once submitted the files are final: nothing can be added or removed.
    response = client.post(url, {"remove_file": str(submission.answer.files.get().pk)})
    assert response.status_code == 302
    assert submission.answer.files.count() == 1


def test_another_trainee_cannot_reach_the_files(started):
    attempt, trainee = started
    found = services.answer_file_add(
        attempt=attempt, trainee=trainee, slot=1, upload=upload("a.pdf", PDF)
    )
    other = client_for(trainee_make(attempt.assessment.centre))
    assert (
        other.get(f"/asesmen/percobaan/{attempt.uuid}/berkas/{found.pk}/").status_code
        == 404
    )
    response = other.delete(f"/api/v1/attempts/{attempt.uuid}/files/{found.pk}")
    assert response.status_code == 404
    assert AnswerFile.objects.filter(pk=found.pk).exists()


def test_the_api_attaches_lists_and_removes_files(started):
    attempt, trainee = started
    client = client_for(trainee)
    base = f"/api/v1/attempts/{attempt.uuid}"
    response = client.post(
        f"{base}/files", {"slot": "1", "file": upload("rencana.pdf", PDF)}
    )
    assert response.status_code == 201, response.content
    file_id = response.json()["id"]
    refused = client.post(f"{base}/files", {"slot": "1", "file": upload("x.pdf", EXE)})
    assert refused.status_code == 422
    assert refused.json()["detail"] == ["x.pdf: isinya bukan berkas .pdf."]
    slots = client.get(base).json()["slots"]
    assert [f["name"] for f in slots[0]["files"]] == ["rencana.pdf"]
    assert client.delete(f"{base}/files/{file_id}").status_code == 204
    assert AnswerFile.objects.count() == 0
    client.post(
        f"{base}/submit",
        {"responses": {}},
        content_type="application/json",
        headers={"Idempotency-Key": "api-1"},
    )
    late = client.post(f"{base}/files", {"slot": "1", "file": upload("a.pdf", PDF)})
    assert late.status_code == 409


def test_feedback_files_reach_the_trainee_once_released(started):
    from lms.models import User

    attempt, trainee = started
    services.answer_file_add(
        attempt=attempt, trainee=trainee, slot=1, upload=upload("rencana.pdf", PDF)
    )
    services.attempt_submit(attempt=attempt, trainee=trainee, idempotency_key="s")
    submission = Submission.objects.get(attempt=attempt)
    grading.submissions_allocate(
        submissions=[submission], university=university_of(GRADER_A)
    )
    grader = User.objects.get(email=GRADER_A)
    totp_enrol(grader)
    grading.submission_claim(submission=submission, grader=grader)
    note = SimpleUploadedFile("catatan-penilai.pdf", PDF, "application/pdf")
    grading.feedback_file_add(submission=submission, grader=grader, upload=note)
    submission.refresh_from_db()
    grading.mark_complete(
        submission=submission,
        grader=grader,
        expected_version=submission.version,
        levels=levels_for(submission.answer.section.rubric, 5, 5),
        feedback="Rencana lengkap.",
    )
    client = client_for(trainee)
    result_url = f"/asesmen/percobaan/{attempt.uuid}/hasil/"
    page = client.get(result_url).content.decode()
    assert 'data-testid="feedback-files"' not in page
    assert "rencana.pdf" in page  # the trainee's own file is always listed
    feedback_id = submission.feedback_files.get().pk
    feedback_url = f"/asesmen/percobaan/{attempt.uuid}/umpan-balik/{feedback_id}/"
    assert client.get(feedback_url).status_code == 404
    grading.submissions_release(
        centre=attempt.assessment.centre,
        released_by=User.objects.get(email=CENTRE_ADMIN),
    )
    page = client.get(result_url).content.decode()
    assert 'data-testid="feedback-files"' in page
    download = client.get(feedback_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    # The marker's own file name (which may carry their name) is not passed on.
    assert "catatan-penilai" not in download["Content-Disposition"]
