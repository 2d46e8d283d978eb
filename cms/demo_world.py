"""The living part of the demo world: courses, cohorts and trainees at every stage.

`cms.demo.load_demo` calls `demo_world_load` after the accounts. For each regional
centre (R1..R6) it builds, through the project's own services and page API:

- a published course page with three module pages (rich text, a callout, an H5P
  exercise the project wrote itself, and the centre's quiz), whose publishing
  syncs the `courses` rows through the page-publish receivers (`cms.signals`);
- a quiz (question bank imported from `fixtures/demo/kuis_pendampingan.gift`);
- cohort (angkatan) I of the course, taught by the centre's trainer;
- one trainee at each stage: enrolled, part-way, trained, assessed (essay marked
  by the Unhas grader, results released), competent (evidence rolled up into K
  records), certified, and certified with a certificate expiring soon.

The competency standard (`fixtures/standards/`) and its certification scheme are
national: one scheme of LSP Kemensos that every centre's course trains for.

Idempotent: a centre whose demo course page exists is skipped whole (one query),
so a second run writes nothing. Never loaded in production (see the command).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from assessments import authoring
from assessments import services as assessment_services
from assessments.grading import services as grading
from assessments.grading.models import Submission
from assessments.models import Assessment
from assessments.questions.importing import question_bank_import
from cms.models import CentrePage, CoursePage, ModulePage
from courses import services as course_services
from courses.h5p.models import H5PContent, H5PLibrary
from courses.h5p.services import content_import
from courses.models import Course, Module
from lms import services as lms_services
from lms.certification import services as certification
from lms.certification.services import SelfAssessmentAnswer
from lms.evidence.services import evidence_record
from lms.models import (
    CertificationScheme,
    CompetencyElement,
    CompetencyUnit,
    Organisation,
    PerformanceCriterion,
    Role,
    User,
)
from lms.standards.services import scheme_activate, scheme_create, standard_import

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
STANDARD_CSV = FIXTURES / "standards" / "sample_skkni_pendamping_sosial.csv"
QUIZ_GIFT = FIXTURES / "demo" / "kuis_pendampingan.gift"
H5P_FIXTURES = FIXTURES / "h5p"
# Our own H5P exercises, by folder under fixtures/h5p/, in module order.
H5P_EXERCISES = ("menyusun-kata", "isian-pendampingan")

SCHEME_CODE = "SKM-PS-DEMO"
COURSE_SLUG = "pendampingan-sosial-dasar"
COHORT_NUMBER = "I"
GRADER_EMAIL = "penilai.unhas@lms.example"
ASSESSOR_EMAIL = "asesor.lsp@lms.example"
COMMITTEE_EMAIL = "komite.lsp@lms.example"
LSP_ADMIN_EMAIL = "admin.lsp@lms.example"
H5P_ADMIN_EMAIL = "admin.pusat@lms.example"


@dataclass(frozen=True)
class DemoStage:
    """One stage of the path a demo trainee reached, and who stands at it."""

    slug: str  # part of the e-mail: peserta.<slug>.<centre>@lms.example
    stage: str
    name: str
    woman: bool


# Cumulative: each stage includes everything before it.
STAGES = ("enrolled", "partway", "trained", "assessed", "competent", "certified")
DEMO_STAGES = (
    DemoStage("terdaftar", "enrolled", "Rina Marlina", True),
    DemoStage("belajar", "partway", "Agus Salim", False),
    DemoStage("terlatih", "trained", "Dewi Lestari", True),
    DemoStage("dinilai", "assessed", "Joko Susilo", False),
    DemoStage("kompeten", "competent", "Maria Kambu", True),
    DemoStage("bersertifikat", "certified", "Hendra Wijaya", False),
    # Certified too, but issued almost three years ago: it expires in 30 days.
    DemoStage("segera-habis", "certified", "Nur Aisyah", True),
)
EXPIRING_SLUG = "segera-habis"
EXPIRES_IN_DAYS = 30


@functools.cache
def _password_hash(password: str) -> str:
    return make_password(password)


def demo_person_create(*, password: str, **fields: Any) -> User:
    """`lms.services.person_create`, then the demo password's shared hash.

    Hashing a password is slow on purpose (about a second each here); the demo's
    one password is hashed once per process and the hash shared by every account,
    so the first `load_demo` does not spend most of its time hashing.
    """
    user = lms_services.person_create(password=None, **fields)
    user.password = _password_hash(password)
    user.save(update_fields=["password"])
    return user


def course_code(centre: Organisation) -> str:
    """The code of a centre's demo course (PSD-R3)."""
    return f"PSD-{centre.code}"


