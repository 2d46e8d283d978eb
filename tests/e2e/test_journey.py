"""The whole story in a real browser, each actor in a fresh session of their own.

A Regional V trainer authors a course with an H5P exercise and a quiz, the
centre's reviewer publishes it; a trainee enrols and completes it on a phone,
sits the quiz with an essay; a University grader marks it blind; the LSP
assessor recommends K, the committee decides, the certificate is issued; the
trainee downloads it and an anonymous visitor verifies it from its number. After
each step the central dashboard's funnel moved by one at the stage concerned.
Every page the story visits passes axe-core.

Steps done through a service rather than the browser, each marked where it
happens: the module body's blocks (the StreamField chooser UI is not driven
here) and the quiz's questions (its authoring admin is covered by
tests/assessments/test_authoring_admin.py).
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission

from assessments.grading.models import Submission
from assessments.models import Attempt, ReleaseRule
from cms.models import CentrePage, CoursePage, ModulePage
from courses.h5p.models import H5PContent
from lms.certification.models import Certificate, CertificationApplication
from lms.models import Organisation, PerformanceCriterion, User
from tests.assessments.builders import quiz_make
from tests.assessments.test_grading import _rubric
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import SLOW_TIMEOUT, new_page, sign_in
from tests.e2e.test_assessment_journey import staff_context as _staff_context
from tests.e2e.test_h5p_player import content_origin  # noqa: F401 (a fixture)
from tests.h5p.h5p_factories import SAMPLES
from tests.lms.test_certification import make_scheme

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TRAINER = "pelatih.r5@lms.example"
REVIEWER = "penyelenggara.r5@lms.example"
TRAINEE = "peserta1.r5@lms.example"
GRADER = "penilai.unhas@lms.example"
ASSESSOR = "asesor.lsp@lms.example"
COMMITTEE = "komite.lsp@lms.example"
CERT_ADMIN = "admin.lsp@lms.example"
CENTRAL_ADMIN = "admin.pusat@lms.example"
SAMPLE = SAMPLES / "valid" / "drag-text.h5p"
STAGES = ("enrolled", "trained", "assessed", "competent", "certified")


def staff_context(browser, live_server, email):
    """A signed-in staff session (see test_assessment_journey) with long waits."""
    context, page = _staff_context(browser, live_server, email)
    page.set_default_timeout(SLOW_TIMEOUT)
    return context, page


def funnel(browser, live_server) -> dict[str, int]:
    """The national funnel as the central admin reads it on /staf/dasbor/."""
    context, page = staff_context(browser, live_server, CENTRAL_ADMIN)
    page.goto(f"{live_server.url}/staf/dasbor/")
    rows = page.locator("[data-testid=table-funnel] tbody tr").all()
    counts = [
        int(re.sub(r"\D", "", row.locator("td").first.inner_text())) for row in rows
    ]
    context.close()
    assert len(counts) == len(STAGES)
    return dict(zip(STAGES, counts, strict=True))


class Dashboard:
    """Remembers the last funnel; `moved(stage)` asserts only that stage gained one."""

    def __init__(self, browser, live_server):
        self.browser, self.live_server = browser, live_server
        self.last = funnel(browser, live_server)

    def moved(self, *stages: str) -> None:
        now = funnel(self.browser, self.live_server)
        expected = {s: self.last[s] + (1 if s in stages else 0) for s in STAGES}
        assert now == expected, f"after a step moving {stages}"
        self.last = now


def admin_action(page, selector: str) -> None:
    """Press one of the Wagtail editor's footer actions (maybe in its dropdown)."""
    button = page.locator(selector).first
    if not button.is_visible():
        page.locator(".w-dropdown-button [data-w-dropdown-target=toggle]").last.click()
    with page.expect_navigation():
        button.click()


def fill_title(page, title: str) -> None:
    """Type a new page's title and wait for Wagtail to derive its slug.

    The editor fills the slug from the title in script; on a busy machine a save
    pressed before that ran was refused for an empty slug.
    """
    page.locator("#id_title").fill(title)
    page.locator("#id_title").blur()
    page.wait_for_function("document.querySelector('#id_slug').value !== ''")


def approve(page, live_server, page_id: int) -> None:
    """The reviewer approves (and so publishes) a page from its editor."""
    page.goto(f"{live_server.url}/admin/pages/{page_id}/edit/")
    button = page.locator(
        "button[data-workflow-action-name=approve]:not([data-workflow-action-modal-url])"
    )
    if not button.is_visible():
        page.locator(".w-dropdown-button [data-w-dropdown-target=toggle]").last.click()
    with page.expect_navigation():
        button.click()
    # Not axe-checked: Wagtail's own admin (e.g. its green success banner fails
    # colour contrast, 3.05:1) is upstream's to fix, not a template of ours.


