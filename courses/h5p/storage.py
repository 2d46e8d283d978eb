"""Where H5P files live: one shared library store and one folder per content.

Layout in Django's default storage (local disk or S3 alike):

    h5p/libraries/<Machine.Name-major.minor>/...   shared by every content
    h5p/content/<content uuid>/h5p.json, content/content.json, content/<media>

Files are written only after the whole package validated; the caller writes
inside a database transaction and removes what it wrote if that fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage

ROOT = "h5p"


def library_path(folder: str, relative: str = "") -> str:
    return f"{ROOT}/libraries/{folder}/{relative}".rstrip("/")


def content_path(content_uuid: object, relative: str = "") -> str:
    return f"{ROOT}/content/{content_uuid}/{relative}".rstrip("/")


def write_files(base: str, files: Iterable[tuple[str, bytes | BinaryIO]]) -> list[str]:
    """Write (relative path, data or stream) pairs below `base`, replacing files.

    Returns the storage names written, so a failed import can remove them. A
    stream that fails half-way (the archive changed under it) leaves no partial
    file behind: storages keep what they wrote before the error, so it is
    removed here before the error goes on.
    """
    written = []
    for relative, data in files:
        name = f"{base}/{relative}"
        if default_storage.exists(name):
            default_storage.delete(name)
        payload = ContentFile(data) if isinstance(data, bytes) else File(data)
        try:
            saved = default_storage.save(name, payload)
        except Exception:
            if default_storage.exists(name):
                default_storage.delete(name)
            raise
        written.append(saved)
    return written


def delete_files(names: Iterable[str]) -> None:
    for name in names:
        if default_storage.exists(name):
            default_storage.delete(name)


def open_file(name: str) -> File:
    return default_storage.open(name, "rb")


def delete_tree(base: str) -> None:
    """Remove every file below `base` (a deleted content's folder)."""
    try:
        folders, files = default_storage.listdir(base)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        default_storage.delete(f"{base}/{name}")
    for folder in folders:
        delete_tree(f"{base}/{folder}")
