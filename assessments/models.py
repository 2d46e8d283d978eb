"""Assessments: question banks, assessment definitions, attempts and answers.

An assessment is built from ordered sections; each section uses an instrument type
from `assessments.instruments.instrument_types` (quiz, H5P activity, assignment,
observation checklist, oral record). Questions are versioned: an attempt keeps the
exact versions it was shown, so editing a question later never changes a result.
Submitted attempts and their answers are append-only (see `AppendOnlyError`); on
PostgreSQL a trigger refuses changes too (migration 0002).

Assessments know nothing of courses or pages (DESIGN.md §2): a course module links
to an assessment, never the other way round.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lms.models import (
    CompetencyUnit,
    Organisation,
    PerformanceCriterion,
    TimeZone,
)


class AppendOnlyError(Exception):
    """A submitted attempt or one of its answers was about to be changed."""


# Question banks ---------------------------------------------------------------


class QuestionBankQuerySet(models.QuerySet["QuestionBank"]):
    def usable_by_centre(self, centre: Organisation) -> QuestionBankQuerySet:
        """Banks a centre owns or that another centre shares with it."""
        return self.filter(Q(centre=centre) | Q(shared_with=centre)).distinct()


class QuestionBank(models.Model):
    """A centre's question bank (bank soal), shareable with other centres."""

    centre = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="question_banks",
        verbose_name=_("centre"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    shared_with = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="shared_question_banks",
        verbose_name=_("shared with centres"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = QuestionBankQuerySet.as_manager()

    class Meta:
        ordering = ["centre", "title"]
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")

    def __str__(self) -> str:
        return self.title


class QuestionTag(models.Model):
    """A tag inside one bank, used to draw random questions from a pool."""

    bank = models.ForeignKey(
        QuestionBank, on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["bank", "name"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "name"], name="assess_tag_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    """A question in a bank; its content lives in immutable `QuestionVersion` rows.

    `kind` names a type in `assessments.questions.types.question_types`. The mapped
    performance criteria (KUK) let a result become evidence per criterion.
    """

    bank = models.ForeignKey(
        QuestionBank, on_delete=models.PROTECT, related_name="questions"
    )
    name = models.CharField(_("name"), max_length=250)
    idnumber = models.CharField(
        _("ID number"),
        max_length=100,
        blank=True,
        help_text=_("Stable identifier from the source file, used on re-import."),
    )
    kind = models.CharField(_("question type"), max_length=40)
    current_version = models.ForeignKey(
        "QuestionVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    tags = models.ManyToManyField(QuestionTag, blank=True, related_name="questions")
    criteria = models.ManyToManyField(
        PerformanceCriterion,
        blank=True,
        related_name="questions",
        verbose_name=_("performance criteria (KUK)"),
    )
    rubric = models.ForeignKey(
        "Rubric",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="questions",
        help_text=_("For essays: the rubric graders mark with."),
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["bank", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["bank", "idnumber"],
                condition=~Q(idnumber=""),
                name="assess_question_idnumber_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name


class QuestionVersion(models.Model):
    """One immutable version of a question: what an attempt saw and was graded on."""

    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("question type"), max_length=40)
    text = models.TextField(_("question text"))
    text_format = models.CharField(_("text format"), max_length=10, default="html")
    data = models.JSONField(_("definition"), default=dict)
    points = models.DecimalField(
        _("points"),
        max_digits=7,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
    )
    general_feedback = models.TextField(_("general feedback"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["question", "number"]
        verbose_name = _("question version")
        verbose_name_plural = _("question versions")
        constraints = [
            models.UniqueConstraint(
                fields=["question", "number"], name="assess_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_id} v{self.number}"


# Rubrics ------------------------------------------------------------------------


class Rubric(models.Model):
    """A marking rubric: criteria × levels, each criterion mapped to a KUK."""

    centre = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="rubrics"
    )
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["centre", "title"]
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")

    def __str__(self) -> str:
        return self.title

    @property
    def points_max(self):
        return sum(
            (max((lv.points for lv in c.levels.all()), default=0))
            for c in self.criteria.all()
        )


class RubricCriterion(models.Model):
    """A row of a rubric."""

    rubric = models.ForeignKey(
        Rubric, on_delete=models.CASCADE, related_name="criteria"
    )
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=250)
    criterion = models.ForeignKey(
        PerformanceCriterion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("performance criterion (KUK)"),
    )

    class Meta:
        ordering = ["rubric", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["rubric", "position"], name="assess_rubric_criterion_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


class RubricLevel(models.Model):
    """A column of a rubric row: a descriptor and the points it earns."""

    criterion = models.ForeignKey(
        RubricCriterion, on_delete=models.CASCADE, related_name="levels"
    )
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=100)
    descriptor = models.TextField(_("descriptor"), blank=True)
    points = models.DecimalField(
        _("points"), max_digits=7, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["criterion", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["criterion", "position"], name="assess_rubric_level_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


# Assessment definitions -------------------------------------------------------


class AssessmentPurpose(models.TextChoices):
    PRE_TEST = "pre_test", _("Pre-test")
    POST_TEST = "post_test", _("Post-test")
    QUIZ = "quiz", _("Quiz")
    EXAM = "exam", _("Competency assessment")


class GradingMethod(models.TextChoices):
    HIGHEST = "highest", _("Highest attempt")
    LAST = "last", _("Last attempt")
    AVERAGE = "average", _("Average of attempts")
    FIRST = "first", _("First attempt")


class ReleaseRule(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately after grading")
    AFTER_CLOSE = "after_close", _("After the assessment closes")
    MANUAL = "manual", _("When staff release it")


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


class AssessmentQuerySet(models.QuerySet["Assessment"]):
    def published(self) -> AssessmentQuerySet:
        return self.filter(status=AssessmentStatus.PUBLISHED)


class Assessment(models.Model):
    """A modular assessment owned by a centre, built from ordered sections."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    centre = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="assessments",
        verbose_name=_("centre"),
    )
    code = models.CharField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=250)
    description = models.TextField(_("description"), blank=True)
    purpose = models.CharField(
        _("purpose"),
        max_length=20,
        choices=AssessmentPurpose.choices,
        default=AssessmentPurpose.QUIZ,
    )
    pre_test = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="post_tests",
        verbose_name=_("paired pre-test"),
        help_text=_(
            "For a post-test: the pre-test its learning gain is measured from."
        ),
    )
    unit = models.ForeignKey(
        CompetencyUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("competency unit"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    time_zone = models.CharField(
        _("time zone"), max_length=40, choices=TimeZone.choices, default=TimeZone.WIB
    )
    time_limit_minutes = models.PositiveIntegerField(
        _("time limit (minutes)"), null=True, blank=True
    )
    grace_seconds = models.PositiveIntegerField(
        _("grace period (seconds)"),
        default=60,
        help_text=_("Answers arriving this long after the deadline still count."),
    )
    attempts_allowed = models.PositiveIntegerField(
        _("attempts allowed"), default=1, help_text=_("0 means unlimited.")
    )
    grading_method = models.CharField(
        _("grading method"),
        max_length=20,
        choices=GradingMethod.choices,
        default=GradingMethod.HIGHEST,
    )
    pass_mark = models.DecimalField(
        _("pass mark (%)"),
        max_digits=5,
        decimal_places=2,
        default=70,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    feedback_release = models.CharField(
        _("results and feedback released"),
        max_length=20,
        choices=ReleaseRule.choices,
        default=ReleaseRule.IMMEDIATELY,
    )
    review_release = models.CharField(
        _("answer review released"),
        max_length=20,
        choices=ReleaseRule.choices,
        default=ReleaseRule.AFTER_CLOSE,
    )
    shuffle_questions = models.BooleanField(_("shuffle questions"), default=False)
    marking_threshold = models.DecimalField(
        _("third-marker threshold (%)"),
        max_digits=5,
        decimal_places=2,
        default=15,
        help_text=_(
            "When two markers differ by more than this share of the points, a "
            "third marker decides."
        ),
    )
    double_marking = models.BooleanField(_("double marking"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["centre", "code"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "code"], name="assess_assessment_code_unique"
            ),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True)
                | Q(opens_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="assess_assessment_window_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def source_uri(self) -> str:
        return f"urn:lms:assessment:{self.uuid}"


class Section(models.Model):
    """An ordered part of an assessment using one instrument type.

    `instrument` names a type in `assessments.instruments.instrument_types`;
    `config` holds what that type needs (e.g. the H5P content for an H5P activity,
    the accepted file types for an assignment).
    """

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="sections"
    )
    position = models.PositiveIntegerField(_("position"))
    title = models.CharField(_("title"), max_length=250, blank=True)
    instructions = models.TextField(_("instructions"), blank=True)
    instrument = models.CharField(_("instrument"), max_length=40)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    points = models.DecimalField(
        _("points"),
        max_digits=7,
        decimal_places=2,
        default=0,
        help_text=_("Points of a section that is not a quiz."),
    )
    rubric = models.ForeignKey(
        Rubric,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sections",
    )
    criteria = models.ManyToManyField(
        PerformanceCriterion,
        blank=True,
        related_name="+",
        verbose_name=_("performance criteria (KUK)"),
    )

    class Meta:
        ordering = ["assessment", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "position"], name="assess_section_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.instrument


class SectionItem(models.Model):
    """A quiz section's item: one fixed question, or a random draw from a pool."""

    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("position"))
    question = models.ForeignKey(
        Question, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    draw_bank = models.ForeignKey(
        QuestionBank, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    draw_tag = models.ForeignKey(
        QuestionTag, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    draw_criterion = models.ForeignKey(
        PerformanceCriterion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    draw_count = models.PositiveIntegerField(_("questions to draw"), default=1)
    points = models.DecimalField(
        _("points"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Leave empty to use each question's own points."),
    )

    class Meta:
        ordering = ["section", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "position"], name="assess_item_unique"
            ),
            models.CheckConstraint(
                condition=Q(question__isnull=False, draw_bank__isnull=True)
                | Q(question__isnull=True, draw_bank__isnull=False),
                name="assess_item_question_or_draw",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.section_id}/{self.position}"


class ChecklistLine(models.Model):
    """A line of an observation checklist, filled in by an assessor."""

    section = models.ForeignKey(
        Section, on_delete=models.CASCADE, related_name="checklist_lines"
    )
    position = models.PositiveIntegerField(_("position"))
    text = models.CharField(_("text"), max_length=500)
    criterion = models.ForeignKey(
        PerformanceCriterion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["section", "position"]

    # Attempts -----------------------------------------------------------------------

    def __str__(self) -> str:
        return self.text


class AttemptState(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted, awaiting marking")
    GRADED = "graded", _("Graded")


class FinalisedBy(models.TextChoices):
    TRAINEE = "trainee", _("Submitted by the trainee")
    DEADLINE = "deadline", _("Closed at the deadline")


class Attempt(models.Model):
    """One sitting of an assessment by a trainee (the server clock decides).

    `layout` freezes what was drawn: a list of slots, each with its section, the
    question version shown (or none for a non-question instrument) and its points.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="attempts"
    )
    trainee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attempts"
    )
    number = models.PositiveIntegerField(_("attempt"))
    context = models.CharField(
        _("context"),
        max_length=100,
        blank=True,
        help_text=_(
            "Where the attempt was taken, e.g. a cohort code (for allocation)."
        ),
    )
    state = models.CharField(
        _("state"),
        max_length=20,
        choices=AttemptState.choices,
        default=AttemptState.IN_PROGRESS,
    )
    seed = models.BigIntegerField(_("shuffle seed"))
    layout = models.JSONField(_("layout"), default=list)
    started_at = models.DateTimeField(_("started at"))
    deadline_at = models.DateTimeField(_("deadline"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    finalised_by = models.CharField(
        max_length=20, choices=FinalisedBy.choices, blank=True
    )
    submit_key = models.CharField(
        _("idempotency key"), max_length=100, blank=True, db_index=False
    )
    score = models.DecimalField(
        _("score"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    score_max = models.DecimalField(
        _("maximum score"), max_digits=9, decimal_places=2, default=0
    )
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    graded_at = models.DateTimeField(_("graded at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["assessment", "trainee", "number"]
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "trainee", "number"],
                name="assess_attempt_number_unique",
            ),
            # One open attempt per trainee and assessment: two concurrent starts
            # collide here instead of creating two.
            models.UniqueConstraint(
                fields=["assessment", "trainee"],
                condition=Q(state="in_progress"),
                name="assess_attempt_one_open",
            ),
            models.UniqueConstraint(
                fields=["trainee", "submit_key"],
                condition=~Q(submit_key=""),
                name="assess_attempt_submit_key_unique",
            ),
        ]
        indexes = [models.Index(fields=["assessment", "state"])]

    def __str__(self) -> str:
        return f"{self.assessment.code} · {self.trainee_id} · #{self.number}"

    @property
    def is_open(self) -> bool:
        return self.state == AttemptState.IN_PROGRESS


class Answer(models.Model):
    """A trainee's answer in one slot of an attempt, saved in time.

    While the attempt is open the row is updated by autosave; once it is submitted
    the row never changes again. Marks from people live in the grading app.
    """

    attempt = models.ForeignKey(
        Attempt, on_delete=models.PROTECT, related_name="answers"
    )
    slot = models.PositiveIntegerField(_("slot"))
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="+")
    question_version = models.ForeignKey(
        QuestionVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    response = models.JSONField(_("response"), null=True, blank=True)
    saved_at = models.DateTimeField(_("saved at"), null=True, blank=True)
    points = models.DecimalField(_("points"), max_digits=7, decimal_places=2)
    fraction = models.DecimalField(
        _("fraction"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    score = models.DecimalField(
        _("score"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    needs_marking = models.BooleanField(_("needs marking"), default=False)

    class Meta:
        ordering = ["attempt", "slot"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "slot"], name="assess_answer_slot_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}/{self.slot}"


class LateAnswer(models.Model):
    """An answer that arrived after the deadline and its grace: kept, never graded."""

    attempt = models.ForeignKey(
        Attempt, on_delete=models.PROTECT, related_name="late_answers"
    )
    slot = models.PositiveIntegerField(_("slot"))
    response = models.JSONField(_("response"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["attempt", "received_at"]

    def __str__(self) -> str:
        return f"{self.attempt_id}/{self.slot} (late)"


def _upload_path(instance: AnswerFile, filename: str) -> str:
    # The stored name never carries the trainee's name: files reach graders as-is.
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"assessments/{instance.answer.attempt.uuid}/{uuid.uuid4().hex}.{suffix}"

    def __str__(self) -> str:
        return f"{self.attempt_id}/{self.slot} (late)"


class AnswerFile(models.Model):
    """A file uploaded for an assignment or portfolio slot."""

    answer = models.ForeignKey(Answer, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(_("file"), upload_to=_upload_path)
    original_name = models.CharField(_("original name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(max_length=100)
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["answer", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class AttemptOverride(models.Model):
    """A change to a graded attempt's score: who, when, old, new, why (append-only).

    The attempt carries the score now in force; the first override's `old_score`
    keeps the original, so nothing given is ever lost.
    """

    attempt = models.ForeignKey(
        Attempt, on_delete=models.PROTECT, related_name="overrides"
    )
    old_score = models.DecimalField(_("old score"), max_digits=9, decimal_places=2)
    new_score = models.DecimalField(_("new score"), max_digits=9, decimal_places=2)
    old_passed = models.BooleanField(_("passed before"), null=True)
    new_passed = models.BooleanField(_("passed after"), null=True)
    reason = models.TextField(_("reason"))
    source = models.CharField(
        _("source"),
        max_length=40,
        default="override",
        help_text=_("override, appeal, moderation..."),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        ordering = ["attempt", "changed_at", "pk"]
        verbose_name = _("score override")
        verbose_name_plural = _("score overrides")
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason=""), name="assess_override_has_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}: {self.old_score} -> {self.new_score}"
