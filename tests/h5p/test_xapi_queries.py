"""xAPI intake query budget per statement kind, through the real endpoint.

Counted from the request's start: Django's session and user loading (two
queries, made by the auth middleware for every signed-in request and outside
the H5P code) are asserted separately; the budget of three (DESIGN.md §6)
covers what the endpoint itself does. Transaction bookkeeping (BEGIN,
SAVEPOINT ...) is not a round trip in production and is not counted.
"""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.h5p.models import H5PAttempt, XapiStatement
from courses.h5p.services import xapi_statement_record
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


def split(captured) -> tuple[list[str], list[str]]:
    """(auth middleware queries, the endpoint's own queries)."""
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
    return auth, [sql for sql in sqls if sql not in auth]


def count_queries(client, content, body) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/h5p/{content.uuid}/xapi/",
            data=json.dumps(body),
            content_type="application/json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["errors"] == {}
    auth, own = split(captured)
    assert len(auth) == 2, auth  # session + user, by Django's auth middleware
    return len(own), own


@pytest.mark.parametrize("earlier", [0, 60])
def test_every_kind_of_statement_costs_at_most_three_queries(
    client, user_by_email, db, earlier, django_capture_on_commit_callbacks
):
    trainee = user_by_email(TRAINEE)
    quiz = make_content(machine_name="H5P.QuestionSet", params=QUIZ, enrol=PLAYERS)
    simple = make_content(
        machine_name="H5P.TrueFalse", params={"correct": "true"}, enrol=PLAYERS
    )
    # History: earlier attempts with children, on both contents.
    for index in range(earlier):
        for exercise in (quiz, simple):
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
    child = statement(
        user=trainee, content=quiz, raw=1, max_=1, response="true", sub_content_id="a"
    )
    counts = {}
    with django_capture_on_commit_callbacks() as callbacks:
        counts["child"] = count_queries(client, quiz, child)
        counts["child again"] = count_queries(client, quiz, child)
        counts["closing composite"] = count_queries(
            client, quiz, statement(user=trainee, content=quiz, raw=1, max_=2)
        )
        counts["closing simple"] = count_queries(
            client,
            simple,
            statement(user=trainee, content=simple, raw=1, max_=1, response="true"),
        )
    # On SQLite (development only) a closing statement's attempt is a second
    # INSERT; PostgreSQL chains both inserts in one query.
    closing_extra = 0 if connection.vendor == "postgresql" else 1
    budget = {
        "child": 3,
        "child again": 3,
        "closing composite": 3 + closing_extra,
        "closing simple": 3 + closing_extra,
    }
    for kind, (count, sqls) in counts.items():
        assert count <= budget[kind], (kind, sqls)
    # The same figures whatever the history (compared with `earlier` = 0 below).
    assert {kind: count for kind, (count, _sqls) in counts.items()} == EXPECTED[
        connection.vendor
    ]
    # Both closing statements were verified: each leaves exactly one evidence
    # task to enqueue after commit (one more INSERT with the database backend,
    # made once the statement is safely stored).
    assert len(callbacks) == 2
    assert XapiStatement.objects.filter(statement_id=child["id"]).count() == 1
    assert H5PAttempt.objects.filter(user=trainee, verified=True).count() == 2


EXPECTED = {
    # content+access, insert (+ read back for a repeated id, + children for a
    # composite's re-scoring).
    "postgresql": {
        "child": 2,
        "child again": 3,
        "closing composite": 3,
        "closing simple": 2,
    },
    "sqlite": {
        "child": 2,
        "child again": 3,
        "closing composite": 4,
        "closing simple": 3,
    },
}
