"""Server re-scoring of H5P answers, per content type and for composites."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from courses.h5p.core.rescorers import BUILTIN_RESCORERS, default_registry
from courses.h5p.core.rescorers.blanks import blank_solutions, edit_distance
from courses.h5p.core.rescorers.drag_text import drop_zones
from courses.h5p.core.rescorers.mark_the_words import selectable_words
from courses.h5p.core.rescoring import (
    NotRescorable,
    Rescorer,
    RescorerRegistry,
    Score,
    child_responses,
)
from tests.h5p.core_helpers import SAMPLES

registry = default_registry()


def content_json(sample: str) -> dict[str, Any]:
    with zipfile.ZipFile(SAMPLES / "valid" / sample) as archive:
        return json.loads(archive.read("content/content.json"))


def score(name: str, params, response, children=None) -> tuple[float, float]:
    result = registry.rescore(name, params, response, children)
    return float(result.raw), float(result.max)


def refused(name: str, params, response, children=None) -> None:
    with pytest.raises(NotRescorable):
        registry.rescore(name, params, response, children)


# -- the registry -----------------------------------------------------------------


def test_builtin_rescorers_are_registered():
    assert registry.machine_names() == {
        "H5P.TrueFalse",
        "H5P.MultiChoice",
        "H5P.Blanks",
        "H5P.DragText",
        "H5P.MarkTheWords",
        "H5P.QuestionSet",
        "H5P.Column",
    }
    assert len(BUILTIN_RESCORERS) == 7


def test_register_refuses_duplicates_and_nameless_classes():
    fresh = RescorerRegistry()
    for rescorer in BUILTIN_RESCORERS:
        assert fresh.register(rescorer) is rescorer
    with pytest.raises(ValueError, match="already registered"):
        fresh.register(BUILTIN_RESCORERS[0])

    class Nameless(Rescorer):
        def rescore(self, params, response, children):
            return Score.of(0, 0)

    with pytest.raises(ValueError, match="machine_name"):
        fresh.register(Nameless)


def test_a_new_type_plugs_in_through_register():
    fresh = default_registry()

    @fresh.register
    class SummaryRescorer(Rescorer):
        machine_name = "H5P.Summary"

        def rescore(self, params, response, children):
            return Score.of(1 if response == "ok" else 0, 1)

    assert fresh.rescore("H5P.Summary", {}, "ok") == Score.of(1, 1)
    assert "H5P.Summary" not in registry  # other registries are untouched


def test_unknown_types_are_not_rescorable():
    refused("H5P.Essay", {}, "anything")
    assert not registry.verifiable("H5P.Essay", {})
    with pytest.raises(NotRescorable):
        registry.get("H5P.DragQuestion")


def test_parameters_must_be_an_object():
    refused("H5P.TrueFalse", ["correct"], "true")
    assert not registry.verifiable("H5P.TrueFalse", "nope")  # type: ignore[arg-type]


def test_scores_stay_in_range():
    with pytest.raises(ValueError):
        Score.of(3, 2)
    with pytest.raises(ValueError):
        Score.of(-1, 2)
    assert Score.of(0.5, 1) == Score(Decimal("0.5"), Decimal("1"))


def test_child_responses_are_read_from_statements():
    def statement(sub_id, response):
        return {
            "object": {
                "definition": {
                    "extensions": {"http://h5p.org/x-api/h5p-subContentId": sub_id}
                }
            },
            "result": {"response": response},
        }

    statements = [
        statement("a", "true"),
        statement("b", "0[,]2"),
        statement("a", "false"),  # answered again: the later one counts
        {"object": {"definition": {}}, "result": {"response": "x"}},  # top level
        statement("c", None),
        {"object": "garbage"},
    ]
    assert child_responses(statements) == {"a": "false", "b": "0[,]2"}


# -- H5P.TrueFalse ------------------------------------------------------------------


def test_true_false():
    assert score("H5P.TrueFalse", {"correct": "true"}, "true") == (1, 1)
    assert score("H5P.TrueFalse", {"correct": "true"}, "false") == (0, 1)
    assert score("H5P.TrueFalse", {"correct": "false"}, "false") == (1, 1)
    assert score("H5P.TrueFalse", {"correct": "false"}, "true") == (0, 1)
    assert score("H5P.TrueFalse", {"correct": "true"}, "") == (0, 1)
    assert score("H5P.TrueFalse", {"correct": "true"}, None) == (0, 1)
    assert score("H5P.TrueFalse", {}, "true") == (1, 1)  # the player's default
    for bad in ("yes", "TRUE", "true[,]false", "1"):
        refused("H5P.TrueFalse", {"correct": "true"}, bad)
    refused("H5P.TrueFalse", {"correct": True}, "true")


# -- H5P.MultiChoice -----------------------------------------------------------------


def multi(correct: list[bool], **behaviour) -> dict[str, Any]:
    return {
        "question": "<p>Ibu kota?</p>",
        "answers": [
            {"text": f"<div>{i}</div>", "correct": flag}
            for i, flag in enumerate(correct)
        ],
        "behaviour": behaviour,
    }


def test_multi_choice_single_answer():
    params = multi([False, True, False], singlePoint=False)
    assert score("H5P.MultiChoice", params, "1") == (1, 1)
    assert score("H5P.MultiChoice", params, "0") == (0, 1)
    assert score("H5P.MultiChoice", params, "") == (0, 1)
    refused("H5P.MultiChoice", params, "0[,]1")  # radio buttons give one answer


def test_multi_choice_several_answers_per_point():
    params = multi([True, False, True, False], singlePoint=False)
    assert score("H5P.MultiChoice", params, "0[,]2") == (2, 2)
    assert score("H5P.MultiChoice", params, "2[,]0") == (2, 2)
    assert score("H5P.MultiChoice", params, "0") == (1, 2)
    assert score("H5P.MultiChoice", params, "0[,]1") == (0, 2)
    assert score("H5P.MultiChoice", params, "0[,]1[,]2") == (1, 2)
    assert score("H5P.MultiChoice", params, "1[,]3") == (0, 2)  # never below 0
    assert score("H5P.MultiChoice", params, "") == (0, 2)


def test_multi_choice_single_point_and_pass_percentage():
    params = multi([True, False, True], singlePoint=True)
    assert score("H5P.MultiChoice", params, "0[,]2") == (1, 1)
    assert score("H5P.MultiChoice", params, "0") == (0, 1)
    half = multi([True, False, True], singlePoint=True, passPercentage=50)
    assert score("H5P.MultiChoice", half, "0") == (1, 1)
    assert score("H5P.MultiChoice", half, "0[,]1") == (0, 1)
    # The player itself defaults singlePoint to true when content omits it.
    assert score("H5P.MultiChoice", multi([True, True]), "0") == (0, 1)


def test_multi_choice_types_weights_and_no_correct_answer():
    forced_single = multi([True, True, False], type="single")
    assert score("H5P.MultiChoice", forced_single, "1") == (1, 1)
    forced_multi = multi([True, False], type="multi", singlePoint=False)
    assert score("H5P.MultiChoice", forced_multi, "0") == (1, 1)
    weighted = multi([True, False, True], singlePoint=False)
    weighted["answers"][2]["weight"] = 2
    weighted["answers"][1]["weight"] = 0.5
    assert score("H5P.MultiChoice", weighted, "2[,]1") == (1.5, 3)
    nothing_right = multi([False, False], type="multi", singlePoint=False)
    assert score("H5P.MultiChoice", nothing_right, "") == (1, 1)
    assert score("H5P.MultiChoice", nothing_right, "0") == (0, 1)


@pytest.mark.parametrize("bad", ["7", "0[,]0", "x", "-1", "1.0", " 1", "\u0663"])
def test_multi_choice_malformed_responses(bad):
    refused("H5P.MultiChoice", multi([True, False, True], singlePoint=False), bad)


def test_multi_choice_content_it_does_not_reproduce():
    refused("H5P.MultiChoice", {"answers": []}, "")
    refused("H5P.MultiChoice", {**multi([True, False]), "weight": 2}, "0")
    refused("H5P.MultiChoice", multi([True, False], type="sorted"), "0")
    refused("H5P.MultiChoice", {"answers": ["text"]}, "0")


# -- H5P.Blanks ---------------------------------------------------------------------


BLANKS = {
    "text": "<p>Lengkapi.</p>",
    "questions": [
        "<p>Ibu kota Indonesia adalah *Jakarta/DKI Jakarta:kota terbesar*.</p>",
        "<p>Merdeka tahun *1945*, pada bulan *Agustus*.</p>",
        "",
    ],
    "behaviour": {"caseSensitive": True, "acceptSpellingErrors": False},
}


def test_blanks_solutions_are_read_like_the_player():
    assert blank_solutions(BLANKS) == [
        ["Jakarta", "DKI Jakarta"],
        ["1945"],
        ["Agustus"],
    ]
    entities = {"questions": ["*&lt;b&gt; / caf&eacute;*", "**", "*a*b*c*"]}
    # Asterisks pair up left to right: "*a*b*c*" holds the blanks "a" and "c".
    assert blank_solutions(entities) == [["<b>", "café"], ["a"], ["c"]]


def test_blanks():
    assert score("H5P.Blanks", BLANKS, "Jakarta[,]1945[,]Agustus") == (3, 3)
    assert score("H5P.Blanks", BLANKS, " DKI Jakarta [,]1945[,]agustus") == (2, 3)
    assert score("H5P.Blanks", BLANKS, "Bandung[,]1954[,]") == (0, 3)
    assert score("H5P.Blanks", BLANKS, None) == (0, 3)
    refused("H5P.Blanks", BLANKS, "Jakarta[,]1945")  # a blank missing
    refused("H5P.Blanks", BLANKS, "a[,]b[,]c[,]d")
    refused("H5P.Blanks", {"questions": ["no blanks here"]}, "")


def test_blanks_case_and_spelling_behaviours():
    loose = {**BLANKS, "behaviour": {"caseSensitive": False}}
    assert score("H5P.Blanks", loose, "JAKARTA[,]1945[,]agustus") == (3, 3)
    # Content that omits caseSensitive is case sensitive, as the player's default.
    strict = {"questions": BLANKS["questions"]}
    assert score("H5P.Blanks", strict, "jakarta[,]1945[,]Agustus") == (2, 3)
    typos = {
        "questions": ["*Jakarta* *1945* *RI* *Kalimantan Barat*"],
        "behaviour": {"acceptSpellingErrors": True},
    }
    # One edit (a swap counts as one) for answers longer than 3 characters, two
    # for answers longer than 9, none for short ones like "RI".
    assert score("H5P.Blanks", typos, "Jakrata[,]1954[,]IR[,]Kalimantn Brat") == (3, 4)
    assert score("H5P.Blanks", typos, "Jkrata[,]1594[,]R[,]Klmantan Brt") == (0, 4)
    exact = {**typos, "behaviour": {"acceptSpellingErrors": False}}
    assert score("H5P.Blanks", exact, "Jakrata[,]1945[,]RI[,]Kalimantn Brat") == (2, 4)


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("1945", "1954") == 1
    assert edit_distance("jakarta", "jakarta") == 0
    assert edit_distance("", "abc") == 3
    assert edit_distance("kitten", "sitting") == 3


def test_blanks_child_of_the_column_sample():
    column = content_json("column-mixed-questions.h5p")
    blanks = next(
        item["content"]
        for item in column["content"]
        if item["content"]["subContentId"] == "488dbf72-3a35-4f46-a38f-7db3cb519443"
    )
    params = blanks["params"]
    right = "39000[,]24000[,]15000[,]28000[,]30000[,]20000"
    assert score("H5P.Blanks", params, right) == (6, 6)
    assert score("H5P.Blanks", params, "39000[,]24000[,]15000[,]1[,]2[,]3") == (3, 6)
    assert score("H5P.Blanks", params, "[,][,][,][,][,]") == (0, 6)
    assert registry.verifiable("H5P.Blanks", params)


# -- H5P.DragText -------------------------------------------------------------------


def test_drag_text_sample():
    params = content_json("drag-text.h5p")
    assert drop_zones(params) == (["blue", "red", "orange"], [])
    assert score("H5P.DragText", params, "blue[,]red[,]orange") == (3, 3)
    assert score("H5P.DragText", params, "red[,]blue[,]orange") == (1, 3)
    assert score("H5P.DragText", params, "orange[,]blue[,]red") == (0, 3)
    assert score("H5P.DragText", params, "[,][,]") == (0, 3)
    assert score("H5P.DragText", params, None) == (0, 3)
    refused("H5P.DragText", params, "blue[,]red")  # a drop zone missing
    refused("H5P.DragText", params, "blue[,]blue[,]blue")  # only one "blue" exists
    refused("H5P.DragText", params, "purple[,][,]")  # not a word of this exercise


def test_drag_text_tips_feedback_and_distractors():
    params = {
        "textField": "Langit *biru:warna laut* dan daun *hijau\\+Benar!\\-Salah.*.\n"
        "Matahari *kuning *.",
        "distractors": "*ungu* *merah*",
    }
    assert drop_zones(params) == (["biru", "hijau", "kuning"], ["ungu", "merah"])
    assert score("H5P.DragText", params, "biru[,]hijau[,]kuning") == (3, 3)
    assert score("H5P.DragText", params, "ungu[,]hijau[,]merah") == (1, 3)
    refused("H5P.DragText", params, "ungu[,]ungu[,]")
    refused("H5P.DragText", {"textField": "tanpa kata"}, "")
    refused("H5P.DragText", {"textField": 5}, "")


# -- H5P.MarkTheWords ---------------------------------------------------------------


MARK = {
    "textField": "<p>The *cat* sat on the *mat*.</p>\n<p>A dog, <em>*barked*</em>!</p>"
}


def test_mark_the_words_word_list():
    words = selectable_words(MARK["textField"])
    assert [w for w, _ in words] == [
        "The",
        "*cat*",
        "sat",
        "on",
        "the",
        "*mat*",
        "A",
        "dog",
        "*barked*",
    ]
    assert [i for i, (_, answer) in enumerate(words) if answer] == [1, 5, 8]
    tricky = selectable_words('<p>"*kata*," &amp; *lou**d* (x) **</p>')
    assert tricky == [
        ("*kata*", True),
        ("&", False),
        ("*lou**d*", True),
        ("x", False),
        ("**", False),
    ]


def test_mark_the_words():
    assert score("H5P.MarkTheWords", MARK, "1[,]5[,]8") == (3, 3)
    assert score("H5P.MarkTheWords", MARK, "1[,]5") == (2, 3)
    assert score("H5P.MarkTheWords", MARK, "1[,]2") == (0, 3)
    assert score("H5P.MarkTheWords", MARK, "0[,]2[,]3") == (0, 3)  # never below 0
    assert score("H5P.MarkTheWords", MARK, "") == (0, 3)
    for bad in ("9", "1[,]1", "one", "1,5"):
        refused("H5P.MarkTheWords", MARK, bad)


def test_mark_the_words_without_answers_rewards_marking_nothing():
    params = {"textField": "<p>Tidak ada yang perlu ditandai.</p>"}
    assert score("H5P.MarkTheWords", params, "") == (1, 1)
    assert score("H5P.MarkTheWords", params, "0") == (0, 1)
    refused("H5P.MarkTheWords", {"textField": "<p></p>"}, "")


# -- composites ---------------------------------------------------------------------


def child(library: str, sub_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return {"library": library, "subContentId": sub_id, "params": params}


QUESTION_SET = {
    "questions": [
        child("H5P.TrueFalse 1.8", "tf", {"correct": "false"}),
        child(
            "H5P.MultiChoice 1.16", "mc", multi([True, False, True], singlePoint=False)
        ),
        child("H5P.Blanks 1.14", "bl", BLANKS),
        child("H5P.DragText 1.10", "dt", content_json("drag-text.h5p")),
        child("H5P.MarkTheWords 1.11", "mw", MARK),
    ]
}
ALL_RIGHT = {
    "tf": "false",
    "mc": "0[,]2",
    "bl": "Jakarta[,]1945[,]Agustus",
    "dt": "blue[,]red[,]orange",
    "mw": "1[,]5[,]8",
}


def test_question_set():
    assert registry.verifiable("H5P.QuestionSet", QUESTION_SET)
    assert score("H5P.QuestionSet", QUESTION_SET, None, ALL_RIGHT) == (12, 12)
    partly = {**ALL_RIGHT, "tf": "true", "mc": "0", "dt": "red[,]blue[,]orange"}
    assert score("H5P.QuestionSet", QUESTION_SET, None, partly) == (8, 12)
    wrong = {
        "tf": "true",
        "mc": "1",
        "bl": "[,][,]",
        "dt": "[,][,]",
        "mw": "0",
    }
    assert score("H5P.QuestionSet", QUESTION_SET, None, wrong) == (0, 12)
    # An unanswered question counts 0 of its maximum, as in the player.
    assert score("H5P.QuestionSet", QUESTION_SET, None, {"tf": "false"}) == (1, 12)
    refused("H5P.QuestionSet", QUESTION_SET, None, {**ALL_RIGHT, "mc": "9"})


def test_question_set_with_an_essay_is_not_verifiable():
    with_essay = {
        "questions": [
            *QUESTION_SET["questions"],
            child("H5P.Essay 1.5", "es", {"keywords": []}),
        ]
    }
    assert not registry.verifiable("H5P.QuestionSet", with_essay)
    refused("H5P.QuestionSet", with_essay, None, ALL_RIGHT)


def test_question_set_pool():
    pooled = {**QUESTION_SET, "poolSize": 2}
    assert score("H5P.QuestionSet", pooled, None, {"tf": "false", "mc": "0"}) == (2, 3)
    refused("H5P.QuestionSet", pooled, None, {"tf": "false"})
    refused("H5P.QuestionSet", pooled, None, ALL_RIGHT)
    assert registry.verifiable("H5P.QuestionSet", pooled)


def test_composites_need_well_formed_children():
    refused("H5P.QuestionSet", {"questions": "none"}, None, {})
    refused("H5P.QuestionSet", {"questions": [{"params": {}}]}, None, {})
    no_id = {"questions": [{"library": "H5P.TrueFalse 1.8", "params": {}}]}
    refused("H5P.QuestionSet", no_id, None, {})
    only_text = {"questions": [child("H5P.AdvancedText 1.1", "t", {"text": "hi"})]}
    refused("H5P.QuestionSet", only_text, None, {})
    assert not registry.verifiable("H5P.QuestionSet", only_text)


def test_column_sample_is_not_verifiable_but_its_blanks_are():
    column = content_json("column-mixed-questions.h5p")
    assert not registry.verifiable("H5P.Column", column)  # DragQuestion, Essay
    refused("H5P.Column", column, None, {})
    children = [item["content"] for item in column["content"]]
    kinds = {c["library"].split(" ")[0] for c in children}
    assert {"H5P.DragQuestion", "H5P.Essay", "H5P.Blanks", "H5P.Video"} <= kinds
    for item in children:
        name = item["library"].split(" ")[0]
        if name == "H5P.Blanks":
            assert registry.verifiable(name, item["params"])


def test_column_of_the_samples_scorable_children():
    column = content_json("column-mixed-questions.h5p")
    keep = {"H5P.Blanks", "H5P.Video", "H5P.AdvancedText"}
    trimmed = {
        **column,
        "content": [
            item
            for item in column["content"]
            if item["content"]["library"].split(" ")[0] in keep
        ],
    }
    assert registry.verifiable("H5P.Column", trimmed)
    answers = {
        "488dbf72-3a35-4f46-a38f-7db3cb519443": "39000[,]24000[,]15000[,]0[,]0[,]0",
        "7717e451-c80d-4796-86e6-055f449f8216": "65[,]5[,]25",
    }
    assert score("H5P.Column", trimmed, None, answers) == (6, 9)
    assert score("H5P.Column", trimmed, None, {}) == (0, 9)


def test_nested_composites():
    nested = {
        "content": [
            {"content": child("H5P.AdvancedText 1.1", "txt", {"text": "<p>Halo</p>"})},
            {"content": child("H5P.QuestionSet 1.20", "qs", QUESTION_SET)},
            {"content": child("H5P.TrueFalse 1.8", "tf2", {"correct": "true"})},
        ]
    }
    answers = {**ALL_RIGHT, "tf2": "true"}
    assert registry.verifiable("H5P.Column", nested)
    assert score("H5P.Column", nested, None, answers) == (13, 13)
