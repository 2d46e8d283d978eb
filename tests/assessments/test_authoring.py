"""Authoring services: versions on edit, locks after attempts, every problem at once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from assessments import authoring
from assessments.models import (
    Assessment,
    AssessmentStatus,
    ChecklistLine,
    Question,
    QuestionBank,
    QuestionVersion,
    Rubric,
    Section,
    SectionItem,
)
from assessments.services import assessment_publish, attempt_start
from lms.models import Organisation
from tests.assessments.builders import (
    criterion_make,
    quiz_make,
    single_choice,
    trainee_make,
    true_false,
)


@pytest.fixture(autouse=True)
def _english():
    """Messages asserted in English; the Indonesian test switches itself."""
    with translation.override("en"):
        yield


@pytest.fixture
def r3(db):
    return Organisation.objects.get(code="R3")


@pytest.fixture
def bank(r3):
    return authoring.bank_save(centre=r3, title="Bank Pendampingan")


def problems_of(error: pytest.ExceptionInfo) -> list[str]:
    return error.value.messages


def test_bank_is_shared_only_with_other_centres(r3):
    r2 = Organisation.objects.get(code="R2")
    bank = authoring.bank_save(centre=r3, title="Bersama", shared_with=[r2])
    assert list(bank.shared_with.all()) == [r2]
    assert bank in QuestionBank.objects.usable_by_centre(r2)
    lsp = Organisation.objects.get(code="LSP-KEMENSOS")
    with pytest.raises(ValidationError) as error:
        authoring.bank_save(centre=r3, title="", shared_with=[r3, lsp])
    assert len(problems_of(error)) == 3
    assert QuestionBank.objects.filter(centre=r3).count() == 1


def test_question_edit_makes_a_new_version_and_an_attempt_keeps_the_old(r3, bank):
    question, first = authoring.question_save(
        bank=bank,
        kind="true_false",
        name="Langkah pertama",
        text="Asesmen awal dilakukan sebelum intervensi?",
        data=true_false(True),
        tags=["asesmen"],
    )
    assert first.number == 1 and question.current_version == first
    quiz = quiz_make(centre=r3, questions=0, status=AssessmentStatus.DRAFT)
    authoring.section_save(
        assessment=quiz,
        section=quiz.sections.get(),
        instrument="quiz",
        items=[{"question": question.pk}],
    )
    assessment_publish(assessment=quiz)
    attempt = attempt_start(assessment=quiz, trainee=trainee_make(r3))

    same, none = authoring.question_save(
        question=question,
        bank=bank,
        kind="true_false",
        name="Langkah pertama (diganti nama)",
        text="Asesmen awal dilakukan sebelum intervensi?",
        data={"answer": True, "feedback_true": "", "feedback_false": ""},
        points="1.00",
        tags=["asesmen", "awal"],
    )
    assert none is None, "an edit that changes no content adds no version"
    assert QuestionVersion.objects.filter(question=question).count() == 1
    assert same.name == "Langkah pertama (diganti nama)"
    assert sorted(same.tags.values_list("name", flat=True)) == ["asesmen", "awal"]

    _q, second = authoring.question_save(
        question=question,
        bank=bank,
        kind="true_false",
        name="Langkah pertama",
        text="Asesmen awal dilakukan SETELAH intervensi?",
        data=true_false(False),
    )
    assert second.number == 2
    question.refresh_from_db()
    assert question.current_version == second
    first.refresh_from_db()
    assert first.text == "Asesmen awal dilakukan sebelum intervensi?"
    shown = attempt.answers.get().question_version
    assert shown == first and shown.data["answer"] is True


def test_bad_question_lists_every_problem_and_writes_nothing(bank):
    before = Question.objects.count(), QuestionVersion.objects.count()
    with pytest.raises(ValidationError) as error:
        authoring.question_save(
            bank=bank,
            kind="single_choice",
            name="",
            text="",
            data={"choices": [{"id": "a", "text": "", "fraction": 3}]},
            points=-1,
        )
    problems = problems_of(error)
    assert "The name is required." in problems
    assert "The question text is required." in problems
    assert "The points must be a number from 0 to 99,999." in problems
    assert "At least 2 choices are needed." in problems
    assert (Question.objects.count(), QuestionVersion.objects.count()) == before
    with pytest.raises(ValidationError) as error:
        authoring.question_save(bank=bank, kind="nope", name="x", text="y", data={})
    assert problems_of(error) == ["Unknown question type nope."]


def test_problems_are_in_indonesian_when_the_user_reads_indonesian(bank):
    """The type's own validation messages reach the author in their language."""
    with translation.override("id"), pytest.raises(ValidationError) as error:
        authoring.question_save(
            bank=bank, kind="single_choice", name="x", text="x", data={"choices": []}
        )
    assert problems_of(error) == ["Diperlukan sedikitnya 2 pilihan."]


