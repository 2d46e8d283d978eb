"""Importing packages: shared libraries, rights, refusals that change nothing."""

import io
import json
import zipfile
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from courses.h5p.models import H5PContent, H5PLibrary
from courses.h5p.services import content_import
from lms.models import Organisation
from tests.h5p.h5p_factories import SAMPLES


def stored_files(folder="h5p") -> set[str]:
    try:
        dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return set()
    found = {f"{folder}/{name}" for name in files}
    for name in dirs:
        found |= stored_files(f"{folder}/{name}")
    return found


def state():
    return (H5PContent.objects.count(), H5PLibrary.objects.count(), stored_files())


@pytest.fixture
def r3(db):
    return Organisation.objects.get(code="R3")


@pytest.mark.parametrize("path", sorted((SAMPLES / "valid").glob("*.h5p")), ids=str)
def test_every_valid_sample_imports_with_the_command(db, path):
    out = StringIO()
    call_command("h5p_import", str(path), "--centre", "R3", stdout=out)
    content = H5PContent.objects.get(uuid=out.getvalue().strip())
    assert content.centre.code == "R3"
    files = stored_files()
    assert f"h5p/content/{content.uuid}/h5p.json" in files
    assert f"h5p/content/{content.uuid}/content/content.json" in files
    main = content.main_library
    assert f"h5p/libraries/{main.folder}/library.json" in files


@pytest.mark.parametrize("path", sorted((SAMPLES / "invalid").glob("*.h5p")), ids=str)
def test_every_invalid_sample_is_refused_and_nothing_changes(db, path):
    before = state()
    with pytest.raises(CommandError) as caught:
        call_command("h5p_import", str(path), "--centre", "R3", stdout=StringIO())
    assert str(caught.value).strip()
    assert state() == before


def test_libraries_are_stored_once_and_shared(r3):
    with open(SAMPLES / "valid" / "drag-text.h5p", "rb") as handle:
        first = content_import(
            source=handle, centre=r3, user=None, can_install_libraries=True
        )
    libraries = H5PLibrary.objects.count()
    with open(SAMPLES / "valid" / "drag-text.h5p", "rb") as handle:
        second = content_import(
            source=handle, centre=r3, user=None, can_install_libraries=False
        )
    assert first.installed and second.installed == [] and second.kept == []
    assert H5PLibrary.objects.count() == libraries
    assert first.content.main_library_id == second.content.main_library_id


def test_new_library_code_needs_the_right(r3):
    before = state()
    with (
        open(SAMPLES / "valid" / "greeting-card.h5p", "rb") as handle,
        translation.override("en"),
        pytest.raises(ValidationError) as caught,
    ):
        content_import(source=handle, centre=r3, user=None, can_install_libraries=False)
    assert "H5P.GreetingCard-1.0" in caught.value.messages[0]
    assert state() == before


def repack(sample: str, *, patch: int | None = None, extra: bytes = b"") -> io.BytesIO:
    """The sample with its library's patch version or one file changed."""
    source = zipfile.ZipFile(SAMPLES / "valid" / sample)
    buffer = io.BytesIO()
    with source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("library.json") and patch is not None:
                manifest = json.loads(data)
                manifest["patchVersion"] = patch
                data = json.dumps(manifest).encode()
            if info.filename.endswith("greetingcard.js"):
                data += extra
            target.writestr(info, data)
    buffer.seek(0)
    return buffer


def test_patch_upgrade_replaces_and_same_version_keeps_the_installed_files(r3):
    with open(SAMPLES / "valid" / "greeting-card.h5p", "rb") as handle:
        content_import(source=handle, centre=r3, user=None, can_install_libraries=True)
    library = H5PLibrary.objects.get(machine_name="H5P.GreetingCard")
    original = default_storage.open(
        f"h5p/libraries/{library.folder}/greetingcard.js"
    ).read()

    tampered = content_import(
        source=repack("greeting-card.h5p", extra=b"/*x*/"),
        centre=r3,
        user=None,
        can_install_libraries=False,
    )
    assert tampered.kept == ["H5P.GreetingCard-1.0"]
    assert (
        default_storage.open(f"h5p/libraries/{library.folder}/greetingcard.js").read()
        == original
    )

    upgraded = content_import(
        source=repack(
            "greeting-card.h5p", patch=library.patch_version + 1, extra=b"//2"
        ),
        centre=r3,
        user=None,
        can_install_libraries=True,
    )
    assert upgraded.upgraded == ["H5P.GreetingCard-1.0"]
    library.refresh_from_db()
    assert H5PLibrary.objects.filter(machine_name="H5P.GreetingCard").count() == 1
    assert (
        default_storage.open(f"h5p/libraries/{library.folder}/greetingcard.js")
        .read()
        .endswith(b"//2")
    )


