"""Question bank import and export (GIFT, Moodle XML).

An import is all or nothing: the whole file is read and checked first, every
problem of every question is reported at once, and nothing is written unless
there is none. A question already in the bank (same ID number, or same name when
it has none) gets a new version only when its content changed, so importing the
same file twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assessments.authoring import VersionContent, content_changed, question_versions_add
from assessments.models import Question, QuestionBank, QuestionTag
from assessments.questions.gift import parse_gift, write_gift
from assessments.questions.moodle_xml import parse_moodle_xml, write_moodle_xml
from assessments.questions.parsed import ParsedQuestion, ParseResult, QuestionProblem

FORMATS = ("gift", "moodle_xml")
MAX_IMPORT_BYTES = 20 * 1024 * 1024
BATCH_SIZE = 1000


@dataclass
class ImportReport:
    """What an import did, for the trainer and the operator."""

    created: int = 0
    new_versions: int = 0
    unchanged: int = 0
    tags_created: int = 0

    @property
    def total(self) -> int:
        return self.created + self.new_versions + self.unchanged


def _parse(fmt: str, data: bytes) -> ParseResult:
    if fmt == "gift":
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            result = ParseResult()
            result.problems.append(
                QuestionProblem(
                    0,
                    None,
                    "",
                    [
                        _("The file is not UTF-8 text (byte %(at)d).")
                        % {"at": error.start}
                    ],
                )
            )
            return result
        return parse_gift(text)
    if fmt == "moodle_xml":
        return parse_moodle_xml(data)
    raise ValueError(f"Unknown question file format {fmt!r}; use one of {FORMATS}.")


def _key(question: ParsedQuestion) -> tuple[str, str]:
    return ("id", question.idnumber) if question.idnumber else ("name", question.name)


def _field_problems(questions: list[ParsedQuestion]) -> dict[int, list[str]]:
    """Limits of the database columns and duplicates inside the file."""
    problems: dict[int, list[str]] = {}
    first: dict[tuple[str, str], int] = {}
    limits = {"name": 250, "idnumber": 100}
    for index, question in enumerate(questions, start=1):
        found = []
        for field, limit in limits.items():
            if len(getattr(question, field)) > limit:
                found.append(
                    _("The %(field)s is longer than %(limit)d characters.")
                    % {"field": field, "limit": limit}
                )
        found += [
            _("Tag '%(tag)s' is longer than 100 characters.") % {"tag": tag[:20]}
            for tag in question.tags
            if len(tag) > 100
        ]
        if question.points < 0 or question.points >= 100_000:
            found.append(_("The points must be between 0 and 99,999."))
        key = _key(question)
        if key in first:
            found.append(
                _(
                    "Question %(other)d has the same ID number or name; give each "
                    "question its own."
                )
                % {"other": first[key]}
            )
        first.setdefault(key, question.number or index)
        if found:
            problems[index] = found
    return problems


def _all_problems(result: ParseResult) -> list[str]:
    """The file's problems and the database's limits, one line per question."""
    by_index = {p.index: p for p in result.problems}
    for position, messages in _field_problems(result.questions).items():
        question = result.questions[position - 1]
        index = question.number or position
        if index in by_index:
            by_index[index].messages.extend(messages)
        else:
            by_index[index] = QuestionProblem(
                index, question.line, question.name, messages
            )
    return [str(by_index[index]) for index in sorted(by_index)]


def _parsed_content(question: ParsedQuestion) -> VersionContent:
    return VersionContent(
        kind=question.kind,
        text=question.text,
        data=question.data,
        points=question.points,
        text_format=question.text_format,
        general_feedback=question.general_feedback,
    )


def question_bank_import(
    *,
    bank: QuestionBank,
    fmt: str,
    data: bytes,
    imported_by: AbstractBaseUser | None = None,
) -> ImportReport:
    """Import a GIFT or Moodle XML file into `bank`, all or nothing.

    Raises ValidationError listing every problem of every question
    ("Question 17 (line 203, 'Nama'): …") and writes nothing when there is one.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            _("The file is larger than %(mb)d MB.")
            % {"mb": MAX_IMPORT_BYTES // (1024 * 1024)}
        )
    result = _parse(fmt, data)
    if problems := _all_problems(result):
        raise ValidationError(problems)
    if not result.questions:
        raise ValidationError(_("The file holds no questions."))
    report = ImportReport()
    with transaction.atomic():
        # One import per bank at a time (PostgreSQL), so two uploads of the same
        # file cannot both create the questions they match by name.
        QuestionBank.objects.select_for_update().filter(pk=bank.pk).first()
        existing = _existing_questions(bank, result.questions)
        new_questions: list[Question] = []
        targets: list[tuple[ParsedQuestion, Question]] = []
        for parsed in result.questions:
            question = existing.get(_key(parsed))
            if question is None:
                question = Question(
                    bank=bank,
                    name=parsed.name,
                    idnumber=parsed.idnumber,
                    kind=parsed.kind,
                )
                new_questions.append(question)
                targets.append((parsed, question))
                continue
            if not content_changed(question, _parsed_content(parsed)):
                report.unchanged += 1
            else:
                report.new_versions += 1
                question.name = parsed.name
                targets.append((parsed, question))
        Question.objects.bulk_create(new_questions, batch_size=BATCH_SIZE)
        report.created = len(new_questions)
        # The same version-making service as the question editor (numbers go on
        # from each question's last version; nothing existing changes).
        question_versions_add(
            targets=[(q, _parsed_content(p)) for p, q in targets],
            created_by=imported_by,
            update_fields=["name"],
        )
        all_questions = {_key(p): existing.get(_key(p)) for p in result.questions}
        all_questions.update({_key(p): q for p, q in targets})
        report.tags_created = _attach_tags(bank, result.questions, all_questions.get)
    return report


