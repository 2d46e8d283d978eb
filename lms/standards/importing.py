"""Reading a standard from CSV or IMS CASE 1.0 JSON into one neutral shape.

Both readers return a `StandardData` tree plus the list of every problem found,
each naming its row (CSV) or item (CASE). They never touch the database: the
checks against existing rows and the writes live in `lms.standards.services`.

CSV layout (UTF-8, a header row, comma- or semicolon-separated; one row per KUK):

==================  ========  ==============================================
column              required  meaning
==================  ========  ==============================================
standard_code       yes       stable code of the standard (same on every row)
standard_title      yes       title of the standard (same on every row)
standard_version    yes       version of the standard, e.g. 2026 (same on every row)
standard_source     no        decree or document it comes from
unit_code           yes       SKKNI unit code, e.g. J.620100.001.01
unit_version        yes       version of the unit, e.g. 1
unit_title          yes       title of the unit
unit_description    no        description of the unit
element_number      yes       element number within the unit: 1, 2, 3 …
element_title       yes       title of the element
kuk_number          yes       KUK number "<element>.<n>", e.g. 2.1
kuk_text            yes       text of the performance criterion
==================  ========  ==============================================

A unit's rows are consecutive and repeat the same unit columns; a unit code that
appears twice (again after another unit, or with another version or title) is a
duplicate and refused.

CASE: a CFPackage with ``CFDocument``, ``CFItems`` and ``CFAssociations``. The tree
comes from ``isChildOf`` associations (origin = child, destination = parent):
items under the document are units (``humanCodingScheme`` = unit code,
``fullStatement`` = title, ``notes`` = description), their children elements
(``listEnumeration`` = number, ``fullStatement`` = title) and theirs the KUK
(``humanCodingScheme`` = number such as "1.1", ``fullStatement`` = text). CASE 1.0
has no field for a standard code or a unit version, so we read the optional
``humanCodingScheme`` of the CFDocument (else its identifier) and an optional
``version`` on a unit item (else the document's version); our export writes both.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

UNIT_CODE = re.compile(r"^[A-Z]\.[A-Z0-9]{4,10}\.\d{3}\.\d{1,2}$")
KUK_NUMBER = re.compile(r"^(\d+)\.(\d+)$")

CSV_REQUIRED = [
    "standard_code",
    "standard_title",
    "standard_version",
    "unit_code",
    "unit_version",
    "unit_title",
    "element_number",
    "element_title",
    "kuk_number",
    "kuk_text",
]
CSV_OPTIONAL = ["standard_source", "unit_description"]
CSV_COLUMNS = [
    "standard_code",
    "standard_title",
    "standard_version",
    "standard_source",
    "unit_code",
    "unit_version",
    "unit_title",
    "unit_description",
    "element_number",
    "element_title",
    "kuk_number",
    "kuk_text",
]


@dataclass
class CriterionData:
    number: str
    text: str
    where: str


@dataclass
class ElementData:
    number: int
    title: str
    where: str
    criteria: list[CriterionData] = field(default_factory=list)


@dataclass
class UnitData:
    code: str
    version: str
    title: str
    description: str
    where: str
    elements: list[ElementData] = field(default_factory=list)


@dataclass
class StandardData:
    code: str
    title: str
    version: str
    source: str
    units: list[UnitData] = field(default_factory=list)


def read_csv(text: str) -> tuple[StandardData | None, list[str]]:
    """Parse the CSV layout above; every problem is reported with its row number."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        return None, [_("The file is empty.")]
    first_line = text.splitlines()[0]
    # Spreadsheets set to Indonesian write ";" between cells.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in (reader.fieldnames or [])]
    problems: list[str] = []
    missing = [c for c in CSV_REQUIRED if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    if missing:
        problems.append(
            _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    if unknown:
        problems.append(
            _("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)}
        )
    if missing:
        return None, problems

    standard: StandardData | None = None
    units: dict[str, tuple[UnitData, int]] = {}
    current_unit: UnitData | None = None
    seen_rows = 0
    for index, raw in enumerate(reader, start=2):
        seen_rows += 1
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        where = _("Row %(row)d") % {"row": index}
        empty = [c for c in CSV_REQUIRED if not row.get(c)]
        if empty:
            problems.append(
                _("%(where)s: empty %(columns)s.")
                % {"where": where, "columns": ", ".join(empty)}
            )
            continue
        if standard is None:
            standard = StandardData(
                code=row["standard_code"],
                title=row["standard_title"],
                version=row["standard_version"],
                source=row.get("standard_source", ""),
            )
        else:
            for column, value in [
                ("standard_code", standard.code),
                ("standard_title", standard.title),
                ("standard_version", standard.version),
            ]:
                if row[column] != value:
                    problems.append(
                        _(
                            "%(where)s: %(column)s differs from the first row (one "
                            "standard per file)."
                        )
                        % {"where": where, "column": column}
                    )
        code = row["unit_code"]
        if not UNIT_CODE.match(code):
            problems.append(
                _("%(where)s: %(code)s is not a unit code like J.620100.001.01.")
                % {"where": where, "code": code}
            )
        if code in units:
            unit, first_row = units[code]
            if unit is not current_unit:
                problems.append(
                    _(
                        "%(where)s: duplicate unit code %(code)s (already used from "
                        "row %(first)d by another block of rows)."
                    )
                    % {"where": where, "code": code, "first": first_row}
                )
                continue
            if (unit.version, unit.title, unit.description) != (
                row["unit_version"],
                row["unit_title"],
                row.get("unit_description", ""),
            ):
                problems.append(
                    _(
                        "%(where)s: duplicate unit code %(code)s with a different "
                        "version, title or description than row %(first)d."
                    )
                    % {"where": where, "code": code, "first": first_row}
                )
                continue
        else:
            unit = UnitData(
                code=code,
                version=row["unit_version"],
                title=row["unit_title"],
                description=row.get("unit_description", ""),
                where=where,
            )
            units[code] = (unit, index)
            current_unit = unit
        try:
            number = int(row["element_number"])
            if number < 1:
                raise ValueError
        except ValueError:
            problems.append(
                _("%(where)s: element_number must be a whole number from 1.")
                % {"where": where}
            )
            continue
        element = next((e for e in unit.elements if e.number == number), None)
        if element is None:
            element = ElementData(
                number=number, title=row["element_title"], where=where
            )
            unit.elements.append(element)
        elif element.title != row["element_title"]:
            problems.append(
                _(
                    "%(where)s: element %(number)d of unit %(code)s has another title "
                    "in %(first)s."
                )
                % {
                    "where": where,
                    "number": number,
                    "code": code,
                    "first": element.where,
                }
            )
        kuk = row["kuk_number"]
        match = KUK_NUMBER.match(kuk)
        if not match or int(match.group(1)) != number:
            problems.append(
                _(
                    "%(where)s: KUK number %(kuk)s must be %(element)d.<n> (element "
                    "number, a dot, a number)."
                )
                % {"where": where, "kuk": kuk, "element": number}
            )
            continue
        if any(c.number == kuk for c in element.criteria):
            problems.append(
                _("%(where)s: KUK %(kuk)s appears twice in unit %(code)s.")
                % {"where": where, "kuk": kuk, "code": code}
            )
            continue
        element.criteria.append(
            CriterionData(number=kuk, text=row["kuk_text"], where=where)
        )
    if not seen_rows:
        problems.append(_("The file has a header but no rows."))
    if standard is not None:
        standard.units = [unit for unit, _row in units.values()]
    return standard, problems


def _node_id(node: object) -> str | None:
    """The identifier of a CASE LinkURI object ({title, identifier, uri})."""
    if isinstance(node, dict):
        value = node.get("identifier")
        return str(value) if value else None
    return None


def read_case(text: str) -> tuple[StandardData | None, list[str]]:
    """Parse an IMS CASE 1.0 CFPackage; every problem names the item it is about."""
    try:
        package = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [_("The file is not valid JSON: %(error)s.") % {"error": exc}]
    if not isinstance(package, dict):
        return None, [_("A CASE package must be a JSON object.")]
    problems: list[str] = []
    document = package.get("CFDocument")
    items = package.get("CFItems")
    associations = package.get("CFAssociations")
    if not isinstance(document, dict):
        problems.append(_("CFDocument is missing."))
    if not isinstance(items, list):
        problems.append(_("CFItems is missing or not a list."))
    if not isinstance(associations, list):
        problems.append(_("CFAssociations is missing or not a list."))
    if problems:
        return None, problems
    for key in ("identifier", "title", "version"):
        if not document.get(key):
            problems.append(_("CFDocument has no %(key)s.") % {"key": key})
    document_id = str(document.get("identifier") or "")
    standard = StandardData(
        code=str(document.get("humanCodingScheme") or document_id)[:60],
        title=str(document.get("title") or ""),
        version=str(document.get("version") or ""),
        source=str(
            document.get("officialSourceURL")
            or document.get("publisher")
            or document.get("creator")
            or ""
        ),
    )

    by_id: dict[str, dict] = {}
    order: dict[str, int] = {}
    for position, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("identifier"):
            problems.append(
                _("CFItems[%(index)d] has no identifier.") % {"index": position}
            )
            continue
        identifier = str(item["identifier"])
        if identifier in by_id:
            problems.append(
                _("Item %(id)s appears twice in CFItems.") % {"id": identifier}
            )
            continue
        if not str(item.get("fullStatement") or "").strip():
            problems.append(_("Item %(id)s has no fullStatement.") % {"id": identifier})
        by_id[identifier] = item
        order[identifier] = position

    parent: dict[str, str] = {}
    sequence: dict[str, float] = {}
    for position, association in enumerate(associations):
        if not isinstance(association, dict):
            continue
        if association.get("associationType") != "isChildOf":
            continue  # other relations (exactMatchOf, isRelatedTo…) carry no tree
        child = _node_id(association.get("originNodeURI"))
        target = _node_id(association.get("destinationNodeURI"))
        if child not in by_id:
            problems.append(
                _(
                    "CFAssociations[%(index)d]: origin %(id)s is not an item of this "
                    "package."
                )
                % {"index": position, "id": child}
            )
            continue
        if target != document_id and target not in by_id:
            problems.append(
                _("Item %(id)s: its parent %(parent)s is not in this package.")
                % {"id": child, "parent": target}
            )
            continue
        if child in parent and parent[child] != target:
            problems.append(_("Item %(id)s has more than one parent.") % {"id": child})
            continue
        parent[child] = target
        try:
            sequence[child] = float(association.get("sequenceNumber"))
        except (TypeError, ValueError):
            sequence[child] = float(order[child])

    depth: dict[str, int] = {}
    for identifier in by_id:
        chain, node = [], identifier
        while node != document_id and node in parent and node not in chain:
            chain.append(node)
            node = parent[node]
        if node != document_id:
            problems.append(
                _("Item %(id)s is not linked to the document by isChildOf.")
                % {"id": identifier}
            )
            continue
        depth[identifier] = len(chain)
        if len(chain) > 3:
            problems.append(
                _("Item %(id)s is nested deeper than unit → element → KUK.")
                % {"id": identifier}
            )

    def children(of: str) -> list[str]:
        found = [i for i, p in parent.items() if p == of and i in depth]
        return sorted(found, key=lambda i: (sequence.get(i, 0), order[i]))

    codes: dict[str, str] = {}
    for unit_id in children(document_id):
        item = by_id[unit_id]
        where = _("Item %(id)s") % {"id": unit_id}
        code = str(item.get("humanCodingScheme") or "").strip()
        if not UNIT_CODE.match(code):
            problems.append(
                _("%(where)s: %(code)s is not a unit code like J.620100.001.01.")
                % {"where": where, "code": code or "—"}
            )
        elif code in codes:
            problems.append(
                _("%(where)s: duplicate unit code %(code)s (also item %(other)s).")
                % {"where": where, "code": code, "other": codes[code]}
            )
            continue
        codes[code] = unit_id
        unit = UnitData(
            code=code,
            version=str(item.get("version") or standard.version),
            title=str(item.get("fullStatement") or "").strip(),
            description=str(item.get("notes") or "").strip(),
            where=where,
        )
        for e_position, element_id in enumerate(children(unit_id), start=1):
            e_item = by_id[element_id]
            e_where = _("Item %(id)s") % {"id": element_id}
            listed = str(e_item.get("listEnumeration") or "").strip()
            number = int(listed) if listed.isdigit() and int(listed) > 0 else e_position
            if any(e.number == number for e in unit.elements):
                problems.append(
                    _(
                        "%(where)s: element number %(number)d appears twice in unit "
                        "%(code)s."
                    )
                    % {"where": e_where, "number": number, "code": code}
                )
                continue
            element = ElementData(
                number=number,
                title=str(e_item.get("fullStatement") or "").strip(),
                where=e_where,
            )
            for k_position, kuk_id in enumerate(children(element_id), start=1):
                k_item = by_id[kuk_id]
                k_number = str(k_item.get("humanCodingScheme") or "").strip()
                if not KUK_NUMBER.match(k_number):
                    k_number = f"{number}.{k_position}"
                if any(c.number == k_number for c in element.criteria):
                    problems.append(
                        _("Item %(id)s: KUK %(kuk)s appears twice in unit %(code)s.")
                        % {"id": kuk_id, "kuk": k_number, "code": code}
                    )
                    continue
                element.criteria.append(
                    CriterionData(
                        number=k_number,
                        text=str(k_item.get("fullStatement") or "").strip(),
                        where=_("Item %(id)s") % {"id": kuk_id},
                    )
                )
            unit.elements.append(element)
        standard.units.append(unit)
    return standard, problems