# -- the stricter core: refusals by name, libraries a package relies on ------------

# What each invalid sample is refused for, as a user reads it (English / Indonesian).
REFUSALS = {
    "blanks-with-script-svg.h5p": (
        "content/images/xss.svg: File type '.svg' is not allowed here",
        "Jenis berkas '.svg' tidak diizinkan di sini",
    ),
    "broken-content-json.h5p": (
        "content/content.json is not a valid JSON object",
        "content/content.json bukan objek JSON yang sah",
    ),
    "broken-h5p-json.h5p": (
        "h5p.json is not a valid JSON object",
        "h5p.json bukan objek JSON yang sah",
    ),
    "corrupt_archive.h5p": (
        "not a readable ZIP archive",
        "bukan arsip ZIP yang dapat dibaca",
    ),
    "invalid-h5p-json-schema.h5p": (
        "h5p.json: the field mainLibrary is missing or invalid",
        "h5p.json: kolom mainLibrary tidak ada atau tidak sah",
    ),
    "invalid-library-directory-name.h5p": (
        "H5P.GreetingCard-1.0/: The library folder must be named "
        "H5P.AnotherLibrary-1.0",
        "H5P.GreetingCard-1.0/: Nama folder pustaka harus H5P.AnotherLibrary-1.0",
    ),
    "invalid-library-json.h5p": (
        "H5P.GreetingCard-1.0/library.json: library.json: the field",
        "H5P.GreetingCard-1.0/library.json: library.json: kolom",
    ),
    "missing-preloaded-js.h5p": (
        "The preloaded file greetingcard.js is not in the library folder",
        "Berkas greetingcard.js yang harus dimuat tidak ada di folder pustaka",
    ),
}


def test_every_invalid_sample_has_a_named_refusal():
    assert {p.name for p in (SAMPLES / "invalid").glob("*.h5p")} == set(REFUSALS)


@pytest.mark.parametrize("sample", sorted(REFUSALS))
@pytest.mark.parametrize("language", ["en", "id"])
def test_invalid_samples_are_refused_by_name_in_both_languages(r3, sample, language):
    before = state()
    english, indonesian = REFUSALS[sample]
    with (
        open(SAMPLES / "invalid" / sample, "rb") as handle,
        translation.override(language),
        pytest.raises(ValidationError) as caught,
    ):
        content_import(source=handle, centre=r3, user=None, can_install_libraries=True)
    joined = "\n".join(caught.value.messages)
    assert (english if language == "en" else indonesian) in joined
    assert state() == before


@pytest.fixture
def empty_storage(settings):
    """A fresh, empty file store (the test store keeps files between tests)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


def without_libraries(sample: str, **h5p_changes) -> io.BytesIO:
    """The sample's h5p.json and content only, as H5P exports without libraries."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(SAMPLES / "valid" / sample) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for info in source.infolist():
            if info.filename == "h5p.json":
                h5p = {**json.loads(source.read(info)), **h5p_changes}
                target.writestr("h5p.json", json.dumps(h5p))
            elif info.filename.startswith("content/"):
                target.writestr(info, source.read(info))
    buffer.seek(0)
    return buffer


def test_a_package_without_its_libraries_needs_them_installed(r3):
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        content_import(
            source=without_libraries("greeting-card.h5p"),
            centre=r3,
            user=None,
            can_install_libraries=True,
        )
    assert caught.value.messages == [
        "The library H5P.GreetingCard-1.0 is required but not available."
    ]
    assert state() == before

    with open(SAMPLES / "valid" / "greeting-card.h5p", "rb") as handle:
        content_import(source=handle, centre=r3, user=None, can_install_libraries=True)
    # Now a trainer without the right to install code may import it.
    result = content_import(
        source=without_libraries("greeting-card.h5p"),
        centre=r3,
        user=None,
        can_install_libraries=False,
    )
    assert result.installed == [] and result.kept == []
    assert result.content.main_library.folder == "H5P.GreetingCard-1.0"
    files = stored_files(f"h5p/content/{result.content.uuid}")
    assert {
        f"h5p/content/{result.content.uuid}/{name}"
        for name in ("h5p.json", "content/content.json", "content/earth.jpg")
    } == files