def _existing_questions(
    bank: QuestionBank, questions: list[ParsedQuestion]
) -> dict[tuple[str, str], Question]:
    idnumbers = {q.idnumber for q in questions if q.idnumber}
    names = {q.name for q in questions if not q.idnumber}
    found: dict[tuple[str, str], Question] = {}
    rows = (
        Question.objects.filter(bank=bank)
        .filter(idnumber__in=idnumbers)
        .select_related("current_version")
    )
    for question in rows:
        found[("id", question.idnumber)] = question
    rows = (
        Question.objects.filter(bank=bank, idnumber="", name__in=names)
        .select_related("current_version")
        .order_by("pk")
    )
    for question in rows:
        # Several old questions with one name: the oldest is the one matched.
        found.setdefault(("name", question.name), question)
    return found


def _attach_tags(
    bank: QuestionBank,
    questions: list[ParsedQuestion],
    question_for: Callable[[tuple[str, str]], Question | None],
) -> int:
    """Adds the file's tags to its questions (tags are never removed)."""
    names = {tag for q in questions for tag in q.tags}
    if not names:
        return 0
    tags = {t.name: t for t in QuestionTag.objects.filter(bank=bank, name__in=names)}
    missing = [QuestionTag(bank=bank, name=name) for name in sorted(names - set(tags))]
    QuestionTag.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    if missing:
        tags = {
            t.name: t for t in QuestionTag.objects.filter(bank=bank, name__in=names)
        }
    through = Question.tags.through
    links = [
        through(question_id=question.pk, questiontag_id=tags[name].pk)
        for parsed in questions
        if (question := question_for(_key(parsed))) is not None
        for name in dict.fromkeys(parsed.tags)
    ]
    through.objects.bulk_create(links, batch_size=BATCH_SIZE, ignore_conflicts=True)
    return len(missing)


def question_bank_export(*, bank: QuestionBank, fmt: str) -> bytes:
    """The current version of every question in `bank` that is not retired."""
    questions = (
        Question.objects.filter(bank=bank, retired_at__isnull=True)
        .exclude(current_version=None)
        .select_related("current_version")
        .prefetch_related("tags")
        .order_by("pk")
    )
    parsed = [
        ParsedQuestion(
            name=q.name,
            text=q.current_version.text,
            text_format=q.current_version.text_format,
            kind=q.current_version.kind,
            data=q.current_version.data,
            points=q.current_version.points,
            general_feedback=q.current_version.general_feedback,
            tags=sorted(t.name for t in q.tags.all()),
            idnumber=q.idnumber,
        )
        for q in questions
    ]
    if fmt == "gift":
        return write_gift(parsed).encode()
    if fmt == "moodle_xml":
        return write_moodle_xml(parsed)
    raise ValueError(f"Unknown question file format {fmt!r}; use one of {FORMATS}.")
