"""Competency standards: CSV and CASE import, CASE export, versions, schemes."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from lms.models import (
    CertificationScheme,
    CompetencyElement,
    CompetencyStandard,
    CompetencyUnit,
    Organisation,
    PerformanceCriterion,
    SchemeUnit,
)
from lms.standards.selectors import (
    scheme_list_for_owner,
    standard_get,
    standard_list,
    unit_list_for_standard,
)
from lms.standards.services import (
    scheme_activate,
    scheme_create,
    standard_export_case,
    standard_import,
)
from tests.lms.lms_factories import SAMPLE_CSV, csv_text, make_standard, standard_rows

ROOT = Path(__file__).resolve().parents[2]


def counts():
    return (
        CompetencyStandard.objects.count(),
        CompetencyUnit.objects.count(),
        CompetencyElement.objects.count(),
        PerformanceCriterion.objects.count(),
    )


def test_sample_csv_imports_with_the_command_and_a_second_run_changes_nothing(db):
    out = StringIO()
    with translation.override("en"):
        call_command("import_standard", str(ROOT / SAMPLE_CSV), stdout=out)
    assert out.getvalue().strip() == (
        "Standard SKKNI-PS-CONTOH version 2026: 3 new unit(s), 0 unchanged, "
        "9 element(s), 18 KUK."
    )
    standard = standard_get(code="SKKNI-PS-CONTOH")
    units = list(unit_list_for_standard(standard))
    assert [u.code for u in units] == [
        "Q.889900.001.01",
        "Q.889900.002.01",
        "Q.889900.003.01",
    ]
    first = units[0]
    assert first.title == "Melakukan Asesmen Kebutuhan Keluarga Penerima Manfaat"
    assert [e.number for e in first.elements.all()] == [1, 2, 3]
    assert [c.number for c in first.elements.all()[0].criteria.all()] == [
        "1.1",
        "1.2",
        "1.3",
    ]
    assert "pengasuhan, kesehatan" in units[1].description  # quoted commas survive
    before = counts()
    call_command("import_standard", str(ROOT / SAMPLE_CSV), stdout=StringIO())
    assert counts() == before


def test_semicolon_csv_from_an_indonesian_spreadsheet_is_read(db):
    text = csv_text(standard_rows(code="STD-SEMI", units=1)).replace(",", ";")
    result = standard_import(source=text, format="csv")
    assert result.units_created == 1
    assert result.criteria_created == 4


def test_bad_csv_reports_every_problem_with_its_row_and_writes_nothing(db):
    rows = standard_rows(code="STD-BAD", units=2, elements=1, criteria=2)
    rows[1]["kuk_number"] = "2.1"  # element 1 cannot hold KUK 2.1
    rows[2]["unit_code"] = "bukan-kode"
    rows[3]["kuk_text"] = ""
    before = counts()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        standard_import(source=csv_text(rows), format="csv")
    messages = caught.value.messages
    assert any(m.startswith("Row 3:") and "2.1" in m for m in messages)
    assert any(m.startswith("Row 4:") and "bukan-kode" in m for m in messages)
    assert any(m.startswith("Row 5:") and "kuk_text" in m for m in messages)
    assert counts() == before


def test_a_duplicate_unit_code_in_one_import_is_refused(db):
    rows = standard_rows(code="STD-DUP", units=2, elements=1, criteria=1)
    again = dict(rows[0], kuk_number="1.2", kuk_text="lagi")
    rows.append(again)  # unit 1 again, after unit 2's rows
    before = counts()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        standard_import(source=csv_text(rows), format="csv")
    assert caught.value.messages == [
        f"Row 4: duplicate unit code {rows[0]['unit_code']} (already used from row 2 "
        "by another block of rows)."
    ]
    assert counts() == before


def test_the_command_lists_the_problems_and_exits_non_zero(db, tmp_path):
    rows = standard_rows(code="STD-CMD", units=1, elements=1, criteria=2)
    rows[1]["element_number"] = "x"
    path = tmp_path / "bad.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    err = StringIO()
    with translation.override("en"), pytest.raises(CommandError, match="1 problem"):
        call_command("import_standard", str(path), stderr=err)
    assert "Row 3: element_number must be a whole number" in err.getvalue()
    assert not CompetencyStandard.objects.filter(code="STD-CMD").exists()


def test_missing_columns_are_named(db):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        standard_import(source="standard_code,unit_code\nA,B\n", format="csv")
    assert "Missing columns:" in caught.value.messages[0]
    assert "kuk_text" in caught.value.messages[0]


def test_a_changed_unit_needs_a_new_version_and_the_old_one_is_kept(db):
    rows = standard_rows(code="STD-VER", units=1, elements=1, criteria=1)
    standard_import(source=csv_text(rows), format="csv")
    old = CompetencyUnit.objects.get(code=rows[0]["unit_code"])
    changed = [dict(r, kuk_text="Teks yang diperbarui") for r in rows]
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        standard_import(source=csv_text(changed), format="csv")
    assert "needs a new version" in caught.value.messages[0]
    # As a new unit version in a new standard version it is accepted.
    newer = [dict(r, unit_version="2", standard_version="2027") for r in changed]
    standard_import(source=csv_text(newer), format="csv")
    old.refresh_from_db()
    assert old.elements.get().criteria.get().text == "Kriteria 1.1 unit 1"
    assert CompetencyUnit.objects.filter(code=old.code).count() == 2
    assert standard_get(code="STD-VER").version == "2027"


def test_case_export_has_the_tree_as_isChildOf_and_reimports_unchanged(db):
    standard = make_standard(units=2, elements=2, criteria=3)
    package = standard_export_case(standard=standard)
    document = package["CFDocument"]
    assert document["title"] == standard.title
    assert document["version"] == "2026"
    items = package["CFItems"]
    assert len(items) == 2 + 4 + 12
    assert {a["associationType"] for a in package["CFAssociations"]} == {"isChildOf"}
    assert len(package["CFAssociations"]) == len(items)
    kuk = [i for i in items if i["CFItemType"] == "Kriteria Unjuk Kerja"]
    assert kuk[0]["humanCodingScheme"] == "1.1"
    # Identifiers are stable across exports.
    assert standard_export_case(standard=standard) == package
    before = counts()
    result = standard_import(source=json.dumps(package), format="case")
    assert (result.units_created, result.units_unchanged) == (0, 2)
    assert counts() == before


def test_case_package_from_elsewhere_imports_into_the_same_tree(db):
    standard = make_standard(units=2, elements=2, criteria=2)
    text = json.dumps(standard_export_case(standard=standard))
    old_prefix = standard.units.first().code.rsplit(".", 2)[0]
    text = text.replace(old_prefix, "Q.770000").replace(standard.code, "STD-CASE")
    result = standard_import(source=text, format="case")
    assert result.standard_created
    imported = list(unit_list_for_standard(result.standard))
    original = list(unit_list_for_standard(standard))
    assert [u.code for u in imported] == ["Q.770000.001.01", "Q.770000.002.01"]
    assert [
        [(e.number, [c.number for c in e.criteria.all()]) for e in u.elements.all()]
        for u in imported
    ] == [
        [(e.number, [c.number for c in e.criteria.all()]) for e in u.elements.all()]
        for u in original
    ]


def test_bad_case_package_names_each_item_and_writes_nothing(db):
    standard = make_standard(units=2, elements=1, criteria=1)
    package = standard_export_case(standard=standard)
    package["CFDocument"]["humanCodingScheme"] = "STD-CASE-BAD"
    units = [i for i in package["CFItems"] if i["CFItemType"] == "Unit Kompetensi"]
    units[1]["humanCodingScheme"] = units[0]["humanCodingScheme"]
    orphan = {"identifier": "yatim", "fullStatement": "Tanpa induk"}
    package["CFItems"].append(orphan)
    before = counts()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        standard_import(source=json.dumps(package), format="case")
    messages = caught.value.messages
    assert any(
        units[1]["identifier"] in m and "duplicate unit code" in m for m in messages
    )
    assert any("yatim" in m and "isChildOf" in m for m in messages)
    assert counts() == before


def test_export_command_writes_a_case_file(db, tmp_path):
    standard = make_standard(units=1)
    path = tmp_path / "out.json"
    call_command("export_standard", standard.code, output=path, stdout=StringIO())
    assert json.loads(path.read_text())["CFDocument"]["humanCodingScheme"] == (
        standard.code
    )
    with pytest.raises(CommandError):
        call_command("export_standard", "TIDAK-ADA", stdout=StringIO())


@pytest.fixture
def lsp(db):
    return Organisation.objects.get(code="LSP-KEMENSOS")


def test_scheme_with_units_is_created_in_order_and_activated(lsp):
    standard = make_standard(units=3)
    units = list(unit_list_for_standard(standard))[::-1]
    scheme = scheme_create(
        code="SKM-PS-01",
        title="Skema Okupasi Pendamping Sosial",
        scheme_type="okupasi",
        owner=lsp,
        min_training_jp=40,
        units=units,
    )
    assert scheme.validity_months == 36
    assert [su.unit for su in scheme.scheme_units.all()] == units
    assert scheme_activate(scheme=scheme).status == "active"


def test_a_scheme_without_units_cannot_be_activated(lsp):
    scheme = scheme_create(
        code="SKM-KOSONG", title="Skema kosong", scheme_type="klaster", owner=lsp
    )
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        scheme_activate(scheme=scheme)
    assert caught.value.messages == [
        "Scheme SKM-KOSONG has no units; add its units before activating it."
    ]
    scheme.refresh_from_db()
    assert scheme.status == "draft"


def test_scheme_problems_are_reported_together_and_nothing_is_written(lsp):
    centre = Organisation.objects.get(code="R3")
    unit = make_standard(units=1).units.get()
    before = CertificationScheme.objects.count(), SchemeUnit.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        scheme_create(
            code="SKM-SALAH",
            title="",
            scheme_type="kkni",
            owner=centre,
            units=[unit, unit],
        )
    assert caught.value.messages == [
        "The owner BBPPKS Regional III is not a certification body (LSP).",
        "A KKNI scheme needs a KKNI level (1–9).",
        f"Unit {unit.code} is listed twice.",
        "title: This field cannot be blank.",
    ]
    assert (CertificationScheme.objects.count(), SchemeUnit.objects.count()) == before


@pytest.mark.parametrize("size", [1, 4])
def test_standard_and_scheme_lists_take_a_fixed_number_of_queries(
    lsp, django_assert_num_queries, size
):
    standard = make_standard(units=size, elements=size, criteria=2)
    for n in range(size):
        scheme_create(
            code=f"SKM-Q{size}-{n}",
            title="Skema",
            scheme_type="klaster",
            owner=lsp,
            units=list(standard.units.all()),
        )
    with django_assert_num_queries(3):
        tree = [
            (
                u.code,
                [
                    (e.number, [c.number for c in e.criteria.all()])
                    for e in u.elements.all()
                ],
            )
            for u in unit_list_for_standard(standard)
        ]
    assert len(tree) == size
    with django_assert_num_queries(1):
        standards = {s.code: s.unit_count for s in standard_list()}
    assert standards[standard.code] == size
    with django_assert_num_queries(2):
        listed = [
            (s.code, s.owner.code, [su.unit.code for su in s.scheme_units.all()])
            for s in scheme_list_for_owner(lsp)
        ]
    assert len([s for s in listed if s[0].startswith(f"SKM-Q{size}")]) == size


def test_the_case_sample_imports_with_the_command_like_the_csv_sample(db):
    case_path = ROOT / "fixtures/standards/sample_skkni_pendamping_sosial.case.json"
    out = StringIO()
    call_command("import_standard", str(case_path), stdout=out)  # .json → CASE
    standard = standard_get(code="SKKNI-PS-CONTOH")
    tree = [
        (u.code, u.version, [(e.number, e.criteria.count()) for e in u.elements.all()])
        for u in unit_list_for_standard(standard)
    ]
    assert tree == [
        ("Q.889900.001.01", "1", [(1, 3), (2, 2), (3, 2)]),
        ("Q.889900.002.01", "1", [(1, 2), (2, 2), (3, 1)]),
        ("Q.889900.003.01", "1", [(1, 2), (2, 2), (3, 2)]),
    ]
    # The CSV sample describes the same units: importing it changes nothing.
    before = counts()
    call_command("import_standard", str(ROOT / SAMPLE_CSV), stdout=StringIO())
    assert counts() == before
