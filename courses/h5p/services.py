"""Writes of the H5P engine: package import, xAPI intake and saved user state.

Every statement is checked before anything is written, and every problem is
reported at once. Statements are stored once (their id makes a retry harmless)
and never changed; only a top-level statement closes an attempt.
"""

from __future__ import annotations

import functools
import json
import math
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from courses.h5p import selectors, storage
from courses.h5p.core.libraries import (
    LibraryChange,
    LibraryRef,
    LibraryVersion,
    compare_versions,
)
from courses.h5p.core.problems import PackageInvalid, Problem
from courses.h5p.core.rescoring import SUB_CONTENT_ID
from courses.h5p.core.validation import (
    Limits,
    PackageLibrary,
    ValidatedPackage,
    validate_package,
)
from courses.h5p.models import (
    H5PAttempt,
    H5PContent,
    H5PLibrary,
    H5PUserData,
    XapiStatement,
)
from courses.h5p.scoring import ServerScore, rescore_statement
from courses.h5p.tasks import attempt_evidence_record
from lms.models import Organisation

VERB_PREFIX = "http://adlnet.gov/expapi/verbs/"
# Verbs H5P content types emit; anything else is refused as unknown.
KNOWN_VERBS = {
    VERB_PREFIX + verb
    for verb in (
        "answered",
        "attempted",
        "completed",
        "interacted",
        "experienced",
        "progressed",
        "passed",
        "failed",
        "mastered",
        "scored",
        "skipped",
        "consumed",
    )
} | {"http://id.tincanapi.com/verb/scored"}
# Verbs whose top-level statement, with a score, closes an attempt.
CLOSING_VERBS = {VERB_PREFIX + "answered", VERB_PREFIX + "completed"}


@dataclass(frozen=True)
class StatementOutcome:
    """What happened to one posted statement."""

    statement: XapiStatement
    created: bool
    attempt: H5PAttempt | None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _sub_content_id(statement: dict[str, Any]) -> str:
    obj = statement.get("object") or {}
    extensions = (obj.get("definition") or {}).get("extensions") or {}
    if extensions.get(SUB_CONTENT_ID):
        return str(extensions[SUB_CONTENT_ID])
    query = parse_qs(urlsplit(str(obj.get("id", ""))).query)
    return query.get("subContentId", [""])[0]


def statement_problems(*, statement: Any, user: Any, content: H5PContent) -> list[str]:
    """Every reason a statement may not be stored for this user and content."""
    if not isinstance(statement, dict):
        return [_("The statement must be a JSON object.")]
    problems = []
    try:
        uuid.UUID(str(statement.get("id", "")))
    except ValueError:
        problems.append(_("The statement needs an id (a UUID)."))
    actor = statement.get("actor") or {}
    mbox = str(actor.get("mbox", "")).lower()
    if mbox != f"mailto:{user.email}".lower():
        problems.append(_("The statement's actor is not the signed-in person."))
    verb = str((statement.get("verb") or {}).get("id", ""))
    if verb not in KNOWN_VERBS:
        problems.append(_("The verb %(verb)s is not known.") % {"verb": verb or "—"})
    object_id = str((statement.get("object") or {}).get("id", ""))
    if str(content.uuid) not in urlsplit(object_id).path:
        problems.append(_("The statement's object is not this content."))
    score = (statement.get("result") or {}).get("score")
    if score is not None:
        problems += _score_problems(score)
    return problems


def _score_problems(score: Any) -> list[str]:
    if not isinstance(score, dict):
        return [_("result.score must be an object.")]
    problems = []
    values = {key: score.get(key) for key in ("raw", "max", "min", "scaled")}
    for key, value in values.items():
        if value is not None and _number(value) is None:
            problems.append(
                _("result.score.%(key)s must be a finite number.") % {"key": key}
            )
    raw, top = _number(values["raw"]), _number(values["max"])
    if raw is not None and top is not None and not 0 <= raw <= top:
        problems.append(_("result.score.raw must be between 0 and max."))
    if (raw is None) != (top is None):
        problems.append(_("result.score needs both raw and max."))
    scaled = _number(values["scaled"])
    if scaled is not None and not 0 <= scaled <= 1:
        problems.append(_("result.score.scaled must be between 0 and 1."))
    return problems


class ContentNotPlayable(Exception):
    """The person may not post results for this content (the view answers 404)."""


