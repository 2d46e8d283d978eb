"""Writes of the H5P engine: xAPI intake and saved user state.

Every statement is checked before anything is written, and every problem is
reported at once. Statements are stored once (their id makes a retry harmless)
and never changed; only a top-level statement closes an attempt.
"""

from __future__ import annotations

import math
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from courses.h5p import storage
from courses.h5p.core.package import Limits, PackageInvalid, Problem, read_package
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
SUB_CONTENT_EXTENSION = "http://h5p.org/x-api/h5p-subContentId"


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
    if extensions.get(SUB_CONTENT_EXTENSION):
        return str(extensions[SUB_CONTENT_EXTENSION])
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


def xapi_statement_record(
    *, user: Any, content: H5PContent, statement: dict[str, Any]
) -> StatementOutcome:
    """Check and store one statement; a top-level scored one closes an attempt.

    Idempotent: posting a statement id again returns the stored row unchanged.
    Raises ValidationError naming every problem (nothing is written then).
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
    server: ServerScore | None = None
    if is_top_level and claimed_raw is not None and verb in CLOSING_VERBS:
        server = rescore_statement(content=content, statement=statement, user=user)
    flagged = bool(
        server
        and (
            Decimal(str(claimed_raw)) != server.raw
            or Decimal(str(claimed_max)) != server.max
        )
    )
    try:
        with transaction.atomic():
            row = XapiStatement.objects.create(
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
            if is_top_level and claimed_raw is not None and verb in CLOSING_VERBS:
                attempt = H5PAttempt.objects.create(
                    content=content,
                    user=user,
                    statement=row,
                    # The server's figure when it has one; the claim only otherwise.
                    raw=server.raw if server else Decimal(str(claimed_raw)),
                    max=server.max if server else Decimal(str(claimed_max)),
                    verified=server is not None and not flagged,
                    flagged=flagged,
                )
                if attempt.verified:
                    # Evidence is written by a background task once this commits.
                    transaction.on_commit(
                        partial(attempt_evidence_record.enqueue, attempt.pk)
                    )
    except IntegrityError:
        # The same id arrived before (a retry over a weak connection).
        existing = XapiStatement.objects.get(statement_id=statement_id)
        if existing.user_id != user.pk or existing.content_id != content.pk:
            raise ValidationError(
                [_("This statement id was already used for another record.")]
            ) from None
        return StatementOutcome(existing, created=False, attempt=None)
    return StatementOutcome(row, created=True, attempt=attempt)


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
    files keeps the installed files and says so. On any refusal nothing is
    written to storage or the database.
    """
    try:
        package = read_package(source, limits=limits)
    except PackageInvalid as exc:
        raise ValidationError(_problem_messages(exc.problems)) from None
    installed = {
        (lib.machine_name, lib.major_version, lib.minor_version): lib
        for lib in H5PLibrary.objects.filter(
            machine_name__in=[lib.machine_name for lib in package.libraries]
        )
    }
    to_install, to_upgrade, kept = [], [], []
    for library in package.libraries:
        existing = installed.get((library.machine_name, library.major, library.minor))
        if existing is None:
            to_install.append(library)
        elif library.patch > existing.patch_version:
            to_upgrade.append(library)
        elif library.content_hash != existing.content_hash:
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
    try:
        with transaction.atomic():
            rows = dict(installed)
            for library in [*to_install, *to_upgrade]:
                written += storage.write_files(
                    storage.library_path(library.folder),
                    _members(source, library.files, strip=library.folder + "/"),
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
                        "preloaded_js": library.preloaded_js,
                        "preloaded_css": library.preloaded_css,
                        "dependencies": [
                            [d.machine_name, d.major, d.minor]
                            for d in library.dependencies
                        ],
                        "installed_by": user,
                    },
                )
                rows[(library.machine_name, library.major, library.minor)] = row
            main = package.main_library
            metadata = {
                key: value
                for key, value in package.h5p.items()
                if key not in {"preloadedDependencies", "editorDependencies"}
            }
            content = H5PContent(
                centre=centre,
                title=package.title[:255],
                language=str(package.h5p.get("language", ""))[:10],
                license=str(package.h5p.get("license", ""))[:40],
                metadata=metadata,
                main_library=rows[(main.machine_name, main.major, main.minor)],
                params=package.content_params,
                uploaded_by=user,
            )
            content.full_clean(exclude=["main_library", "uploaded_by", "centre"])
            content.save()
            content.libraries.set(rows.values())
            written += storage.write_files(
                storage.content_path(content.uuid),
                _members(source, ["h5p.json", *package.content_files]),
            )
    except Exception:
        storage.delete_files(written)
        raise
    return ImportResult(
        content=content,
        installed=[lib.folder for lib in to_install],
        upgraded=[lib.folder for lib in to_upgrade],
        kept=kept,
    )


def _members(
    source: str | IO[bytes], names: list[str], *, strip: str = ""
) -> Iterator[tuple[str, bytes]]:
    """Copy validated members out of the archive, one at a time.

    The archive is read again here; validation already bounded every size.
    """
    if hasattr(source, "seek"):
        source.seek(0)
    with zipfile.ZipFile(source) as archive:
        for name in names:
            yield name.removeprefix(strip), archive.read(name)


def content_delete(*, content: H5PContent) -> None:
    """Delete a content nobody has used; refuse (naming why) if anything uses it.

    Refused while a live page embeds it (Wagtail's reference index) and once any
    attempt or statement exists: results are never lost with their content.
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
    if problems:
        raise ValidationError(problems)
    content.libraries.clear()
    storage_names = [storage.content_path(content.uuid)]
    content.delete()
    transaction.on_commit(partial(storage.delete_tree, storage_names[0]))
