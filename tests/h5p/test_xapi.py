"""xAPI intake: checks, idempotency, attempts, grading methods, CSRF."""

import json
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from courses.h5p.models import H5PAttempt, XapiStatement
from courses.h5p.selectors import attempt_result
from courses.h5p.services import xapi_statement_record
from tests.h5p.h5p_factories import content as make_content
from tests.h5p.h5p_factories import statement

TRAINEE = "peserta1.r3@lms.example"
# Enrolled in a course whose module embeds the content (who may play it).
PLAYERS = (TRAINEE, "peserta2.r3@lms.example")


@pytest.fixture
def trainee(user_by_email):
    return user_by_email(TRAINEE)


@pytest.fixture
def card(db):
    return make_content(enrol=PLAYERS)


def post(client, content, body):
    return client.post(
        f"/h5p/{content.uuid}/xapi/",
        data=json.dumps(body),
        content_type="application/json",
    )


def test_top_level_scored_statement_closes_an_unverified_attempt(client, trainee, card):
    client.force_login(trainee)
    response = post(client, card, statement(user=trainee, content=card, raw=3, max_=5))
    assert response.status_code == 200
    (result,) = response.json()["results"]
    # GreetingCard cannot be re-scored: the claim is kept, but never as verified.
    assert result["attempt"] == {
        "raw": 3.0,
        "max": 5.0,
        "verified": False,
        "flagged": False,
    }
    assert H5PAttempt.objects.filter(user=trainee, content=card).count() == 1


def test_child_statements_never_close_or_overwrite_an_attempt(client, trainee, card):
    client.force_login(trainee)
    post(client, card, statement(user=trainee, content=card, raw=2, max_=4))
    child = statement(user=trainee, content=card, raw=4, max_=4, sub_content_id="abc")
    response = post(client, card, child)
    assert response.json()["results"][0]["attempt"] is None
    attempt = H5PAttempt.objects.get(user=trainee, content=card)
    assert (attempt.raw, attempt.max) == (2, 4)
    assert XapiStatement.objects.filter(user=trainee, is_top_level=False).count() == 1


def test_the_same_statement_twice_is_stored_once(client, trainee, card):
    client.force_login(trainee)
    data = statement(user=trainee, content=card, raw=1, max_=1)
    first = post(client, card, data).json()["results"][0]
    again = post(client, card, [data, data]).json()["results"]
    assert first["stored"] is True and [r["stored"] for r in again] == [False, False]
    assert XapiStatement.objects.filter(statement_id=data["id"]).count() == 1
    assert H5PAttempt.objects.filter(user=trainee).count() == 1


def test_every_problem_is_reported_and_nothing_is_stored(
    client, trainee, card, user_by_email
):
    client.force_login(trainee)
    other = user_by_email("peserta2.r3@lms.example")
    bad = statement(user=other, content=card, raw=7, max_=5)
    bad["id"] = "not-a-uuid"
    bad["verb"]["id"] = "http://example.com/verbs/hacked"
    bad["object"]["id"] = f"http://testserver/h5p/{uuid.uuid4()}/"
    bad["result"]["score"]["scaled"] = 1.4
    response = post(client, card, bad)
    assert response.status_code == 400
    problems = response.json()["errors"]["0"]
    assert len(problems) == 6, problems
    joined = " ".join(problems)
    expected = ["(UUID)", "Aktor", "hacked", "Objek", "antara 0 dan max", "0 dan 1"]
    for fragment in expected:
        assert fragment in joined, (fragment, problems)
    assert not XapiStatement.objects.exists()


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), -1, 6])
def test_scores_must_be_finite_and_in_range(trainee, card, raw):
    data = statement(user=trainee, content=card, raw=1, max_=5)
    data["result"]["score"]["raw"] = raw
    with pytest.raises(ValidationError):
        xapi_statement_record(user=trainee, content=card, statement=data)
    assert not XapiStatement.objects.exists()


def test_posting_needs_a_csrf_token_and_a_signed_in_person(trainee, card):
    assert post(Client(), card, {}).status_code == 302  # anonymous → sign in
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(trainee)
    assert post(strict, card, statement(user=trainee, content=card)).status_code == 403
    assert not XapiStatement.objects.exists()


