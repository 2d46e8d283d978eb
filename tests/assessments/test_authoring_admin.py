"""The authoring screens in the Wagtail admin, driven by a signed-in staff member."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from assessments import authoring
from assessments.models import (
    Assessment,
    AssessmentStatus,
    Question,
    QuestionBank,
    QuestionVersion,
    Rubric,
)
from assessments.services import attempt_start
from lms.models import Organisation
from tests.assessments.builders import (
    quiz_make,
    single_choice,
    trainee_make,
    true_false,
)

R3_TRAINER = "pelatih.r3@lms.example"
CENTRAL = "admin.pusat@lms.example"
BANKS = "/admin/asesmen/bank-soal/"
QUESTIONS = "/admin/asesmen/soal/"
RUBRICS = "/admin/asesmen/rubrik/"
ASSESSMENTS = "/admin/asesmen/asesmen/"


@pytest.fixture(autouse=True)
def _english():
    """Pages in English so assertions read plainly (the switcher sets the same)."""
    with translation.override("en"):
        yield


@pytest.fixture
def centres(db):
    return {code: Organisation.objects.get(code=code) for code in ("R1", "R2", "R3")}


def en(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def r3_client(staff_client):
    return en(staff_client(R3_TRAINER))


def r2_world(centres):
    """A bank, question, rubric and assessment of Regional II (not shared)."""
    r2 = centres["R2"]
    bank = authoring.bank_save(centre=r2, title="Bank Rahasia R2")
    question, _v = authoring.question_save(
        bank=bank,
        kind="true_false",
        name="Soal Rahasia R2",
        text="?",
        data=true_false(),
    )
    rubric = authoring.rubric_save(
        centre=r2,
        title="Rubrik Rahasia R2",
        criteria=[{"title": "Isi", "levels": [{"title": "Baik", "points": 5}]}],
    )
    assessment = authoring.assessment_save(
        centre=r2, values={"code": "R2-RAHASIA", "title": "Asesmen Rahasia R2"}
    )
    section = authoring.section_save(
        assessment=assessment, instrument="quiz", items=[{"question": question.pk}]
    )
    return {
        "bank": (BANKS, bank),
        "question": (QUESTIONS, question),
        "rubric": (RUBRICS, rubric),
        "assessment": (ASSESSMENTS, assessment),
        "section": (None, section),
    }


def test_lists_show_own_centre_and_shared_banks_only(r3_client, centres, staff_client):
    r2_world(centres)
    shared = authoring.bank_save(
        centre=centres["R1"], title="Bank Bersama R1", shared_with=[centres["R3"]]
    )
    own = authoring.bank_save(centre=centres["R3"], title="Bank Milik R3")
    body = r3_client.get(BANKS).content.decode()
    assert "Bank Milik R3" in body and "Bank Bersama R1" in body
    assert "Bank Rahasia R2" not in body
    # A shared bank is listed read-only: no edit link for it.
    assert f"{BANKS}edit/{own.pk}/" in body
    assert f"{BANKS}edit/{shared.pk}/" not in body
    for url, secret in [
        (QUESTIONS, "Soal Rahasia R2"),
        (RUBRICS, "Rubrik Rahasia R2"),
        (ASSESSMENTS, "Asesmen Rahasia R2"),
    ]:
        response = r3_client.get(url)
        assert response.status_code == 200, url
        assert secret not in response.content.decode(), url
    central = en(staff_client(CENTRAL))
    for url, secret in [
        (BANKS, "Bank Rahasia R2"),
        (QUESTIONS, "Soal Rahasia R2"),
        (RUBRICS, "Rubrik Rahasia R2"),
        (ASSESSMENTS, "Asesmen Rahasia R2"),
    ]:
        assert secret in central.get(url).content.decode(), url


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_centres_objects_answer_404(r3_client, centres, method):
    world = r2_world(centres)
    assessment = world["assessment"][1]
    section = world["section"][1]
    urls = [
        f"{prefix}{view}/{obj.pk}/"
        for key, (prefix, obj) in world.items()
        if prefix
        for view in ("edit", "delete", "history", "usage")
    ]
    urls += [
        f"{ASSESSMENTS}susunan/{assessment.pk}/",
        f"{ASSESSMENTS}susunan/{assessment.pk}/bagian/",
        f"{ASSESSMENTS}bagian/{section.pk}/",
        f"{ASSESSMENTS}bagian/{section.pk}/naik/",
        f"{ASSESSMENTS}bagian/{section.pk}/hapus/",
        f"{ASSESSMENTS}terbitkan/{assessment.pk}/",
        f"{ASSESSMENTS}draf/{assessment.pk}/",
    ]
    for url in urls:
        response = getattr(r3_client, method)(url, {"title": "Dibajak"})
        assert response.status_code in (404, 405), f"{url}: {response.status_code}"
        if method == "get" and "naik" not in url and "hapus" not in url:
            assert response.status_code == 404, url
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.title == "Asesmen Rahasia R2"
    assert assessment.sections.count() == 1
    assert QuestionBank.objects.filter(title="Bank Rahasia R2").exists()
    assert Rubric.objects.filter(title="Rubrik Rahasia R2").exists()


def test_shared_bank_cannot_be_edited_by_the_centre_it_is_shared_with(
    r3_client, centres
):
    shared = authoring.bank_save(
        centre=centres["R1"], title="Bank Bersama R1", shared_with=[centres["R3"]]
    )
    assert r3_client.get(f"{BANKS}edit/{shared.pk}/").status_code == 404
    assert r3_client.post(f"{BANKS}delete/{shared.pk}/").status_code == 404
    assert QuestionBank.objects.filter(pk=shared.pk).exists()


def question_post(bank, **changes):
    data = {
        "bank": bank.pk,
        "kind": "single_choice",
        "name": "Tujuan PKH",
        "idnumber": "",
        "text": "Apa tujuan utama PKH?",
        "text_format": "html",
        "data": json.dumps(single_choice()),
        "points": "1",
        "general_feedback": "",
        "tags": "pkh, dasar",
    }
    data.update(changes)
    return data


def test_question_is_authored_and_versioned_through_the_admin(r3_client, centres):
    bank = authoring.bank_save(centre=centres["R3"], title="Bank PKH")
    broken = {"choices": [{"id": "a", "text": "Ya", "fraction": 0}]}
    response = r3_client.post(
        f"{QUESTIONS}new/", question_post(bank, name="", data=json.dumps(broken))
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "At least 2 choices are needed." in body
    assert "The name is required." in body
    assert not Question.objects.filter(bank=bank).exists()

    response = r3_client.post(f"{QUESTIONS}new/", question_post(bank))
    assert response.status_code == 302, response.content.decode()[:2000]
    question = Question.objects.get(bank=bank)
    assert question.current_version.number == 1
    assert sorted(question.tags.values_list("name", flat=True)) == ["dasar", "pkh"]

    edit = f"{QUESTIONS}edit/{question.pk}/"
    page = r3_client.get(edit).content.decode()
    assert "Apa tujuan utama PKH?" in page
    assert r3_client.post(edit, question_post(bank)).status_code == 302
    assert QuestionVersion.objects.filter(question=question).count() == 1
    changed = question_post(bank, text="Apa tujuan PKH bagi keluarga?")
    assert r3_client.post(edit, changed).status_code == 302
    question.refresh_from_db()
    assert question.current_version.number == 2
    assert question.current_version.text == "Apa tujuan PKH bagi keluarga?"
    history = r3_client.get(f"{QUESTIONS}history/{question.pk}/")
    assert history.status_code == 200

    response = r3_client.post(f"{QUESTIONS}delete/{question.pk}/")
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.retired_at is not None
    assert QuestionVersion.objects.filter(question=question).count() == 2


def assessment_post(**changes):
    data = {
        "centre": Organisation.objects.get(code="R3").pk,
        "code": "UJI-ADMIN",
        "title": "Uji Admin",
        "description": "",
        "purpose": "quiz",
        "time_zone": "Asia/Jakarta",
        "grace_seconds": "60",
        "attempts_allowed": "1",
        "grading_method": "highest",
        "pass_mark": "70",
        "feedback_release": "immediately",
        "review_release": "after_close",
        "marking_threshold": "15",
    }
    data.update(changes)
    return data


def test_assessment_built_and_published_from_the_admin(r3_client, centres):
    response = r3_client.post(f"{ASSESSMENTS}new/", assessment_post())
    assert response.status_code == 302, response.content.decode()[:3000]
    assessment = Assessment.objects.get(code="UJI-ADMIN")
    assert assessment.centre.code == "R3" and assessment.status == "draft"
    structure = f"{ASSESSMENTS}susunan/{assessment.pk}/"

    response = r3_client.post(f"{ASSESSMENTS}terbitkan/{assessment.pk}/", follow=True)
    assert "The assessment has no sections." in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT

    bank = authoring.bank_save(centre=centres["R3"], title="Bank Kuis")
    question, _v = authoring.question_save(
        bank=bank, kind="true_false", name="S1", text="?", data=true_false()
    )
    add_section = f"{ASSESSMENTS}susunan/{assessment.pk}/bagian/"
    response = r3_client.post(
        add_section,
        {
            "instrument": "quiz",
            "title": "Kuis",
            "points": "0",
            "items": json.dumps([{"question": 999999}, {"bank": bank.pk, "count": 0}]),
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Item 1: Question 999999 is not in a bank your centre can use." in body
    assert "Item 2: The number of questions to draw must be at least 1." in body
    assert not assessment.sections.exists()
    response = r3_client.post(
        add_section,
        {
            "instrument": "quiz",
            "title": "Kuis",
            "points": "0",
            "items": json.dumps([{"question": question.pk}]),
        },
    )
    assert response.status_code == 302
    response = r3_client.post(
        add_section, {"instrument": "oral", "title": "Wawancara", "points": "5"}
    )
    assert response.status_code == 302
    oral = assessment.sections.get(instrument="oral")
    assert r3_client.post(f"{ASSESSMENTS}bagian/{oral.pk}/naik/").status_code == 302
    assert list(assessment.sections.values_list("instrument", flat=True)) == [
        "oral",
        "quiz",
    ]
    page = r3_client.get(structure).content.decode()
    assert "Wawancara" in page and "S1" in page

    response = r3_client.post(f"{ASSESSMENTS}terbitkan/{assessment.pk}/", follow=True)
    assert "The assessment is published." in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.PUBLISHED
    page = r3_client.get(structure).content.decode()
    assert "return it to draft before changing its sections" in page


def test_assessment_with_attempts_is_locked_except_title_and_window(r3_client, centres):
    quiz = quiz_make(centre=centres["R3"], questions=1, code="KUNCI", title="Kunci")
    attempt_start(assessment=quiz, trainee=trainee_make(centres["R3"]))
    edit = f"{ASSESSMENTS}edit/{quiz.pk}/"
    response = r3_client.post(
        edit, assessment_post(code="KUNCI", title="Kunci Baru", pass_mark="40")
    )
    assert response.status_code == 200
    assert "only its title and window may change" in response.content.decode()
    quiz.refresh_from_db()
    assert (quiz.title, quiz.pass_mark) == ("Kunci", 70)
    response = r3_client.post(edit, assessment_post(code="KUNCI", title="Kunci Baru"))
    assert response.status_code == 302
    quiz.refresh_from_db()
    assert quiz.title == "Kunci Baru"
    section = quiz.sections.get()
    response = r3_client.post(f"{ASSESSMENTS}bagian/{section.pk}/hapus/", follow=True)
    assert "Trainees have already sat this assessment" in response.content.decode()
    assert quiz.sections.count() == 1


def test_bank_and_rubric_created_from_the_admin(r3_client, centres):
    response = r3_client.post(
        f"{BANKS}new/",
        {
            "centre": centres["R3"].pk,
            "title": "Bank Lembang",
            "shared_with": [centres["R2"].pk],
        },
    )
    assert response.status_code == 302
    bank = QuestionBank.objects.get(title="Bank Lembang")
    assert list(bank.shared_with.values_list("code", flat=True)) == ["R2"]
    grid = [
        {
            "title": "Kelengkapan",
            "kuk": None,
            "levels": [
                {"title": "Kurang", "descriptor": "", "points": 0},
                {"title": "Baik", "descriptor": "Lengkap", "points": 4},
            ],
        }
    ]
    response = r3_client.post(
        f"{RUBRICS}new/",
        {"centre": centres["R3"].pk, "title": "Rubrik Lapangan", "grid": "[{}]"},
    )
    assert response.status_code == 200
    assert "Criterion 1: The title is required." in response.content.decode()
    response = r3_client.post(
        f"{RUBRICS}new/",
        {
            "centre": centres["R3"].pk,
            "title": "Rubrik Lapangan",
            "grid": json.dumps(grid),
        },
    )
    assert response.status_code == 302
    assert Rubric.objects.get(title="Rubrik Lapangan").points_max == 4


def _grow(centres, n: int) -> None:
    """n more of each listed kind for Regional III."""
    r3 = centres["R3"]
    for i in range(n):
        bank = authoring.bank_save(
            centre=r3, title=f"Bank {i}", shared_with=[centres["R1"]]
        )
        authoring.question_save(
            bank=bank, kind="true_false", name=f"Soal {i}", text="?", data=true_false()
        )
        authoring.rubric_save(
            centre=r3,
            title=f"Rubrik {i}",
            criteria=[{"title": "Isi", "levels": [{"title": "Baik", "points": 1}]}],
        )
        quiz_make(centre=r3, questions=1, code=f"Q-{n}-{i}")


@pytest.mark.parametrize("url", [BANKS, QUESTIONS, RUBRICS, ASSESSMENTS])
def test_list_pages_run_the_same_queries_at_two_sizes(
    r3_client, centres, url, django_assert_num_queries
):
    _grow(centres, 2)
    r3_client.get(url)  # warm caches (content types, site) once
    with CaptureQueriesContext(connection) as small:
        assert r3_client.get(url).status_code == 200
    _grow(centres, 12)
    with django_assert_num_queries(len(small.captured_queries)):
        response = r3_client.get(url)
    # The bigger list really is bigger: 14 rows of each kind (a page holds 20).
    rows = response.content.decode().count("<tr")
    assert rows >= 15, rows


def test_delete_refuses_what_is_in_use_and_logs_nothing(r3_client, centres):
    from wagtail.models import ModelLogEntry

    bank = authoring.bank_save(centre=centres["R3"], title="Bank Terpakai")
    authoring.question_save(
        bank=bank, kind="true_false", name="S", text="?", data=true_false()
    )
    response = r3_client.post(f"{BANKS}delete/{bank.pk}/", follow=True)
    # Refused (by the service, or first by Wagtail's usage check): sent back.
    assert response.redirect_chain and response.status_code == 200
    assert QuestionBank.objects.filter(pk=bank.pk).exists()
    assert not ModelLogEntry.objects.filter(
        object_id=str(bank.pk), action="wagtail.delete"
    ).exists()
    draft = authoring.assessment_save(
        centre=centres["R3"], values={"code": "HAPUS", "title": "Hapus"}
    )
    assert r3_client.post(f"{ASSESSMENTS}delete/{draft.pk}/").status_code == 302
    assert not Assessment.objects.filter(pk=draft.pk).exists()


def test_menu_group_shows_for_authors_only(r3_client, staff_client):
    assert f'"{BANKS}"' in r3_client.get("/admin/").content.decode()
    grader = staff_client("penilai.unhas@lms.example")
    body = grader.get("/admin/").content.decode()
    assert BANKS not in body and ASSESSMENTS not in body
    assert grader.get(BANKS).status_code == 302
