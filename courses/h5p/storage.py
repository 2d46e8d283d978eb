"""Where H5P files live: one shared library store and one folder per content.

Layout in Django's default storage (local disk or S3 alike):

    h5p/libraries/<Machine.Name-major.minor>/...   shared by every content
    h5p/content/<content uuid>/h5p.json, content/content.json, content/<media>

Files are written only after the whole package validated; the caller writes
inside a database transaction and removes what it wrote if that fails.

Library folders are shared and already in use, so a new or upgraded library is
first written whole to `h5p/staging/<token>/new/` and only then switched into
place (`library_stage` / `libraries_switch`): a failure while writing leaves the
installed files untouched, and a failure while switching puts them back.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage, default_storage

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
    """A handle on a stored file, of its own, for a response to stream.

    Wrapped, because a storage may hand out the same object on every open
    (Django's in-memory storage returns its file node itself), and Django's WSGI
    handler re-points the streamed object's `close` at the response's. Unwrapped,
    a later `open()` + `close()` of that file anywhere in the process would run
    the old response's close: its `request_finished` signal closes the database
    connection of whichever thread does it, and an import's transaction in that
    thread is silently rolled back. The wrapper takes the re-pointing instead.
    """
    return File(default_storage.open(name, "rb"), name=name)


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


def _walk(base: str) -> list[str]:
    """Every file below `base`, as paths relative to it."""
    try:
        folders, files = default_storage.listdir(base)
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = list(files)
    for folder in folders:
        found += [f"{folder}/{name}" for name in _walk(f"{base}/{folder}")]
    return found


def _move(source: str, target: str) -> None:
    """Move one stored file, replacing `target`.

    On local disk this is a rename (cheap, and atomic per file); other storages
    have no rename, so the file is copied and the source removed.
    """
    # The in-memory storage also answers `path()`, so ask for the real thing.
    if not isinstance(default_storage, FileSystemStorage):
        if default_storage.exists(target):
            default_storage.delete(target)
        with default_storage.open(source, "rb") as handle:
            default_storage.save(target, File(handle))
        default_storage.delete(source)
        return
    source_path = default_storage.path(source)
    target_path = default_storage.path(target)
    os.makedirs(os.path.dirname(target_path), exist_ok=True)
    os.replace(source_path, target_path)


@dataclass
class StagedFolder:
    """A library folder written whole to a staging place, waiting to go live."""

    live: str
    root: str  # h5p/staging/<token>: `new/` holds the files, `old/` the backup
    files: list[str]
    replaced: list[str] = field(default_factory=list)  # live files moved to old/
    placed: list[str] = field(default_factory=list)  # new files moved live

    @property
    def new(self) -> str:
        return f"{self.root}/new"

    @property
    def old(self) -> str:
        return f"{self.root}/old"


def library_stage(
    folder: str, files: Iterable[tuple[str, bytes | BinaryIO]]
) -> StagedFolder:
    """Write a library's files to a fresh staging folder; the live one is untouched.

    If writing fails half-way, what was staged is removed before the error
    goes on.
    """
    root = f"{ROOT}/staging/{uuid.uuid4().hex}"
    staged = StagedFolder(live=library_path(folder), root=root, files=[])
    try:
        for relative, data in files:
            (saved,) = write_files(staged.new, [(relative, data)])
            # The name the storage chose; a file listed twice is moved once.
            relative = saved[len(staged.new) + 1 :]
            if relative not in staged.files:
                staged.files.append(relative)
    except Exception:
        delete_tree(root)
        raise
    return staged


def _switch(staged: StagedFolder) -> None:
    # Old files go aside first (a newer patch may drop some), then the new ones
    # move in; both lists record progress so a failure can be undone exactly.
    for relative in _walk(staged.live):
        _move(f"{staged.live}/{relative}", f"{staged.old}/{relative}")
        staged.replaced.append(relative)
    for relative in staged.files:
        _move(f"{staged.new}/{relative}", f"{staged.live}/{relative}")
        staged.placed.append(relative)


def _undo(staged: StagedFolder) -> None:
    for relative in staged.placed:
        name = f"{staged.live}/{relative}"
        if default_storage.exists(name):
            default_storage.delete(name)
    for relative in staged.replaced:
        _move(f"{staged.old}/{relative}", f"{staged.live}/{relative}")
    staged.placed.clear()
    staged.replaced.clear()


def libraries_switch(staged: list[StagedFolder]) -> None:
    """Put every staged library live, or none: on failure the old files return.

    Call it last, when everything else of the import is written. The staging
    folders stay (with the old files) until `staging_discard` after commit, so
    `libraries_restore` can still undo a switch whose transaction failed.
    """
    try:
        for folder in staged:
            _switch(folder)
    except Exception:
        libraries_restore(staged)
        raise


def libraries_restore(staged: list[StagedFolder]) -> None:
    """Undo `libraries_switch` (what it did so far) and remove the staging folders."""
    for folder in reversed(staged):
        _undo(folder)
    staging_discard(staged)


def staging_discard(staged: list[StagedFolder]) -> None:
    """Remove the staging folders (new files not switched, old files put aside)."""
    for folder in staged:
        delete_tree(folder.root)