def test_unknown_content_is_404(client, trainee, db):
    client.force_login(trainee)
    response = client.post(
        f"/h5p/{uuid.uuid4()}/xapi/", data="{}", content_type="application/json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("method", "expected"),
    [("highest", (4, 5)), ("last", (1, 5)), ("first", (3, 5)), ("average", (8 / 3, 5))],
)
def test_grading_methods(trainee, db, method, expected):
    card = make_content(grading_method=method, enrol=PLAYERS)
    for raw in (3, 4, 1):
        xapi_statement_record(
            user=trainee,
            content=card,
            statement=statement(user=trainee, content=card, raw=raw, max_=5),
        )
    result = attempt_result(user=trainee, content=card)
    assert result["count"] == 3
    assert float(result["raw"]) == pytest.approx(expected[0])
    assert float(result["max"]) == expected[1]


@pytest.mark.parametrize("earlier", [0, 50])
def test_a_statement_costs_at_most_three_queries(trainee, card, earlier):
    for _ in range(earlier):
        xapi_statement_record(
            user=trainee,
            content=card,
            statement=statement(user=trainee, content=card, raw=1, max_=2),
        )
    with CaptureQueriesContext(connection) as queries:
        xapi_statement_record(
            user=trainee,
            content=card,
            statement=statement(user=trainee, content=card, raw=1, max_=2),
        )
    writes = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(writes) <= 3, [q["sql"] for q in writes]


DRAG_TEXT = {"textField": "Blueberries are *blue*. Strawberries are *red*."}


def test_server_rescores_and_flags_a_forged_claim(client, trainee, db):
    drag = make_content(machine_name="H5P.DragText", params=DRAG_TEXT, enrol=PLAYERS)
    client.force_login(trainee)
    honest = statement(user=trainee, content=drag, raw=2, max_=2, response="blue[,]red")
    forged = statement(user=trainee, content=drag, raw=2, max_=2, response="red[,]")
    results = post(client, drag, [honest, forged]).json()["results"]
    assert results[0]["attempt"] == {
        "raw": 2.0,
        "max": 2.0,
        "verified": True,
        "flagged": False,
    }
    # The forged claim is kept with both numbers, flagged, and scored as the server
    # computed it: zero, not verified.
    assert results[1]["attempt"] == {
        "raw": 0.0,
        "max": 2.0,
        "verified": False,
        "flagged": True,
    }
    row = XapiStatement.objects.get(statement_id=forged["id"])
    assert (row.claimed_raw, row.verified_raw, row.flagged) == (2, 0, True)


def test_only_a_verified_attempt_becomes_evidence_for_its_kuk(
    client, trainee, db, django_capture_on_commit_callbacks
):
    from lms.evidence.models import EvidenceRecord
    from lms.models import PerformanceCriterion
    from tests.lms.lms_factories import make_standard

    make_standard()
    criteria = list(PerformanceCriterion.objects.select_related("element__unit")[:2])
    drag = make_content(machine_name="H5P.DragText", params=DRAG_TEXT, enrol=PLAYERS)
    drag.criteria.set(criteria)
    client.force_login(trainee)
    forged = statement(user=trainee, content=drag, raw=2, max_=2, response="red[,]")
    honest = statement(user=trainee, content=drag, raw=2, max_=2, response="blue[,]red")
    # Evidence is written by a background task once the statement commits.
    with django_capture_on_commit_callbacks(execute=True):
        post(client, drag, forged)
    assert not EvidenceRecord.objects.filter(trainee=trainee).exists()
    with django_capture_on_commit_callbacks(execute=True):
        post(client, drag, honest)
        post(client, drag, honest)  # a retry adds nothing
    rows = EvidenceRecord.objects.filter(trainee=trainee).order_by("criterion_id")
    assert [r.criterion_id for r in rows] == sorted(c.pk for c in criteria)
    assert all(r.verified and r.outcome == "met" and r.score == 2 for r in rows)
    assert rows[0].source_title == drag.title