def stage_email(slug: str, centre_code: str) -> str:
    """The demo trainee's e-mail for a stage slug and a centre."""
    return f"peserta.{slug}.{centre_code.lower()}@lms.example"


def stage_nik(*, province: str, centre_number: int, position: int, woman: bool) -> str:
    """A shape-valid NIK: regency 01, district 01, birth day (+40 for women),
    month = position, year 8<centre>, serial 01<position> (never a real person's
    shape clash with the accounts' serials 0001..0003)."""
    day = 10 + position + (40 if woman else 0)
    return f"{province}0101{day:02d}{position:02d}8{centre_number}{100 + position:04d}"


# --- national pieces: standard, scheme, H5P libraries ------------------------


def scheme_ensure() -> CertificationScheme:
    """The demo scheme (okupasi pendamping sosial) over the sample standard."""
    scheme = CertificationScheme.objects.filter(code=SCHEME_CODE).first()
    if scheme is not None:
        return scheme
    standard = standard_import(source=STANDARD_CSV, format="csv").standard
    scheme = scheme_create(
        code=SCHEME_CODE,
        title="Skema Okupasi Pendamping Sosial (demo)",
        scheme_type="okupasi",
        owner=Organisation.objects.get(code="LSP-KEMENSOS"),
        validity_months=36,
        units=list(standard.units.order_by("position")),
    )
    return scheme_activate(scheme=scheme)


class H5PSource:
    """The H5P libraries found in a local folder of `.h5p` packages.

    Libraries are third-party code, so the repository carries none: the demo
    borrows them at load time from packages already on this machine (by default
    the shared samples), and only the libraries, never the samples' content.
    """

    def __init__(self, folder: Path) -> None:
        # (machineName, major, minor) -> (package path, folder, patch, depends)
        self.libraries: dict[tuple[str, int, int], tuple[Path, str, int, list]] = {}
        for path in sorted(folder.glob("*.h5p")) if folder.is_dir() else []:
            try:
                with zipfile.ZipFile(path) as archive:
                    for name in archive.namelist():
                        parts = name.split("/")
                        if len(parts) != 2 or parts[1] != "library.json":
                            continue
                        data = json.loads(archive.read(name))
                        key = (
                            data["machineName"],
                            int(data["majorVersion"]),
                            int(data["minorVersion"]),
                        )
                        patch = int(data.get("patchVersion", 0))
                        known = self.libraries.get(key)
                        if known is None or known[2] < patch:
                            deps = data.get("preloadedDependencies", [])
                            self.libraries[key] = (path, parts[0], patch, deps)
            except (zipfile.BadZipFile, KeyError, ValueError, OSError):
                continue  # not a usable package: the rest may still serve

    def closure(self, root: tuple[str, int, int]) -> list[tuple[str, int, int]] | None:
        """The library and everything it preloads, or None when one is missing."""
        seen: list[tuple[str, int, int]] = []
        todo = [root]
        while todo:
            key = todo.pop()
            if key in seen:
                continue
            if key not in self.libraries:
                return None
            seen.append(key)
            for dep in self.libraries[key][3]:
                todo.append(
                    (
                        dep["machineName"],
                        int(dep["majorVersion"]),
                        int(dep["minorVersion"]),
                    )
                )
        return seen


