"""A failed library install or patch upgrade leaves the installed library as it was."""

import pytest
from django.core.files.storage import default_storage

from courses.h5p import storage
from courses.h5p.models import H5PLibrary
from courses.h5p.services import content_import
from tests.h5p.h5p_factories import SAMPLES
from tests.h5p.test_import import repack, state, stored_files

FOLDER = "H5P.GreetingCard-1.0"


@pytest.fixture(params=["memory", "disk"])
def store(request, settings, tmp_path):
    """Both kinds of storage: one without rename (copies), local disk (renames)."""
    if request.param == "memory":
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        }
    else:
        settings.MEDIA_ROOT = str(tmp_path / "media")
    return request.param


@pytest.fixture
def installed(db, store):
    from lms.models import Organisation

    r3 = Organisation.objects.get(code="R3")
    with open(SAMPLES / "valid" / "greeting-card.h5p", "rb") as handle:
        content_import(source=handle, centre=r3, user=None, can_install_libraries=True)
    return r3


def library_files() -> dict[str, bytes]:
    base = f"h5p/libraries/{FOLDER}"
    return {name: default_storage.open(name).read() for name in stored_files(base)}


def upgrade(r3):
    patch = H5PLibrary.objects.get(machine_name="H5P.GreetingCard").patch_version
    return content_import(
        source=repack("greeting-card.h5p", patch=patch + 1, extra=b"//2"),
        centre=r3,
        user=None,
        can_install_libraries=True,
    )


def test_a_failure_while_writing_the_upgrade_leaves_the_library_untouched(
    installed, monkeypatch
):
    before_files, before = library_files(), state()
    real = storage.write_files
    calls = []

    def fail_on_the_second_library_file(base, files):
        if base.startswith("h5p/staging/"):
            calls.append(base)
            if len(calls) == 2:
                raise OSError("disk full")
        return real(base, files)

    monkeypatch.setattr(storage, "write_files", fail_on_the_second_library_file)
    with pytest.raises(OSError):
        upgrade(installed)
    assert len(calls) == 2  # it failed mid-write, after one file was staged
    assert library_files() == before_files
    assert state() == before  # no staging leftovers, no rows


def test_a_failure_while_switching_puts_the_old_files_back(installed, monkeypatch):
    before_files, before = library_files(), state()
    real = storage._move
    moved_in = []

    def fail_on_the_second_new_file(source, target):
        if "/new/" in source:
            moved_in.append(target)
            if len(moved_in) == 2:
                raise OSError("disk full")
        real(source, target)

    monkeypatch.setattr(storage, "_move", fail_on_the_second_new_file)
    with pytest.raises(OSError):
        upgrade(installed)
    assert library_files() == before_files
    assert state() == before
    library = H5PLibrary.objects.get(machine_name="H5P.GreetingCard")
    assert library.patch_version == H5PLibrary.objects.get(pk=library.pk).patch_version


def test_a_successful_upgrade_switches_and_leaves_no_staging(
    installed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = upgrade(installed)
    assert result.upgraded == [FOLDER]
    files = library_files()
    assert files[f"h5p/libraries/{FOLDER}/greetingcard.js"].endswith(b"//2")
    assert not stored_files("h5p/staging")


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_after_a_library_file_was_served_keeps_its_rows(settings):
    """Serving a file must not leave the storage's file object tied to the response.

    Django's WSGI handler re-points a streamed file's `close` at the response's
    when the server offers `wsgi.file_wrapper` (the live server does). The
    in-memory storage hands out one object per file, so an upgrade moving that
    file later used to run the old response's close, which closed the database
    connection mid-import: the import then "succeeded" with its rows rolled back.
    """
    import importlib
    from wsgiref.util import FileWrapper, setup_testing_defaults

    from django.apps import apps
    from django.core.handlers.wsgi import WSGIHandler

    from courses.h5p.models import H5PContent
    from lms.models import Organisation

    # An earlier transactional test's flush empties what migrations seeded.
    importlib.import_module("lms.migrations.0003_seed_provinces_and_organisations").seed(
        apps, None
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    r3 = Organisation.objects.get(code="R3")
    with open(SAMPLES / "valid" / "greeting-card.h5p", "rb") as handle:
        content_import(source=handle, centre=r3, user=None, can_install_libraries=True)
    environ = {
        "PATH_INFO": f"/h5p/files/libraries/{FOLDER}/greetingcard.js",
        "wsgi.file_wrapper": FileWrapper,
    }
    setup_testing_defaults(environ)
    statuses = []
    served = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
    body = b"".join(served)
    served.close()  # what a WSGI server does once the file is sent
    assert statuses == ["200 OK"] and body

    result = upgrade(r3)

    assert result.upgraded == [FOLDER]
    assert H5PContent.objects.filter(pk=result.content.pk).exists()
    assert H5PLibrary.objects.get(machine_name="H5P.GreetingCard").patch_version == (
        result.content.main_library.patch_version
    )