def test_retired_question_is_not_drawn_or_edited(bank):
    question, _v = authoring.question_save(
        bank=bank, kind="true_false", name="Lama", text="?", data=true_false()
    )
    authoring.question_retire(question=question)
    with pytest.raises(ValidationError) as error:
        authoring.question_save(
            question=question,
            bank=bank,
            kind="true_false",
            name="Lama",
            text="??",
            data=true_false(),
        )
    assert "retired" in problems_of(error)[0]


def test_assessment_settings_and_lock_after_attempts(r3):
    draft = authoring.assessment_save(
        centre=r3,
        values={"code": "PRE-01", "title": "Pra-uji", "purpose": "pre_test"},
    )
    assert draft.status == AssessmentStatus.DRAFT
    with pytest.raises(ValidationError) as error:
        authoring.assessment_save(
            centre=r3,
            values={"code": "PRE-01", "title": "", "pass_mark": Decimal(120)},
        )
    problems = problems_of(error)
    assert len(problems) == 3, problems
    assert Assessment.objects.filter(centre=r3, code="PRE-01").count() == 1

    quiz = quiz_make(centre=r3, questions=2)
    attempt_start(assessment=quiz, trainee=trainee_make(r3))
    with pytest.raises(ValidationError) as error:
        authoring.assessment_save(
            centre=r3,
            assessment=quiz,
            values={"title": "Baru", "pass_mark": Decimal(50), "attempts_allowed": 3},
        )
    (message,) = problems_of(error)
    assert "only its title and window may change" in message
    assert "pass mark" in message and "attempts allowed" in message
    quiz.refresh_from_db()
    assert quiz.title != "Baru" and quiz.pass_mark == 70
    authoring.assessment_save(centre=r3, assessment=quiz, values={"title": "Baru"})
    quiz.refresh_from_db()
    assert quiz.title == "Baru"
    with pytest.raises(ValidationError) as error:
        authoring.section_save(assessment=quiz, instrument="oral", points=5)
    assert "Trainees have already sat this assessment" in problems_of(error)[0]
    with pytest.raises(ValidationError):
        authoring.section_remove(section=quiz.sections.get())
    assert quiz.sections.count() == 1


def test_sections_items_and_lines_in_a_draft(r3, bank):
    r2_bank = authoring.bank_save(centre=Organisation.objects.get(code="R2"), title="B")
    q1, _v = authoring.question_save(
        bank=bank, kind="single_choice", name="A", text="?", data=single_choice()
    )
    retired, _v = authoring.question_save(
        bank=bank, kind="true_false", name="B", text="?", data=true_false()
    )
    authoring.question_retire(question=retired)
    draft = authoring.assessment_save(centre=r3, values={"code": "UJI", "title": "Uji"})
    kuk = criterion_make("J.620100.099.01")

    with pytest.raises(ValidationError) as error:
        authoring.section_save(
            assessment=draft,
            instrument="quiz",
            items=[
                {"question": retired.pk},
                {"bank": r2_bank.pk, "count": 2},
                {"bank": bank.pk, "count": 0},
                {},
            ],
        )
    assert problems_of(error) == [
        f"Item 1: Question {retired.pk} is retired.",
        f"Item 2: Bank {r2_bank.pk} is not one your centre can use.",
        "Item 3: The number of questions to draw must be at least 1.",
        "Item 4: Give a question or a bank to draw from.",
    ]
    assert not Section.objects.filter(assessment=draft).exists()

    quiz = authoring.section_save(
        assessment=draft,
        instrument="quiz",
        title="Pilihan ganda",
        items=[{"question": q1.pk, "points": "2"}, {"bank": bank.pk, "count": 1}],
    )
    observation = authoring.section_save(
        assessment=draft,
        instrument="observation",
        points=10,
        lines=[{"text": "Menyapa keluarga", "criterion": kuk.pk}, {"text": "Mencatat"}],
    )
    oral = authoring.section_save(assessment=draft, instrument="oral", points=5)
    assert [quiz.position, observation.position, oral.position] == [1, 2, 3]
    assert SectionItem.objects.filter(section=quiz).count() == 2
    assert list(
        ChecklistLine.objects.filter(section=observation).values_list(
            "text", "criterion"
        )
    ) == [("Menyapa keluarga", kuk.pk), ("Mencatat", None)]

    authoring.section_move(section=oral, step=-1)
    authoring.sections_reorder(
        assessment=draft, order=[oral.pk, quiz.pk, observation.pk]
    )
    assert list(draft.sections.values_list("pk", flat=True)) == [
        oral.pk,
        quiz.pk,
        observation.pk,
    ]
    authoring.section_remove(section=quiz)
    assert list(draft.sections.values_list("position", "instrument")) == [
        (1, "oral"),
        (2, "observation"),
    ]
    assessment_publish(assessment=draft)
    with pytest.raises(ValidationError) as error:
        authoring.section_save(assessment=draft, instrument="oral", points=1)
    assert "return it to draft" in problems_of(error)[0]
    authoring.assessment_unpublish(assessment=draft)
    authoring.section_save(assessment=draft, instrument="oral", points=1)
    assert draft.sections.count() == 3