def _installed(key: tuple[str, int, int]) -> bool:
    return H5PLibrary.objects.filter(
        machine_name=key[0], major_version=key[1], minor_version=key[2]
    ).exists()


def h5p_package_build(*, exercise: str, source: H5PSource) -> bytes | None:
    """Pack our exercise into an `.h5p`, adding the libraries not installed yet.

    Returns None when a library it needs is neither installed nor in the source.
    """
    folder = H5P_FIXTURES / exercise
    meta = json.loads((folder / "h5p.json").read_text(encoding="utf-8"))
    main = meta["preloadedDependencies"][0]
    root = (main["machineName"], int(main["majorVersion"]), int(main["minorVersion"]))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.write(folder / "h5p.json", "h5p.json")
        package.write(folder / "content" / "content.json", "content/content.json")
        if not _installed(root):
            needed = source.closure(root)
            if needed is None:
                return None
            for key in needed:
                path, library_folder, _patch, _deps = source.libraries[key]
                with zipfile.ZipFile(path) as archive:
                    for name in archive.namelist():
                        if name.startswith(f"{library_folder}/") and not name.endswith(
                            "/"
                        ):
                            package.writestr(name, archive.read(name))
    return buffer.getvalue()


# --- one centre ----------------------------------------------------------------


def _rich(*paragraphs: str) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _module_bodies(
    h5p: list[H5PContent], quiz: Assessment
) -> list[tuple[str, list[dict]]]:
    """(title, body blocks) of the three modules, in Indonesian like the site."""
    first = [
        {
            "type": "paragraph",
            "value": "<h2>Mengapa pendampingan?</h2>"
            + _rich(
                "Pendamping sosial membantu keluarga penerima manfaat memahami hak "
                "dan kewajibannya, mengakses layanan, dan keluar dari kemiskinan.",
                "Langkahnya: <b>asesmen</b>, <b>rencana intervensi</b>, "
                "<b>pelaksanaan</b>, dan <b>pemantauan</b>.",
            ),
        },
        {
            "type": "callout",
            "value": {
                "kind": "tip",
                "text": _rich(
                    "Selalu cocokkan data keluarga dengan DTKS sebelum merujuk bantuan."
                ),
            },
        },
    ]
    second = [
        {
            "type": "paragraph",
            "value": "<h2>Prinsip pekerjaan sosial</h2>"
            + _rich(
                "Kerahasiaan, penerimaan, dan hak menentukan nasib sendiri menjadi "
                "dasar setiap kunjungan rumah.",
            ),
        },
        {
            "type": "callout",
            "value": {
                "kind": "important",
                "text": _rich("Data pribadi keluarga tidak dibagikan tanpa izin."),
            },
        },
    ]
    for body, content in zip((first, second), h5p, strict=False):
        body.append({"type": "h5p", "value": {"content": content.pk}})
    third = [
        {
            "type": "paragraph",
            "value": "<h2>Penilaian</h2>"
            + _rich(
                "Kerjakan kuis berikut. Jawaban esai dinilai oleh penilai universitas "
                "mitra; hasil dirilis oleh penyelenggara."
            ),
        },
        {
            "type": "callout",
            "value": {
                "kind": "warning",
                "text": _rich("Kuis hanya dapat dikerjakan tiga kali."),
            },
        },
        {"type": "assessment", "value": {"assessment": quiz.pk}},
    ]
    return [
        ("Pengantar pendampingan sosial", first),
        ("Prinsip dan etika pekerjaan sosial", second),
        ("Kuis pendampingan", third),
    ]


def _quiz_make(*, centre: Organisation, trainer: User) -> Assessment:
    """The centre's quiz: three true/false items and an essay a grader marks."""
    bank = authoring.bank_save(
        centre=centre, title="Bank soal pendampingan (demo)", by=trainer
    )
    question_bank_import(
        bank=bank, fmt="gift", data=QUIZ_GIFT.read_bytes(), imported_by=trainer
    )
    quiz = authoring.assessment_save(
        centre=centre,
        values={
            "code": f"KUIS-PS-{centre.code}",
            "title": "Kuis pendampingan sosial",
            "description": "Tiga pernyataan benar/salah dan satu esai.",
            "pass_mark": 60,
            "attempts_allowed": 3,
        },
        by=trainer,
    )
    authoring.section_save(
        assessment=quiz,
        instrument="quiz",
        title="Bagian A",
        items=[{"question": q.pk} for q in bank.questions.order_by("name")],
    )
    return assessment_services.assessment_publish(assessment=quiz)


