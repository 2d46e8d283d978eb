"""Bulk issuing as background runs: batches, progress, idempotent after crashes."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.utils import translation

from lms.certification.issuing import (
    certificate_files_path,
    issuing_run_execute,
    issuing_run_start,
)
from lms.certification.models import Certificate, IssuingRun, IssuingRunState
from lms.certification.services import certificate_issue
from lms.models import User
from tests.lms.test_certification import decided, make_scheme, people

pytestmark = pytest.mark.django_db

TRAINEES = [f"peserta{i}.r3@lms.example" for i in (1, 2, 3)]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def decisions(outcomes=("K", "K", "K")):
    scheme = make_scheme()
    return [
        decided(trainee=User.objects.get(email=email), scheme=scheme, outcome=outcome)
        for email, outcome in zip(TRAINEES, outcomes, strict=False)
    ]


def record_bk(decision):
    """The holder's competency record of the scheme's first unit turns BK (as
    the roll-up leaves it after newer evidence); returns the unit."""
    from django.utils import timezone

    from lms.models import CompetencyRecord

    application = decision.application
    unit = application.scheme.scheme_units.order_by("position").first().unit
    CompetencyRecord.objects.update_or_create(
        trainee=application.trainee,
        unit=unit,
        defaults={"outcome": "BK", "method": "test", "computed_at": timezone.now()},
    )
    return unit


def test_a_run_started_from_the_service_is_worked_by_the_task(
    django_capture_on_commit_callbacks,
):
    made = decisions()
    with django_capture_on_commit_callbacks(execute=True):
        run = issuing_run_start(started_by=people()["admin"])
    run.refresh_from_db()
    assert (run.state, run.total, run.done, run.failed) == ("done", 3, 3, 0)
    assert run.progress == "3/3" and run.finished_at is not None
    for decision in made:
        certificate = Certificate.objects.get(decision=decision)
        pdf = default_storage.open(certificate_files_path(certificate, "pdf")).read()
        assert pdf.startswith(b"%PDF")
        assert default_storage.exists(certificate_files_path(certificate, "json"))


def test_runs_are_batched_and_a_resumed_or_repeated_run_issues_nothing_twice():
    made = decisions()
    admin = people()["admin"]
    run = issuing_run_start(started_by=admin, enqueue=False)
    # A crash after the first certificate: it was committed, the run was not.
    first = certificate_issue(decision=made[0], issued_by=admin)
    seen = []
    run = issuing_run_execute(
        run=run, batch_size=2, store_files=False, progress=lambda r, c: seen.append(c)
    )
    assert (run.state, run.done, run.total) == ("done", 3, 3)
    assert len(seen) == 2 and first not in seen
    assert Certificate.objects.filter(decision__in=made).count() == 3
    # Executing it again, or a new run, issues nothing more.
    again = issuing_run_execute(run=run)
    assert again.done == 3
    assert issuing_run_start(started_by=admin, enqueue=False).total == 0
    assert Certificate.objects.filter(decision__in=made).count() == 3


def test_progress_grows_per_batch_and_a_certificate_issued_meanwhile_counts_once():
    """Progress is saved after every batch; a certificate someone issued by
    hand while the run was working counts once, and the run ends exact."""
    made = decisions()
    admin = people()["admin"]
    run = issuing_run_start(started_by=admin, enqueue=False)
    saved = []

    def progress(current, certificate):
        saved.append(IssuingRun.objects.get(pk=run.pk).done)
        if len(saved) == 1:
            certificate_issue(decision=made[1], issued_by=admin)

    run = issuing_run_execute(
        run=run, batch_size=1, store_files=False, progress=progress
    )
    # Seen before each batch's save: it grows, and only the end makes it whole.
    assert saved[0] == 0 and saved == sorted(saved) and saved[-1] < 3
    run.refresh_from_db()
    assert (run.state, run.done, run.failed, run.total) == ("done", 3, 0, 3)
    assert Certificate.objects.filter(decision__in=made).count() == 3


def test_a_stuck_running_run_can_be_executed_again():
    made = decisions()
    admin = people()["admin"]
    run = issuing_run_start(started_by=admin, enqueue=False)
    IssuingRun.objects.filter(pk=run.pk).update(state=IssuingRunState.RUNNING)
    certificate_issue(decision=made[1], issued_by=admin)
    run = issuing_run_execute(run=run, store_files=False)
    assert (run.state, run.done) == ("done", 3)


def test_the_database_refuses_a_second_certificate_for_a_decision():
    made = decisions(outcomes=("K",))
    certificate = certificate_issue(decision=made[0], issued_by=people()["admin"])
    twin = Certificate(
        number="KEMBAR-1",
        serial=certificate.serial + 1000,
        decision=made[0],
        holder=certificate.holder,
        holder_name=certificate.holder_name,
        scheme=certificate.scheme,
        body=certificate.body,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


def test_refused_decisions_are_counted_and_listed_and_the_run_fails():
    made = decisions(outcomes=("K", "K"))
    # After the decision the second holder's record of a unit turned BK: that
    # blocks issuing the certificate.
    unit = record_bk(made[1])
    run = issuing_run_start(started_by=people()["admin"], enqueue=False)
    run = issuing_run_execute(run=run, store_files=False)
    assert (run.state, run.done, run.failed, run.total) == ("failed", 1, 1, 2)
    assert run.problems[0]["decision"] == made[1].pk
    assert unit.code in run.problems[0]["problems"][0]


def test_only_a_certification_body_starts_a_run_and_nothing_is_written():
    decisions(outcomes=("K",))
    with pytest.raises(Exception, match="Only a certification body"):
        issuing_run_start(started_by=people()["assessor"], enqueue=False)
    assert not IssuingRun.objects.exists()


def test_command_prints_progress_and_can_hand_the_run_to_the_worker(
    django_capture_on_commit_callbacks,
):
    decisions(outcomes=("K", "K"))
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("issue_certificates", "--by", people()["admin"].email,
                     "--background", stdout=out)  # fmt: skip
    run = IssuingRun.objects.get()
    assert f"--run {run.pk}" in out.getvalue()
    run.refresh_from_db()
    assert run.progress == "2/2"
    out = io.StringIO()
    call_command("issue_certificates", "--run", str(run.pk), stdout=out)
    assert "issued 2 of 2" in out.getvalue()


def test_command_reports_refusals_with_exit_status():
    made = decisions(outcomes=("K", "BK"))
    out = io.StringIO()
    call_command("issue_certificates", "--by", people()["admin"].email,
                 "--batch-size", "1", "--no-files", stdout=out)  # fmt: skip
    assert "[1/1]" in out.getvalue()
    # A BK decision is never awaiting a certificate, so the run had one decision.
    assert Certificate.objects.filter(decision=made[0]).exists()
    assert not Certificate.objects.filter(decision=made[1]).exists()
    with pytest.raises(CommandError, match="Give --by"):
        call_command("issue_certificates", stdout=io.StringIO())


def test_admin_page_starts_a_run_and_shows_its_progress(
    staff_client, django_capture_on_commit_callbacks
):
    decisions(outcomes=("K", "K"))
    client = staff_client(people()["admin"].email)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/sertifikat/penerbitan/", {"body": ""})
    assert response.status_code == 302
    run = IssuingRun.objects.get()
    assert (run.state, run.done, run.total) == ("done", 2, 2)
    page = client.get("/admin/sertifikat/penerbitan/").content.decode()
    assert f"<td>{run.pk}</td>" in page and "<td>2</td>" in page


def test_admin_page_is_not_there_for_people_who_do_not_issue(staff_client):
    client = staff_client(people()["assessor"].email)
    assert client.get("/admin/sertifikat/penerbitan/").status_code == 404
    assert client.post("/admin/sertifikat/penerbitan/").status_code == 404
    assert not IssuingRun.objects.exists()


def test_a_batch_is_issued_with_the_same_queries_whatever_its_size():
    """Set-based issuing: the number of queries of a batch does not grow with
    the number of decisions in it (measured at one and at two)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lms.certification.issuing import certificate_issue_batch
    from lms.certification.models import CertificateSequence

    admin = people()["admin"]
    made = decisions()
    # The body's first serial creates its counter row (two queries, once ever).
    CertificateSequence.objects.get_or_create(body=made[0].application.scheme.owner)
    counts = []
    for batch in (made[:1], made[1:]):
        with CaptureQueriesContext(connection) as queries:
            certificates, refused = certificate_issue_batch(
                decision_ids=[d.pk for d in batch], issued_by=admin
            )
        assert refused == [] and len(certificates) == len(batch)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    serials = sorted(Certificate.objects.values_list("serial", flat=True))
    assert len(set(serials)) == len(serials) == 3
    # Each has its first history row, by the issuer.
    for certificate in Certificate.objects.filter(decision__in=made):
        change = certificate.status_changes.get()
        assert (change.to_status, change.changed_by) == ("aktif", admin)
    # Again: nothing new, the same certificates back, in decision order.
    again, refused = certificate_issue_batch(
        decision_ids=[d.pk for d in made], issued_by=admin
    )
    assert [c.decision_id for c in again] == sorted(d.pk for d in made)
    assert Certificate.objects.filter(decision__in=made).count() == 3


