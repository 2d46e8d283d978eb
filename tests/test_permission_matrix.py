"""Role × URL → status for every URL the project itself defines.

`test_every_project_url_has_a_row` fails when a new URL appears without a row
here, so nobody adds a page or endpoint without deciding who may reach it.
Wagtail's and allauth's own URLs are covered by their own permission checks and
by tests/cms/test_admin_scope.py.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import totp_enrol

PROJECT_MODULES = ("lms.", "cms.", "courses.", "assessments.", "ninja.")
EXTRA_NAMES = {"set_language"}

# Who is signed in for each column (all demo accounts; staff get TOTP enrolled).
ROLES = {
    "anonymous": None,
    "trainee": "peserta1.r3@lms.example",
    "trainer": "pelatih.r3@lms.example",
    "centre_admin": "penyelenggara.r3@lms.example",
    "grader": "penilai.unhas@lms.example",
    "assessor": "asesor.lsp@lms.example",
    "certification_admin": "admin.lsp@lms.example",
    "committee": "komite.lsp@lms.example",
    "central_admin": "admin.pusat@lms.example",
}
EVERYONE = dict.fromkeys(ROLES)


def same_for_all(status: int) -> dict[str, int]:
    return dict.fromkeys(EVERYONE, status)


def signed_in(status: int, *, anonymous: int) -> dict[str, int]:
    return {**same_for_all(status), "anonymous": anonymous}


def staff_of_r3(
    status: int, *, others: int = 404, anonymous: int = 302
) -> dict[str, int]:
    """A page for R3's trainers and admins (and the central admin, who sees all)."""
    expected = {**same_for_all(others), "anonymous": anonymous}
    expected.update(trainer=status, centre_admin=status, central_admin=status)
    return expected


ADMIN_ONLY = {**same_for_all(200), "anonymous": 302, "trainee": 302}


def authoring_rows(name: str, base: str) -> dict[str, tuple[str, str, dict[str, int]]]:
    """Rows of a Wagtail authoring viewset at `base` (assessments, H5P alike).

    Lists and forms: the centres' trainers and admins and the central admin;
    other staff are turned away (to the admin home), trainees sent to sign in.
    Object views are probed with an id that does not exist: edit checks the
    right to author first (others: admin home), the rest answer 404 to staff.
    """
    rows = {
        view: (tail, {**staff_of_r3(200, others=302), "trainee": 302})
        for view, tail in (
            ("index", ""),
            ("index_results", "results/"),
            ("add", "new/"),
        )
    }
    rows["edit"] = ("edit/999999999/", {**staff_of_r3(404, others=302)})
    for view in ("delete", "history", "history_results", "usage"):
        rows[view] = (
            f"{view.replace('_', '-')}/999999999/",
            {**same_for_all(404), "anonymous": 302, "trainee": 302},
        )
    return {
        f"{name}:{view}": ("get", f"{base}{tail}", expected)
        for view, (tail, expected) in rows.items()
    }
COHORT_PAGE = {**staff_of_r3(200), "trainee": 403}
# Any staff member may open the list; it shows only their own centre's cohorts
# (empty for a university or the LSP).
# Pages of one trainee's own things: everyone else finds nothing there.
OWN_TRAINEE = {**same_for_all(404), "anonymous": 302, "trainee": 200}
H5P_PLAYERS = {**staff_of_r3(200), "trainee": 200}
COHORT_LIST = {**same_for_all(200), "anonymous": 302, "trainee": 403}

