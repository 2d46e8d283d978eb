"""Built-in question types: definitions, answers, grades, what the browser sees."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from django.utils import translation

from assessments.questions.builtin import BUILTIN_QUESTION_TYPES, parse_number
from assessments.questions.types import (
    QuestionType,
    QuestionTypeRegistry,
    question_types,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def qt(kind: str) -> QuestionType:
    return question_types.get(kind)


def choices(*fractions: float) -> list[dict]:
    return [
        {"id": chr(97 + n), "text": f"Pilihan {n}", "fraction": f, "feedback": f"fb{n}"}
        for n, f in enumerate(fractions)
    ]


SINGLE = {"choices": choices(1.0, 0.0, -0.5), "shuffle": True}
MULTI = {"choices": choices(0.5, 0.5, -1.0, 0.0), "shuffle": True, "scoring": "partial"}
SHORT = {
    "answers": [
        {"text": "Kemensos", "fraction": 1.0, "feedback": "Tepat"},
        {"text": "Kemen*", "fraction": 0.5, "feedback": "Hampir"},
    ],
    "match": "pattern",
}
NUMERIC = {
    "answers": [
        {"value": 3.14, "tolerance": 0.01, "fraction": 1.0, "feedback": "Tepat"},
        {"value": 3, "tolerance": 0.5, "fraction": 0.5, "feedback": "Dekat"},
    ]
}
MATCHING = {
    "pairs": [
        {"id": "p1", "prompt": "PKH", "answer": "Bantuan bersyarat"},
        {"id": "p2", "prompt": "BPNT", "answer": "Bantuan pangan"},
        {"id": "p3", "prompt": "DTKS", "answer": "Basis data"},
    ],
    "distractors": ["Modal usaha"],
    "shuffle": True,
}
ORDERING = {
    "items": [
        {"id": "i1", "text": "Verifikasi"},
        {"id": "i2", "text": "Penetapan"},
        {"id": "i3", "text": "Penyaluran"},
    ]
}
ESSAY = {
    "response_format": "text",
    "min_words": 10,
    "max_words": 100,
    "grader_info": "RAHASIA-PENILAI",
    "response_template": "Tulis di sini",
}
TRUE_FALSE = {"answer": False, "feedback_true": "Keliru", "feedback_false": "Tepat"}

EXAMPLES = {
    "single_choice": SINGLE,
    "multiple_response": MULTI,
    "true_false": TRUE_FALSE,
    "short_answer": SHORT,
    "numeric": NUMERIC,
    "matching": MATCHING,
    "ordering": ORDERING,
    "essay": ESSAY,
}


# Registry -----------------------------------------------------------------------------


def test_every_builtin_kind_is_registered_with_a_label():
    assert set(question_types.kinds()) >= set(EXAMPLES)
    assert {t.kind for t in question_types} >= set(EXAMPLES)
    assert all(str(t.label) for t in question_types)
    assert [t.kind for t in question_types if t.manual] == ["essay"]


def test_registry_refuses_a_second_type_of_the_same_kind():
    registry = QuestionTypeRegistry()
    for cls in BUILTIN_QUESTION_TYPES:
        registry.register(cls)
    with pytest.raises(ValueError, match="single_choice"):
        registry.register(BUILTIN_QUESTION_TYPES[0])


def test_unknown_kind_is_a_clear_lookup_error():
    with pytest.raises(LookupError, match="cloze"):
        question_types.get("cloze")


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_examples_are_valid(kind):
    assert qt(kind).problems(EXAMPLES[kind]) == []


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_a_definition_that_is_not_an_object_is_refused(kind):
    assert qt(kind).problems(["not", "an", "object"])  # type: ignore[arg-type]


# What the browser sees ----------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_public_data_never_holds_answers_fractions_or_grader_notes(kind):
    public = json.dumps(qt(kind).public_data(EXAMPLES[kind], rng=random.Random(7)))
    for secret in ("fraction", "feedback", "RAHASIA-PENILAI", "tolerance", "3.14"):
        assert secret not in public
    assert '"answer"' not in public
    assert "Kemensos" not in public


def test_public_choices_shuffle_the_same_way_for_the_same_seed():
    data = {"choices": choices(1, 0, 0, 0, 0, 0, 0, 0), "shuffle": True}
    first = qt("single_choice").public_data(data, rng=random.Random(42))
    again = qt("single_choice").public_data(data, rng=random.Random(42))
    assert first == again
    orders = {
        tuple(
            c["id"]
            for c in qt("single_choice").public_data(data, rng=random.Random(seed))[
                "choices"
            ]
        )
        for seed in range(20)
    }
    assert len(orders) > 1


def test_public_choices_keep_their_order_when_shuffle_is_off():
    data = {"choices": choices(1, 0, 0, 0), "shuffle": False}
    public = qt("single_choice").public_data(data, rng=random.Random(1))
    assert [c["id"] for c in public["choices"]] == ["a", "b", "c", "d"]


def test_ordering_is_always_shuffled_and_matching_hides_which_answer_is_whose():
    items = {"items": [{"id": f"i{n}", "text": f"t{n}"} for n in range(8)]}
    public = qt("ordering").public_data(items, rng=random.Random(3))
    assert [i["id"] for i in public["items"]] != [f"i{n}" for n in range(8)]
    matching = qt("matching").public_data(MATCHING, rng=random.Random(3))
    assert all(set(p) == {"id", "prompt"} for p in matching["pairs"])
    assert sorted(matching["options"]) == sorted(
        ["Bantuan bersyarat", "Bantuan pangan", "Basis data", "Modal usaha"]
    )


def test_essay_shows_the_limits_and_template_but_not_the_grader_notes():
    public = qt("essay").public_data(ESSAY, rng=random.Random(1))
    assert public == {
        "response_format": "text",
        "min_words": 10,
        "max_words": 100,
        "response_template": "Tulis di sini",
    }


# Single choice ------------------------------------------------------------------------


def test_single_choice_grades():
    t = qt("single_choice")
    assert t.grade(SINGLE, "a") == Decimal("1.0000")
    assert t.grade(SINGLE, "b") == 0
    assert t.grade(SINGLE, "c") == 0  # a negative weight never goes below zero
    assert t.grade(SINGLE, None) == 0
    assert t.grade(SINGLE, "zz") == 0
    partial = {"choices": choices(1.0, 0.3333333), "shuffle": True}
    assert t.grade(partial, "b") == Decimal("0.3333")
    assert t.feedback(SINGLE, "b") == "fb1"
    assert t.feedback(SINGLE, None) == ""


def test_single_choice_answer_must_be_an_offered_id():
    t = qt("single_choice")
    assert t.response_problems(SINGLE, "a") == []
    assert t.response_problems(SINGLE, "zz")
    assert t.response_problems(SINGLE, ["a"])


def test_single_choice_definition_problems_are_precise():
    t = qt("single_choice")
    assert t.problems({"choices": choices(0.5, 0.0)}) == [
        "One choice must be fully right (100 %)."
    ]
    dup = {"choices": [*choices(1.0, 0.0), {"id": "a", "text": "x", "fraction": 0}]}
    assert t.problems(dup) == ["Choice id a is used twice."]
    bad = {"choices": [{"id": "a", "text": "", "fraction": 2}, *choices(1.0)[:0]]}
    assert t.problems(bad) == ["At least 2 choices are needed."]
    bad = {
        "choices": [
            {"id": "a", "text": "", "fraction": 2},
            choices(1.0)[0] | {"id": "b"},
        ]
    }
    assert t.problems(bad) == [
        "Choice 1 has no text.",
        "Choice 1 has a weight outside -100 % to 100 %.",
    ]


# Multiple response --------------------------------------------------------------------


def test_multiple_response_partial_credit_and_negative_weights():
    t = qt("multiple_response")
    assert t.grade(MULTI, ["a", "b"]) == 1
    assert t.grade(MULTI, ["a"]) == Decimal("0.5000")
    assert t.grade(MULTI, ["a", "c"]) == 0  # 0.5 - 1 clamped at zero
    assert t.grade(MULTI, ["a", "b", "d"]) == 1
    assert t.grade(MULTI, []) == 0
    assert t.grade(MULTI, None) == 0
    assert t.grade(MULTI, "a") == 0  # not a list: no credit


def test_multiple_response_all_or_nothing():
    data = MULTI | {"scoring": "all_or_nothing"}
    t = qt("multiple_response")
    assert t.grade(data, ["b", "a"]) == 1
    assert t.grade(data, ["a"]) == 0
    assert t.grade(data, ["a", "b", "d"]) == 0


def test_multiple_response_right_minus_wrong():
    data = MULTI | {"scoring": "right_minus_wrong"}
    t = qt("multiple_response")
    assert t.grade(data, ["a", "b"]) == 1
    assert t.grade(data, ["a", "b", "c"]) == Decimal("0.5000")
    assert t.grade(data, ["a", "c", "d"]) == 0  # (1 - 2) / 2 clamped


def test_multiple_response_unknown_ids_and_weights_that_do_not_add_up():
    t = qt("multiple_response")
    assert t.response_problems(MULTI, ["a", "x"]) == [
        "Choose among the offered answers."
    ]
    assert t.response_problems(MULTI, ["a"]) == []
    assert t.problems({"choices": choices(0.5, 0.3, 0), "scoring": "partial"}) == [
        "The weights of the right choices must add up to 100 %."
    ]
    # all-or-nothing needs no sum of 100 %
    assert t.problems({"choices": choices(1, 1, 0), "scoring": "all_or_nothing"}) == []
    assert t.problems(MULTI | {"scoring": "best"}) == ["Unknown scoring rule best."]


# True/false ---------------------------------------------------------------------------


def test_true_false_accepts_booleans_and_their_words():
    t = qt("true_false")
    assert t.grade(TRUE_FALSE, False) == 1
    assert t.grade(TRUE_FALSE, "false") == 1
    assert t.grade(TRUE_FALSE, "true") == 0
    assert t.grade(TRUE_FALSE, None) == 0
    assert t.response_problems(TRUE_FALSE, "ya") == ["Answer true or false."]
    assert t.feedback(TRUE_FALSE, True) == "Keliru"
    assert t.problems({"answer": "yes"}) == ["The right answer must be true or false."]


# Short answer -------------------------------------------------------------------------


def test_short_answer_wildcard_best_match_and_case():
    t = qt("short_answer")
    assert t.grade(SHORT, "  kemensos ") == 1
    assert t.grade(SHORT, "Kementerian Sosial") == Decimal("0.5000")
    assert t.feedback(SHORT, "Kementerian Sosial") == "Hampir"
    assert t.grade(SHORT, "Dinsos") == 0
    assert t.grade(SHORT, None) == 0
    assert t.grade(SHORT | {"match": "exact"}, "kemensos") == 0
    assert t.grade(SHORT | {"match": "exact"}, "Kemensos") == 1
    assert t.grade(SHORT | {"match": "casefold"}, "KEMENSOS") == 1


def test_short_answer_pattern_never_runs_a_trainer_written_regex():
    data = {"answers": [{"text": "a.c(d|e)+", "fraction": 1}], "match": "pattern"}
    t = qt("short_answer")
    assert t.grade(data, "abcd") == 0
    assert t.grade(data, "A.C(D|E)+") == 1


# Numeric ------------------------------------------------------------------------------


def test_numeric_tolerance_decimal_comma_and_best_answer():
    t = qt("numeric")
    assert t.grade(NUMERIC, 3.14) == 1
    assert t.grade(NUMERIC, "3,145") == 1
    assert t.grade(NUMERIC, "3.2") == Decimal("0.5000")
    assert t.feedback(NUMERIC, "3,2") == "Dekat"
    assert t.grade(NUMERIC, "4") == 0
    assert t.grade(NUMERIC, "tiga") == 0
    assert t.grade(NUMERIC, None) == 0
    assert t.response_problems(NUMERIC, "tiga") == ["Enter a number."]
    assert t.response_problems(NUMERIC, True) == ["Enter a number."]
    assert t.response_problems(NUMERIC, "3,14") == []


def test_parse_number_reads_indonesian_and_english_thousands():
    assert parse_number("1.234,5") == Decimal("1234.5")
    assert parse_number("1,234.5") == Decimal("1234.5")
    assert parse_number("3,14") == Decimal("3.14")
    assert parse_number(float("nan")) is None
    assert parse_number("inf") is None
    assert parse_number(False) is None


def test_numeric_definition_problems():
    t = qt("numeric")
    assert t.problems(
        {"answers": [{"value": "x", "tolerance": -1, "fraction": 1}]}
    ) == [
        "Answer 1 has no number.",
        "Answer 1 has a negative or missing tolerance.",
    ]
    assert t.problems({"answers": ["3"]}) == ["Answer 1 is not an object."]


# Matching, ordering, essay ------------------------------------------------------------


def test_matching_grades_the_share_of_right_pairs():
    t = qt("matching")
    right = {"p1": "Bantuan bersyarat", "p2": "Bantuan pangan", "p3": "Basis data"}
    assert t.grade(MATCHING, right) == 1
    assert t.grade(MATCHING, right | {"p3": "Modal usaha"}) == Decimal("0.6667")
    assert t.grade(MATCHING, {}) == 0
    assert t.grade(MATCHING, None) == 0
    assert t.grade(MATCHING, ["p1"]) == 0
    assert t.response_problems(MATCHING, {"p9": "x"}) == ["Match the offered items."]
    assert t.problems(MATCHING | {"pairs": MATCHING["pairs"][:1]}) == [
        "At least two pairs are needed."
    ]


def test_ordering_grades_items_in_their_right_place():
    t = qt("ordering")
    assert t.grade(ORDERING, ["i1", "i2", "i3"]) == 1
    assert t.grade(ORDERING, ["i1", "i3", "i2"]) == Decimal("0.3333")
    assert t.grade(ORDERING, None) == 0
    assert t.response_problems(ORDERING, ["i1", "i1", "i3"])
    assert t.response_problems(ORDERING, ["i1", "i2"])
    assert t.response_problems(ORDERING, ["i3", "i1", "i2"]) == []


def test_essay_is_marked_by_a_person():
    t = qt("essay")
    assert t.manual
    assert t.grade(ESSAY, "Jawaban saya") is None
    assert t.response_problems(ESSAY, 5) == ["The answer must be text."]
    assert t.problems(ESSAY | {"min_words": 200}) == [
        "The minimum word count is above the maximum."
    ]
