"""Bulk trainee import (`import_trainees`): validate every row, then all or nothing.

Set-based on purpose: a 32,000-row file costs a handful of queries (existing
e-mails and NIK hashes are looked up in chunks), not a query per row. New
people are written with PostgreSQL's COPY (ids reserved from the sequence
first), elsewhere with `bulk_create` in batches of 1,000. Hashing and
encrypting each NIK stays CPU work per row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from lms import services as lms_services
from lms.models import Membership, Organisation, Profile, Province, Role, User
from lms.nik import nik_cipher, nik_hash, nik_normalise, nik_problems

from .models import Cohort, Enrolment, EnrolmentState

COLUMNS = ["nik", "full_name", "email", "phone", "regency", "role_type"]
BATCH_SIZE = 1000
# SQLite refuses very long IN lists; lookups go in chunks of this many values.
LOOKUP_CHUNK = 5000
PHONE_PATTERN = re.compile(r"^\+?[0-9 ()-]{6,20}$")


@dataclass
class TraineeImportResult:
    """What an import did or, when it failed, every problem by row number."""

    created: int = 0
    existing: int = 0
    enrolled: int = 0
    errors: dict[int, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    nik: str
    full_name: str
    email: str
    phone: str
    regency: str
    role_type: str
    nik_hash: str = ""


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), LOOKUP_CHUNK):
        yield values[start : start + LOOKUP_CHUNK]


def _read(text: str) -> tuple[list[_Row], dict[int, list[str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], {1: [_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)}]}
    reader.fieldnames = header
    rows = [
        _Row(
            line=line,
            nik=nik_normalise((raw.get("nik") or "").strip()),
            full_name=(raw.get("full_name") or "").strip(),
            email=(raw.get("email") or "").strip().lower(),
            phone=(raw.get("phone") or "").strip(),
            regency=(raw.get("regency") or "").strip(),
            role_type=(raw.get("role_type") or "").strip(),
        )
        for line, raw in enumerate(reader, start=2)
    ]
    return rows, {}


def _validate(rows: list[_Row]) -> dict[int, list[str]]:
    """Every problem of every row; the only queries are the set-based lookups."""
    errors: dict[int, list[str]] = {}
    provinces = Province.objects.codes()

    def add(row: _Row, message: str) -> None:
        errors.setdefault(row.line, []).append(message)

    seen_email: dict[str, int] = {}
    seen_nik: dict[str, int] = {}
    for row in rows:
        for problem in nik_problems(row.nik, province_codes=provinces):
            add(row, problem)
        if not row.full_name:
            add(row, _("The full name is required."))
        elif len(row.full_name) > 200:
            add(row, _("The full name is longer than 200 characters."))
        try:
            validate_email(row.email)
        except ValidationError:
            add(
                row,
                _("%(email)s is not a valid e-mail address.") % {"email": row.email},
            )
        if row.phone and not PHONE_PATTERN.match(row.phone):
            add(
                row,
                _("The phone number %(phone)s is not valid.") % {"phone": row.phone},
            )
        if len(row.regency) > 120:
            add(row, _("The regency is longer than 120 characters."))
        if not row.role_type:
            add(row, _("The role type is required."))
        elif len(row.role_type) > 100:
            add(row, _("The role type is longer than 100 characters."))
        if row.email in seen_email:
            add(
                row,
                _("The e-mail is also on row %(line)d.")
                % {"line": seen_email[row.email]},
            )
        seen_email.setdefault(row.email, row.line)
        if row.nik in seen_nik:
            add(
                row, _("The NIK is also on row %(line)d.") % {"line": seen_nik[row.nik]}
            )
        seen_nik.setdefault(row.nik, row.line)
        row.nik_hash = nik_hash(row.nik)

    # Who exists already: one lookup per chunk of e-mails and of NIK hashes.
    by_email: dict[str, tuple[int, str | None]] = {}
    for chunk in _chunks([r.email for r in rows]):
        for pk, email, hashed in User.objects.filter(email__in=chunk).values_list(
            "pk", "email", "profile__nik_hash"
        ):
            by_email[email.lower()] = (pk, hashed)
    by_hash: dict[str, str] = {}
    for chunk in _chunks([r.nik_hash for r in rows]):
        for hashed, email in Profile.objects.filter(nik_hash__in=chunk).values_list(
            "nik_hash", "user__email"
        ):
            by_hash[hashed] = email.lower()
    for row in rows:
        known = by_email.get(row.email)
        holder = by_hash.get(row.nik_hash)
        if known is not None and known[1] not in (None, row.nik_hash):
            add(row, _("This e-mail belongs to a person with another NIK."))
        if holder is not None and holder != row.email:
            add(row, _("This NIK is already registered to another person."))
    return errors


def _profile_role_types_update(*, role_types: dict[int, str]) -> None:
    """Put each existing person's role type from the file on their profile.

    Kept on the profile so it survives an import without a cohort; a changed
    role type in a later file updates it, the same file again writes nothing.
    People without a profile yet get one holding just the role type.
    """
    if not role_types:
        return
    current: dict[int, Profile] = {}
    for chunk in _chunks(list(role_types)):
        for profile in Profile.objects.filter(user_id__in=chunk).only(
            "pk", "user_id", "role_type"
        ):
            current[profile.user_id] = profile
    changed = []
    for user_id, profile in current.items():
        if profile.role_type != role_types[user_id]:
            profile.role_type = role_types[user_id]
            changed.append(profile)
    Profile.objects.bulk_update(changed, ["role_type"], batch_size=BATCH_SIZE)
    Profile.objects.bulk_create(
        [
            Profile(user_id=user_id, role_type=role_type)
            for user_id, role_type in role_types.items()
            if user_id not in current
        ],
        batch_size=BATCH_SIZE,
    )


def _copy_supported() -> bool:
    """PostgreSQL through psycopg 3 can COPY; other databases use bulk_create."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        return hasattr(cursor.cursor, "copy")


