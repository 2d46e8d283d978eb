"""Moodle XML files: every type Moodle exports, safe parsing, problems with lines."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from assessments.questions.moodle_xml import parse_moodle_xml, write_moodle_xml
from assessments.questions.parsed import ParsedQuestion

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "questions"
ALL_KINDS = {
    "single_choice",
    "multiple_response",
    "true_false",
    "short_answer",
    "numeric",
    "matching",
    "ordering",
    "essay",
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def quiz(body: str) -> str:
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n{body}\n</quiz>\n'


def test_the_sample_file_holds_100_questions_of_every_kind():
    result = parse_moodle_xml((FIXTURES / "sample.xml").read_bytes())
    assert result.problems == []
    assert len(result.questions) == 100
    assert {q.kind for q in result.questions} == ALL_KINDS
    first = result.questions[0]
    assert first.idnumber == "SAMPLE-001"
    assert first.tags == ["bpnt"]
    assert first.category == "Pendamping Sosial/BPNT"


def test_the_broken_file_reports_exactly_its_one_broken_question():
    data = (FIXTURES / "broken.xml").read_bytes()
    lines = data.decode().splitlines()
    name_line = next(n for n, row in enumerate(lines) if "Soal rusak" in row)
    question_line = max(
        n + 1 for n, row in enumerate(lines[:name_line]) if "<question " in row
    )
    result = parse_moodle_xml(data)
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem.index, problem.line, problem.name) == (
        4,
        question_line,
        "Soal rusak",
    )
    assert problem.messages == ["One choice must be fully right (100 %)."]


def test_a_moodle_export_reads_with_formats_grades_and_feedback():
    result = parse_moodle_xml(
        quiz(
            """
  <question type="category"><category><text>$course$/top/PKH</text></category>
  </question>
  <question type="description"><name><text>Info</text></name>
    <questiontext format="html"><text>Bacaan</text></questiontext></question>
  <question type="multichoice">
    <name><text>Pilihan</text></name>
    <questiontext format="html"><text><![CDATA[<p>Apa <b>PKH</b>?</p>]]></text>
    </questiontext>
    <generalfeedback format="html"><text>Lihat modul.</text></generalfeedback>
    <defaultgrade>2.5000000</defaultgrade>
    <single>false</single>
    <shuffleanswers>0</shuffleanswers>
    <answer fraction="50"><text>A</text><feedback><text>Ya</text></feedback></answer>
    <answer fraction="50"><text>B</text></answer>
    <answer fraction="-100"><text>C</text></answer>
  </question>
  <question type="truefalse">
    <name><text>BS</text></name>
    <questiontext format="plain_text"><text>Benar?</text></questiontext>
    <answer fraction="0"><text>true</text><feedback><text>Keliru</text></feedback>
    </answer>
    <answer fraction="100"><text>false</text><feedback><text>Tepat</text></feedback>
    </answer>
  </question>
  <question type="shortanswer">
    <name><text>Isian</text></name>
    <questiontext><text>Singkatan?</text></questiontext>
    <usecase>1</usecase>
    <answer fraction="100"><text>KPM</text></answer>
  </question>
  <question type="numerical">
    <name><text>Angka</text></name>
    <questiontext><text>Pi?</text></questiontext>
    <answer fraction="100"><text>3.14</text><tolerance>0.01</tolerance></answer>
    <answer fraction="0"><text>*</text><feedback><text>Coba lagi</text></feedback>
    </answer>
  </question>