# url name → (method, path with {placeholders} from `objects`, {role: status})
MATRIX: dict[str, tuple[str, str, dict[str, int]]] = {
    "admin_login_redirect": ("get", "/admin/login/", same_for_all(302)),
    "set_language": ("post", "/i18n/setlang/", same_for_all(302)),
    "api-v1:me": ("get", "/api/v1/me", signed_in(200, anonymous=401)),
    # Everyone's own home after sign-in (panels by role).
    "home:mine": ("get", "/saya/", signed_in(200, anonymous=302)),
    "api-v1:centres": ("get", "/api/v1/centres", same_for_all(200)),
    "api-v1:openapi-json": ("get", "/api/v1/openapi.json", same_for_all(200)),
    "api-v1:openapi-view": ("get", "/api/v1/docs", same_for_all(200)),
    # H5P: trainees enrolled in a course embedding it and its centre's staff play;
    # the frame needs its token, not a session.
    "h5p:embed": ("get", "/h5p/{h5p}/", H5P_PLAYERS),
    "h5p:play": ("get", "/h5p/{h5p}/play/", same_for_all(404)),
    "h5p:xapi": ("get", "/h5p/{h5p}/xapi/", signed_in(405, anonymous=302)),
    "h5p:user_data": (
        "get",
        "/h5p/content-user-data/{h5p}/state/0/",
        H5P_PLAYERS,
    ),
    "h5p:player_user_data": (
        "get",
        "/h5p/{h5p}/play/state/state/0/",
        same_for_all(404),
    ),
    "h5p:file": ("get", "/h5p/files/libraries/none/library.json", same_for_all(404)),
    "h5p_staff:results": ("get", "/staf/h5p/{h5p}/", staff_of_r3(200)),
    # Upload: people with a centre to upload to; others find no such page.
    "h5p_staff:upload": (
        "get",
        "/staf/h5p/unggah/",
        {**staff_of_r3(200), "trainee": 404},
    ),
    # Delete only by POST (tested in tests/h5p/test_staff_upload.py).
    "h5p_staff:delete": (
        "get",
        "/staf/h5p/{h5p}/hapus/",
        signed_in(405, anonymous=302),
    ),
    # Courses: the catalogue is public; learning needs a session; cohorts are
    # the centre's own (other staff 404, trainees 403 before any lookup).
    "cms:catalogue": ("get", "/kursus/", same_for_all(200)),
    "cms:my_courses": ("get", "/kursus/saya/", signed_in(200, anonymous=302)),
    "cms:course_enrol": (
        "post",
        "/kursus/{course}/daftar/",
        {**signed_in(302, anonymous=302)},
    ),
    "cms:module_progress": (
        "get",
        "/kursus/modul/{module}/kemajuan/",
        signed_in(405, anonymous=302),
    ),
    "cms:cohort_list": ("get", "/staf/kursus/angkatan/", COHORT_LIST),
    "cms:cohort_roster": ("get", "/staf/kursus/angkatan/{cohort}/", COHORT_PAGE),
    "cms:cohort_roster_export": (
        "get",
        "/staf/kursus/angkatan/{cohort}/ekspor.csv",
        COHORT_PAGE,
    ),
    # Course administration (issue 3): enrolment requests and cohort forms.
    # Any staff member may open the lists/forms (scoped to their centre);
    # another centre's cohort is 404; trainees are refused before any lookup.
    "cms:enrolment_requests": ("get", "/staf/kursus/pendaftaran/", COHORT_LIST),
    "cms:cohort_create": ("get", "/staf/kursus/angkatan/baru/", COHORT_LIST),
    "cms:cohort_edit": ("get", "/staf/kursus/angkatan/{cohort}/ubah/", COHORT_PAGE),
    "cms:cohort_trainee_add": (
        "get",
        "/staf/kursus/angkatan/{cohort}/peserta/",
        signed_in(405, anonymous=302),
    ),
    # The H5P chooser in the page editor: any staff member (it lists only their
    # centre's contents); trainees are turned away by Wagtail's admin check.
    "h5p_chooser:choose": ("get", "/admin/h5p_chooser/", ADMIN_ONLY),
    "h5p_chooser:choose_results": (
        "get",
        "/admin/h5p_chooser/results/",
        ADMIN_ONLY,
    ),
    "assessment_chooser:choose": ("get", "/admin/assessment_chooser/", ADMIN_ONLY),
    "assessment_chooser:choose_results": (
        "get",
        "/admin/assessment_chooser/results/",
        ADMIN_ONLY,
    ),
    "api-v1:catalogue": ("get", "/api/v1/courses", same_for_all(200)),
    "api-v1:my_enrolments": (
        "get",
        "/api/v1/me/enrolments",
        signed_in(200, anonymous=401),
    ),
    "api-v1:cohort_roster": (
        "get",
        "/api/v1/cohorts/{cohort}/roster",
        {**staff_of_r3(200, anonymous=401), "trainee": 403},
    ),
    # Certificate verification is public: anyone holding the number may check it.
    "certification:verify": ("get", "/verify/{certificate}/", same_for_all(200)),
    "certification:status_list": (
        "get",
        "/verify/status/LSP-KEMENSOS/revocation/",
        same_for_all(200),
    ),
    # Assessments: a trainee of R3 sits R3's quiz; attempts are their own only.
    "assessments:list": ("get", "/asesmen/", signed_in(200, anonymous=302)),
    "assessments:detail": ("get", "/asesmen/{assessment}/", OWN_TRAINEE),
    "assessments:start": (
        "get",
        "/asesmen/{assessment}/mulai/",
        signed_in(405, anonymous=302),
    ),
    "assessments:attempt": ("get", "/asesmen/percobaan/{attempt}/", OWN_TRAINEE),
    "assessments:result": (
        "get",
        "/asesmen/percobaan/{attempt}/hasil/",
        OWN_TRAINEE,
    ),
    "assessments_staff:list": (
        "get",
        "/staf/asesmen/",
        {**same_for_all(200), "anonymous": 302, "trainee": 404},
    ),
    "assessments_staff:analysis": (
        "get",
        "/staf/asesmen/{assessment}/analisis/",
        staff_of_r3(200),
    ),
    "api-v1:assessment_list": (
        "get",
        "/api/v1/assessments",
        signed_in(200, anonymous=401),
    ),
    "api-v1:attempt_start": (
        "post",
        "/api/v1/assessments/{assessment}/attempts",
        {**OWN_TRAINEE, "trainee": 201, "anonymous": 401},
    ),
    "api-v1:attempt_get": (
        "get",
        "/api/v1/attempts/{attempt}",
        {**OWN_TRAINEE, "anonymous": 401},
    ),
    "api-v1:attempt_result": (
        "get",
        "/api/v1/attempts/{attempt}/result",
        {**OWN_TRAINEE, "anonymous": 401},
    ),
    # Writes only by PUT/POST (tested in tests/assessments/test_attempt_api.py).
    "api-v1:attempt_save": (
        "get",
        "/api/v1/attempts/{attempt}/answers",
        same_for_all(405),
    ),
    "api-v1:attempt_submit": (
        "get",
        "/api/v1/attempts/{attempt}/submit",
        same_for_all(405),
    ),
    # Assignment files: the trainee's own; marker feedback once released (the
    # row's file belongs to another attempt, so everyone finds nothing).
    "assessments:appeal": (
        "get",
        "/asesmen/percobaan/{attempt}/banding/",
        {**same_for_all(405), "anonymous": 302},
    ),
    "assessments:answer_file": (
        "get",
        "/asesmen/percobaan/{own_attempt}/berkas/{own_file}/",
        OWN_TRAINEE,
    ),
    "assessments:feedback_file": (
        "get",
        "/asesmen/percobaan/{own_attempt}/umpan-balik/{grading_feedback}/",
        {**same_for_all(404), "anonymous": 302},
    ),
    "api-v1:attempt_file_add": (
        "get",
        "/api/v1/attempts/{own_attempt}/files",
        same_for_all(405),
    ),
    "api-v1:attempt_file_remove": (
        "delete",
        "/api/v1/attempts/{own_attempt}/files/{own_file}",
        {**same_for_all(404), "anonymous": 401, "trainee": 204},
    ),
    # Grading: graders of the university the submission went to, nobody else.
    "api-v1:queue": ("get", "/api/v1/grading/queue", signed_in(200, anonymous=401)),
    "api-v1:submission_detail": (
        "get",
        "/api/v1/grading/submissions/{submission}",
        {**same_for_all(404), "anonymous": 401, "grader": 200},
    ),
    # Claim and mark only by POST (tested in tests/assessments/test_grading.py).
    "api-v1:claim": (
        "get",
        "/api/v1/grading/submissions/{submission}/claim",
        same_for_all(405),
    ),
    "api-v1:mark": (
        "get",
        "/api/v1/grading/submissions/{submission}/mark",
        same_for_all(405),
    ),
    # --- Grading workflow (assessments.grading): pages and API -----------------
    # Grader pages: graders of the university the submission went to; everyone
    # else finds nothing. Centre pages: R3's staff and the central admin.
    **{
        name: ("get", path, {**same_for_all(404), "anonymous": 302, "grader": ok})
        for name, path, ok in [
            ("grading:queue", "/staf/penilaian/", 200),
            ("grading:next", "/staf/penilaian/berikutnya/", 302),
            ("grading:export", "/staf/penilaian/ekspor/csv/", 200),
            ("grading:import", "/staf/penilaian/impor/", 200),
            ("grading:mark", "/staf/penilaian/naskah/{grading_task}/", 200),
            (
                "grading:file",
                "/staf/penilaian/naskah/{grading_task}/berkas/{grading_file}/",
                200,
            ),
            (
                "grading:feedback_file",
                "/staf/penilaian/naskah/{grading_task}/umpan-balik/{grading_feedback}/",
                200,
            ),
        ]
    },
    "grading:claim": (
        "get",
        "/staf/penilaian/naskah/{grading_task}/klaim/",
        signed_in(405, anonymous=302),
    ),
    "grading:centres": (
        "get",
        "/staf/penilaian/pusat/",
        {**staff_of_r3(302), "central_admin": 200},
    ),
    "grading:centre": ("get", "/staf/penilaian/pusat/R3/", staff_of_r3(200)),
    "grading:allocate": (
        "get",
        "/staf/penilaian/pusat/R3/alokasi/",
        signed_in(405, anonymous=302),
    ),
    "grading:allocate_manual": (
        "get",
        "/staf/penilaian/pusat/R3/alokasi-manual/",
        signed_in(405, anonymous=302),
    ),
    "grading:assign": (
        "get",
        "/staf/penilaian/pusat/R3/tugaskan/",
        signed_in(405, anonymous=302),
    ),
    "grading:release": (
        "get",
        "/staf/penilaian/pusat/R3/rilis/",
        signed_in(405, anonymous=302),
    ),
    "grading:override": (
        "get",
        "/staf/penilaian/percobaan/{grading_attempt}/ubah-nilai/",
        staff_of_r3(200),
    ),
    "grading:appeal": (
        "get",
        "/staf/penilaian/banding/{grading_appeal}/",
        staff_of_r3(200),
    ),
    # Writes only by POST (tested in tests/grading/).
    "api-v1:complete": (
        "get",
        "/api/v1/grading/submissions/{submission}/complete",
        same_for_all(405),
    ),
    "api-v1:feedback": (
        "get",
        "/api/v1/grading/submissions/{submission}/feedback",
        same_for_all(405),
    ),
    "api-v1:appeal_create": ("get", "/api/v1/grading/appeals", same_for_all(405)),
    # --- end of the grading block ------------------------------------------------
    # --- Dashboards (cms.dashboards): the central admin sees the nation, a centre
    # admin their own centre; everyone else finds nothing.
    "dashboards:dashboard": (
        "get",
        "/staf/dasbor/",
        {**staff_of_r3(200), "trainer": 404, "trainee": 404},
    ),
    "dashboards:export": (
        "get",
        "/staf/dasbor/ekspor/funnel.csv",
        {**staff_of_r3(200), "trainer": 404, "trainee": 404},
    ),
    # --- end of the dashboards block ---------------------------------------------
    # --- Certification pages (lms.certification views): the trainee's own record
    # and certificate; the LSP's assessor, committee, register and audit pages
    # (other people find nothing there).
    "competency:record": ("get", "/rekam-kompetensi/", signed_in(200, anonymous=302)),
    "competency:certificate_pdf": (
        "get",
        "/rekam-kompetensi/sertifikat/{certificate_pk}/unduh.pdf",
        OWN_TRAINEE,
    ),
    "competency:certificate_credential": (
        "get",
        "/rekam-kompetensi/sertifikat/{certificate_pk}/kredensial.json",
        OWN_TRAINEE,
    ),
    **{
        name: ("get", path, {**same_for_all(404), "anonymous": 302, **ok})
        for name, path, ok in [
            (
                "certification_staff:assessor_queue",
                "/staf/sertifikasi/asesor/",
                {"assessor": 200},
            ),
            (
                "certification_staff:assessor_application",
                "/staf/sertifikasi/asesor/{certificate_application}/",
                {"assessor": 200},
            ),
            (
                "certification_staff:committee_queue",
                "/staf/sertifikasi/komite/",
                {"committee": 200},
            ),
            (
                "certification_staff:committee_application",
                "/staf/sertifikasi/komite/{certificate_application}/",
                {"committee": 200},
            ),
            (
                "certification_staff:register",
                "/staf/sertifikasi/register/",
                dict.fromkeys(
                    ["certification_admin", "committee", "central_admin"], 200
                ),
            ),
            (
                "certification_staff:register_export",
                "/staf/sertifikasi/register/ekspor.csv",
                dict.fromkeys(
                    ["certification_admin", "committee", "central_admin"], 200
                ),
            ),
            (
                "certification_staff:application_audit",
                "/staf/sertifikasi/permohonan/{certificate_application}/riwayat/",
                dict.fromkeys(
                    ["assessor", "certification_admin", "committee", "central_admin"],
                    200,
                ),
            ),
            (
                "certification_staff:certificate_audit",
                "/staf/sertifikasi/sertifikat/{certificate_pk}/riwayat/",
                dict.fromkeys(
                    ["assessor", "certification_admin", "committee", "central_admin"],
                    200,
                ),
            ),
        ]
    },
    # Declarations only by POST (tested in tests/lms/test_certification_pages.py).
    "certification_staff:conflict_declare": (
        "get",
        "/staf/sertifikasi/permohonan/{certificate_application}/konflik/",
        signed_in(405, anonymous=302),
    ),
    # --- end of the certification pages block --------------------------------------
    # --- certpages ---
    # Appeals (banding) and the certificate status page. The appeal lodged by the
    # applicant is keyed by their application (the matrix's is decided K: the
    # page opens, the form is not offered); an appeal id that does not exist is
    # 404 for everyone (real appeals are tested in
    # tests/lms/test_certification_appeals_pages.py).
    "competency:appeal": (
        "get",
        "/rekam-kompetensi/permohonan/{certificate_application}/banding/",
        OWN_TRAINEE,
    ),
    "certification_staff:appeal_queue": (
        "get",
        "/staf/sertifikasi/banding/",
        {
            **same_for_all(404),
            "anonymous": 302,
            "certification_admin": 200,
            "committee": 200,
        },
    ),
    "certification_staff:appeal_detail": (
        "get",
        "/staf/sertifikasi/banding/999999/",
        {**same_for_all(404), "anonymous": 302},
    ),
    "certification_staff:certificate_detail": (
        "get",
        "/staf/sertifikasi/sertifikat/{certificate_pk}/",
        {
            **same_for_all(404),
            "anonymous": 302,
            "certification_admin": 200,
            "committee": 200,
            "central_admin": 200,
        },
    ),
    # --- end of certpages ---
    # --- certification background work: bulk issuing page (Wagtail admin) ----------
    "certificate_issuing:index": (
        "get",
        "/admin/sertifikat/penerbitan/",
        {
            **same_for_all(404),
            "anonymous": 302,
            "trainee": 302,
            "certification_admin": 200,
            "committee": 200,
        },
    ),
    # --- trainee's certification application page --------------------------------
    # Probed with a scheme code that does not exist (404 for everyone signed in);
    # the page itself is tested in tests/lms/test_certification_apply_page.py.
    "competency:apply": (
        "get",
        "/rekam-kompetensi/skema/TIDAK-ADA/ajukan/",
        {**same_for_all(404), "anonymous": 302},
    ),
    # --- whole-course review (Wagtail admin) -------------------------------------
    # Probed with a page id that does not exist; another centre's course answering
    # 404 is tested in tests/cms/test_course_review.py.
    "cms_course_review": (
        "get",
        "/admin/kursus/999999999/tinjauan/",
        {**same_for_all(404), "anonymous": 302, "trainee": 302},
    ),
    # --- end of whole-course review ----------------------------------------------
    # --- assessment authoring (Wagtail admin, /admin/asesmen/) --------------------
    # Columns as `authoring_rows` says; another centre's objects answering 404 to
    # an author is tested in tests/assessments/test_authoring_admin.py.
    **{
        row: probe
        for name, prefix in (
            ("assessment_authoring", "asesmen"),
            ("question_bank_authoring", "bank-soal"),
            ("question_authoring", "soal"),
            ("rubric_authoring", "rubrik"),
        )
        for row, probe in authoring_rows(name, f"/admin/asesmen/{prefix}/").items()
    },
    **{
        f"assessment_authoring:{view}": (
            "get",
            f"/admin/asesmen/asesmen/{tail}",
            {**same_for_all(404), "anonymous": 302, "trainee": 302},
        )
        for view, tail in (
            ("structure", "susunan/999999999/"),
            ("section_add", "susunan/999999999/bagian/"),
            ("section_edit", "bagian/999999999/"),
            ("section_up", "bagian/999999999/naik/"),
            ("section_down", "bagian/999999999/turun/"),
            ("section_remove", "bagian/999999999/hapus/"),
            ("publish", "terbitkan/999999999/"),
            ("unpublish", "draf/999999999/"),
        )
    },
    # --- end of the assessment authoring block ------------------------------------
    # --- h5padmin (H5P in the Wagtail admin, /admin/h5p/) -------------------------
    # Built on the assessment authoring classes, so the same columns. Another
    # centre's content answering 404 on every view is tested in
    # tests/h5p/test_admin_viewset.py.
    **authoring_rows("h5p_admin", "/admin/h5p/"),
    # --- end of h5padmin -------------------------------------------------------------
}