def xapi_statement_record(
    *,
    user: Any,
    content: H5PContent,
    statement: dict[str, Any],
    check_access: bool = False,
) -> StatementOutcome:
    """Check and store one statement; a top-level scored one closes an attempt.

    Idempotent: posting a statement id again returns the stored row unchanged.
    Raises ValidationError naming every problem (nothing is written then).

    With `check_access` the caller has not yet decided whether `user` may play
    `content` (`selectors.content_list_for_player`): the check is made inside
    the insert, at no query of its own, and ContentNotPlayable is raised when
    it fails (nothing is written then). Without it the caller has checked.

    Queries on PostgreSQL: one for a new statement, its attempt, the access
    check and, for a repeated id, reading the stored row back, all together;
    one more read of the children's statements when a composite is re-scored;
    one more when the only way in is an open assessment attempt. A verified
    attempt on content with performance criteria (KUK) also enqueues its
    evidence task once this commits (one INSERT with the database backend).
    """
    problems = statement_problems(statement=statement, user=user, content=content)
    if problems:
        raise ValidationError(problems)
    statement_id = uuid.UUID(str(statement["id"]))
    sub_content_id = _sub_content_id(statement)
    parents = ((statement.get("context") or {}).get("contextActivities") or {}).get(
        "parent"
    )
    is_top_level = not sub_content_id and not parents
    score = (statement.get("result") or {}).get("score") or {}
    claimed_raw, claimed_max = _number(score.get("raw")), _number(score.get("max"))
    verb = statement["verb"]["id"]
    closes = is_top_level and claimed_raw is not None and verb in CLOSING_VERBS
    server: ServerScore | None = None
    if closes:
        server = rescore_statement(content=content, statement=statement, user=user)
    flagged = bool(
        server
        and (
            Decimal(str(claimed_raw)) != server.raw
            or Decimal(str(claimed_max)) != server.max
        )
    )
    row = XapiStatement(
        statement_id=statement_id,
        content=content,
        user=user,
        verb=verb,
        sub_content_id=sub_content_id,
        is_top_level=is_top_level,
        claimed_raw=claimed_raw,
        claimed_max=claimed_max,
        verified_raw=server.raw if server else None,
        verified_max=server.max if server else None,
        flagged=flagged,
        payload=statement,
    )
    attempt = None
    if closes:
        attempt = H5PAttempt(
            content=content,
            user=user,
            statement=row,
            # The server's figure when it has one; the claim only otherwise.
            raw=server.raw if server else Decimal(str(claimed_raw)),
            max=server.max if server else Decimal(str(claimed_max)),
            verified=server is not None and not flagged,
            flagged=flagged,
        )
    # No transaction block of its own: on PostgreSQL the insert is one
    # statement, atomic by itself (a block would add BEGIN and COMMIT round
    # trips); the portable path opens its own. Inside a caller's transaction
    # everything still commits or rolls back together.
    stored = _statement_insert(row, attempt, user=user if check_access else None)
    if stored.created and attempt is not None and attempt.verified:
        if stored.has_criteria:
            # Evidence is written by a background task once this commits (at
            # once in autocommit). With no criteria the task would write
            # nothing, so it is not enqueued.
            transaction.on_commit(partial(attempt_evidence_record.enqueue, attempt.pk))
    if stored.created:
        return StatementOutcome(row, created=True, attempt=attempt)
    # The same id arrived before (a retry over a weak connection).
    existing = stored.existing or XapiStatement.objects.get(statement_id=statement_id)
    if existing.user_id != user.pk or existing.content_id != content.pk:
        raise ValidationError(
            [_("This statement id was already used for another record.")]
        )
    return StatementOutcome(existing, created=False, attempt=None)


@dataclass(frozen=True)
class _Stored:
    """What the insert found: whether the row is new, the stored row for a
    repeated id (when already visible), and whether the content has criteria."""

    created: bool
    existing: XapiStatement | None
    has_criteria: bool


def _insert_columns(obj: Any, *, now: Any, skip: str = "") -> tuple[list[str], list]:
    """Column names and database values of an unsaved row (not its id)."""
    columns, values = [], []
    for field in obj._meta.concrete_fields:
        if field.primary_key or field.attname == skip:
            continue
        if getattr(field, "auto_now_add", False):
            setattr(obj, field.attname, now)
        columns.append(connection.ops.quote_name(field.column))
        values.append(
            field.get_db_prep_save(getattr(obj, field.attname), connection=connection)
        )
    return columns, values