MULTI = {
    "answers": [
        {"text": "Jakarta", "correct": True},
        {"text": "Bandung", "correct": False},
        {"text": "Nusantara", "correct": True},
    ],
    "behaviour": {"type": "auto", "singlePoint": False},
}
QUIZ = {
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


def play_quiz(trainee, quiz, answers: dict[str, str], claimed: float):
    """The player's statements: one per answered child, then the quiz's own."""
    for sub_content_id, response in answers.items():
        xapi_statement_record(
            user=trainee,
            content=quiz,
            statement=statement(
                user=trainee,
                content=quiz,
                raw=0,
                max_=2,
                response=response,
                sub_content_id=sub_content_id,
            ),
        )
    return xapi_statement_record(
        user=trainee,
        content=quiz,
        statement=statement(user=trainee, content=quiz, raw=claimed, max_=3),
    ).attempt


def test_a_question_set_is_rescored_from_its_childrens_statements(trainee, db):
    quiz = make_content(machine_name="H5P.QuestionSet", params=QUIZ, enrol=PLAYERS)
    honest = play_quiz(trainee, quiz, {"a": "true", "b": "0"}, claimed=2)
    assert (honest.raw, honest.max, honest.verified, honest.flagged) == (
        2,
        3,
        True,
        False,
    )
    # The next attempt's children only: "b" is now wrong, the claim still says 3.
    forged = play_quiz(trainee, quiz, {"a": "true", "b": "1"}, claimed=3)
    assert (forged.raw, forged.verified, forged.flagged) == (1, False, True)
    # A question left unanswered counts 0, as the player counts it.
    skipped = play_quiz(trainee, quiz, {"a": "true"}, claimed=1)
    assert (skipped.raw, skipped.max, skipped.verified) == (1, 3, True)


@pytest.mark.parametrize("earlier", [0, 40])
@pytest.mark.parametrize(
    ("machine_name", "params", "response", "budget"),
    [
        # A simple type never reads its children: no extra query.
        ("H5P.TrueFalse", {"correct": "true"}, "true", 2),
        # A composite reads the children's statements once.
        ("H5P.QuestionSet", QUIZ, None, 3),
    ],
)
def test_rescoring_queries_do_not_grow_with_history(
    trainee, db, earlier, machine_name, params, response, budget
):
    exercise = make_content(machine_name=machine_name, params=params, enrol=PLAYERS)
    for _ in range(earlier):
        xapi_statement_record(
            user=trainee,
            content=exercise,
            statement=statement(
                user=trainee, content=exercise, raw=0, max_=1, response="false"
            ),
        )
    data = statement(user=trainee, content=exercise, raw=0, max_=1, response=response)
    with CaptureQueriesContext(connection) as queries:
        outcome = xapi_statement_record(user=trainee, content=exercise, statement=data)
    writes = [q for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(writes) <= budget, [q["sql"] for q in writes]
    assert outcome.statement.verified_max is not None  # the server did score it


def test_verifiable_means_every_scoring_part_can_be_rescored(db):
    import zipfile

    from courses.h5p.scoring import is_verifiable
    from tests.h5p.h5p_factories import SAMPLES

    with zipfile.ZipFile(SAMPLES / "valid" / "column-mixed-questions.h5p") as archive:
        column = json.loads(archive.read("content/content.json"))
    assert not is_verifiable(make_content(machine_name="H5P.Column", params=column))
    blanks_only = {
        "content": [
            item
            for item in column["content"]
            if item["content"]["library"].split(" ")[0]
            in {"H5P.Blanks", "H5P.AdvancedText"}
        ]
    }
    assert is_verifiable(make_content(machine_name="H5P.Column", params=blanks_only))
    assert is_verifiable(make_content(machine_name="H5P.DragText", params=DRAG_TEXT))
    assert not is_verifiable(make_content(machine_name="H5P.GreetingCard"))


def test_a_statement_id_of_another_person_is_refused(
    client, trainee, card, user_by_email
):
    other = user_by_email("peserta2.r3@lms.example")
    data = statement(user=trainee, content=card, raw=1, max_=1)
    xapi_statement_record(user=trainee, content=card, statement=data)
    client.force_login(other)
    reused = statement(user=other, content=card, raw=1, max_=1, statement_id=data["id"])
    response = post(client, card, reused)
    assert response.status_code == 400
    assert response.json()["errors"]["0"] == [
        "Id pernyataan ini sudah dipakai untuk catatan lain."
    ]
    row = XapiStatement.objects.get(statement_id=data["id"])
    assert row.user == trainee  # the stored statement is unchanged
