"""Roll-up: the method registry, each method's outcomes, recency, and agreement of
full and incremental recomputes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.evidence.services import evidence_correct
from lms.models import CompetencyRecord, Organisation, SchemeCompetence, SchemeUnit
from lms.records.rollup import Latest, RollupMethod, RollupRegistry, registry
from lms.records.selectors import (
    competency_record_get,
    competency_record_list_for_trainee,
)
from lms.records.services import (
    competency_recompute,
    unit_set_rollup,
)
from lms.standards.services import scheme_create
from tests.factories import UserFactory
from tests.lms.lms_factories import make_standard, record

METHODS = [
    "all_criteria_met",
    "points_threshold",
    "latest",
    "highest",
    "n_times",
    "decaying_average",
]


@pytest.fixture
def unit(db):
    return make_standard(units=1, elements=2, criteria=2).units.get()


@pytest.fixture
def trainee(db):
    return UserFactory()


def outcome(trainee, unit):
    found = competency_record_get(trainee=trainee, unit_id=unit.pk)
    return found.outcome if found else None


def test_the_six_methods_are_registered_and_duplicates_are_refused():
    assert set(METHODS) <= set(registry.names())
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Latest)

    class Nameless(RollupMethod):
        pass

    with pytest.raises(ValueError, match="no name"):
        RollupRegistry().register(Nameless)


def test_a_new_method_can_be_registered_and_used(unit, trainee):
    class AnyEvidence(RollupMethod):
        name = "any_evidence_test"
        label = "Any evidence"

        def aggregate_sql(self, params):
            return (
                "SELECT ev.trainee_id, ev.unit_id, 'K' AS outcome, NULL AS score, "
                "COUNT(*) AS evidence_count, MAX(ev.occurred_at) AS last_evidence_at "
                "FROM ev GROUP BY ev.trainee_id, ev.unit_id",
                [],
            )

    registry.register(AnyEvidence)
    try:
        unit_set_rollup(unit=unit, method="any_evidence_test")
        record(trainee=trainee, unit=unit, outcome="not_met")
        assert outcome(trainee, unit) == "K"
    finally:
        registry._methods.pop("any_evidence_test")


def test_all_criteria_met_is_bk_only_when_every_kuk_was_assessed(unit, trainee):
    kuk = [c for e in unit.elements.all() for c in e.criteria.all()]
    record(trainee=trainee, unit=unit, criterion=kuk[0], outcome="not_met")
    assert outcome(trainee, unit) == "pending"
    for c in kuk[1:]:
        record(trainee=trainee, unit=unit, criterion=c)
    assert outcome(trainee, unit) == "BK"
    record(trainee=trainee, unit=unit, criterion=kuk[0])  # re-assessed, met
    assert outcome(trainee, unit) == "K"


def test_points_threshold(unit, trainee):
    unit_set_rollup(unit=unit, method="points_threshold", params={"threshold": 15})
    record(trainee=trainee, unit=unit, score=8, score_max=10)
    record(trainee=trainee, unit=unit, score=5, score_max=10)
    assert outcome(trainee, unit) == "pending"
    record(trainee=trainee, unit=unit, score=4, score_max=10)
    found = competency_record_get(trainee=trainee, unit_id=unit.pk)
    assert (found.outcome, float(found.score), found.evidence_count) == ("K", 17, 3)


def test_latest_follows_the_newest_row(unit, trainee):
    unit_set_rollup(unit=unit, method="latest")
    now = timezone.now()
    record(trainee=trainee, unit=unit, occurred_at=now - timedelta(days=2))
    record(
        trainee=trainee, unit=unit, outcome="not_met", occurred_at=now - timedelta(1)
    )
    assert outcome(trainee, unit) == "BK"
    # Evidence arriving late but dated earlier does not override the newest.
    record(trainee=trainee, unit=unit, occurred_at=now - timedelta(days=3))
    assert outcome(trainee, unit) == "BK"
    record(trainee=trainee, unit=unit, occurred_at=now - timedelta(hours=1))
    assert outcome(trainee, unit) == "K"


def test_latest_and_highest_with_a_pass_ratio(unit, trainee):
    unit_set_rollup(unit=unit, method="highest", params={"pass_ratio": 0.8})
    now = timezone.now()
    for days, score in [(3, 6), (2, 9), (1, 5)]:
        record(
            trainee=trainee,
            unit=unit,
            score=score,
            score_max=10,
            occurred_at=now - timedelta(days=days),
        )
    assert outcome(trainee, unit) == "K"
    unit_set_rollup(unit=unit, method="latest", params={"pass_ratio": 0.8})
    assert outcome(trainee, unit) == "BK"  # recomputed: the newest is 5/10


def test_n_times(unit, trainee):
    unit_set_rollup(unit=unit, method="n_times", params={"n": 3})
    record(trainee=trainee, unit=unit)
    record(trainee=trainee, unit=unit, outcome="not_met")
    record(trainee=trainee, unit=unit, outcome="completed")
    assert outcome(trainee, unit) == "pending"
    record(trainee=trainee, unit=unit)
    assert outcome(trainee, unit) == "K"


def test_decaying_average_weighs_the_newest_most(unit, trainee):
    unit_set_rollup(
        unit=unit, method="decaying_average", params={"decay": 0.5, "pass_ratio": 0.7}
    )
    now = timezone.now()
    record(
        trainee=trainee, unit=unit, outcome="not_met", occurred_at=now - timedelta(3)
    )
    record(
        trainee=trainee, unit=unit, outcome="not_met", occurred_at=now - timedelta(2)
    )
    record(trainee=trainee, unit=unit, occurred_at=now - timedelta(days=1))
    found = competency_record_get(trainee=trainee, unit_id=unit.pk)
    # (1·1 + 0·0.5 + 0·0.25) / 1.75
    assert found.outcome == "BK"
    assert float(found.score) == pytest.approx(1 / 1.75, abs=1e-4)
    record(trainee=trainee, unit=unit, occurred_at=now - timedelta(hours=2))
    found = competency_record_get(trainee=trainee, unit_id=unit.pk)
    assert found.outcome == "K"
    assert float(found.score) == pytest.approx(1.5 / 1.875, abs=1e-4)


def test_old_and_unverified_evidence_does_not_count(unit, trainee):
    unit_set_rollup(unit=unit, method="n_times", params={"n": 1}, recency_days=30)
    now = timezone.now()
    record(trainee=trainee, unit=unit, occurred_at=now - timedelta(days=40))
    record(trainee=trainee, unit=unit, verified=False)
    assert outcome(trainee, unit) is None  # nothing counts: no record (pending)
    record(trainee=trainee, unit=unit, occurred_at=now - timedelta(days=20))
    assert outcome(trainee, unit) == "K"
    # Fifteen days later the evidence is too old and the record goes away.
    competency_recompute(units=[unit], now=now + timedelta(days=15))
    assert outcome(trainee, unit) is None


def test_bad_rollup_settings_name_every_problem_and_change_nothing(unit):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        unit_set_rollup(
            unit=unit, method="decaying_average", params={"decay": 2}, recency_days=0
        )
    assert caught.value.messages == [
        "Parameter decay must be a number from 0 to 1.",
        "The evidence recency limit must be at least one day.",
    ]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        unit_set_rollup(unit=unit, method="rata_rata")
    assert "Unknown roll-up method rata_rata" in caught.value.messages[0]
    unit.refresh_from_db()
    assert (unit.rollup_method, unit.evidence_recency_days) == (
        "all_criteria_met",
        None,
    )


def test_recompute_takes_the_same_queries_however_much_evidence(unit):
    def queries_for(n_trainees):
        for _ in range(n_trainees):
            trainee = UserFactory()
            for c in [c for e in unit.elements.all() for c in e.criteria.all()]:
                record(trainee=trainee, unit=unit, criterion=c)
        with CaptureQueriesContext(connection) as captured:
            competency_recompute(units=[unit])
        return len(captured)

    assert queries_for(1) == queries_for(8)
    assert CompetencyRecord.objects.filter(unit=unit, outcome="K").count() == 9


@pytest.mark.parametrize("size", [1, 5])
def test_the_trainee_record_list_takes_one_query(
    db, trainee, django_assert_num_queries, size
):
    for u in make_standard(units=size, elements=1, criteria=1).units.all():
        record(trainee=trainee, unit=u, criterion=u.elements.get().criteria.get())
    with translation.override("en"), django_assert_num_queries(1):
        shown = [
            (r.unit.standard.code, r.unit.code, r.get_outcome_display())
            for r in competency_record_list_for_trainee(trainee)
        ]
    assert len(shown) == size
    assert {s[2] for s in shown} == {"Competent (Kompeten)"}


PARAMS = {
    "all_criteria_met": {},
    "points_threshold": {"threshold": 12},
    "latest": {"pass_ratio": 0.6},
    "highest": {},
    "n_times": {"n": 2},
    "decaying_average": {"decay": 0.6},
}

event = st.tuples(
    st.integers(0, 2),  # trainee
    st.integers(0, 2),  # unit
    st.integers(-1, 3),  # KUK index, -1 = the unit as a whole
    st.sampled_from(["met", "not_met", "completed", "not_completed"]),
    st.one_of(st.none(), st.integers(0, 10)),  # score out of 10
    st.booleans(),  # verified
    st.integers(0, 60),  # days ago
    st.booleans(),  # correct the previous row of this trainee instead
)


@pytest.fixture
def world(db):
    standard = make_standard(units=3, elements=2, criteria=2)
    units = list(standard.units.order_by("position"))
    trainees = [UserFactory() for _ in range(3)]
    corrector = UserFactory()
    # Overlapping schemes, so one record can decide two schemes' verdicts.
    owner = Organisation.objects.get(code="LSP-KEMENSOS")
    for n, members in enumerate((units[:2], units[1:], units)):
        scheme_create(
            code=f"SKM-RU-{standard.code}-{n}",
            title="Skema roll-up",
            scheme_type="okupasi",
            owner=owner,
            units=members,
        )
    return units, trainees, corrector


def competent_by_hand() -> set[tuple[int, int]]:
    """(trainee, scheme) pairs with K on every unit of the scheme, in Python."""
    k = set(
        CompetencyRecord.objects.filter(outcome="K").values_list(
            "trainee_id", "unit_id"
        )
    )
    members: dict[int, set[int]] = {}
    for scheme_id, unit_id in SchemeUnit.objects.values_list("scheme_id", "unit_id"):
        members.setdefault(scheme_id, set()).add(unit_id)
    trainees = {t for t, _ in k}
    return {
        (t, s)
        for t in trainees
        for s, units in members.items()
        if units and all((t, u) in k for u in units)
    }


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    methods=st.lists(st.sampled_from(METHODS), min_size=3, max_size=3),
    recency=st.lists(st.one_of(st.none(), st.just(30)), min_size=3, max_size=3),
    events=st.lists(event, min_size=1, max_size=25),
)
def test_full_recompute_agrees_with_the_incremental_updates(
    world, methods, recency, events
):
    units, trainees, corrector = world
    now = timezone.now()
    with transaction.atomic():
        for unit, method, days in zip(units, methods, recency, strict=True):
            unit_set_rollup(
                unit=unit, method=method, params=PARAMS[method], recency_days=days
            )
        last = {}
        for t, u, k, result, score, verified, days_ago, correct in events:
            trainee, unit = trainees[t], units[u]
            kuk = [c for e in unit.elements.all() for c in e.criteria.all()]
            scored = {"score": score, "score_max": 10} if score is not None else {}
            if correct and t in last:
                # A correction may also withdraw verification, so a pair can
                # lose all counting evidence and its record must go.
                last[t] = evidence_correct(
                    record=last[t],
                    outcome=result,
                    verified=verified,
                    reason="koreksi",
                    corrected_by=corrector,
                    **scored,
                )
                continue
            last[t] = record(
                trainee=trainee,
                unit=unit,
                outcome=result,
                criterion=kuk[k] if k >= 0 else None,
                verified=verified,
                # Half a day off whole days: no row sits on a recency boundary.
                occurred_at=now - timedelta(days=days_ago, hours=12),
                **scored,
            )
        columns = (
            "trainee_id",
            "unit_id",
            "outcome",
            "method",
            "score",
            "evidence_count",
        )
        incremental = sorted(CompetencyRecord.objects.values_list(*columns))
        verdicts = ("trainee_id", "scheme_id", "as_of")
        schemes_incremental = sorted(SchemeCompetence.objects.values_list(*verdicts))
        assert {(t, s) for t, s, _ in schemes_incremental} == competent_by_hand()
        CompetencyRecord.objects.all().delete()
        SchemeCompetence.objects.all().delete()
        competency_recompute()
        full = sorted(CompetencyRecord.objects.values_list(*columns))
        assert full == incremental
        # The derived scheme verdicts agree too (as_of is evidence time, so equal).
        assert sorted(SchemeCompetence.objects.values_list(*verdicts)) == (
            schemes_incremental
        )
        transaction.set_rollback(True)


def test_recompute_records_command_rebuilds_what_was_lost_and_names_unknowns(
    unit, trainee
):
    from io import StringIO

    from django.core.management import CommandError, call_command

    for criterion in unit.elements.first().criteria.all():
        record(trainee=trainee, unit=unit, criterion=criterion)
    for element in unit.elements.all():
        for criterion in element.criteria.all():
            record(trainee=trainee, unit=unit, criterion=criterion)
    expected = outcome(trainee, unit)
    CompetencyRecord.objects.all().delete()  # derived data: may be rebuilt
    out = StringIO()
    with translation.override("en"):
        call_command("recompute_records", unit=[unit.code], stdout=out)
    assert outcome(trainee, unit) == expected is not None
    assert out.getvalue().startswith("1 competency records in ")
    with translation.override("en"), pytest.raises(CommandError) as caught:
        call_command("recompute_records", unit=["NOPE"], trainee=["x@y.example"])
    assert "Unknown unit: NOPE" in str(caught.value)
    assert "Unknown trainee: x@y.example" in str(caught.value)
