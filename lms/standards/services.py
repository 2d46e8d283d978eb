"""Writes for standards and schemes: import, CASE export, scheme set-up.

Imports are all-or-nothing: the file is read and checked completely (shape, then
against the database), every problem is reported at once in one ValidationError,
and only a clean file is written, in one transaction, with bulk inserts.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lms.models import Organisation, OrganisationKind
from lms.records.services import scheme_competence_refresh

from .importing import StandardData, UnitData, read_case, read_csv
from .models import (
    CertificationScheme,
    CompetencyElement,
    CompetencyStandard,
    CompetencyUnit,
    PerformanceCriterion,
    SchemeStatus,
    SchemeType,
    SchemeUnit,
    StandardStatus,
)

FORMATS = ("csv", "case")


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the standard and how many rows it created."""

    standard: CompetencyStandard
    standard_created: bool
    units_created: int
    units_unchanged: int
    elements_created: int
    criteria_created: int


def _read_source(source: str | Path | IO[str] | IO[bytes]) -> str:
    if isinstance(source, Path):
        return source.read_bytes().decode("utf-8-sig")
    if isinstance(source, str):
        return source
    data = source.read()
    return data.decode("utf-8-sig") if isinstance(data, bytes) else data


def _model_problems(instance: object, where: str, exclude: list[str]) -> list[str]:
    """Field problems (lengths, blanks) of an unsaved instance, prefixed by place."""
    try:
        instance.full_clean(
            exclude=exclude, validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        return [
            f"{where}: {field}: {message}"
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    return []


def _unit_shape(unit: CompetencyUnit) -> tuple:
    """A comparable picture of a stored unit's content."""
    return (
        unit.title,
        unit.description,
        tuple(
            (e.number, e.title, tuple((c.number, c.text) for c in e.criteria.all()))
            for e in unit.elements.all()
        ),
    )


def _data_shape(unit: UnitData) -> tuple:
    return (
        unit.title,
        unit.description,
        tuple(
            (e.number, e.title, tuple((c.number, c.text) for c in e.criteria))
            for e in sorted(unit.elements, key=lambda e: e.number)
        ),
    )


def _check(data: StandardData) -> tuple[list[str], CompetencyStandard | None, set]:
    """Problems of a parsed standard against the rules and the database.

    Returns the problems, the existing standard (if any) and the keys
    (code, version) of units already stored with identical content.
    """
    problems: list[str] = []
    if not data.units:
        problems.append(_("The standard has no units."))
    problems += _model_problems(
        CompetencyStandard(
            code=data.code, title=data.title, version=data.version, source=data.source
        ),
        _("Standard %(code)s") % {"code": data.code},
        exclude=[],
    )
    for unit in data.units:
        problems += _model_problems(
            CompetencyUnit(
                code=unit.code,
                version=unit.version,
                title=unit.title,
                description=unit.description,
            ),
            unit.where,
            exclude=["standard"],
        )
        if not unit.elements:
            problems.append(
                _("%(where)s: unit %(code)s has no elements.")
                % {"where": unit.where, "code": unit.code}
            )
        for element in unit.elements:
            problems += _model_problems(
                CompetencyElement(number=element.number, title=element.title),
                element.where,
                exclude=["unit"],
            )
            if not element.criteria:
                problems.append(
                    _("%(where)s: element %(number)d of unit %(code)s has no KUK.")
                    % {
                        "where": element.where,
                        "number": element.number,
                        "code": unit.code,
                    }
                )
            for position, criterion in enumerate(element.criteria, start=1):
                problems += _model_problems(
                    PerformanceCriterion(
                        number=criterion.number, text=criterion.text, position=position
                    ),
                    criterion.where,
                    exclude=["element"],
                )

    standard = CompetencyStandard.objects.filter(
        code=data.code, version=data.version
    ).first()
    if standard is not None and standard.title != data.title:
        problems.append(
            _(
                "Standard %(code)s version %(version)s already exists with another "
                "title; a changed standard needs a new version."
            )
            % {"code": data.code, "version": data.version}
        )
    unchanged: set[tuple[str, str]] = set()
    codes = [u.code for u in data.units]
    existing = {
        (u.code, u.version): u
        for u in CompetencyUnit.objects.filter(code__in=codes).prefetch_related(
            "elements__criteria"
        )
    }
    for unit in data.units:
        stored = existing.get((unit.code, unit.version))
        if stored is None:
            continue
        if standard is None or stored.standard_id != standard.pk:
            problems.append(
                _(
                    "%(where)s: unit %(code)s version %(version)s already belongs to "
                    "another standard."
                )
                % {"where": unit.where, "code": unit.code, "version": unit.version}
            )
        elif _unit_shape(stored) != _data_shape(unit):
            problems.append(
                _(
                    "%(where)s: unit %(code)s version %(version)s already exists with "
                    "other content. A changed unit needs a new version; the stored "
                    "one is never rewritten."
                )
                % {"where": unit.where, "code": unit.code, "version": unit.version}
            )
        else:
            unchanged.add((unit.code, unit.version))
    return problems, standard, unchanged


@transaction.atomic
def standard_import(
    *, source: str | Path | IO[str] | IO[bytes], format: str
) -> ImportResult:
    """Import a standard's units, elements and KUK from CSV or IMS CASE 1.0 JSON.

    ``source`` is a path, an open file, or the file's text. ``format`` is "csv" or
    "case" (see `lms.standards.importing` for both layouts). Every problem is
    raised at once in one ValidationError, each naming its row or item; nothing is
    written then. Re-importing identical units changes nothing; a unit whose
    (code, version) is stored with other content is refused, never rewritten.
    """
    if format not in FORMATS:
        raise ValidationError(
            _("Unknown format %(format)s; use csv or case.") % {"format": format}
        )
    text = _read_source(source)
    data, problems = (read_csv if format == "csv" else read_case)(text)
    if data is None:
        raise ValidationError(problems)
    more, standard, unchanged = _check(data)
    problems += more
    if problems:
        raise ValidationError(problems)

    created = standard is None
    if standard is None:
        standard = CompetencyStandard(
            code=data.code,
            title=data.title,
            version=data.version,
            source=data.source,
            status=StandardStatus.ACTIVE,
        )
        standard.full_clean()
        standard.save()
    new_units = [u for u in data.units if (u.code, u.version) not in unchanged]
    unit_rows = CompetencyUnit.objects.bulk_create(
        [
            CompetencyUnit(
                standard=standard,
                code=u.code,
                version=u.version,
                title=u.title,
                description=u.description,
                position=position,
            )
            for position, u in enumerate(data.units)
            if (u.code, u.version) not in unchanged
        ],
        batch_size=1000,
    )
    element_rows: list[CompetencyElement] = []
    element_data = []
    for unit_row, unit in zip(unit_rows, new_units, strict=True):
        for element in sorted(unit.elements, key=lambda e: e.number):
            element_rows.append(
                CompetencyElement(
                    unit=unit_row, number=element.number, title=element.title
                )
            )
            element_data.append(element)
    element_rows = CompetencyElement.objects.bulk_create(element_rows, batch_size=1000)
    criteria = [
        PerformanceCriterion(
            element=element_row, number=c.number, text=c.text, position=position
        )
        for element_row, element in zip(element_rows, element_data, strict=True)
        for position, c in enumerate(element.criteria, start=1)
    ]
    PerformanceCriterion.objects.bulk_create(criteria, batch_size=1000)
    return ImportResult(
        standard=standard,
        standard_created=created,
        units_created=len(unit_rows),
        units_unchanged=len(unchanged),
        elements_created=len(element_rows),
        criteria_created=len(criteria),
    )


# CASE identifiers must be stable across exports, so they are name-based UUIDs
# derived from the codes rather than random ones.
CASE_NAMESPACE = uuid.UUID("5b8e2f6a-4c1d-4e7b-9a3f-2d6c8e1f0a47")


def _case_id(*parts: str) -> str:
    return str(uuid.uuid5(CASE_NAMESPACE, "|".join(parts)))


def _case_time(value: object) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def standard_export_case(*, standard: CompetencyStandard) -> dict:
    """The standard as an IMS CASE 1.0 CFPackage (a JSON-ready dict).

    Units, elements and KUK become CFItems linked by ``isChildOf`` associations in
    their order; the standard code and unit versions, which CASE 1.0 has no field
    for, travel in ``humanCodingScheme`` of the CFDocument and ``version`` of each
    unit item, so `standard_import` reads the export back unchanged.
    """
    units = list(
        standard.units.order_by("position", "code").prefetch_related(
            "elements__criteria"
        )
    )
    doc_id = _case_id("doc", standard.code, standard.version)
    changed = _case_time(standard.created_at)
    doc_link = {
        "title": standard.title,
        "identifier": doc_id,
        "uri": f"urn:uuid:{doc_id}",
    }
    adoption = {
        StandardStatus.DRAFT: "Draft",
        StandardStatus.ACTIVE: "Adopted",
        StandardStatus.RETIRED: "Deprecated",
    }[standard.status]
    items: list[dict] = []
    associations: list[dict] = []

    def add(identifier: str, parent: dict, sequence: int, **fields: object) -> dict:
        item = {
            "identifier": identifier,
            "uri": f"urn:uuid:{identifier}",
            "CFDocumentURI": doc_link,
            "lastChangeDateTime": changed,
            "language": "id",
            **fields,
        }
        items.append(item)
        link = {
            "title": str(fields["fullStatement"])[:60],
            "identifier": identifier,
            "uri": item["uri"],
        }
        assoc_id = _case_id("isChildOf", identifier, parent["identifier"])
        associations.append(
            {
                "identifier": assoc_id,
                "uri": f"urn:uuid:{assoc_id}",
                "associationType": "isChildOf",
                "sequenceNumber": sequence,
                "originNodeURI": link,
                "destinationNodeURI": parent,
                "CFDocumentURI": doc_link,
                "lastChangeDateTime": changed,
            }
        )
        return link

    for u_seq, unit in enumerate(units, start=1):
        unit_link = add(
            _case_id("unit", unit.code, unit.version),
            doc_link,
            u_seq,
            fullStatement=unit.title,
            humanCodingScheme=unit.code,
            notes=unit.description,
            CFItemType="Unit Kompetensi",
            listEnumeration=str(u_seq),
            version=unit.version,
            lastChangeDateTime=_case_time(unit.created_at),
        )
        for element in unit.elements.all():
            element_link = add(
                _case_id("element", unit.code, unit.version, str(element.number)),
                unit_link,
                element.number,
                fullStatement=element.title,
                CFItemType="Elemen Kompetensi",
                listEnumeration=str(element.number),
            )
            for criterion in element.criteria.all():
                add(
                    _case_id("kuk", unit.code, unit.version, criterion.number),
                    element_link,
                    criterion.position,
                    fullStatement=criterion.text,
                    humanCodingScheme=criterion.number,
                    CFItemType="Kriteria Unjuk Kerja",
                    listEnumeration=str(criterion.position),
                )
    return {
        "CFDocument": {
            **doc_link,
            "creator": standard.source or "Kementerian Sosial Republik Indonesia",
            "lastChangeDateTime": changed,
            "version": standard.version,
            "adoptionStatus": adoption,
            "language": "id",
            "humanCodingScheme": standard.code,
            "CFPackageURI": doc_link,
        },
        "CFItems": items,
        "CFAssociations": associations,
    }


def _scheme_problems(
    *,
    scheme_type: str,
    owner: Organisation,
    kkni_level: int | None,
    units: Sequence[CompetencyUnit],
) -> list[str]:
    """Rules of a scheme beyond its fields: LSP owner, KKNI level, units once."""
    problems: list[str] = []
    if owner.kind != OrganisationKind.CERTIFICATION_BODY:
        problems.append(
            _("The owner %(owner)s is not a certification body (LSP).")
            % {"owner": owner}
        )
    if scheme_type == SchemeType.KKNI and kkni_level is None:
        problems.append(_("A KKNI scheme needs a KKNI level (1–9)."))
    if scheme_type != SchemeType.KKNI and kkni_level is not None:
        problems.append(_("Only a KKNI scheme has a KKNI level."))
    seen: set[int] = set()
    for unit in units:
        if unit.pk in seen:
            problems.append(_("Unit %(code)s is listed twice.") % {"code": unit.code})
        seen.add(unit.pk)
    return problems


@transaction.atomic
def scheme_create(
    *,
    code: str,
    title: str,
    scheme_type: str,
    owner: Organisation,
    kkni_level: int | None = None,
    validity_months: int = 36,
    min_training_jp: int = 0,
    entry_requirements: str = "",
    units: Sequence[CompetencyUnit] = (),
) -> CertificationScheme:
    """Create a draft certification scheme with its units in the given order.

    Every problem (owner not an LSP, KKNI level, duplicate unit, field errors,
    code taken) is raised at once; nothing is written then.
    """
    problems = _scheme_problems(
        scheme_type=scheme_type, owner=owner, kkni_level=kkni_level, units=units
    )
    scheme = CertificationScheme(
        code=code.strip(),
        title=title.strip(),
        scheme_type=scheme_type,
        owner=owner,
        kkni_level=kkni_level,
        validity_months=validity_months,
        min_training_jp=min_training_jp,
        entry_requirements=entry_requirements,
        status=SchemeStatus.DRAFT,
    )
    try:
        # Owner kind and the KKNI-level rule are checked above with clearer words.
        scheme.full_clean(exclude=["owner"], validate_constraints=False)
    except ValidationError as exc:
        problems += [
            f"{CertificationScheme._meta.get_field(field).verbose_name}: {message}"
            if field != "__all__"
            else message
            for field, messages in exc.message_dict.items()
            for message in messages
        ]
    if problems:
        raise ValidationError(problems)
    scheme.save()
    SchemeUnit.objects.bulk_create(
        [
            SchemeUnit(scheme=scheme, unit=unit, position=position)
            for position, unit in enumerate(units, start=1)
        ]
    )
    # Trainees may already hold K on all these units: derive their verdicts.
    scheme_competence_refresh(schemes=[scheme])
    return scheme


@transaction.atomic
def scheme_activate(*, scheme: CertificationScheme) -> CertificationScheme:
    """Make a draft scheme active: it must have units and an LSP owner."""
    scheme = CertificationScheme.objects.select_for_update().get(pk=scheme.pk)
    problems = []
    if not scheme.scheme_units.exists():
        problems.append(
            _("Scheme %(code)s has no units; add its units before activating it.")
            % {"code": scheme.code}
        )
    if scheme.owner.kind != OrganisationKind.CERTIFICATION_BODY:
        problems.append(
            _("The owner %(owner)s is not a certification body (LSP).")
            % {"owner": scheme.owner}
        )
    if scheme.status == SchemeStatus.RETIRED:
        problems.append(_("A retired scheme cannot be activated again."))
    if problems:
        raise ValidationError(problems)
    scheme.status = SchemeStatus.ACTIVE
    scheme.full_clean()
    scheme.save(update_fields=["status"])
    return scheme
