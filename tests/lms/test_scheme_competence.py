"""SchemeCompetence: the roll-up's derived trainee × scheme verdict (issue 7)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lms.evidence.services import evidence_correct
from lms.models import SchemeCompetence, SchemeUnit
from lms.records.services import competency_recompute, scheme_competence_refresh
from tests.factories import UserFactory
from tests.lms.lms_factories import record
from tests.lms.test_certification import make_scheme

pytestmark = pytest.mark.django_db


def kuk(unit):
    return [c for e in unit.elements.all() for c in e.criteria.all()]


def met_all(trainee, unit):
    return [record(trainee=trainee, unit=unit, criterion=c) for c in kuk(unit)]


def verdicts(scheme=None):
    rows = SchemeCompetence.objects.all()
    if scheme is not None:
        rows = rows.filter(scheme=scheme)
    return set(rows.values_list("trainee_id", "scheme_id"))


def test_competent_only_with_k_on_every_unit_and_back_when_one_turns_bk():
    scheme = make_scheme(units=2)
    first, second = scheme.units.order_by("scheme_units__position")
    trainee = UserFactory()
    met_all(trainee, first)
    assert verdicts(scheme) == set()
    rows = met_all(trainee, second)
    assert verdicts(scheme) == {(trainee.pk, scheme.pk)}
    # A correction turns one KUK not met: the unit is BK, the scheme verdict goes.
    evidence_correct(
        record=rows[0],
        outcome="not_met",
        verified=True,
        reason="koreksi",
        corrected_by=UserFactory(),
    )
    assert verdicts(scheme) == set()


def test_a_new_scheme_over_units_already_k_is_competent_at_once():
    old = make_scheme(units=2)
    trainee = UserFactory()
    for unit in old.units.all():
        met_all(trainee, unit)
    from lms.models import Organisation
    from lms.standards.services import scheme_create

    newer = scheme_create(
        code=f"{old.code}-B",
        title="Skema baru",
        scheme_type="okupasi",
        owner=Organisation.objects.get(code="LSP-KEMENSOS"),
        units=list(old.units.order_by("scheme_units__position"))[:1],
    )
    assert verdicts(newer) == {(trainee.pk, newer.pk)}


def test_a_scheme_whose_units_change_follows_after_a_refresh():
    scheme = make_scheme(units=2)
    first, second = scheme.units.order_by("scheme_units__position")
    trainee = UserFactory()
    met_all(trainee, first)
    assert verdicts(scheme) == set()
    # The scheme drops its second unit: only a refresh of the scheme tells.
    SchemeUnit.objects.filter(scheme=scheme, unit=second).delete()
    scheme_competence_refresh(schemes=[scheme])
    assert verdicts(scheme) == {(trainee.pk, scheme.pk)}
    # …and gains a unit the trainee has no record of.
    SchemeUnit.objects.create(scheme=scheme, unit=second, position=2)
    scheme_competence_refresh(schemes=[scheme])
    assert verdicts(scheme) == set()


def test_the_command_rebuilds_lost_verdicts():
    scheme = make_scheme(units=1)
    trainee = UserFactory()
    met_all(trainee, scheme.units.get())
    SchemeCompetence.objects.all().delete()
    call_command("recompute_records", stdout=StringIO())
    assert verdicts(scheme) == {(trainee.pk, scheme.pk)}


def test_the_verdicts_take_the_same_queries_however_many_trainees():
    scheme = make_scheme(units=2)

    def queries_for(n_trainees):
        trainees = [UserFactory() for _ in range(n_trainees)]
        for trainee in trainees:
            for unit in scheme.units.all():
                met_all(trainee, unit)
        with CaptureQueriesContext(connection) as full:
            competency_recompute()
        with CaptureQueriesContext(connection) as refresh:
            scheme_competence_refresh(schemes=[scheme], trainees=trainees)
        return len(full), len(refresh)

    assert queries_for(1) == queries_for(6)
    assert len(verdicts(scheme)) == 7
