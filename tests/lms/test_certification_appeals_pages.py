"""Appeals (banding) of certification decisions, and the evidence on the
committee's pages.

The applicant lodges an appeal from their competency record on a BK decision,
within the window; the body's committee sees the queue and decides, never the
member who took the decision. Every refusal names its reasons and writes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from lms.certification import services
from lms.certification.models import Appeal
from lms.models import Organisation, Role, User
from lms.services import membership_grant, person_create
from tests.lms.test_certification import (
    COMMITTEE,
    TRAINEE,
    make_scheme,
    people,
    recommend_all,
    submit,
    walk_to_certificate,
)
from tests.lms.test_certification_pages import _queries, body_staff, with_evidence

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

QUEUE = "/staf/sertifikasi/banding/"


def bk_decision(*, trainee: User | None = None, units: int = 2, evidence=False):
    """A BK decision by the demo committee member on a fresh application."""
    who = people()
    scheme = make_scheme(units=units)
    trainee = trainee or who["trainee"]
    if evidence:
        with_evidence(scheme, trainee)
    application = submit(scheme, trainee)
    recommend_all(application, who["assessor"], outcome="BK")
    services.conflict_declare(
        application=application, person=who["committee"], has_conflict=False
    )
    return services.decision_record(
        application=application,
        decided_by=who["committee"],
        outcome="BK",
        reasons="Bukti belum cukup.",
    )


def second_member() -> User:
    """Another committee member of LSP Kemensos (the demo has one)."""
    user = User.objects.filter(email="komite2.lsp@lms.example").first()
    if user is None:
        user = person_create(email="komite2.lsp@lms.example", full_name="Komite Dua")
        membership_grant(
            user=user,
            organisation=Organisation.objects.get(code="LSP-KEMENSOS"),
            role=Role.COMMITTEE,
        )
    return user


def appeal_url(decision) -> str:
    return f"/rekam-kompetensi/permohonan/{decision.application_id}/banding/"


def test_applicant_appeals_a_bk_decision_and_another_member_decides(sign_in):
    decision = bk_decision()
    client = sign_in(TRAINEE)
    record = client.get("/rekam-kompetensi/").content.decode()
    assert appeal_url(decision) in record
    page = client.get(appeal_url(decision)).content.decode()
    assert 'data-testid="appeal-form"' in page and "Bukti belum cukup." in page

    # No grounds: refused, nothing written.
    response = client.post(appeal_url(decision), {"grounds": "  "})
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert not Appeal.objects.exists()

    response = client.post(appeal_url(decision), {"grounds": "Asesmen tidak adil."})
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.decision, appeal.outcome) == (decision, "pending")
    # A double submit finds the first appeal pending.
    response = client.post(appeal_url(decision), {"grounds": "Lagi."})
    assert response.status_code == 422
    assert "already pending" in response.content.decode()
    assert Appeal.objects.count() == 1
    assert "appeal: Pending" in client.get("/rekam-kompetensi/").content.decode()

    # The member who took the decision sees the queue but may not decide it.
    committee = sign_in(COMMITTEE)
    queue = committee.get(QUEUE).content.decode()
    assert f"{QUEUE}{appeal.pk}/" in queue
    detail = committee.get(f"{QUEUE}{appeal.pk}/").content.decode()
    assert "Asesmen tidak adil." in detail
    assert "another committee member must hear the appeal" in detail
    response = committee.post(
        f"{QUEUE}{appeal.pk}/", {"outcome": "upheld", "reasons": "Setuju."}
    )
    assert response.status_code == 422
    assert "The person who took the decision cannot hear its appeal." in (
        response.content.decode()
    )
    appeal.refresh_from_db()
    assert appeal.outcome == "pending"

    # Missing reasons and outcome are named together.
    other = sign_in(second_member().email)
    response = other.post(f"{QUEUE}{appeal.pk}/", {})
    assert response.status_code == 422
    assert response.content.decode().count("This field is required.") >= 2
    response = other.post(
        f"{QUEUE}{appeal.pk}/", {"outcome": "rejected", "reasons": "Bukti kurang."}
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert (appeal.outcome, appeal.decided_by.email) == (
        "rejected",
        "komite2.lsp@lms.example",
    )
    assert f"{QUEUE}{appeal.pk}/" in other.get(QUEUE).content.decode()  # decided
    page = sign_in(TRAINEE).get(appeal_url(decision)).content.decode()
    assert "Bukti kurang." in page and 'data-outcome="rejected"' in page


def test_an_appeal_after_the_window_is_refused(sign_in, settings):
    decision = bk_decision()
    with pytest.raises(ValidationError) as exc:
        services.appeal_lodge(
            decision=decision,
            lodged_by=decision.application.trainee,
            grounds="Terlambat.",
            now=timezone.now() + dt.timedelta(days=15),
        )
    assert "The time to appeal ended on" in " ".join(exc.value.messages)
    settings.LMS_CERTIFICATION_APPEAL_DAYS = 0
    client = sign_in(TRAINEE)
    page = client.get(appeal_url(decision)).content.decode()
    assert 'data-testid="appeal-form"' not in page
    response = client.post(appeal_url(decision), {"grounds": "Terlambat."})
    assert response.status_code == 422
    assert "0 days after the decision" in response.content.decode()
    assert not Appeal.objects.exists()


def test_a_k_decision_has_no_appeal_on_the_page(sign_in):
    certificate = walk_to_certificate()
    application = certificate.decision.application
    client = sign_in(TRAINEE)
    url = f"/rekam-kompetensi/permohonan/{application.pk}/banding/"
    assert url not in client.get("/rekam-kompetensi/").content.decode()
    response = client.post(url, {"grounds": "Mengapa?"})
    assert response.status_code == 422
    assert "Only a BK (not yet competent) decision can be appealed." in (
        response.content.decode()
    )
    assert not Appeal.objects.exists()


def test_other_people_find_nothing(sign_in):
    decision = bk_decision()
    appeal = services.appeal_lodge(
        decision=decision, lodged_by=decision.application.trainee, grounds="Adil?"
    )
    # Another trainee: the page is 404 and a post writes nothing.
    client = sign_in("peserta2.r3@lms.example")
    assert client.get(appeal_url(decision)).status_code == 404
    assert client.post(appeal_url(decision), {"grounds": "x"}).status_code == 404
    # Another body's committee: queue empty, the appeal 404, nothing decided.
    body_staff("LSP-LAIN", Role.COMMITTEE, "komite@lain.example")
    client = sign_in("komite@lain.example")
    assert f"{QUEUE}{appeal.pk}/" not in client.get(QUEUE).content.decode()
    assert client.get(f"{QUEUE}{appeal.pk}/").status_code == 404
    response = client.post(
        f"{QUEUE}{appeal.pk}/", {"outcome": "upheld", "reasons": "x"}
    )
    assert response.status_code == 404
    # The body's assessor and a centre trainer have no appeals pages.
    for email in ("asesor.lsp@lms.example", "pelatih.r3@lms.example"):
        assert sign_in(email).get(QUEUE).status_code == 404
    # The body's administrator sees it; the service refuses their decision.
    admin = sign_in("admin.lsp@lms.example")
    assert admin.get(f"{QUEUE}{appeal.pk}/").status_code == 200
    response = admin.post(f"{QUEUE}{appeal.pk}/", {"outcome": "upheld", "reasons": "x"})
    assert response.status_code == 422
    assert "Only a committee member of" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.outcome == "pending"


def test_a_member_with_a_conflict_or_earlier_decision_cannot_decide():
    decision = bk_decision()
    application = decision.application
    appeal = services.appeal_lodge(
        decision=decision, lodged_by=application.trainee, grounds="Adil?"
    )
    member = second_member()
    services.conflict_declare(
        application=application, person=member, has_conflict=True, statement="Kakak."
    )
    with pytest.raises(ValidationError) as exc:
        services.appeal_decide(
            appeal=appeal, decided_by=member, outcome="upheld", reasons="Ok."
        )
    assert "You declared a conflict of interest" in " ".join(exc.value.messages)
    appeal.refresh_from_db()
    assert appeal.outcome == "pending"


def test_committee_sees_each_units_recommendation_reasons_and_evidence(sign_in):
    who = people()
    scheme = make_scheme()
    with_evidence(scheme, who["trainee"])
    application = submit(scheme, who["trainee"])
    recommend_all(application, who["assessor"])
    page = (
        sign_in(COMMITTEE)
        .get(f"/staf/sertifikasi/komite/{application.pk}/")
        .content.decode()
    )
    for scheme_unit in scheme.scheme_units.select_related("unit"):
        assert f'data-testid="evidence-{scheme_unit.unit.code}"' in page
    assert "Observasi praktik" in page  # the evidence's source title
    assert "Bukti observasi dan portofolio memadai." in page  # the reasons
    # The same selector gives nothing to someone not on the body's committee.
    from lms.certification.selectors import application_evidence_for_staff

    other = body_staff("LSP-LAIN", Role.COMMITTEE, "komite@lain.example")
    assert not application_evidence_for_staff(
        application=application, person=other, role=Role.COMMITTEE
    ).exists()
    assert application_evidence_for_staff(
        application=application, person=who["committee"], role=Role.COMMITTEE
    ).exists()


# --- constant query counts ----------------------------------------------------------


def test_appeal_pages_query_counts_do_not_grow(sign_in, django_assert_num_queries):
    trainees = [
        User.objects.get(email=email)
        for email in (
            TRAINEE,
            "peserta2.r3@lms.example",
            "peserta3.r3@lms.example",
        )
    ]
    first = bk_decision(trainee=trainees[0], units=1, evidence=True)
    appeal = services.appeal_lodge(
        decision=first, lodged_by=trainees[0], grounds="Tidak adil."
    )
    member = second_member()
    queue_small = _queries(sign_in(member.email), QUEUE)
    detail_small = _queries(sign_in(member.email), f"{QUEUE}{appeal.pk}/")
    lodge_small = _queries(sign_in(TRAINEE), appeal_url(first))

    bigger = None
    for trainee in trainees[1:]:
        bigger = bk_decision(trainee=trainee, units=4, evidence=True)
        services.appeal_lodge(decision=bigger, lodged_by=trainee, grounds="Banding.")
    decided = services.appeal_decide(
        appeal=Appeal.objects.filter(decision=bigger).get(),
        decided_by=member,
        outcome="rejected",
        reasons="Tetap.",
    )
    client = sign_in(member.email)
    with django_assert_num_queries(queue_small):
        page = client.get(QUEUE)
    assert page.content.decode().count(QUEUE) >= 3
    with django_assert_num_queries(detail_small):
        assert client.get(f"{QUEUE}{decided.pk}/").status_code == 200
    client = sign_in(bigger.application.trainee.email)
    with django_assert_num_queries(lodge_small):
        assert client.get(appeal_url(bigger)).status_code == 200
    assert max(queue_small, detail_small, lodge_small) <= 10, (
        queue_small,
        detail_small,
        lodge_small,
    )


def test_after_an_upheld_appeal_assessor_and_committee_see_why(sign_in):
    decision = bk_decision()
    application = decision.application
    appeal = services.appeal_lodge(
        decision=decision, lodged_by=application.trainee, grounds="Esai saya terlewat."
    )
    services.appeal_decide(
        appeal=appeal,
        decided_by=second_member(),
        outcome="upheld",
        reasons="Nilai ulang esai.",
    )
    for email, url in (
        ("asesor.lsp@lms.example", f"/staf/sertifikasi/asesor/{application.pk}/"),
        ("komite.lsp@lms.example", f"/staf/sertifikasi/komite/{application.pk}/"),
    ):
        page = sign_in(email).get(url).content.decode()
        assert 'data-testid="reassessment"' in page
        assert "Esai saya terlewat." in page and "Nilai ulang esai." in page