def _publish(page: Any, user: User) -> None:
    # What the editor's "Publish" does: a revision by the editor, then publish,
    # which sends `page_published` (cms.signals -> courses.services.course_sync).
    page.save_revision(user=user).publish(user=user)


def _course_page_make(
    *,
    centre_page: CentrePage,
    centre: Organisation,
    trainer: User,
    scheme: CertificationScheme,
    h5p: list[H5PContent],
    quiz: Assessment,
) -> CoursePage:
    course_page = centre_page.add_child(
        instance=CoursePage(
            title="Pendampingan Sosial Dasar",
            slug=COURSE_SLUG,
            code=course_code(centre),
            summary="Dasar-dasar pendampingan keluarga penerima manfaat.",
            audience="Pendamping sosial baru",
            total_jp=12,
            enrolment_policy="open",
            live=False,
            owner=trainer,
        )
    )
    course_page.units.set(scheme.units.order_by("position"))
    for index, (title, body) in enumerate(_module_bodies(h5p, quiz), start=1):
        module = course_page.add_child(
            instance=ModulePage(
                title=title,
                slug=f"modul-{index}",
                body=json.dumps(body),
                jp=4,
                estimated_minutes=45,
                live=False,
                owner=trainer,
            )
        )
        _publish(module, trainer)
    _publish(course_page, trainer)
    return course_page


def _trainee_make(
    *,
    centre: Organisation,
    number: int,
    position: int,
    stage: DemoStage,
    password: str,
    province: str,
) -> User:
    email = stage_email(stage.slug, centre.code)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = demo_person_create(
            password=password,
            email=email,
            full_name=f"{stage.name} ({centre.code})",
            nik=stage_nik(
                province=province,
                centre_number=number,
                position=position,
                woman=stage.woman,
            ),
            time_zone=centre.time_zone,
            email_verified=True,
        )
    lms_services.membership_grant(user=user, organisation=centre, role=Role.TRAINEE)
    return user


def _sit_quiz(*, quiz: Assessment, trainee: User, grader: User, university) -> None:
    """Sit the quiz (all correct), then the Unhas grader marks the essay."""
    attempt = assessment_services.attempt_start(assessment=quiz, trainee=trainee)
    responses: dict[int, Any] = {}
    for answer in attempt.answers.select_related("question_version"):
        version = answer.question_version
        if version is None:
            continue
        if version.kind == "true_false":
            responses[answer.slot] = bool(version.data.get("answer"))
        elif version.kind == "essay":
            responses[answer.slot] = (
                "Asesmen kebutuhan keluarga, rencana intervensi bersama keluarga, "
                "lalu pemantauan kemajuan setiap bulan."
            )
    assessment_services.attempt_submit(
        attempt=attempt,
        trainee=trainee,
        responses=responses,
        idempotency_key=f"demo-{quiz.code}-{trainee.pk}",
    )
    submissions = list(Submission.objects.filter(attempt=attempt))
    grading.submissions_allocate(submissions=submissions, university=university)
    for submission in submissions:
        submission = grading.submission_claim(submission=submission, grader=grader)
        grading.mark_complete(
            submission=submission,
            grader=grader,
            expected_version=submission.version,
            score=submission.points,
            feedback="Langkah lengkap dan runtut. Pertahankan.",
        )