@pytest.fixture
def objects(db, settings, tmp_path):
    """The objects the matrix paths point at (all belonging to Regional III)."""
    from assessments import services as assessment_services
    from assessments.grading.models import Submission
    from assessments.grading.services import submissions_allocate
    from lms.models import Organisation, User
    from tests.assessments.builders import quiz_make
    from tests.assessments.test_assignment_upload import PDF, assignment_make, upload
    from tests.courses.test_roster import cohort_make
    from tests.h5p.h5p_factories import content
    from tests.lms.test_certification import walk_to_certificate

    cohort = cohort_make(centre_code="R3")
    quiz = quiz_make(centre=Organisation.objects.get(code="R3"), questions=1)
    attempt = assessment_services.attempt_start(
        assessment=quiz, trainee=User.objects.get(email=ROLES["trainee"])
    )
    trainee = User.objects.get(email=ROLES["trainee"])
    essay_quiz = quiz_make(centre=quiz.centre, questions=0, essays=1)
    essay_attempt = assessment_services.attempt_start(
        assessment=essay_quiz, trainee=trainee
    )
    assessment_services.attempt_submit(
        attempt=essay_attempt,
        trainee=trainee,
        responses={1: "Jawaban esai."},
        idempotency_key="matrix-essay",
    )
    submission = Submission.objects.get(attempt=essay_attempt)
    submissions_allocate(
        submissions=[submission],
        university=User.objects.get(email=ROLES["grader"])
        .memberships.get(role="grader")
        .organisation,
    )
    # Grading block: an assignment with a file and a feedback file at the
    # grader's university; a released, graded essay with an open appeal.
    settings.MEDIA_ROOT = str(tmp_path / "media")
    grading_objects = _grading_objects(
        grader=User.objects.get(email=ROLES["grader"]), centre=quiz.centre
    )
    assignment = assignment_make(centre=quiz.centre)
    own_attempt = assessment_services.attempt_start(
        assessment=assignment, trainee=trainee
    )
    own_file = assessment_services.answer_file_add(
        attempt=own_attempt, trainee=trainee, slot=1, upload=upload("a.pdf", PDF)
    )
    return {
        **grading_objects,
        "submission": submission.candidate_code,
        "assessment": quiz.uuid,
        "attempt": attempt.uuid,
        "own_attempt": own_attempt.uuid,
        "own_file": own_file.pk,
        "h5p": content(centre="R3", enrol=(ROLES["trainee"],)).uuid,
        "certificate": (certificate := walk_to_certificate()).number,
        "certificate_pk": certificate.pk,
        "certificate_application": certificate.decision.application_id,
        "cohort": cohort.pk,
        "course": cohort.course_id,
        "module": cohort.course.modules.first().pk,
    }


