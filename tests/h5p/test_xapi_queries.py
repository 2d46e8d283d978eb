"""xAPI intake: queries per statement through the real endpoint, all counted.

Counted over whole requests: Django's session and user queries (made by the
auth middleware for every signed-in request), the endpoint's own, and the
evidence task a verified attempt enqueues after commit (one INSERT with the
database task backend; the tests' immediate backend would run it instead, so
it is counted from the on-commit callbacks). Transaction bookkeeping (BEGIN,
SAVEPOINT ...) is left out; the PostgreSQL intake opens no transaction block.
The budget (DESIGN.md §6) is three per statement; the same figures hold at two
history sizes.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.h5p.models import H5PAttempt, XapiStatement
from courses.h5p.services import xapi_statement_record
from courses.models import Enrolment, EnrolmentState
from tests.h5p.h5p_factories import content as make_content
from tests.h5p.h5p_factories import statement

TRAINEE = "peserta1.r3@lms.example"
PLAYERS = (TRAINEE, "peserta2.r3@lms.example")
QUIZ = {
    "questions": [
        {
            "library": "H5P.TrueFalse 1.8",
            "subContentId": "a",
            "params": {"correct": "true"},
        },
        {
            "library": "H5P.TrueFalse 1.8",
            "subContentId": "b",
            "params": {"correct": "false"},
        },
    ]
}
AUTH_TABLES = ('"django_session"', '"lms_user"')
BOOKKEEPING = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def post(client, content, body):
    return client.post(
        f"/h5p/{content.uuid}/xapi/",
        data=json.dumps(body),
        content_type="application/json",
    )


def count_queries(client, content, body, capture_callbacks) -> tuple[int, list[str]]:
    """All queries of one request: session and user, own, enqueued tasks."""
    with (
        capture_callbacks() as callbacks,
        CaptureQueriesContext(connection) as captured,
    ):
        response = post(client, content, body)
    assert response.status_code == 200, response.content
    assert response.json()["errors"] == {}
    sqls = [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(BOOKKEEPING)
    ]
    auth = [
        sql
        for sql in sqls
        if sql.startswith("SELECT")
        and any(f"FROM {table}" in sql for table in AUTH_TABLES)
    ]
    assert len(auth) == 2, auth  # session + user, by Django's auth middleware
    return len(sqls) + len(callbacks), sqls + ["(task enqueue)"] * len(callbacks)


@pytest.mark.parametrize("earlier", [0, 60])
def test_queries_per_statement_counting_session_and_user(
    client, user_by_email, db, earlier, django_capture_on_commit_callbacks
):
    from lms.models import PerformanceCriterion
    from tests.lms.lms_factories import make_standard

    trainee = user_by_email(TRAINEE)
    quiz = make_content(machine_name="H5P.QuestionSet", params=QUIZ, enrol=PLAYERS)
    simple = make_content(
        machine_name="H5P.TrueFalse", params={"correct": "true"}, enrol=PLAYERS
    )
    with_kuk = make_content(
        machine_name="H5P.TrueFalse", params={"correct": "true"}, enrol=PLAYERS
    )
    make_standard()
    with_kuk.criteria.set(PerformanceCriterion.objects.all()[:2])
    # History: earlier attempts with children, on every content.
    for index in range(earlier):
        for exercise in (quiz, simple, with_kuk):
            xapi_statement_record(
                user=trainee,
                content=exercise,
                statement=statement(
                    user=trainee,
                    content=exercise,
                    raw=0,
                    max_=1,
                    response="true",
                    sub_content_id="a" if index % 2 else "",
                ),
            )
    client.force_login(trainee)

    def closing(exercise):
        return statement(user=trainee, content=exercise, raw=1, max_=1, response="true")

    child = statement(
        user=trainee, content=quiz, raw=1, max_=1, response="true", sub_content_id="a"
    )
    batch = [
        closing(simple)
        if index % 3 == 0
        else statement(user=trainee, content=simple, sub_content_id="x")
        for index in range(20)
    ]
    # The first statement for a content in a process also reads the content
    # (then kept per process: `selectors.content_get_for_intake`).
    counts = {
        "first, content not cached yet": count_queries(
            client,
            simple,
            statement(user=trainee, content=simple, sub_content_id="x"),
            django_capture_on_commit_callbacks,
        )
    }
    for exercise in (quiz, with_kuk):  # warm the others' cache, not counted
        post(client, exercise, statement(user=trainee, content=exercise))
    counts |= {
        "child": count_queries(client, quiz, child, django_capture_on_commit_callbacks),
        "child again": count_queries(
            client, quiz, child, django_capture_on_commit_callbacks
        ),
        "closing composite": count_queries(
            client,
            quiz,
            statement(user=trainee, content=quiz, raw=1, max_=2),
            django_capture_on_commit_callbacks,
        ),
        "closing simple": count_queries(
            client, simple, closing(simple), django_capture_on_commit_callbacks
        ),
        "closing with KUK": count_queries(
            client, with_kuk, closing(with_kuk), django_capture_on_commit_callbacks
        ),
        "batch of 20": count_queries(
            client, simple, batch, django_capture_on_commit_callbacks
        ),
    }
    figures = {kind: count for kind, (count, _sqls) in counts.items()}
    # The same figures whatever the history.
    assert figures == EXPECTED[connection.vendor], counts
    if connection.vendor == "postgresql":
        for kind in ("child", "child again", "closing simple"):
            assert figures[kind] <= 3, counts[kind]
        assert figures["batch of 20"] / 20 <= 3
    assert XapiStatement.objects.filter(statement_id=child["id"]).count() == 1
    # Every closing statement was server-verified and closed one attempt.
    verified = H5PAttempt.objects.filter(user=trainee, verified=True)
    assert (
        verified.filter(statement__statement_id__in=[s["id"] for s in batch]).count()
        == 7
    )


EXPECTED = {
    # Session 1 + user 1 + one insert that also checks access (and reads a
    # repeated id back), + the children's answers for a composite, + the
    # evidence task for a verified attempt on content with KUK.
    "postgresql": {
        "first, content not cached yet": 4,
        "child": 3,
        "child again": 3,
        "closing composite": 4,
        "closing simple": 3,
        "closing with KUK": 4,
        "batch of 20": 22,
    },
    # SQLite (development only): access check, inserts and the criteria check
    # are separate queries, a repeated id is read back separately.
    "sqlite": {
        "first, content not cached yet": 5,
        "child": 4,
        "child again": 5,
        "closing composite": 7,
        "closing simple": 6,
        "closing with KUK": 7,
        "batch of 20": 37,
    },
}


def test_content_the_person_may_not_play_is_404_whatever_the_body(
    client, user_by_email, db
):
    outsider = user_by_email("peserta3.r3@lms.example")  # not enrolled
    card = make_content(enrol=PLAYERS)
    client.force_login(outsider)
    good = statement(user=outsider, content=card, raw=1, max_=1)
    bad = dict(good, id="not-a-uuid")
    for body in (good, [good, good], bad, [], "{"):
        response = client.post(
            f"/h5p/{card.uuid}/xapi/",
            data=body if isinstance(body, str) else json.dumps(body),
            content_type="application/json",
        )
        assert response.status_code == 404, (body, response.content)
    assert not XapiStatement.objects.exists()


def test_a_withdrawn_trainee_is_refused_at_once(client, user_by_email, db):
    """Access is decided by the database on every request, never remembered."""
    trainee = user_by_email(TRAINEE)
    card = make_content(enrol=PLAYERS)
    client.force_login(trainee)
    first = statement(user=trainee, content=card, raw=1, max_=1)
    assert post(client, card, first).status_code == 200
    Enrolment.objects.filter(trainee=trainee).update(state=EnrolmentState.WITHDRAWN)
    later = statement(user=trainee, content=card, raw=1, max_=1)
    assert post(client, card, later).status_code == 404
    assert post(client, card, first).status_code == 404  # a retry too
    assert list(XapiStatement.objects.values_list("statement_id", flat=True)) == [
        __import__("uuid").UUID(first["id"])
    ]
