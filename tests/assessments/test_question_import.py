"""Importing and exporting question banks: all or nothing, versions, commands."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from assessments.models import Question, QuestionBank, QuestionTag, QuestionVersion
from assessments.questions.gift import parse_gift
from assessments.questions.importing import (
    question_bank_export,
    question_bank_import,
)
from assessments.questions.moodle_xml import parse_moodle_xml, write_moodle_xml
from tests.assessments.builders import centre_make

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "questions"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def bank() -> QuestionBank:
    return QuestionBank.objects.create(centre=centre_make("R3"), title="Bank uji")


def counts() -> tuple[int, int, int]:
    return (
        Question.objects.count(),
        QuestionVersion.objects.count(),
        QuestionTag.objects.count(),
    )


def test_a_gift_file_imports_every_question_with_a_first_version(bank):
    report = question_bank_import(
        bank=bank, fmt="gift", data=(FIXTURES / "sample.gift").read_bytes()
    )
    assert (report.created, report.new_versions, report.unchanged) == (100, 0, 0)
    questions = Question.objects.filter(bank=bank).select_related("current_version")
    assert questions.count() == 100
    assert all(q.current_version.number == 1 for q in questions)
    assert all(q.current_version.kind == q.kind for q in questions)
    tagged = questions.get(idnumber="SAMPLE-001")
    assert [t.name for t in tagged.tags.all()] == ["bpnt"]
    assert report.tags_created == 5


def test_reimporting_the_same_file_changes_nothing(bank):
    data = (FIXTURES / "sample.xml").read_bytes()
    question_bank_import(bank=bank, fmt="moodle_xml", data=data)
    before = counts()
    report = question_bank_import(bank=bank, fmt="moodle_xml", data=data)
    assert (report.created, report.new_versions, report.unchanged) == (0, 0, 100)
    assert counts() == before


def test_a_changed_question_gets_a_new_version_not_a_duplicate(bank, user_by_email):
    text = (FIXTURES / "sample.gift").read_text(encoding="utf-8")
    question_bank_import(bank=bank, fmt="gift", data=text.encode())
    changed = text.replace("Apa kepanjangan dari PKH?", "Apa singkatan PKH?", 1)
    assert changed != text
    report = question_bank_import(bank=bank, fmt="gift", data=changed.encode())
    assert (report.created, report.new_versions, report.unchanged) == (0, 1, 99)
    question = Question.objects.get(
        bank=bank, current_version__text="Apa singkatan PKH?"
    )
    assert question.versions.count() == 2
    assert question.current_version.number == 2
    assert Question.objects.filter(bank=bank).count() == 100


def test_questions_without_an_id_number_are_matched_by_name(bank):
    first = b"::Nama::Pertanyaan?{T}\n"
    question_bank_import(bank=bank, fmt="gift", data=first)
    report = question_bank_import(
        bank=bank, fmt="gift", data=b"::Nama::Pertanyaan?{F}\n"
    )
    assert (report.created, report.new_versions) == (0, 1)
    question = Question.objects.get(bank=bank, name="Nama")
    assert question.current_version.data["answer"] is False


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("broken.gift", "gift", "The answers opened with '{' are never closed"),
        ("broken.xml", "moodle_xml", "One choice must be fully right (100 %)."),
    ],
)
def test_a_file_with_one_broken_question_writes_nothing(bank, name, fmt, message):
    data = (FIXTURES / name).read_bytes()
    parsed = parse_gift(data.decode()) if fmt == "gift" else parse_moodle_xml(data)
    line = parsed.problems[0].line
    before = counts()
    with pytest.raises(ValidationError) as raised:
        question_bank_import(bank=bank, fmt=fmt, data=data)
    assert len(raised.value.messages) == 1
    assert raised.value.messages[0].startswith(
        f"Question 4 (line {line}, 'Soal rusak'): "
    )
    assert message in raised.value.messages[0]
    assert counts() == before


def test_every_problem_is_listed_including_duplicates_in_the_file(bank):
    data = (
        "::Sama::Satu?{T}\n\n"
        "::Rusak::Tanpa benar {~a ~b}\n\n"
        "::Sama::Dua?{F}\n\n"
        f"::{'x' * 300}::Panjang?{{T}}\n"
    ).encode()
    with pytest.raises(ValidationError) as raised:
        question_bank_import(bank=bank, fmt="gift", data=data)
    messages = raised.value.messages
    assert [m.split(":")[0] for m in messages] == [
        "Question 2 (line 3, 'Rusak')",
        "Question 3 (line 5, 'Sama')",
        f"Question 4 (line 7, '{'x' * 300}')",
    ]
    assert "Question 1 has the same ID number or name" in messages[1]
    assert "longer than 250 characters" in messages[2]
    assert Question.objects.filter(bank=bank).count() == 0


def test_an_xxe_upload_is_refused_and_writes_nothing(bank):
    data = (
        b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM '
        b'"file:///etc/passwd">]><quiz><question type="essay"><name><text>&x;'
        b"</text></name></question></quiz>"
    )
    before = counts()
    with pytest.raises(ValidationError) as raised:
        question_bank_import(bank=bank, fmt="moodle_xml", data=data)
    assert raised.value.messages[0].startswith("File: ")
    assert "document type" in raised.value.messages[0]
    assert counts() == before


def test_export_writes_current_versions_that_read_back_the_same(bank):
    question_bank_import(
        bank=bank, fmt="moodle_xml", data=(FIXTURES / "sample.xml").read_bytes()
    )
    exported = parse_moodle_xml(question_bank_export(bank=bank, fmt="moodle_xml"))
    assert exported.problems == []
    assert len(exported.questions) == 100
    original = parse_moodle_xml((FIXTURES / "sample.xml").read_bytes()).questions
    for question in original:
        question.category = ""  # banks keep no categories
    assert [q.name for q in exported.questions] == [q.name for q in original]
    assert exported.questions == original
    gift = question_bank_export(bank=bank, fmt="gift").decode()
    assert len(parse_gift(gift).questions) == 88  # ordering has no GIFT form
    assert "Not written: ordering question" in gift


def test_import_command_prints_counts_and_export_command_writes_a_file(bank, tmp_path):
    out = StringIO()
    call_command(
        "import_questions",
        str(FIXTURES / "sample.gift"),
        "--bank",
        bank.pk,
        stdout=out,
    )
    assert "created 100, new versions 0, unchanged 0" in out.getvalue()
    target = tmp_path / "bank.gift"
    call_command(
        "export_questions", "--bank", bank.pk, "--format", "gift", "-o", str(target)
    )
    assert len(parse_gift(target.read_text(encoding="utf-8")).questions) == 100


def test_import_command_fails_with_every_problem(bank):
    err = StringIO()
    before = counts()
    with pytest.raises(CommandError, match="Nothing was imported: 1 problem"):
        call_command(
            "import_questions",
            str(FIXTURES / "broken.xml"),
            "--bank",
            bank.pk,
            stderr=err,
        )
    assert "Question 4 (line" in err.getvalue()
    assert counts() == before
    with pytest.raises(CommandError, match="No question bank"):
        call_command("import_questions", str(FIXTURES / "sample.gift"), "--bank", 0)


def test_import_queries_do_not_grow_with_the_number_of_questions(bank):
    questions = parse_moodle_xml((FIXTURES / "sample.xml").read_bytes()).questions
    small = write_moodle_xml(questions[:10])
    other = QuestionBank.objects.create(centre=bank.centre, title="Bank kedua")
    with CaptureQueriesContext(connection) as few:
        question_bank_import(bank=bank, fmt="moodle_xml", data=small)
    with CaptureQueriesContext(connection) as many:
        question_bank_import(
            bank=other, fmt="moodle_xml", data=write_moodle_xml(questions)
        )
    # Set-based: ten times the questions, (almost) the same queries. SQLite caps
    # the parameters of one statement, so Django splits a big insert in two there.
    assert len(many.captured_queries) <= len(few.captured_queries) + 2
