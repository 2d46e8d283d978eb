"""The evidence log: recording, idempotency, validation, append-only guards."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation

from lms.evidence.models import AppendOnlyError
from lms.evidence.selectors import evidence_history_get, evidence_list_for_trainee
from lms.evidence.services import evidence_correct, evidence_record
from lms.models import CompetencyRecord, EvidenceRecord
from lms.records.selectors import competency_record_get
from tests.factories import UserFactory
from tests.lms.lms_factories import make_standard, record

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the database-level guard is a PostgreSQL trigger (set DATABASE_URL)",
)


@pytest.fixture
def unit(db):
    return make_standard(units=2, elements=2, criteria=2).units.order_by("position")[0]


@pytest.fixture
def trainee(db):
    return UserFactory()


def criteria(unit):
    return [c for e in unit.elements.all() for c in e.criteria.all()]


def test_evidence_is_recorded_with_its_snapshot_and_rolls_up(unit, trainee):
    assessor = UserFactory()
    kuk = criteria(unit)
    for c in kuk[:-1]:
        record(trainee=trainee, unit=unit, criterion=c, assessor=assessor)
    assert competency_record_get(trainee=trainee, unit_id=unit.pk).outcome == "pending"
    row = record(trainee=trainee, unit=unit, criterion=kuk[-1], score=8, score_max=10)
    assert row.element == kuk[-1].element  # taken from the KUK
    assert row.source_title == "Observasi praktik"
    assert (row.score, row.score_max) == (Decimal("8"), Decimal("10"))
    result = competency_record_get(trainee=trainee, unit_id=unit.pk)
    assert (result.outcome, result.evidence_count) == ("K", 4)


def test_the_same_idempotency_key_returns_the_first_row(unit, trainee):
    first = record(trainee=trainee, unit=unit, key="h5p-stmt-1")
    again = record(trainee=trainee, unit=unit, key="h5p-stmt-1", outcome="not_met")
    assert again.pk == first.pk
    assert again.outcome == "met"
    assert EvidenceRecord.objects.filter(idempotency_key="h5p-stmt-1").count() == 1


def test_a_key_reused_for_another_trainee_is_refused(unit, trainee):
    record(trainee=trainee, unit=unit, key="kunci-sama")
    with pytest.raises(ValidationError) as caught:
        record(trainee=UserFactory(), unit=unit, key="kunci-sama")
    assert "idempotency_key" in caught.value.message_dict


def test_bad_evidence_names_every_problem_and_writes_nothing(unit, trainee):
    other_unit = make_standard(units=1).units.get()
    before = EvidenceRecord.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        evidence_record(
            trainee=trainee,
            unit=unit,
            source_uri=" ",
            source_title="Kuis",
            kind="langsung",
            category="ujian",
            outcome="lulus",
            verified=True,
            occurred_at=timezone.now() + timedelta(days=1),
            idempotency_key="k-bad",
            criterion=criteria(other_unit)[0],
            score=12,
            score_max=10,
        )
    errors = caught.value.message_dict
    assert set(errors) == {
        "kind",
        "category",
        "outcome",
        "source_uri",
        "occurred_at",
        "element",
        "criterion",
        "score",
    }
    assert errors["score"] == ["The score 12 is outside 0–10."]
    assert EvidenceRecord.objects.count() == before


def test_score_without_maximum_is_refused(unit, trainee):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        record(trainee=trainee, unit=unit, score=5)
    assert caught.value.message_dict["score"] == [
        "Give both the score and the maximum score, or neither."
    ]


def test_rows_cannot_be_changed_or_deleted_from_python(unit, trainee):
    row = record(trainee=trainee, unit=unit)
    row.outcome = "not_met"
    with pytest.raises(AppendOnlyError):
        row.save()
    with pytest.raises(AppendOnlyError):
        row.delete()
    with pytest.raises(AppendOnlyError):
        EvidenceRecord.objects.filter(pk=row.pk).update(outcome="not_met")
    with pytest.raises(AppendOnlyError):
        EvidenceRecord.objects.filter(pk=row.pk).delete()
    row.refresh_from_db()
    assert row.outcome == "met"


def test_a_correction_is_a_new_row_and_the_old_one_stays(unit, trainee):
    grader = UserFactory()
    kuk = criteria(unit)
    rows = [record(trainee=trainee, unit=unit, criterion=c) for c in kuk]
    assert competency_record_get(trainee=trainee, unit_id=unit.pk).outcome == "K"
    fixed = evidence_correct(
        record=rows[0],
        outcome="not_met",
        reason="Salah input nilai observasi",
        corrected_by=grader,
    )
    old = EvidenceRecord.objects.get(pk=rows[0].pk)
    assert old.outcome == "met"
    assert old.superseded_by == fixed
    assert (fixed.recorded_by, fixed.correction_reason) == (
        grader,
        "Salah input nilai observasi",
    )
    assert competency_record_get(trainee=trainee, unit_id=unit.pk).outcome == "BK"
    assert [r.pk for r in evidence_history_get(fixed)] == [old.pk, fixed.pk]
    assert rows[0].pk not in {r.pk for r in evidence_list_for_trainee(trainee)}
    # The old row cannot be corrected a second time; a reason is required.
    before = EvidenceRecord.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        evidence_correct(record=old, outcome="met", reason=" ", corrected_by=grader)
    assert set(caught.value.message_dict) == {"reason", "record"}
    assert EvidenceRecord.objects.count() == before


@on_postgres
def test_postgres_refuses_update_and_delete_of_evidence(unit, trainee):
    row = record(trainee=trainee, unit=unit)
    for sql in [
        "UPDATE lms_evidencerecord SET outcome = 'not_met' WHERE id = %s",
        "UPDATE lms_evidencerecord SET verified = false WHERE id = %s",
        "DELETE FROM lms_evidencerecord WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [row.pk])
    row.refresh_from_db()
    assert (row.outcome, row.verified) == ("met", True)


@on_postgres
def test_postgres_allows_only_linking_a_correction_once(unit, trainee):
    first = record(trainee=trainee, unit=unit)
    second = record(trainee=trainee, unit=unit)
    third = record(trainee=trainee, unit=unit)
    link = "UPDATE lms_evidencerecord SET superseded_by_id = %s WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.execute(link, [second.pk, first.pk])
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(link, [third.pk, first.pk])  # id → another id
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE lms_evidencerecord SET superseded_by_id = %s, "
                "outcome = 'not_met' WHERE id = %s",
                [third.pk, second.pk],
            )
    first.refresh_from_db()
    assert first.superseded_by_id == second.pk


@pytest.mark.parametrize("size", [2, 6])
def test_the_trainee_evidence_list_takes_one_query(
    unit, trainee, django_assert_num_queries, size
):
    assessor = UserFactory()
    for c in criteria(unit)[:size]:
        record(trainee=trainee, unit=unit, criterion=c, assessor=assessor)
    for _ in range(size):
        record(trainee=trainee, unit=unit)
    with django_assert_num_queries(1):
        shown = [
            (r.unit.code, r.criterion and r.criterion.number, r.assessor_id, r.element)
            for r in evidence_list_for_trainee(trainee)
        ]
    assert len(shown) == min(size, 4) + size
    assert CompetencyRecord.objects.filter(trainee=trainee).count() == 1
