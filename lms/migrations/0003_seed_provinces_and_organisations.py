"""Seed data: Indonesia's 38 provinces and the programme's standing organisations.

Province codes and names follow the Minister of Home Affairs decree on region codes
(Kepmendagri No. 100.1.1-6117 Tahun 2022, which added the four new Papua provinces).
The six regional centres (BBPPKS Regional I–VI), Kemensos's central unit and LSP
Kemensos are editable data afterwards; coverage is as far as known in 2026.
Partner universities and banks are not seeded: they come from the operator.
"""

from django.db import migrations

SOURCE = "Kepmendagri No. 100.1.1-6117 Tahun 2022"
WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"

PROVINCES = [
    ("11", "Aceh", WIB),
    ("12", "Sumatera Utara", WIB),
    ("13", "Sumatera Barat", WIB),
    ("14", "Riau", WIB),
    ("15", "Jambi", WIB),
    ("16", "Sumatera Selatan", WIB),
    ("17", "Bengkulu", WIB),
    ("18", "Lampung", WIB),
    ("19", "Kepulauan Bangka Belitung", WIB),
    ("21", "Kepulauan Riau", WIB),
    ("31", "DKI Jakarta", WIB),
    ("32", "Jawa Barat", WIB),
    ("33", "Jawa Tengah", WIB),
    ("34", "Daerah Istimewa Yogyakarta", WIB),
    ("35", "Jawa Timur", WIB),
    ("36", "Banten", WIB),
    ("51", "Bali", WITA),
    ("52", "Nusa Tenggara Barat", WITA),
    ("53", "Nusa Tenggara Timur", WITA),
    ("61", "Kalimantan Barat", WIB),
    ("62", "Kalimantan Tengah", WIB),
    ("63", "Kalimantan Selatan", WITA),
    ("64", "Kalimantan Timur", WITA),
    ("65", "Kalimantan Utara", WITA),
    ("71", "Sulawesi Utara", WITA),
    ("72", "Sulawesi Tengah", WITA),
    ("73", "Sulawesi Selatan", WITA),
    ("74", "Sulawesi Tenggara", WITA),
    ("75", "Gorontalo", WITA),
    ("76", "Sulawesi Barat", WITA),
    ("81", "Maluku", WIT),
    ("82", "Maluku Utara", WIT),
    ("91", "Papua", WIT),
    ("92", "Papua Barat", WIT),
    ("93", "Papua Selatan", WIT),
    ("94", "Papua Tengah", WIT),
    ("95", "Papua Pegunungan", WIT),
    ("96", "Papua Barat Daya", WIT),
]

SUMATRA = ["11", "12", "13", "14", "15", "16", "17", "19", "21"]
CENTRES = [
    ("R1", "Regional I", "Padang", WIB, SUMATRA),
    ("R2", "Regional II", "Bandung", WIB, ["31", "32", "36", "18"]),
    ("R3", "Regional III", "Yogyakarta", WIB, ["34", "33", "35", "51", "52", "53"]),
    ("R4", "Regional IV", "Banjarmasin", WITA, ["61", "62", "63", "64", "65"]),
    ("R5", "Regional V", "Makassar", WITA, ["71", "72", "73", "74", "75", "76"]),
    ("R6", "Regional VI", "Jayapura", WIT, ["91", "92", "93", "94", "95", "96", "81", "82"]),
]


def seed(apps, schema_editor):
    Province = apps.get_model("lms", "Province")
    Organisation = apps.get_model("lms", "Organisation")
    provinces = {}
    for code, name, zone in PROVINCES:
        provinces[code], _ = Province.objects.update_or_create(
            code=code, defaults={"name": name, "time_zone": zone, "source": SOURCE}
        )
    Organisation.objects.get_or_create(
        code="KEMENSOS",
        defaults={
            "kind": "central",
            "name": "Kementerian Sosial Republik Indonesia",
            "short_name": "Kemensos",
            "city": "Jakarta",
            "time_zone": WIB,
        },
    )
    Organisation.objects.get_or_create(
        code="LSP-KEMENSOS",
        defaults={
            "kind": "certification_body",
            "name": "Lembaga Sertifikasi Profesi Kementerian Sosial",
            "short_name": "LSP Kemensos",
            "city": "Jakarta",
            "time_zone": WIB,
        },
    )
    for code, regional, city, zone, covered in CENTRES:
        centre, _ = Organisation.objects.get_or_create(
            code=code,
            defaults={
                "kind": "centre",
                "name": (
                    "Balai Besar Pendidikan dan Pelatihan Kesejahteraan Sosial "
                    f"{regional} {city}"
                ),
                "short_name": f"BBPPKS {regional}",
                "city": city,
                "time_zone": zone,
            },
        )
        centre.provinces.set([provinces[c] for c in covered])


class Migration(migrations.Migration):
    dependencies = [("lms", "0002_organisation_collection")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