def test_a_batch_issues_what_it_may_and_lists_the_rest_with_every_reason():
    from lms.certification.issuing import certificate_issue_batch

    made = decisions()
    unit = record_bk(made[2])
    first = certificate_issue(decision=made[0], issued_by=people()["admin"])
    certificates, refused = certificate_issue_batch(
        decision_ids=[d.pk for d in made], issued_by=people()["admin"]
    )
    assert [c.decision_id for c in certificates] == [made[0].pk, made[1].pk]
    assert certificates[0] == first
    assert [p["decision"] for p in refused] == [made[2].pk]
    assert any(unit.code in m and "BK" in m for m in refused[0]["problems"])
    # Someone who issues for no body is refused for every decision.
    _none, refused = certificate_issue_batch(
        decision_ids=[made[2].pk], issued_by=people()["assessor"]
    )
    assert "Only" in " ".join(refused[0]["problems"])


def test_a_run_split_in_two_parts_finishes_when_both_have_run():
    made = decisions()
    run = issuing_run_start(started_by=people()["admin"], enqueue=False)
    run = issuing_run_execute(run=run, store_files=False, part=0, parts=2)
    run.refresh_from_db()
    assert (run.state, run.done) == ("running", 2)
    run = issuing_run_execute(run=run, store_files=False, part=1, parts=2)
    run.refresh_from_db()
    assert (run.state, run.done, run.total) == ("done", 3, 3)
    assert Certificate.objects.filter(decision__in=made).count() == 3