def _grading_objects(*, grader, centre) -> dict:
    """The grading block's objects (see tests/grading/factories.py)."""
    from django.core.files.base import ContentFile

    from assessments.grading import services as grading
    from assessments.grading.models import FeedbackFile
    from tests.assessments.builders import trainee_make
    from tests.grading.factories import (
        assignment_submission,
        essay_submission,
        levels_for,
    )

    university = grader.memberships.get(role="grader").organisation
    task = assignment_submission(centre, trainee_make(centre), university)
    grading.submission_claim(submission=task, grader=grader)
    note = ContentFile(b"catatan", name="catatan.txt")
    note.content_type = "text/plain"
    grading.feedback_file_add(submission=task, grader=grader, upload=note)
    trainee = trainee_make(centre)
    essay = essay_submission(centre, trainee, university)
    grading.submission_claim(submission=essay, grader=grader)
    essay.refresh_from_db()
    grading.mark_complete(
        submission=essay,
        grader=grader,
        expected_version=essay.version,
        levels=levels_for(essay.rubric, 3, 5),
    )
    essay.attempt.refresh_from_db()
    appeal = grading.appeal_open(
        attempt=essay.attempt, trainee=trainee, reason="Mohon ditinjau ulang."
    )
    return {
        "grading_task": task.candidate_code,
        "grading_file": task.answer.files.get().pk,
        "grading_feedback": FeedbackFile.objects.get(submission=task).pk,
        "grading_attempt": essay.attempt.uuid,
        "grading_appeal": appeal.pk,
    }


def project_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace: str = "") -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}{pattern.namespace}:"
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                module = getattr(pattern.callback, "__module__", "") or ""
                name = f"{namespace}{pattern.name}"
                if module.startswith(PROJECT_MODULES) or name in EXTRA_NAMES:
                    names.add(name)

    walk(get_resolver().url_patterns)
    return names


def test_every_project_url_has_a_row():
    found = project_url_names()
    assert {"api-v1:me", "set_language", "admin_login_redirect"} <= found
    missing = found - set(MATRIX)
    assert not missing, f"add these URLs to the permission matrix: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_the_expected_status(client, user_by_email, objects, name):
    method, path, expected = MATRIX[name]
    path = path.format(**objects)
    assert set(expected) == set(ROLES), f"{name}: every role needs a column"
    for role, email in ROLES.items():
        client.logout()
        if email:
            user = user_by_email(email)
            totp_enrol(user)
            client.force_login(user)
        response = getattr(client, method)(path)
        assert response.status_code == expected[role], (
            f"{name} as {role}: {response.status_code} != {expected[role]}"
        )