def _record_competence(
    *, trainee: User, scheme: CertificationScheme, assessor: User
) -> None:
    """Verified direct evidence on every KUK of the scheme: the records roll up K."""
    now = timezone.now()
    criteria = PerformanceCriterion.objects.filter(
        element__unit__scheme_units__scheme=scheme
    ).select_related("element__unit")
    for criterion in criteria:
        evidence_record(
            trainee=trainee,
            unit=criterion.element.unit,
            criterion=criterion,
            source_uri=f"urn:lms:demo:observasi:{criterion.pk}",
            source_title="Observasi praktik pendampingan (demo)",
            kind="direct",
            category="assessment",
            outcome="met",
            verified=True,
            occurred_at=now - dt.timedelta(days=7),
            idempotency_key=f"demo-observasi:{trainee.pk}:{criterion.pk}",
            assessor=assessor,
        )


def _certify(
    *,
    trainee: User,
    scheme: CertificationScheme,
    people: dict[str, User],
    training_jp: int,
    issued_on: dt.date | None,
) -> None:
    """APL-01/02 -> assessor's K per unit -> committee K -> certificate."""
    elements = CompetencyElement.objects.filter(
        unit__scheme_units__scheme=scheme
    ).order_by("unit__scheme_units__position", "number")
    application = certification.application_submit(
        trainee=trainee,
        scheme=scheme,
        purpose="sertifikasi",
        self_assessment=[
            SelfAssessmentAnswer(element=e, competent=True) for e in elements
        ],
        training_jp=training_jp,
    )
    certification.conflict_declare(
        application=application, person=people["assessor"], has_conflict=False
    )
    for unit in CompetencyUnit.objects.filter(scheme_units__scheme=scheme).order_by(
        "scheme_units__position"
    ):
        certification.recommendation_record(
            application=application,
            unit=unit,
            outcome="K",
            reasons="Bukti observasi dan portofolio memadai.",
            assessor=people["assessor"],
        )
    certification.conflict_declare(
        application=application, person=people["committee"], has_conflict=False
    )
    decision = certification.decision_record(
        application=application, decided_by=people["committee"], outcome="K"
    )
    certification.certificate_issue(
        decision=decision, issued_by=people["lsp_admin"], issued_on=issued_on
    )


def centre_world_build(
    *,
    centre: Organisation,
    number: int,
    scheme: CertificationScheme,
    h5p_packages: dict[str, bytes],
    people: dict[str, User],
    password: str,
    province: str,
) -> bool:
    """Build one centre's course, quiz, cohort and trainees; False if already there."""
    centre_page = CentrePage.objects.get(organisation=centre)
    if CoursePage.objects.child_of(centre_page).filter(slug=COURSE_SLUG).exists():
        return False
    code = centre.code.lower()
    trainer = User.objects.get(email=f"pelatih.{code}@lms.example")
    centre_admin = User.objects.get(email=f"penyelenggara.{code}@lms.example")
    h5p = [
        content_import(
            source=io.BytesIO(h5p_packages[name]),
            centre=centre,
            user=people["h5p_admin"],
            # load_demo is an operator's command, which the service lets install
            # library code (the right the admin UI asks of a person).
            can_install_libraries=True,
        ).content
        for name in H5P_EXERCISES
        if name in h5p_packages
    ]
    quiz = _quiz_make(centre=centre, trainer=trainer)
    page = _course_page_make(
        centre_page=centre_page,
        centre=centre,
        trainer=trainer,
        scheme=scheme,
        h5p=h5p,
        quiz=quiz,
    )
    course = Course.objects.get(source_key=page.translation_key)
    modules = list(
        Module.objects.filter(course=course, is_active=True).order_by("position")
    )
    today = timezone.localdate()
    cohort = course_services.cohort_save(
        course=course,
        number=COHORT_NUMBER,
        starts_on=today - dt.timedelta(days=60),
        ends_on=today + dt.timedelta(days=30),
        time_zone=centre.time_zone,
        capacity=40,
        trainer_ids=[trainer.pk],
    )
    university = Organisation.objects.get(code="UNHAS")
    for position, stage in enumerate(DEMO_STAGES, start=1):
        reached = STAGES.index(stage.stage)
        trainee = _trainee_make(
            centre=centre,
            number=number,
            position=position,
            stage=stage,
            password=password,
            province=province,
        )
        course_services.enrolment_cohort_add(
            trainee=trainee,
            cohort=cohort,
            added_by=centre_admin,
            role_type="Pendamping PKH",
        )
        if reached >= STAGES.index("partway"):
            done = modules if reached >= STAGES.index("trained") else modules[:1]
            for module in done:
                course_services.module_progress_record(
                    trainee=trainee, module=module, seconds=600
                )
        if reached >= STAGES.index("assessed"):
            _sit_quiz(
                quiz=quiz,
                trainee=trainee,
                grader=people["grader"],
                university=university,
            )
        if reached >= STAGES.index("competent"):
            _record_competence(
                trainee=trainee, scheme=scheme, assessor=people["assessor"]
            )
        if reached >= STAGES.index("certified"):
            issued_on = None
            if stage.slug == EXPIRING_SLUG:
                issued_on = certification.add_months(
                    today + dt.timedelta(days=EXPIRES_IN_DAYS),
                    -scheme.validity_months,
                )
            _certify(
                trainee=trainee,
                scheme=scheme,
                people=people,
                training_jp=course.total_jp,
                issued_on=issued_on,
            )
    # The centre releases the marked results, as it would from the grading queue.
    grading.submissions_release(
        centre=centre, released_by=centre_admin, assessment_id=quiz.pk
    )
    return True