"""
        )
    )
    assert result.problems == []
    multi, true_false, short, numeric = result.questions
    assert multi.category == "$course$/top/PKH"
    assert (multi.kind, multi.text_format, multi.points) == (
        "multiple_response",
        "html",
        Decimal("2.50"),
    )
    assert multi.text == "<p>Apa <b>PKH</b>?</p>"
    assert multi.data["shuffle"] is False
    assert [c["fraction"] for c in multi.data["choices"]] == [0.5, 0.5, -1.0]
    assert multi.general_feedback == "Lihat modul."
    assert true_false.data == {
        "answer": False,
        "feedback_true": "Keliru",
        "feedback_false": "Tepat",
    }
    assert true_false.text_format == "plain"
    assert short.data["match"] == "exact"
    assert numeric.data["answers"] == [
        {"value": 3.14, "tolerance": 0.01, "fraction": 1.0, "feedback": ""}
    ]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<quiz><question type="essay"><name><text>&lol3;</text></name></question></quiz>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<quiz><question type="essay"><name><text>&secret;</text></name>
<questiontext><text>&secret;</text></questiontext></question></quiz>
"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE], ids=["laughs", "xxe"])
def test_entities_and_document_types_are_refused_unread(data):
    result = parse_moodle_xml(data)
    assert result.questions == []
    [problem] = result.problems
    assert problem.index == 0
    assert "document type" in problem.messages[0]
    assert "root:" not in str(problem)


def test_broken_xml_and_a_wrong_root_are_clear_problems():
    [problem] = parse_moodle_xml(b"<quiz>\n<question type='essay'>\n</quiz>").problems
    assert "not well-formed" in problem.messages[0]
    assert problem.line == 3
    [problem] = parse_moodle_xml(b"<questions/>").problems
    assert "<quiz>" in problem.messages[0]


def test_unsupported_types_and_embedded_files_are_reported_per_question():
    result = parse_moodle_xml(
        quiz(
            """
  <question type="cloze"><name><text>Isian ganda</text></name>
    <questiontext><text>{1:SHORTANSWER:=a}</text></questiontext></question>
  <question type="essay"><name><text>Gambar</text></name>
    <questiontext format="html">
      <text><![CDATA[<img src="@@PLUGINFILE@@/a.png">]]></text>
      <file name="a.png" encoding="base64">iVBORw0KGgo=</file>
    </questiontext></question>
  <question type="essay"><name><text>Baik</text></name>
    <questiontext><text>Ceritakan.</text></questiontext></question>
"""
        )
    )
    assert [(p.index, p.line, p.name) for p in result.problems] == [
        (1, 4, "Isian ganda"),
        (2, 6, "Gambar"),
    ]
    assert result.problems[0].messages == ["Question type 'cloze' is not supported."]
    assert "embeds files" in result.problems[1].messages[0]
    assert [q.name for q in result.questions] == ["Baik"]


def test_sample_file_round_trips_through_the_writer():
    original = parse_moodle_xml((FIXTURES / "sample.xml").read_bytes()).questions
    again = parse_moodle_xml(write_moodle_xml(original))
    assert again.problems == []
    assert again.questions == original


def test_scoring_rules_and_exact_matching_survive_a_round_trip():
    base = parse_moodle_xml((FIXTURES / "sample.xml").read_bytes()).questions
    multi = next(q for q in base if q.kind == "multiple_response")
    short = next(q for q in base if q.kind == "short_answer")
    questions = []
    for scoring in ("all_or_nothing", "right_minus_wrong"):
        q = copy.deepcopy(multi)
        q.data["scoring"] = scoring
        questions.append(q)
    q = copy.deepcopy(short)
    q.data = {
        "answers": [{"text": "KPM", "fraction": 1.0, "feedback": ""}],
        "match": "exact",
    }
    questions.append(q)
    text = write_moodle_xml(questions)
    assert b'type="multichoiceset"' in text
    assert parse_moodle_xml(text).questions == questions


def test_the_written_file_is_what_moodle_expects():
    question = ParsedQuestion(
        name="A & B < C",
        text="<p>x</p>",
        kind="true_false",
        data={"answer": True, "feedback_true": "", "feedback_false": ""},
        points=Decimal("2"),
        idnumber="X-1",
        tags=["pkh"],
    )
    text = write_moodle_xml([question]).decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    assert '<question type="truefalse">' in text
    assert "<text>A &amp; B &lt; C</text>" in text
    assert (
        '<answer fraction="100" format="plain_text">\n      <text>true</text>' in text
    )
