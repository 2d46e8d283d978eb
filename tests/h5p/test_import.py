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