def demo_world_load(
    *,
    password: str,
    provinces: dict[str, str],
    log: Callable[[str], None] = lambda message: None,
    centres: Iterable[Organisation] | None = None,
) -> int:
    """Build every centre's part of the world; returns how many centres were built.

    `password` is the demo accounts' one password; `provinces` maps a centre code
    to the province its demo trainees' NIKs start with (cms.demo); `centres`
    narrows the build to some centres (all regional centres by default).
    """
    centres = list(
        Organisation.objects.centres().order_by("code") if centres is None else centres
    )
    codes = [course_code(centre) for centre in centres]
    if CoursePage.objects.filter(slug=COURSE_SLUG, code__in=codes).count() >= len(
        codes
    ):
        return 0  # the fast path of every `make run` after the first: one query
    scheme = scheme_ensure()
    people = {
        "grader": User.objects.get(email=GRADER_EMAIL),
        "assessor": User.objects.get(email=ASSESSOR_EMAIL),
        "committee": User.objects.get(email=COMMITTEE_EMAIL),
        "lsp_admin": User.objects.get(email=LSP_ADMIN_EMAIL),
        "h5p_admin": User.objects.get(email=H5P_ADMIN_EMAIL),
    }
    folder = Path(settings.LMS_DEMO_H5P_LIBRARY_SOURCE)
    source = H5PSource(folder)
    built, warned = 0, False
    for position, centre in enumerate(centres, start=1):
        # Packages are packed per centre: the first carries the libraries, the
        # next ones only our content (the libraries are installed by then).
        h5p_packages = {}
        for name in H5P_EXERCISES:
            package = h5p_package_build(exercise=name, source=source)
            if package is not None:
                h5p_packages[name] = package
        if not warned and len(h5p_packages) < len(H5P_EXERCISES):
            warned = True
            log(
                f"H5P skipped for {len(H5P_EXERCISES) - len(h5p_packages)} demo "
                f"exercise(s): no H5P libraries for them in {folder} "
                "(set LMS_DEMO_H5P_LIBRARY_SOURCE)."
            )
        built += centre_world_build(
            centre=centre,
            number=_centre_number(centre.code, position),
            scheme=scheme,
            h5p_packages=h5p_packages,
            people=people,
            password=password,
            province=provinces.get(centre.code, "31"),
        )
    return built


def _centre_number(code: str, fallback: int) -> int:
    """R3 -> 3, as the accounts' NIKs count centres; any other code keeps its place."""
    digits = code[1:]
    return int(digits) if code[:1] == "R" and digits.isdigit() else fallback
