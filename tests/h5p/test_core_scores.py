"""Server re-scoring of H5P answers, per content type and for composites."""

import json
import zipfile
from decimal import Decimal

import pytest

from courses.h5p.core.scores import NotRescorable, RescorerRegistry, registry
from tests.h5p.h5p_factories import SAMPLES


def content_json(sample: str) -> dict:
    with zipfile.ZipFile(SAMPLES / "valid" / sample) as archive:
        return json.loads(archive.read("content/content.json"))


def score(name, params, response, children=None):
    result = registry.rescore(name, params, response, children)
    return (float(result.raw), float(result.max))


def test_drag_text_sample():
    params = content_json("drag-text.h5p")  # blue, red, orange
    assert score("H5P.DragText", params, "blue[,]red[,]orange") == (3, 3)
    assert score("H5P.DragText", params, "red[,]red[,]") == (1, 3)
    assert score("H5P.DragText", params, "[,][,]") == (0, 3)
    with pytest.raises(NotRescorable):
        registry.rescore("H5P.DragText", params, "blue[,]red")  # a zone missing


def test_true_false():
    assert score("H5P.TrueFalse", {"correct": "true"}, "true") == (1, 1)
    assert score("H5P.TrueFalse", {"correct": "false"}, "true") == (0, 1)
    with pytest.raises(NotRescorable):
        registry.rescore("H5P.TrueFalse", {"correct": "true"}, "yes")


MULTI = {
    "answers": [
        {"text": "Jakarta", "correct": True},
        {"text": "Bandung", "correct": False},
        {"text": "Nusantara", "correct": True},
    ],
    "behaviour": {"type": "auto", "singlePoint": False},
}


def test_multi_choice_gives_points_and_takes_them_for_wrong_choices():
    assert score("H5P.MultiChoice", MULTI, "0[,]2") == (2, 2)
    assert score("H5P.MultiChoice", MULTI, "0") == (1, 2)
    assert score("H5P.MultiChoice", MULTI, "0[,]1") == (0, 2)
    assert score("H5P.MultiChoice", MULTI, "1") == (0, 2)  # never below zero
    single = {**MULTI, "behaviour": {"singlePoint": True}}
    assert score("H5P.MultiChoice", single, "0[,]2") == (1, 1)
    assert score("H5P.MultiChoice", single, "0") == (0, 1)
    for bad in ("7", "0[,]0", "x"):
        with pytest.raises(NotRescorable):
            registry.rescore("H5P.MultiChoice", MULTI, bad)


def test_multi_choice_with_one_right_answer_is_a_radio_question():
    radio = {"answers": [{"correct": False}, {"correct": True}], "behaviour": {}}
    assert score("H5P.MultiChoice", radio, "1") == (1, 1)
    assert score("H5P.MultiChoice", radio, "0") == (0, 1)


BLANKS = {
    "questions": [
        "<p>Ibu kota: *Jakarta/DKI Jakarta:kota terbesar*, tahun *1945*.</p>"
    ],
    "behaviour": {"caseSensitive": False, "acceptSpellingErrors": False},
}


def test_blanks_alternatives_case_and_tips():
    assert score("H5P.Blanks", BLANKS, "dki jakarta[,]1945") == (2, 2)
    assert score("H5P.Blanks", BLANKS, " Jakarta [,]1946") == (1, 2)
    strict = {**BLANKS, "behaviour": {"caseSensitive": True}}
    assert score("H5P.Blanks", strict, "jakarta[,]1945") == (1, 2)
    tolerant = {**BLANKS, "behaviour": {"acceptSpellingErrors": True}}
    assert score("H5P.Blanks", tolerant, "Jakrata[,]1945") == (2, 2)  # one swap


def test_blanks_inside_the_column_sample():
    column = content_json("column-mixed-questions.h5p")
    blanks = next(
        item["content"]
        for item in column["content"]
        if item["content"]["library"].startswith("H5P.Blanks")
    )
    answers = "39000[,]24000[,]15000[,]28000[,]30000[,]20000"
    assert score("H5P.Blanks", blanks["params"], answers) == (6, 6)


def test_mark_the_words():
    params = {"textField": "<p>Pendamping *sosial* membantu *keluarga* miskin.</p>"}
    assert score("H5P.MarkTheWords", params, "1[,]3") == (2, 2)
    assert score("H5P.MarkTheWords", params, "1[,]0") == (0, 2)
    assert score("H5P.MarkTheWords", params, "") == (0, 2)


def test_question_set_sums_its_children():
    params = {
        "questions": [
            {
                "library": "H5P.TrueFalse 1.8",
                "subContentId": "a",
                "params": {"correct": "true"},
            },
            {"library": "H5P.MultiChoice 1.16", "subContentId": "b", "params": MULTI},
            {"library": "H5P.AdvancedText 1.1", "subContentId": "c", "params": {}},
        ]
    }
    assert score("H5P.QuestionSet", params, None, {"a": "true", "b": "0"}) == (2, 3)
    with pytest.raises(NotRescorable):
        registry.rescore("H5P.QuestionSet", params, None, {"a": "true"})


def test_column_with_a_type_we_cannot_rescore_is_not_verifiable():
    column = content_json("column-mixed-questions.h5p")  # has DragQuestion, Essay
    with pytest.raises(NotRescorable):
        registry.rescore("H5P.Column", column, None, {})


def test_registry_refuses_a_second_rescorer_for_a_type():
    local = RescorerRegistry()
    local.register("H5P.X")(lambda p, r, c: None)
    with pytest.raises(ValueError, match="already registered"):
        local.register("H5P.X")(lambda p, r, c: None)
    assert (
        Decimal(0)
        == registry.rescore("H5P.TrueFalse", {"correct": "true"}, "false").raw
    )