def _ids_reserve(model: type[Model], count: int) -> list[int]:
    """Take `count` ids from the table's sequence, so COPY can write them."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
            "FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


def _users_bulk_create(*, fresh: list[_Row], password: str) -> list[int]:
    """Insert the new accounts with bulk_create and return their ids in row order."""
    users = User.objects.bulk_create(
        [User(email=r.email, full_name=r.full_name, password=password) for r in fresh],
        batch_size=BATCH_SIZE,
    )
    if users and users[0].pk is None:
        # Backends that do not return ids from bulk inserts: read them back.
        ids: dict[str, int] = {}
        for chunk in _chunks([r.email for r in fresh]):
            ids.update(User.objects.filter(email__in=chunk).values_list("email", "pk"))
        return [ids[r.email] for r in fresh]
    return [u.pk for u in users]


def _insert(
    model: type[Model], columns: list[str], rows: Iterable[tuple], *, copy: bool
) -> None:
    """Insert plain rows (`columns` are attribute names): COPY or bulk_create."""
    if copy:
        _copy(model, columns, rows)
        return
    model.objects.bulk_create(
        (model(**dict(zip(columns, row, strict=True))) for row in rows),
        batch_size=BATCH_SIZE,
    )


def _copy(model: type[Model], columns: list[str], rows: Iterable[tuple]) -> None:
    """COPY `rows` into the model's table; other columns get the field default.

    Why: bulk_create builds a model instance and prepares every value of every
    row in Python; for 32,000 people in five tables that ORM work, not the
    database, took most of the import's time. Defaults are prepared once here
    exactly as the ORM would (`pre_save` + `get_db_prep_save`), so the rows are
    the same as bulk_create's.
    """
    meta = model._meta
    template = model()
    others = [
        f
        for f in meta.concrete_fields
        if f.column not in columns and f.attname not in columns and not f.primary_key
    ]
    constant = tuple(
        f.get_db_prep_save(f.pre_save(template, True), connection) for f in others
    )
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in [*columns, *(f.column for f in others)])
    with connection.cursor() as cursor:
        with cursor.cursor.copy(
            f"COPY {quote(meta.db_table)} ({names}) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row((*row, *constant))


@transaction.atomic
def trainee_import(
    *, text: str, centre: Organisation, cohort: Cohort | None = None
) -> TraineeImportResult:
    """Import trainees of a centre (and put them in a cohort); all or nothing.

    Rows whose person already exists (same e-mail and NIK) are kept as they are
    except for the role type, which goes on the profile (always) and on the
    enrolment (with a cohort); importing the same file twice changes nothing.
    """
    result = TraineeImportResult()
    rows, errors = _read(text)
    if not errors:
        errors = _validate(rows)
    if cohort is not None and cohort.course.centre_id != centre.pk:
        errors.setdefault(1, []).append(_("The cohort belongs to another centre."))
    if errors:
        result.errors = errors
        return result

    existing = {
        email.lower(): pk
        for chunk in _chunks([r.email for r in rows])
        for pk, email in User.objects.filter(email__in=chunk).values_list("pk", "email")
    }
    fresh = [r for r in rows if r.email not in existing]
    result.existing = len(rows) - len(fresh)
    _profile_role_types_update(
        role_types={existing[r.email]: r.role_type for r in rows if r.email in existing}
    )
    cipher = nik_cipher()
    # Imported trainees sign in by resetting their password; no usable one is
    # set (and no per-row hashing: one unusable marker serves every row).
    unusable = make_password(None)
    group = lms_services.role_group_ensure(organisation=centre, role=Role.TRAINEE)
    use_copy = _copy_supported()
    if use_copy:
        user_ids = _ids_reserve(User, len(fresh))
    else:
        user_ids = _users_bulk_create(fresh=fresh, password=unusable)
    pairs = list(zip(fresh, user_ids, strict=True))
    new_ids = {r.email: pk for r, pk in pairs}
    users_rows = ((pk, r.email, r.full_name, unusable) for r, pk in pairs)
    # A trainee's province is where their NIK was issued (its first two digits)
    # until they say otherwise; the dashboards group by it.
    province_ids = dict(Province.objects.values_list("code", "pk"))
    profile_rows = (
        (
            pk,
            cipher.encrypt(r.nik),
            r.nik_hash,
            r.phone,
            r.regency,
            r.role_type,
            province_ids.get(r.nik[:2]),
        )
        for r, pk in pairs
    )
    email_rows = ((pk, r.email, True, False) for r, pk in pairs)
    member_rows = ((pk, centre.pk, Role.TRAINEE) for pk in user_ids)
    group_rows = ((pk, group.pk) for pk in user_ids)
    if use_copy:
        _copy(User, ["id", "email", "full_name", "password"], users_rows)
    _insert(
        Profile,
        [
            "user_id",
            "nik_encrypted",
            "nik_hash",
            "phone",
            "regency",
            "role_type",
            "province_id",
        ],
        profile_rows,
        copy=use_copy,
    )
    _insert(
        EmailAddress,
        ["user_id", "email", "primary", "verified"],
        email_rows,
        copy=use_copy,
    )
    _insert(
        Membership,
        ["user_id", "organisation_id", "role"],
        member_rows,
        copy=use_copy,
    )
    _insert(User.groups.through, ["user_id", "group_id"], group_rows, copy=use_copy)
    result.created = len(fresh)
    existing.update(new_ids)
    all_ids = [existing[r.email] for r in rows]

    # People who were there before: a trainee membership of this centre (and its
    # group) unless they have one. New people got theirs above.
    created_ids = set(user_ids)
    old_ids = [pk for pk in all_ids if pk not in created_ids]
    members = set()
    for chunk in _chunks(old_ids):
        members.update(
            Membership.objects.active()
            .filter(organisation=centre, role=Role.TRAINEE, user_id__in=chunk)
            .values_list("user_id", flat=True)
        )
    new_members = [pk for pk in old_ids if pk not in members]
    Membership.objects.bulk_create(
        [
            Membership(user_id=pk, organisation=centre, role=Role.TRAINEE)
            for pk in new_members
        ],
        batch_size=BATCH_SIZE,
    )
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=pk, group_id=group.pk) for pk in new_members],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )

    if cohort is not None:
        role_types = {existing[r.email]: r.role_type[:100] for r in rows}
        current = list(
            Enrolment.objects.filter(course=cohort.course, trainee_id__in=all_ids).only(
                "pk", "trainee_id", "cohort_id", "role_type"
            )
        )
        enrolled = {e.trainee_id for e in current}
        # The file's role type is kept on the enrolment; a changed one in a
        # later file updates it (the same file again changes nothing).
        changed = [
            e
            for e in current
            if e.cohort_id == cohort.pk and e.role_type != role_types[e.trainee_id]
        ]
        for enrolment in changed:
            enrolment.role_type = role_types[enrolment.trainee_id]
        Enrolment.objects.bulk_update(changed, ["role_type"], batch_size=BATCH_SIZE)
        to_enrol = [pk for pk in all_ids if pk not in enrolled]
        taken = cohort.enrolments.exclude(state=EnrolmentState.WITHDRAWN).count()
        if taken + len(to_enrol) > cohort.capacity:
            transaction.set_rollback(True)
            return TraineeImportResult(
                errors={
                    1: [
                        _(
                            "Cohort %(number)s has room for %(room)d more, "
                            "the file adds %(count)d."
                        )
                        % {
                            "number": cohort.number,
                            "room": max(cohort.capacity - taken, 0),
                            "count": len(to_enrol),
                        }
                    ]
                }
            )
        Enrolment.objects.bulk_create(
            [
                Enrolment(
                    trainee_id=pk,
                    course=cohort.course,
                    cohort=cohort,
                    state=EnrolmentState.ACTIVE,
                    role_type=role_types[pk],
                )
                for pk in to_enrol
            ],
            batch_size=BATCH_SIZE,
        )
        result.enrolled = len(to_enrol)
    return result


def error_report_write(*, result: TraineeImportResult, path: Path) -> None:
    """The per-row error report: row number and every problem, one per line."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([_("Row"), _("Problem")])
        for line in sorted(result.errors):
            for problem in result.errors[line]:
                writer.writerow([line, problem])