def test_dependencies_of_installed_libraries_are_followed_and_all_named(r3):
    with open(SAMPLES / "valid" / "drag-text.h5p", "rb") as handle:
        installed = content_import(
            source=handle, centre=r3, user=None, can_install_libraries=True
        )
    drag_text = installed.content.main_library
    # Two libraries DragText needs (one only through another library) go away.
    needed = {tuple(dependency) for dependency in drag_text.dependencies}
    assert ("H5P.JoubelUI", 1, 3) in needed
    gone = H5PLibrary.objects.filter(
        machine_name__in=["H5P.JoubelUI", "H5P.Transition"]
    )
    assert gone.count() == 2
    gone.delete()
    before = state()
    with translation.override("id"), pytest.raises(ValidationError) as caught:
        content_import(
            source=without_libraries("drag-text.h5p"),
            centre=r3,
            user=None,
            can_install_libraries=True,
        )
    assert caught.value.messages == [
        "Pustaka H5P.JoubelUI-1.3 dibutuhkan tetapi tidak tersedia.",
        "Pustaka H5P.Transition-1.0 dibutuhkan tetapi tidak tersedia.",
    ]
    assert state() == before


def test_a_content_records_every_library_it_plays_with(r3):
    with open(SAMPLES / "valid" / "drag-text.h5p", "rb") as handle:
        result = content_import(
            source=handle, centre=r3, user=None, can_install_libraries=True
        )
    with zipfile.ZipFile(SAMPLES / "valid" / "drag-text.h5p") as archive:
        folders = {
            name.split("/")[0]
            for name in archive.namelist()
            if name.endswith("/library.json")
        }
    assert {lib.folder for lib in result.content.libraries.all()} == folders
    assert sorted(result.installed) == sorted(folders)


def test_an_archive_changed_while_storing_is_refused_and_cleaned_up(
    r3, monkeypatch, empty_storage
):
    from courses.h5p import services

    data = bytearray((SAMPLES / "valid" / "greeting-card.h5p").read_bytes())
    source = io.BytesIO(bytes(data))
    real = services.validate_package

    def validate_then_swap(source, **kwargs):
        package = real(source, **kwargs)
        # Someone overwrites the picture's bytes after validation.
        (picture,) = package.content_files
        start = picture.location.header_offset + 100
        source.seek(start)
        source.write(b"\0" * 200)
        source.seek(0)
        return package

    monkeypatch.setattr(services, "validate_package", validate_then_swap)
    before = state()
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        content_import(source=source, centre=r3, user=None, can_install_libraries=True)
    assert caught.value.messages == [
        "content/earth.jpg: The entry changed after the archive was validated; "
        "import stopped."
    ]
    assert state() == before


# -- the content-hash migration ----------------------------------------------------


def archive_name_hash(folder: str) -> str:
    """A stored library's hash as the first core computed it (archive names)."""
    import hashlib

    files = sorted(
        name.removeprefix(f"h5p/libraries/{folder}/")
        for name in stored_files(f"h5p/libraries/{folder}")
    )
    combined = hashlib.sha256()
    for path in files:
        digest = hashlib.sha256(
            default_storage.open(f"h5p/libraries/{folder}/{path}").read()
        ).hexdigest()
        combined.update(f"{folder}/{path}".encode() + b"\0" + digest.encode() + b"\n")
    return combined.hexdigest()


@pytest.mark.parametrize("sample", ["greeting-card.h5p", "drag-text.h5p"])
def test_libraries_installed_by_the_first_core_stay_recognised(
    r3, empty_storage, sample
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "courses.h5p.migrations.0003_library_content_hash_relative"
    )
    with open(SAMPLES / "valid" / sample, "rb") as handle:
        content_import(source=handle, centre=r3, user=None, can_install_libraries=True)
    new_hashes = dict(H5PLibrary.objects.values_list("pk", "content_hash"))
    # The database as the first core left it: archive-name hashes.
    for row in H5PLibrary.objects.all():
        row.content_hash = archive_name_hash(row.folder)
        row.save(update_fields=["content_hash"])
    old_hashes = dict(H5PLibrary.objects.values_list("pk", "content_hash"))
    assert set(old_hashes.values()).isdisjoint(new_hashes.values())

    migration.recompute_content_hashes(apps, None)
    assert dict(H5PLibrary.objects.values_list("pk", "content_hash")) == new_hashes
    with open(SAMPLES / "valid" / sample, "rb") as handle:
        again = content_import(
            source=handle, centre=r3, user=None, can_install_libraries=False
        )
    assert (again.installed, again.upgraded, again.kept) == ([], [], [])

    migration.restore_archive_name_hashes(apps, None)
    assert dict(H5PLibrary.objects.values_list("pk", "content_hash")) == old_hashes