def test_bad_section_lists_every_problem(r3):
    draft = authoring.assessment_save(centre=r3, values={"code": "S", "title": "S"})
    with pytest.raises(ValidationError) as error:
        authoring.section_save(
            assessment=draft,
            instrument="assignment",
            points=-3,
            config={"file_types": ["exe"], "max_files": 99},
            lines=[{"text": "x"}],
        )
    problems = problems_of(error)
    assert len(problems) == 4, problems
    assert not draft.sections.exists()


def test_rubric_grid_saved_and_locked_once_marked(r3):
    kuk = criterion_make("J.620100.098.01")
    grid = [
        {
            "title": "Ketepatan",
            "criterion": kuk,
            "levels": [
                {"title": "Kurang", "points": 0},
                {"title": "Baik", "descriptor": "Tiga langkah", "points": "5"},
            ],
        }
    ]
    rubric = authoring.rubric_save(centre=r3, title="Rubrik esai", criteria=grid)
    assert rubric.points_max == 5
    with pytest.raises(ValidationError) as error:
        authoring.rubric_save(
            centre=r3,
            title="",
            criteria=[{"title": "", "levels": [{"title": "", "points": -1}]}, {}],
        )
    assert len(problems_of(error)) == 6, problems_of(error)
    assert Rubric.objects.filter(centre=r3).count() == 1

    changed = [{**grid[0], "title": "Ketepatan langkah"}]
    authoring.rubric_save(rubric=rubric, centre=r3, title="Rubrik", criteria=changed)
    assert rubric.criteria.get().title == "Ketepatan langkah"


def test_marked_rubric_keeps_its_grid(r3):
    from assessments.grading import services as grading
    from tests.grading.factories import essay_submission, levels_for, university_of

    university = university_of("penilai.unhas@lms.example")
    submission = essay_submission(r3, trainee_make(r3), university)
    grader = university.memberships.get(user__email="penilai.unhas@lms.example").user
    grading.submission_claim(submission=submission, grader=grader)
    submission.refresh_from_db()
    rubric = submission.rubric
    grading.mark_complete(
        submission=submission,
        grader=grader,
        expected_version=submission.version,
        levels=levels_for(rubric, 3, 5),
    )
    grid = [
        {
            "title": c.title,
            "criterion": None,
            "levels": [
                {"title": lv.title, "descriptor": lv.descriptor, "points": lv.points}
                for lv in c.levels.all()
            ],
        }
        for c in rubric.criteria.all()
    ]
    authoring.rubric_save(rubric=rubric, centre=r3, title="Rubrik esai", criteria=grid)
    rubric.refresh_from_db()
    assert rubric.title == "Rubrik esai"
    grid[0]["levels"][0]["points"] = 1
    with pytest.raises(ValidationError) as error:
        authoring.rubric_save(rubric=rubric, centre=r3, title="X", criteria=grid)
    assert "only its title" in problems_of(error)[0]
    assert rubric.criteria.first().levels.first().points == 0