def _may_play(user: Any, content_pk: int, *, via_assessment: bool) -> bool:
    return (
        selectors.content_list_for_player(user=user, via_assessment=via_assessment)
        .filter(pk=content_pk)
        .exists()
    )


def _access_sql(user: Any, content_pk: int) -> tuple[str, tuple]:
    """The access rule's SQL for one person and content, compiled once per process.

    Compiling the selector's queryset costs more than the whole insert. The
    SQL only depends on the person, the content and today's date (memberships
    are valid between dates, and the rule compiles today into the SQL), never
    on data: the database evaluates it afresh every time, so keeping it is safe.
    """
    return _access_sql_on(user.pk, user.is_superuser, content_pk, timezone.localdate())


@functools.lru_cache(maxsize=1024)
def _access_sql_on(
    user_pk: int, is_superuser: bool, content_pk: int, today: Any
) -> tuple[str, tuple]:
    who = get_user_model()(pk=user_pk, is_superuser=is_superuser)
    return (
        selectors.content_list_for_player(user=who)
        .filter(pk=content_pk)
        .values("pk")
        .query.sql_with_params()
    )


def _statement_insert(
    row: XapiStatement, attempt: H5PAttempt | None, *, user: Any | None
) -> _Stored:
    """Insert the statement (and its attempt) unless its id is already stored.

    With `user`, only if that person may play the content (else
    ContentNotPlayable). On PostgreSQL one query does it all: the access check
    (the common ways in, `selectors.content_list_for_player`) and whether the
    content has criteria in a first CTE; `INSERT ... ON CONFLICT DO NOTHING`
    for the statement, guarded by that check; the attempt's insert chained to
    it, so a repeated id neither raises nor writes an attempt; and, for a
    repeated id, the stored row read back. Checking inside the write is as
    fresh as a separate read and saves its round trip. Elsewhere (SQLite in
    development) plain ORM queries. The new rows get their ids and times.
    """
    if connection.vendor != "postgresql":
        return _statement_insert_portable(row, attempt, user=user)
    quote = connection.ops.quote_name
    table = quote(XapiStatement._meta.db_table)
    access_sql, access_params = (
        ("SELECT 1", ()) if user is None else _access_sql(user, row.content_id)
    )
    criteria = H5PContent.criteria.through._meta
    now = timezone.now()
    columns, values = _insert_columns(row, now=now)
    sql = (
        f"WITH ok AS (SELECT EXISTS ({access_sql}) AS allowed, EXISTS (SELECT 1 "
        f"FROM {quote(criteria.db_table)} WHERE "
        f"{quote(criteria.get_field('h5pcontent').column)} = %s) AS has_criteria), "
        f"s AS (INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(['%s'] * len(columns))} FROM ok WHERE ok.allowed "
        f"ON CONFLICT ({quote('statement_id')}) DO NOTHING RETURNING {quote('id')})"
    )
    params = [*access_params, row.content_id, *values]
    attempt_id = "NULL"
    if attempt is not None:
        a_columns, a_values = _insert_columns(attempt, now=now, skip="statement_id")
        sql += (
            f", a AS (INSERT INTO {quote(H5PAttempt._meta.db_table)} "
            f"({', '.join(a_columns)}, {quote('statement_id')}) "
            f"SELECT {', '.join(['%s'] * len(a_columns))}, s.{quote('id')} FROM s "
            f"RETURNING {quote('id')})"
        )
        params += a_values
        attempt_id = f"(SELECT {quote('id')} FROM a)"
    fields = XapiStatement._meta.concrete_fields
    # The stored row of a repeated id: it was committed before this statement
    # began, so the statement's snapshot sees it (a concurrent retry that
    # commits in between is read by the caller's fallback query).
    sql += (
        f" SELECT ok.allowed, ok.has_criteria, s.{quote('id')}, {attempt_id}, "
        + ", ".join(f"e.{quote(f.column)}" for f in fields)
        + f" FROM ok LEFT JOIN s ON true LEFT JOIN {table} e "
        f"ON s.{quote('id')} IS NULL AND e.{quote('statement_id')} = %s"
    )
    params.append(row.statement_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        allowed, has_criteria, statement_pk, attempt_pk, *stored = cursor.fetchone()
    if not allowed:
        if _may_play(user, row.content_id, via_assessment=True):
            return _statement_insert(row, attempt, user=None)
        raise ContentNotPlayable
    if statement_pk is None:
        existing = None
        if stored[0] is not None:
            existing = XapiStatement.from_db(
                connection.alias,
                [f.attname for f in fields],
                [
                    f.from_db_value(value, None, connection)
                    if hasattr(f, "from_db_value")
                    else value
                    for f, value in zip(fields, stored, strict=True)
                ],
            )
        return _Stored(created=False, existing=existing, has_criteria=has_criteria)
    row.pk = statement_pk
    row._state.adding = False
    if attempt is not None:
        attempt.pk = attempt_pk
        attempt.statement = row
        attempt._state.adding = False
    return _Stored(created=True, existing=None, has_criteria=has_criteria)


def _statement_insert_portable(
    row: XapiStatement, attempt: H5PAttempt | None, *, user: Any | None
) -> _Stored:
    """`_statement_insert` with the ORM alone (SQLite in development)."""
    if user is not None and not (
        _may_play(user, row.content_id, via_assessment=False)
        or _may_play(user, row.content_id, via_assessment=True)
    ):
        raise ContentNotPlayable
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            if attempt is not None:
                attempt.statement = row
                attempt.save(force_insert=True)
    except IntegrityError:
        # The caller reads the stored row back, which fails loudly if the
        # conflict was some other constraint rather than a repeated id.
        return _Stored(created=False, existing=None, has_criteria=False)
    has_criteria = (
        attempt is not None
        and attempt.verified
        and H5PContent.criteria.through.objects.filter(
            h5pcontent_id=row.content_id
        ).exists()
    )
    return _Stored(created=True, existing=None, has_criteria=has_criteria)


def user_data_save(
    *,
    user: Any,
    content: H5PContent,
    data_type: str,
    sub_content_id: str,
    data: str,
    preload: bool,
    invalidate: bool,
) -> H5PUserData | None:
    """Save (or with data "0", delete) the player's state, as H5P's protocol asks."""
    key = {
        "user": user,
        "content": content,
        "data_type": data_type,
        "sub_content_id": sub_content_id or "0",
    }
    if data == "0":
        H5PUserData.objects.filter(**key).delete()
        return None
    row, _created = H5PUserData.objects.update_or_create(
        **key, defaults={"data": data, "preload": preload, "invalidate": invalidate}
    )
    return row


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the new content and a note per library."""

    content: H5PContent
    installed: list[str]
    upgraded: list[str]
    kept: list[str]  # same version already installed with other files: ours kept


def _problem_messages(problems: list[Problem]) -> list[str]:
    # Every reason in the active language; the core holds both languages.
    language = get_language() or "id"
    return [problem.message(language) for problem in problems]


def _version(row: H5PLibrary) -> LibraryVersion:
    return LibraryVersion(
        machine_name=row.machine_name,
        major=row.major_version,
        minor=row.minor_version,
        patch=row.patch_version,
        content_hash=row.content_hash,
    )


def _installed_dependencies(row: H5PLibrary) -> set[LibraryRef]:
    # Stored as [[machine_name, major, minor], ...]; rows made by hand may hold
    # anything, so skip what is not a reference rather than crash an import.
    refs = set()
    for item in row.dependencies or []:
        if isinstance(item, list | tuple) and len(item) == 3:
            refs.add(LibraryRef(str(item[0]), int(item[1]), int(item[2])))
    return refs


def _libraries_in_use(
    package: ValidatedPackage,
) -> tuple[dict[LibraryRef, H5PLibrary], list[Problem]]:
    """Installed rows of every library the content needs, and what is missing.

    The package's own libraries count as available. A library it relies on
    without carrying must be installed, and so must what that installed library
    needs in turn: the dependencies are followed level by level, one query per
    level, and every library found neither in the package nor installed is one
    `library_missing` problem.
    """
    carried = {library.ref for library in package.libraries}
    rows: dict[LibraryRef, H5PLibrary] = {}
    missing: set[LibraryRef] = set()
    level = carried | package.missing_libraries()
    seen = set(level)
    while level:
        found: dict[LibraryRef, H5PLibrary] = {}
        for row in H5PLibrary.objects.filter(
            machine_name__in={ref.machine_name for ref in level}
        ):
            ref = LibraryRef(row.machine_name, row.major_version, row.minor_version)
            if ref in level:
                found[ref] = row
        rows.update(found)
        missing |= {ref for ref in level - found.keys() if ref not in carried}
        # An installed copy that stays in place brings its own dependencies,
        # which may differ from the package's copy (or the package has none).
        level = set()
        for ref, row in found.items():
            library = package.library(ref)
            if (
                library is None
                or not compare_versions(
                    _version(row), _package_version(library)
                ).replaces_installed
            ):
                level |= _installed_dependencies(row) - seen
        seen |= level
    problems = [
        Problem("library_missing", params={"library": ref.folder})
        for ref in sorted(missing)
    ]
    return rows, problems


def _package_version(library: PackageLibrary) -> LibraryVersion:
    return LibraryVersion(
        machine_name=library.machine_name,
        major=library.major,
        minor=library.minor,
        patch=library.patch,
        content_hash=library.content_hash,
    )


def _json_file(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def content_import(
    *,
    source: str | IO[bytes],
    centre: Organisation,
    user: Any | None,
    can_install_libraries: bool,
    limits: Limits | None = None,
) -> ImportResult:
    """Validate an `.h5p` package and store it as a content of `centre`.

    Libraries are stored once and shared. A library version not installed yet,
    or a newer patch of an installed one, needs the right to install library
    code (`h5p.install_h5plibrary`, or an operator's command); without it the
    whole import is refused. A package carrying an installed version with other
    files (or an older patch) keeps the installed files and says so. A package
    relying on libraries that are neither in it nor installed is refused, naming
    each. On any refusal nothing is written to storage or the database.

    `source` is a path or a seekable binary file that stays open until this
    returns: files are streamed out of it a second time once it validated.
    """
    try:
        package = validate_package(source, limits=limits)
    except PackageInvalid as exc:
        raise ValidationError(_problem_messages(exc.problems)) from None
    rows, missing = _libraries_in_use(package)
    if missing:
        raise ValidationError(_problem_messages(missing))
    to_install: list[PackageLibrary] = []
    to_upgrade: list[PackageLibrary] = []
    kept: list[str] = []
    for library in package.libraries:
        existing = rows.get(library.ref)
        if existing is None:
            to_install.append(library)
            continue
        change = compare_versions(_version(existing), _package_version(library))
        if change.replaces_installed:
            to_upgrade.append(library)
        elif change in (
            LibraryChange.SAME_VERSION_DIFFERENT_FILES,
            LibraryChange.PATCH_DOWNGRADE,
        ):
            kept.append(library.folder)
    if (to_install or to_upgrade) and not can_install_libraries:
        names = ", ".join(lib.folder for lib in [*to_install, *to_upgrade])
        raise ValidationError(
            [
                _(
                    "This package brings library code that is not installed yet "
                    "(%(names)s). Ask someone with the right to install H5P "
                    "libraries to import it."
                )
                % {"names": names}
            ]
        )
    written: list[str] = []
    # Libraries are shared and may be live: each is written whole to a staging
    # folder and switched into place only once everything else is written, so a
    # failure at any point leaves the installed files as they were.
    staged: list[storage.StagedFolder] = []
    try:
        with transaction.atomic():
            for library in [*to_install, *to_upgrade]:
                staged.append(
                    storage.library_stage(
                        library.folder, package.iter_library_files(library)
                    )
                )
                row, _created = H5PLibrary.objects.update_or_create(
                    machine_name=library.machine_name,
                    major_version=library.major,
                    minor_version=library.minor,
                    defaults={
                        "patch_version": library.patch,
                        "title": library.title,
                        "runnable": library.runnable,
                        "content_hash": library.content_hash,
                        "preloaded_js": list(library.preloaded_js),
                        "preloaded_css": list(library.preloaded_css),
                        "dependencies": [
                            [d.machine_name, d.major, d.minor]
                            for d in library.preloaded_dependencies
                        ],
                        "installed_by": user,
                    },
                )
                rows[library.ref] = row
            raw = dict(package.metadata.raw)
            metadata = {
                key: value
                for key, value in raw.items()
                if key not in {"preloadedDependencies", "editorDependencies"}
            }
            content = H5PContent(
                centre=centre,
                title=package.title[:255],
                language=package.metadata.language[:10],
                license=(package.metadata.license or "")[:40],
                metadata=metadata,
                main_library=rows[package.main_library],
                params=dict(package.content),
                uploaded_by=user,
            )
            content.full_clean(exclude=["main_library", "uploaded_by", "centre"])
            content.save()
            content.libraries.set(rows.values())
            base = storage.content_path(content.uuid)
            # The player reads h5p.json and content.json from the content folder;
            # they are written from what was validated, the media streamed out.
            written += storage.write_files(
                base,
                [
                    ("h5p.json", _json_file(raw)),
                    ("content/content.json", _json_file(package.content)),
                ],
            )
            written += storage.write_files(
                f"{base}/content", package.iter_content_files()
            )
            storage.libraries_switch(staged)
    except PackageInvalid as exc:
        # The archive changed between validation and storing.
        storage.delete_files(written)
        storage.libraries_restore(staged)
        raise ValidationError(_problem_messages(exc.problems)) from None
    except Exception:
        storage.delete_files(written)
        storage.libraries_restore(staged)
        raise
    transaction.on_commit(partial(storage.staging_discard, staged))
    return ImportResult(
        content=content,
        installed=[lib.folder for lib in to_install],
        upgraded=[lib.folder for lib in to_upgrade],
        kept=kept,
    )


def content_delete(*, content: H5PContent) -> None:
    """Delete a content nobody has used; refuse (naming why) if anything uses it.

    Refused while a live page embeds it (Wagtail's reference index), while an
    assessment section plays it, and once any attempt or statement exists:
    results are never lost with their content.
    """
    from wagtail.models import Page, ReferenceIndex

    problems = []
    page_type = ContentType.objects.get_for_model(Page)
    used_on = ReferenceIndex.get_references_to(content).filter(
        base_content_type=page_type
    )
    live_ids = set(
        Page.objects.live()
        .filter(pk__in=[int(pk) for pk in used_on.values_list("object_id", flat=True)])
        .values_list("title", flat=True)
    )
    if live_ids:
        problems.append(
            _("It is used on published pages: %(pages)s.")
            % {"pages": ", ".join(sorted(live_ids))}
        )
    if XapiStatement.objects.filter(content=content).exists():
        problems.append(_("Trainees have results for it; results are never deleted."))
    assessments = _assessment_codes_using(content)
    if assessments:
        problems.append(
            _("Assessments play it: %(assessments)s.")
            % {"assessments": ", ".join(assessments)}
        )
    if problems:
        raise ValidationError(problems)
    content.libraries.clear()
    storage_names = [storage.content_path(content.uuid)]
    content.delete()
    transaction.on_commit(partial(storage.delete_tree, storage_names[0]))


def _assessment_codes_using(content: H5PContent) -> list[str]:
    """Codes of the assessments with an H5P activity section playing `content`."""
    from django.db.models import IntegerField
    from django.db.models.fields.json import KT
    from django.db.models.functions import Cast

    from assessments.models import Section
    from courses.instruments import H5P_INSTRUMENT

    return sorted(
        set(
            Section.objects.filter(instrument=H5P_INSTRUMENT)
            .annotate(h5p_content=Cast(KT("config__h5p_content"), IntegerField()))
            .filter(h5p_content=content.pk)
            .values_list("assessment__code", flat=True)
        )
    )


def content_settings_update(
    *,
    content: H5PContent,
    title: str,
    criteria: Any,
    pass_ratio: Decimal | None,
    grading_method: str,
    by: Any,
) -> H5PContent:
    """Change what staff may change of a content: its title, the performance
    criteria (KUK) its server-verified attempts give evidence for, the pass mark
    and how several attempts make one result.

    The package itself (`params`, libraries) never changes; a new version is a
    new upload. Every problem is named at once and nothing is written then.
    """
    from courses.h5p.models import GradingMethod

    title = (title or "").strip()
    criteria = list(criteria or [])
    problems = []
    if not title:
        problems.append(_("Give the content a title."))
    elif len(title) > 255:
        problems.append(_("The title is longer than 255 characters."))
    if pass_ratio is None or not (Decimal(0) < pass_ratio <= Decimal(1)):
        problems.append(
            _("The pass mark must be a share above 0 and at most 1 (e.g. 0.7).")
        )
    if grading_method not in GradingMethod.values:
        problems.append(_("Choose a grading method from the list."))
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        content.title = title
        # The column keeps three places; every value was checked above (a full
        # clean would also judge the imported `params`, which staff cannot edit).
        content.pass_ratio = pass_ratio.quantize(Decimal("0.001"))
        content.grading_method = grading_method
        content.save(update_fields=["title", "pass_ratio", "grading_method"])
        content.criteria.set(criteria)
    return content
