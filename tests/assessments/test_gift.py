"""GIFT files: every spelling Moodle documents, problems with lines, round trips."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from assessments.questions.gift import GIFT_KINDS, parse_gift, write_gift
from assessments.questions.parsed import ParsedQuestion

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "questions"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def one(text: str) -> ParsedQuestion:
    result = parse_gift(text)
    assert result.problems == []
    assert len(result.questions) == 1
    return result.questions[0]


def test_the_sample_file_holds_100_questions_of_every_gift_kind():
    result = parse_gift((FIXTURES / "sample.gift").read_text(encoding="utf-8"))
    assert result.problems == []
    assert len(result.questions) == 100
    assert set(Counter(q.kind for q in result.questions)) == set(GIFT_KINDS)
    assert all(q.line for q in result.questions)


def test_the_broken_file_reports_exactly_its_one_broken_question():
    text = (FIXTURES / "broken.gift").read_text(encoding="utf-8")
    line = next(
        n for n, row in enumerate(text.splitlines(), start=1) if "Soal rusak" in row
    )
    result = parse_gift(text)
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem.index, problem.line, problem.name) == (4, line, "Soal rusak")
    assert problem.messages == [
        "The answers opened with '{' are never closed with '}'."
    ]
    assert str(problem).startswith(f"Question 4 (line {line}, 'Soal rusak'): ")


def test_multiple_choice_with_title_format_feedback_and_general_feedback():
    q = one(
        "// a comment\n"
        "::Makam::[html]<b>Siapa</b> dimakamkan?{~Grant#Bukan ~Jefferson =tak seorang"
        " pun#Benar ####Umum}"
    )
    assert (q.name, q.text, q.text_format, q.kind) == (
        "Makam",
        "<b>Siapa</b> dimakamkan?",
        "html",
        "single_choice",
    )
    assert q.general_feedback == "Umum"
    assert [
        (c["id"], c["text"], c["fraction"], c["feedback"]) for c in q.data["choices"]
    ] == [
        ("a", "Grant", 0.0, "Bukan"),
        ("b", "Jefferson", 0.0, ""),
        ("c", "tak seorang pun", 1.0, "Benar"),
    ]


def test_missing_word_question_keeps_a_blank_and_gets_a_name_from_its_text():
    q = one("Grant {~buried =entombed ~living} di makam Grant.")
    assert q.text == "Grant _____ di makam Grant."
    assert q.name == "Grant _____ di makam Grant."
    assert q.text_format == "plain"


def test_weights_without_an_equals_sign_make_a_multiple_response_question():
    q = one("Pilih dua.{~%50%A ~%50%B ~%-100%C}")
    assert q.kind == "multiple_response"
    assert [c["fraction"] for c in q.data["choices"]] == [0.5, 0.5, -1.0]
    assert q.data["scoring"] == "partial"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("T", True), ("TRUE", True), ("F", False), ("FALSE", False)],
)
def test_true_false_spellings(answer, expected):
    assert one(f"Benar?{{{answer}}}").data["answer"] is expected


def test_true_false_feedback_is_first_for_a_wrong_answer_then_for_a_right_one():
    q = one("Dana boleh dipotong.{FALSE#Salah, tidak boleh.#Betul.}")
    assert q.data == {
        "answer": False,
        "feedback_true": "Salah, tidak boleh.",
        "feedback_false": "Betul.",
    }


def test_short_answer_with_weights_and_wildcards():
    q = one("Singkatan?{=Kemensos =%50%Kemen*#Hampir}")
    assert q.kind == "short_answer"
    assert q.data["match"] == "pattern"
    assert q.data["answers"][1] == {
        "text": "Kemen*",
        "fraction": 0.5,
        "feedback": "Hampir",
    }
    assert one("Dua tambah dua?{=empat =4}").data["match"] == "casefold"


def test_numeric_tolerance_range_and_several_answers():
    assert one("Pi?{#3.14:0.01}").data["answers"] == [
        {"value": 3.14, "tolerance": 0.01, "fraction": 1.0, "feedback": ""}
    ]
    assert one("Antara 1 dan 5?{#1..5}").data["answers"][0] | {} == {
        "value": 3.0,
        "tolerance": 2.0,
        "fraction": 1.0,
        "feedback": "",
    }
    q = one("Tahun?{#\n  =1822:0 # Tepat\n  =%50%1822:2 # Dekat\n}")
    assert [
        (a["tolerance"], a["fraction"], a["feedback"]) for a in q.data["answers"]
    ] == [
        (0.0, 1.0, "Tepat"),
        (2.0, 0.5, "Dekat"),
    ]


def test_matching_with_a_distractor():
    q = one("Pasangkan.{=PKH -> Bersyarat =BPNT -> Pangan = -> Modal}")
    assert q.kind == "matching"
    assert [(p["prompt"], p["answer"]) for p in q.data["pairs"]] == [
        ("PKH", "Bersyarat"),
        ("BPNT", "Pangan"),
    ]
    assert q.data["distractors"] == ["Modal"]


def test_essay_description_category_id_and_tags():
    result = parse_gift(
        "$CATEGORY: Pendamping/PKH\n\n"
        "Bagian ini hanya penjelasan.\n\n"
        "// [id:ESAI-1] [tag:pkh] [tag:esai]\n"
        "::Esai::Ceritakan.{}\n"
    )
    assert result.problems == []
    [q] = result.questions
    assert (q.kind, q.category, q.idnumber, q.tags) == (
        "essay",
        "Pendamping/PKH",
        "ESAI-1",
        ["pkh", "esai"],
    )
    assert q.line == 6


def test_escapes_keep_special_characters_literal():
    q = one(r"::a\:b::Tanda \{ \} \= \~ \# \: dan \\ ditulis.{=x\=y ~z\~w}")
    assert q.name == "a:b"
    assert q.text == "Tanda { } = ~ # : dan \\ ditulis."
    assert [c["text"] for c in q.data["choices"]] == ["x=y", "z~w"]


def test_every_problem_of_every_question_is_reported_at_once():
    result = parse_gift(
        "::Satu::Tanpa tutup {=a ~b\n\n"
        "::Dua::Baik {=a ~b}\n\n"
        "::Tiga::Tidak ada yang benar {~a ~b}\n\n"
        "::Empat::Bobot salah {~%abc%a =b}\n\n"
        "::Lima::Dua blok {=a ~b} lalu {=c ~d}\n"
    )
    assert [(p.index, p.line, p.name) for p in result.problems] == [
        (1, 1, "Satu"),
        (3, 5, "Tiga"),
        (4, 7, "Empat"),
        (5, 9, "Lima"),
    ]
    assert result.problems[1].messages == ["At least one choice must be right."]
    assert "weight" in result.problems[2].messages[0]
    assert "more than one answer block" in result.problems[3].messages[0]


def _roundtrip(questions: list[ParsedQuestion]) -> list[ParsedQuestion]:
    result = parse_gift(write_gift(questions))
    assert result.problems == []
    return result.questions


def test_sample_file_round_trips_through_the_writer():
    original = parse_gift((FIXTURES / "sample.gift").read_text(encoding="utf-8"))
    assert _roundtrip(original.questions) == original.questions


def test_kinds_gift_cannot_hold_are_left_out_with_a_comment():
    ordering = ParsedQuestion(
        name="Urutan",
        text="Urutkan.",
        kind="ordering",
        data={"items": [{"id": "i1", "text": "a"}, {"id": "i2", "text": "b"}]},
    )
    text = write_gift([ordering])
    assert "Not written: ordering question 'Urutan'" in text
    assert parse_gift(text).questions == []


gift_text = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Co", "Cc", "Zl", "Zp")
    )
    | st.sampled_from("~=#{}:\\\n-> %*"),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() and "->" not in s and "####" not in s)


@given(text=gift_text, choice=gift_text, feedback=gift_text)
def test_any_text_survives_a_round_trip(text, choice, feedback):
    question = ParsedQuestion(
        name=" ".join(text.split()),
        text=text.strip(),
        text_format="plain",
        kind="single_choice",
        data={
            "choices": [
                {
                    "id": "a",
                    "text": choice.strip(),
                    "fraction": 1.0,
                    "feedback": feedback.strip(),
                },
                {"id": "b", "text": "lain", "fraction": 0.0, "feedback": ""},
            ],
            "shuffle": True,
        },
        points=Decimal(1),
    )
    with translation.override("en"):
        assert _roundtrip([question]) == [question]