def test_the_whole_story(
    browser,
    live_server,
    demo_accounts,
    content_origin,  # noqa: F811
    settings,
    tmp_path,
):
    settings.H5P_CONTENT_ORIGIN = content_origin
    # Uploaded packages land in this test's own folder, not the shared media/.
    settings.MEDIA_ROOT = str(tmp_path)
    centre = Organisation.objects.get(code="R5")
    scheme = make_scheme(units=1)
    criteria = list(
        PerformanceCriterion.objects.filter(element__unit__scheme_units__scheme=scheme)
    )
    dashboard = Dashboard(browser, live_server)

    # --- authoring: the R5 trainer, in the browser ---------------------------------
    trainer = User.objects.get(email=TRAINER)
    # The operator lets this trainer install the package's libraries (the demo
    # world has none installed yet); centre staff do not have it by default.
    trainer.user_permissions.add(Permission.objects.get(codename="install_h5plibrary"))
    context, page = staff_context(browser, live_server, TRAINER)
    page.goto(f"{live_server.url}/staf/h5p/unggah/")
    assert_accessible(page)
    page.set_input_files("input[name=file]", str(SAMPLE))
    page.select_option("select[name=centre]", str(centre.pk))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    content = H5PContent.objects.get(centre=centre)
    content.criteria.set(criteria)

    # The quiz with an essay; service-built (see the module docstring). Every
    # question shows the scheme's criteria, so its marking becomes evidence.
    quiz = quiz_make(
        centre=centre,
        questions=2,
        essays=1,
        title="Uji Pendampingan Regional V",
        feedback_release=ReleaseRule.MANUAL,
    )
    _rubric(centre, quiz)
    for item in quiz.sections.get().items.select_related("question"):
        item.question.criteria.set(criteria)

    centre_page = CentrePage.objects.get(organisation=centre)
    page.goto(f"{live_server.url}/admin/pages/add/cms/coursepage/{centre_page.pk}/")
    fill_title(page, "Pendampingan Keluarga Regional V")
    page.fill("#id_code", "PKR5-01")
    page.fill("#id_total_jp", "4")
    page.select_option("#id_enrolment_policy", "open")
    admin_action(page, "button[name=action-submit]")
    course_page = CoursePage.objects.get(code="PKR5-01")
    page.goto(f"{live_server.url}/admin/pages/add/cms/modulepage/{course_page.pk}/")
    fill_title(page, "Modul Pendampingan")
    page.fill("#id_jp", "4")
    admin_action(page, "button.action-save")
    module_page = ModulePage.objects.get(title="Modul Pendampingan")
    # Service step: the body's blocks (text, the H5P exercise, the quiz) go in as
    # a new draft revision; the trainer then submits it from the editor.
    draft = module_page.get_latest_revision_as_object()
    draft.body = [
        ("paragraph", "<p>Langkah pendampingan keluarga penerima manfaat.</p>"),
        ("h5p", {"content": content}),
        ("assessment", {"assessment": quiz}),
    ]
    draft.save_revision(user=trainer)
    page.goto(f"{live_server.url}/admin/pages/{module_page.pk}/edit/")
    admin_action(page, "button[name=action-submit]")
    context.close()

    # --- moderation: the R5 reviewer publishes, in the browser --------------------
    context, page = staff_context(browser, live_server, REVIEWER)
    approve(page, live_server, module_page.pk)
    approve(page, live_server, course_page.pk)
    context.close()
    course_page.refresh_from_db()
    assert course_page.live
    dashboard.moved()  # publishing changes no trainee count

    # --- the trainee, on a phone ---------------------------------------------------
    phone, page = new_page(browser, phone=True)
    sign_in(page, live_server, TRAINEE)
    assert_accessible(page)
    page.goto(f"{live_server.url}{course_page.url}")
    assert_accessible(page)
    page.get_by_test_id("enrol").click()
    page.wait_for_load_state()
    dashboard.moved("enrolled")

    page.get_by_test_id("continue").click()
    assert "Modul Pendampingan" in page.locator("h1").inner_text()
    assert page.locator("iframe").count() >= 1  # the H5P exercise is embedded
    assert_accessible(page, exclude=("iframe",))
    page.get_by_test_id("module-next").click()
    page.wait_for_load_state()
    assert "4 JP" in page.get_by_test_id("jp-earned").inner_text()
    dashboard.moved("trained")

    page.goto(f"{live_server.url}/asesmen/{quiz.uuid}/")
    assert_accessible(page)
    page.get_by_test_id("start").click()
    assert_accessible(page)
    page.locator("[data-testid=slot-1] input[value=true]").check()
    page.locator("[data-testid=slot-2] input[value=true]").check()
    page.locator("[data-testid=slot-3] textarea").fill(
        "Saya mengunjungi keluarga, menilai kebutuhan, lalu merujuk ke layanan."
    )
    page.get_by_test_id("submit").click()
    page.get_by_test_id("result-pending").wait_for()
    assert_accessible(page)
    dashboard.moved()  # submitted, not yet graded

    # --- the centre sends the essay to a university; its grader marks it blind ---
    attempt = Attempt.objects.get(assessment=quiz)
    submission = Submission.objects.get(attempt=attempt)
    context, admin = staff_context(browser, live_server, REVIEWER)
    admin.goto(f"{live_server.url}/staf/penilaian/pusat/R5/")
    assert_accessible(admin)
    admin.get_by_label(re.compile("Hasanuddin|UNHAS", re.I)).check()
    with admin.expect_navigation():
        admin.locator("form[action$='/alokasi/'] button[type=submit]").click()
    context.close()
    submission.refresh_from_db()
    assert submission.university.code == "UNHAS"

    context, grader = staff_context(browser, live_server, GRADER)
    grader.goto(f"{live_server.url}/staf/penilaian/")
    assert_accessible(grader)
    grader.get_by_role("link", name=submission.candidate_code).click()
    trainee = User.objects.get(email=TRAINEE)
    assert trainee.full_name not in grader.content()
    assert TRAINEE not in grader.content()
    assert_accessible(grader)
    with grader.expect_navigation():
        grader.locator("form[action$='/klaim/'] button[type=submit]").click()
    for row in grader.locator("table tr:has(input[type=radio])").all():
        row.locator("input[type=radio]").last.check()  # the highest level
    grader.locator("textarea[name=feedback]").fill("Runtut dan tepat.")
    with grader.expect_navigation():
        grader.locator("button[name=action][value=complete]").click()
    context.close()
    attempt.refresh_from_db()
    assert attempt.state == "graded"
    # Graded: assessed; every criterion met, so the unit's record is K.
    dashboard.moved("assessed", "competent")

    # --- certification ---------------------------------------------------------------
    # The trainee applies from their competency record (APL-01/02), on the phone.
    page.goto(f"{live_server.url}/rekam-kompetensi/")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_test_id(f"apply-{scheme.code}").click()
    assert_accessible(page)
    form = page.get_by_test_id("application-form")
    form.locator("select[name=purpose]").select_option("sertifikasi")
    for answer in form.locator("input[type=radio][name^=element_][value='1']").all():
        answer.check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    application = CertificationApplication.objects.get(trainee=trainee, scheme=scheme)
    assert application.self_assessments.count() == (
        scheme.units.get().elements.count()
    )
    unit = scheme.units.get()

    context, page = staff_context(browser, live_server, ASSESSOR)
    page.goto(f"{live_server.url}/staf/sertifikasi/asesor/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/staf/sertifikasi/asesor/{application.pk}/")
    assert_accessible(page)
    form = page.get_by_test_id("conflict-form")
    form.locator("input[name=has_conflict][value=no]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    form = page.get_by_test_id(f"recommend-{unit.code}")
    form.locator("input[name=outcome][value=K]").check()
    form.locator("textarea[name=reasons]").fill("Bukti kuis dan esai memadai.")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert_accessible(page)
    context.close()
    dashboard.moved()

    context, page = staff_context(browser, live_server, COMMITTEE)
    page.goto(f"{live_server.url}/staf/sertifikasi/komite/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/staf/sertifikasi/komite/{application.pk}/")
    form = page.get_by_test_id("conflict-form")
    form.locator("input[name=has_conflict][value=no]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    form = page.get_by_test_id("decision-form")
    form.locator("input[name=outcome][value=K]").check()
    form.locator("textarea[name=reasons]").fill("Semua unit K.")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert_accessible(page)
    context.close()
    application.refresh_from_db()
    dashboard.moved()

    context, page = staff_context(browser, live_server, CERT_ADMIN)
    page.goto(f"{live_server.url}/admin/sertifikat/penerbitan/")
    with page.expect_navigation():
        page.locator("form:has(select[name=body]) button[type=submit]").click()
    context.close()
    certificate = Certificate.objects.get(holder=trainee)
    assert CertificationApplication.objects.get(pk=application.pk).status == "decided"
    dashboard.moved("certified")

    # --- the trainee downloads the certificate ---------------------------------------
    page = phone.pages[0]
    page.goto(f"{live_server.url}/rekam-kompetensi/")
    assert_accessible(page)
    with page.expect_download() as download:
        page.locator(
            f"[data-testid=certificate-{certificate.pk}] a[href$='.pdf']"
        ).click()
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    phone.close()

    # --- an anonymous visitor verifies it from its number ---------------------------
    context, page = new_page(browser)
    page.goto(f"{live_server.url}/verify/{certificate.number}/")
    assert_accessible(page)
    text = page.locator("main").inner_text()
    assert certificate.number in text
    assert certificate.holder_name in text
    context.close()
