"""Recompute installed libraries' `content_hash` the way the new H5P core does.

The first core hashed (archive name, file SHA-256) pairs, archive names starting
with the library folder ("H5P.Blanks-1.14/library.json"). The stricter core in
`courses/h5p/core/validation.py` hashes paths relative to the folder
("library.json") and leaves out files H5P itself skips (any path part starting
with "." or "_"). Without this migration every installed library would look like
"the same version with other files" the next time a package brings it.

The hash is recomputed from the files in storage, which are the files the
library was installed with. Rows whose folder holds no files (made by hand, or
storage not mounted) keep their hash. The formula is written out here rather
than imported, so this migration keeps meaning the same whatever the core
becomes later.
"""

import hashlib

from django.core.files.storage import default_storage
from django.db import migrations

LIBRARIES = "h5p/libraries"
CHUNK = 64 * 1024


def _stored_files(base, prefix=""):
    """Relative paths of every file below `base` in the default storage."""
    try:
        folders, files = default_storage.listdir(base)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{prefix}{name}"
    for folder in folders:
        yield from _stored_files(f"{base}/{folder}", f"{prefix}{folder}/")


def _sha256(name):
    digest = hashlib.sha256()
    with default_storage.open(name, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _skipped(path):
    return any(part.startswith((".", "_")) for part in path.split("/"))


def _hash(folder, *, relative):
    base = f"{LIBRARIES}/{folder}"
    paths = sorted(_stored_files(base))
    if not paths:
        return None
    combined = hashlib.sha256()
    for path in paths:
        file_hash = _sha256(f"{base}/{path}")
        if relative:
            if not _skipped(path):
                combined.update(f"{path}\0{file_hash}\n".encode())
        else:
            name = f"{folder}/{path}"
            combined.update(name.encode() + b"\0" + file_hash.encode() + b"\n")
    return combined.hexdigest()


def _recompute(apps, *, relative):
    library_model = apps.get_model("h5p", "H5PLibrary")
    changed = []
    for row in library_model.objects.only(
        "pk", "machine_name", "major_version", "minor_version", "content_hash"
    ):
        folder = f"{row.machine_name}-{row.major_version}.{row.minor_version}"
        value = _hash(folder, relative=relative)
        if value is not None and value != row.content_hash:
            row.content_hash = value
            changed.append(row)
    library_model.objects.bulk_update(changed, ["content_hash"], batch_size=1000)


def recompute_content_hashes(apps, schema_editor):
    """Forward: folder-relative paths, skipped files left out (the new core)."""
    _recompute(apps, relative=True)


def restore_archive_name_hashes(apps, schema_editor):
    """Backward: archive names, every stored file (the first core)."""
    _recompute(apps, relative=False)


class Migration(migrations.Migration):
    dependencies = [
        ("h5p", "0002_content_criteria"),
    ]

    operations = [
        migrations.RunPython(
            recompute_content_hashes,
            restore_archive_name_hashes,
            elidable=False,
        ),
    ]
