"""Validating an uploaded `.h5p` package completely before anything is written.

`validate_package()` reads the archive once, entry by entry, and checks it against
DESIGN.md §4. It either returns a `ValidatedPackage` or raises `PackageInvalid`
listing every problem it found (see problems.py for the codes and messages).

How it reads
    Sizes in zip headers are never trusted: each entry is decompressed in 64 KiB
    chunks (archive.py) while the real output is counted against `Limits`, and an
    entry stops being read the moment it crosses one. The compression ratio is
    judged on the bytes the decompressor really consumed (per entry) and on the
    archive's real size on disk (overall). Only what validation itself needs is
    kept in memory: h5p.json, content/content.json, library.json, semantics.json
    and language files. Every other file is hashed (SHA-256) and dropped.

How files get stored
    Nothing is extracted here. After validation succeeded, the storage layer
    reads the archive a second time through `ValidatedPackage.iter_content_files()`
    / `iter_library_files()` / `write_file()`, which stream each file in chunks
    and check that its size and SHA-256 still match what was validated (so an
    archive swapped in between is caught, with problem code `archive_changed`).
    The source (a path, or a seekable binary file the caller keeps open) must
    therefore stay available until storing is done.

What is checked (all problems are collected; a few stop the reading early
because going on would do exactly the work a limit protects against: `not_zip`,
`too_many_files`, `total_too_large` and the overall `compression_ratio`)
    - zip level: entry names with `..`, absolute paths, drive letters, backslashes,
      control characters or empty parts; symlinks; duplicate names (ignoring case
      and Unicode normalisation); a name used as file and folder; encrypted
      entries or methods other than stored/deflate; damaged data or headers that
      disagree with the data; more than `max_files` entries (directories
      included, as H5P core counts them); a file over `max_file_size`; more than
      `max_total` bytes in all; a ratio over `max_ratio`.
    - H5P level: h5p.json (title, language, mainLibrary, embedTypes,
      preloadedDependencies incl. the main library); content/content.json; every
      library folder's library.json (title, machineName, integer versions,
      runnable, folder named `machineName-major.minor`, preloaded JS/CSS present
      and inside the folder, well-formed dependency lists), semantics.json and
      language/*.json parse; dependency cycles among the package's libraries;
      file types (see CONTENT_EXTENSIONS / LIBRARY_EXTENSIONS).

Files that are skipped (checked for safety and size, never stored)
    Like H5P core, any path with a part starting with "." or "_" (`.DS_Store`,
    `__MACOSX/`, `.gitignore`) is skipped, and so is any top-level file other
    than h5p.json (`README.md`, `LICENSE`): they carry no meaning for H5P, so
    refusing them would only annoy authors, and storing them would serve nothing.

Libraries a package relies on but does not carry are not a problem here: the
server may already have them. `ValidatedPackage.missing_libraries()` lists them
for the layer that knows what is installed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any, BinaryIO

from courses.h5p.core.archive import (
    EntryError,
    EntryLocation,
    read_chunks,
    source_size,
)
from courses.h5p.core.libraries import MACHINE_NAME, LibraryRef, find_cycle
from courses.h5p.core.problems import PackageInvalid, Problem

__all__ = [
    "CONTENT_EXTENSIONS",
    "LIBRARY_EXTENSIONS",
    "Limits",
    "PackageFile",
    "PackageInvalid",
    "PackageLibrary",
    "PackageMetadata",
    "Problem",
    "ValidatedPackage",
    "validate_package",
]

MB = 1024 * 1024
CHUNK_SIZE = 64 * 1024  # buffer of the streams handed to the storage layer

# H5P core's default content whitelist, minus svg and xml: DESIGN.md §4 allows
# markup only inside libraries, because an SVG (or XML) in content can carry a
# script that runs when someone opens the file directly.
CONTENT_EXTENSIONS = frozenset(
    "json png jpg jpeg gif bmp tif tiff eot ttf woff woff2 otf webm mp4 ogg mp3 "
    "m4a wav txt pdf rtf doc docx xls xlsx ppt pptx odt ods odp csv diff patch "
    "swf md textile vtt webvtt".split()
)
# Libraries carry code and vector art besides everything content may hold.
LIBRARY_EXTENSIONS = CONTENT_EXTENSIONS | {"js", "css", "svg", "xml"}

H5P_JSON = "h5p.json"
CONTENT_DIR = "content"
CONTENT_JSON = "content/content.json"
EMBED_TYPES = frozenset({"div", "iframe"})
DEPENDENCY_FIELDS = (
    "preloadedDependencies",
    "editorDependencies",
    "dynamicDependencies",
)

# Patterns from H5P core's h5p.json / library.json schema.
_TITLE = re.compile(r"^[^\r\n]{1,255}$")
_LANGUAGE = re.compile(r"^[-a-zA-Z]{1,10}$")
_MAIN_LIBRARY = re.compile(r"^[$a-zA-Z_][0-9a-zA-Z_.$]{1,254}$")
_VERSION_TEXT = re.compile(r"^[0-9]{1,5}$")
_MAX_VERSION = 99_999
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Limits:
    """How much an archive may hold. Tests lower these to stay fast.

    `ratio_grace` is the output below which a compression ratio is not judged:
    a few kilobytes of JSON whitespace legitimately compress far beyond 200:1 and
    cost nothing; what a ratio limit guards against is large expansion.
    """

    max_files: int = 10_000
    max_file_size: int = 100 * MB
    max_total: int = 500 * MB
    max_ratio: float = 200.0
    ratio_grace: int = 1 * MB


@dataclass(frozen=True)
class PackageFile:
    """One file to be stored: archive name, path inside its area, size, SHA-256."""

    name: str
    path: str
    size: int
    sha256: str
    location: EntryLocation = field(repr=False, compare=False)

    @property
    def extension(self) -> str:
        """The lower-case extension without its dot ("" when there is none)."""
        return _extension(self.name)


@dataclass(frozen=True)
class PackageLibrary:
    """A library folder of the package, as its library.json describes it."""

    ref: LibraryRef
    title: str
    patch: int
    runnable: bool
    preloaded_js: tuple[str, ...]
    preloaded_css: tuple[str, ...]
    preloaded_dependencies: tuple[LibraryRef, ...]
    editor_dependencies: tuple[LibraryRef, ...]
    dynamic_dependencies: tuple[LibraryRef, ...]
    content_hash: str
    files: tuple[PackageFile, ...]
    manifest: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def machine_name(self) -> str:
        """The library's machine name, e.g. "H5P.Blanks"."""
        return self.ref.machine_name

    @property
    def major(self) -> int:
        """Major version."""
        return self.ref.major

    @property
    def minor(self) -> int:
        """Minor version."""
        return self.ref.minor

    @property
    def folder(self) -> str:
        """Folder name in the package (and in a library store): "H5P.Blanks-1.14"."""
        return self.ref.folder


@dataclass(frozen=True)
class PackageMetadata:
    """The parsed h5p.json: the fields the project uses, plus the raw object."""

    title: str
    language: str
    main_library: str
    embed_types: tuple[str, ...]
    license: str | None
    license_version: str | None
    authors: tuple[Mapping[str, Any], ...]
    raw: Mapping[str, Any] = field(repr=False)


def _open_source(source: str | os.PathLike[str] | IO[bytes]) -> tuple[IO[bytes], bool]:
    """A readable, seekable binary file for `source`, and whether we opened it."""
    if isinstance(source, str | os.PathLike):
        # A missing path is the caller's mistake, not the package's: let
        # FileNotFoundError through rather than calling it "not a zip".
        return open(source, "rb"), True
    if not (hasattr(source, "read") and hasattr(source, "seek")):
        raise TypeError("validate_package needs a path or a binary file object")
    if hasattr(source, "seekable") and not source.seekable():
        raise ValueError("the package file must be seekable")
    return source, False


@dataclass(frozen=True)
class ValidatedPackage:
    """A package that passed every check; nothing of it has been stored yet."""

    metadata: PackageMetadata
    main_library: LibraryRef
    preloaded_dependencies: tuple[LibraryRef, ...]
    libraries: tuple[PackageLibrary, ...]
    content: Mapping[str, Any]
    content_files: tuple[PackageFile, ...]
    source: str | os.PathLike[str] | IO[bytes] = field(repr=False, compare=False)

    @property
    def title(self) -> str:
        """h5p.json's title."""
        return self.metadata.title

    def library(self, ref: LibraryRef) -> PackageLibrary | None:
        """The package's copy of `ref`, or None if the package does not carry it."""
        for library in self.libraries:
            if library.ref == ref:
                return library
        return None

    def dependency_graph(self) -> dict[LibraryRef, tuple[LibraryRef, ...]]:
        """Each carried library mapped to its preloadedDependencies."""
        return {lib.ref: lib.preloaded_dependencies for lib in self.libraries}

    def missing_libraries(self) -> set[LibraryRef]:
        """Libraries needed for playback that the package does not carry.

        The caller checks them against the installed libraries; H5P packages
        exported without libraries (or with only some) are legitimate.
        """
        carried = {lib.ref for lib in self.libraries}
        needed = set(self.preloaded_dependencies) | {self.main_library}
        for library in self.libraries:
            needed.update(library.preloaded_dependencies)
        return needed - carried

    # -- reading files out, after validation ------------------------------------

    @contextmanager
    def _opened(self) -> Iterator[tuple[IO[bytes], int]]:
        fp, owned = _open_source(self.source)
        try:
            yield fp, source_size(fp)
        finally:
            if owned:
                fp.close()

    def iter_content_files(self) -> Iterator[tuple[str, BinaryIO]]:
        """Yield (path under content/, stream) for each content file to store.

        content.json itself is not included (it is `content`). Each stream is
        valid until the next item is requested; reading it to the end verifies
        size and SHA-256 and raises `PackageInvalid` (`archive_changed`) if the
        archive changed since validation.
        """
        yield from self._iter_files(self.content_files)

    def iter_library_files(
        self, library: PackageLibrary | LibraryRef
    ) -> Iterator[tuple[str, BinaryIO]]:
        """Yield (path inside the library folder, stream) for each library file."""
        if isinstance(library, LibraryRef):
            found = self.library(library)
            if found is None:
                raise KeyError(f"{library.folder} is not in this package")
            library = found
        yield from self._iter_files(library.files)

    def write_file(self, file: PackageFile, write: Callable[[bytes], object]) -> None:
        """Stream one file to `write` in chunks, verifying it as it goes.

        Raises `PackageInvalid` (`archive_changed`) when the bytes differ from
        what was validated; the caller should write to a temporary name and
        move it into place only when this returns.
        """
        with self._opened() as (fp, size):
            for chunk in _verified_chunks(fp, file, size):
                write(chunk)

    def _iter_files(
        self, files: Sequence[PackageFile]
    ) -> Iterator[tuple[str, BinaryIO]]:
        with self._opened() as (fp, size):
            for file in files:
                stream = io.BufferedReader(
                    _ChunkStream(_verified_chunks(fp, file, size)), CHUNK_SIZE
                )
                try:
                    yield file.path, stream
                finally:
                    stream.close()


def _verified_chunks(
    fp: IO[bytes], file: PackageFile, archive_size: int
) -> Iterator[bytes]:
    """The file's bytes, checked against the size and hash seen at validation."""
    digest = hashlib.sha256()
    produced = 0
    changed = PackageInvalid([Problem("archive_changed", file.name)])
    try:
        for chunk, _consumed in read_chunks(fp, file.location, archive_size):
            produced += len(chunk)
            if produced > file.size:
                raise changed
            digest.update(chunk)
            yield chunk
    except EntryError:
        raise changed from None
    if produced != file.size or digest.hexdigest() != file.sha256:
        raise changed


class _ChunkStream(io.RawIOBase):
    """A read-only raw stream over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()
        super().close()


# -- names ----------------------------------------------------------------------


def _extension(name: str) -> str:
    suffix = PurePosixPath(name).suffix
    return suffix[1:].lower()


def _name_problem(name: str) -> str | None:
    """The problem code for an unsafe entry name, or None if the name is safe."""
    if "\\" in name:
        return "backslash_path"
    if name.startswith("/"):
        return "absolute_path"
    if _DRIVE.match(name):
        return "drive_path"
    parts = name.rstrip("/").split("/")
    if ".." in parts:
        return "path_traversal"
    if _CONTROL.search(name) or any(part in ("", ".") for part in parts):
        return "unsafe_name"
    return None


def _path_key(name: str) -> str:
    """Two names that one file system could confuse get the same key."""
    return unicodedata.normalize("NFC", name.rstrip("/")).casefold()


def _is_skipped(name: str) -> bool:
    """H5P core skips any path part starting with "." or "_"; so do we."""
    parts = name.split("/")
    if len(parts) == 1 and name != H5P_JSON:
        return True  # top-level files other than h5p.json mean nothing to H5P
    return any(part.startswith((".", "_")) for part in parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _kept_in_memory(name: str) -> bool:
    """JSON files validation parses; everything else is only hashed."""
    if name in (H5P_JSON, CONTENT_JSON):
        return True
    parts = name.split("/")
    if parts[0] == CONTENT_DIR:
        return False
    if len(parts) == 2 and parts[1] in ("library.json", "semantics.json"):
        return True
    return len(parts) == 3 and parts[1] == "language" and parts[2].endswith(".json")


def _parse_json(data: bytes) -> tuple[bool, Any]:
    """(ok, value). A BOM is tolerated; absurd nesting counts as invalid."""
    try:
        return True, json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False, None


# -- the archive pass -------------------------------------------------------------


@dataclass
class _Entry:
    info: zipfile.ZipInfo
    location: EntryLocation
    size: int = 0
    sha256: str = ""
    data: bytes | None = None
    readable: bool = False


class _StopReading(Exception):
    """A limit on the whole archive was crossed; no further entry is read."""


class _ArchiveReader:
    """One pass over the entries: name checks, limits, hashes, kept JSON."""

    def __init__(self, fp: IO[bytes], archive: zipfile.ZipFile, limits: Limits) -> None:
        self.fp = fp
        self.archive = archive
        self.limits = limits
        self.archive_size = source_size(fp)
        self.total = 0
        self.problems: list[Problem] = []
        self.entries: dict[str, _Entry] = {}
        # Set when an archive-wide limit ended the pass before the last entry.
        self.stopped = False

    def run(self) -> None:
        infos = self.archive.infolist()
        if len(infos) > self.limits.max_files:
            self.problems.append(
                Problem(
                    "too_many_files",
                    params={"count": len(infos), "limit": self.limits.max_files},
                )
            )
            self.stopped = True
            return
        files = self._check_names(infos)
        for info in files:
            entry = _Entry(info, EntryLocation.from_info(info))
            self.entries[info.filename] = entry
            try:
                self._read(entry)
            except _StopReading:
                self.stopped = True
                return

    def _check_names(self, infos: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
        """Report unsafe, duplicate and clashing names; return the files to read."""
        seen_files: dict[str, str] = {}
        seen_dirs: dict[str, str] = {}
        files: list[zipfile.ZipInfo] = []
        for info in infos:
            name = info.filename
            code = _name_problem(name)
            if code:
                self.problems.append(Problem(code, name))
                continue
            if _is_symlink(info):
                self.problems.append(Problem("symlink", name))
                continue
            key = _path_key(name)
            parts = key.split("/")
            # Every folder above the entry exists implicitly.
            for depth in range(1, len(parts)):
                seen_dirs.setdefault("/".join(parts[:depth]), name)
            if info.is_dir():
                seen_dirs.setdefault(key, name)
                continue
            if key in seen_files:
                self.problems.append(
                    Problem("duplicate_entry", name, {"other": seen_files[key]})
                )
                continue
            seen_files[key] = name
            files.append(info)
        for key, name in seen_files.items():
            if key in seen_dirs:
                self.problems.append(
                    Problem("path_conflict", name, {"other": seen_dirs[key]})
                )
        return files

    def _read(self, entry: _Entry) -> None:
        name = entry.info.filename
        limits = self.limits
        keep = _kept_in_memory(name)
        kept = bytearray()
        digest = hashlib.sha256()
        size = 0
        generator = read_chunks(self.fp, entry.location, self.archive_size)
        try:
            for chunk, consumed in generator:
                size += len(chunk)
                self.total += len(chunk)
                if size > limits.max_file_size:
                    limit_mb = _mb(limits.max_file_size)
                    self._add("file_too_large", name, limit_mb=limit_mb)
                    return
                if self.total > limits.max_total:
                    self._add("total_too_large", None, limit_mb=_mb(limits.max_total))
                    raise _StopReading
                if self.total > limits.ratio_grace and (
                    self.total > limits.max_ratio * max(self.archive_size, 1)
                ):
                    self._add("compression_ratio", None, limit=_ratio(limits))
                    raise _StopReading
                if size > limits.ratio_grace and (
                    size > limits.max_ratio * max(consumed, 1)
                ):
                    self._add("compression_ratio", name, limit=_ratio(limits))
                    return
                digest.update(chunk)
                if keep:
                    kept += chunk
        except EntryError as error:
            self.problems.append(Problem(error.code, name, error.params))
            return
        finally:
            generator.close()
        entry.size = size
        entry.sha256 = digest.hexdigest()
        entry.data = bytes(kept) if keep else None
        entry.readable = True

    def _add(self, code: str, entry: str | None, **params: object) -> None:
        self.problems.append(Problem(code, entry, params))


def _mb(limit: int) -> str:
    return f"{limit / MB:g}"


def _ratio(limits: Limits) -> str:
    return f"{limits.max_ratio:g}"


# -- the H5P checks ---------------------------------------------------------------


def _version(value: Any, *, text_ok: bool) -> int | None:
    """A version number 0..99999; numeric strings only where H5P writes them."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= _MAX_VERSION else None
    if text_ok and isinstance(value, str) and _VERSION_TEXT.match(value):
        return int(value)
    return None


def _dependencies(value: Any) -> tuple[LibraryRef, ...] | None:
    """A list of {machineName, majorVersion, minorVersion}, or None if malformed."""
    if not isinstance(value, list):
        return None
    refs = []
    for item in value:
        if not isinstance(item, dict):
            return None
        name = item.get("machineName")
        major = _version(item.get("majorVersion"), text_ok=True)
        minor = _version(item.get("minorVersion"), text_ok=True)
        if not isinstance(name, str) or not MACHINE_NAME.match(name):
            return None
        if major is None or minor is None:
            return None
        refs.append(LibraryRef(name, major, minor))
    return tuple(refs)


def _text(value: Any, pattern: re.Pattern[str]) -> bool:
    return isinstance(value, str) and bool(pattern.match(value))


class _PackageChecker:
    """The H5P rules, applied to the entries the archive pass could read."""

    def __init__(self, entries: dict[str, _Entry], problems: list[Problem]) -> None:
        self.entries = entries
        self.problems = problems
        self.stored = {name for name in entries if not _is_skipped(name)}

    def _add(self, code: str, entry: str | None = None, **params: object) -> None:
        self.problems.append(Problem(code, entry, params))

    def _json(self, name: str) -> tuple[bool, Any]:
        entry = self.entries[name]
        if not entry.readable or entry.data is None:
            return False, None
        return _parse_json(entry.data)

    def check_file_types(self) -> None:
        for name in sorted(self.stored):
            if name == H5P_JSON:
                continue
            allowed = (
                CONTENT_EXTENSIONS
                if name.split("/")[0] == CONTENT_DIR
                else LIBRARY_EXTENSIONS
            )
            extension = _extension(name)
            if extension not in allowed:
                self._add("file_type_not_allowed", name, extension=extension)

    def check_h5p_json(
        self,
    ) -> tuple[PackageMetadata | None, LibraryRef | None, tuple[LibraryRef, ...]]:
        if H5P_JSON not in self.entries:
            self._add("h5p_json_missing")
            return None, None, ()
        if not self.entries[H5P_JSON].readable:
            return None, None, ()  # the archive pass said why
        ok, data = self._json(H5P_JSON)
        if not ok or not isinstance(data, dict):
            self._add("h5p_json_invalid", H5P_JSON)
            return None, None, ()
        before = len(self.problems)
        for key, pattern in (
            ("title", _TITLE),
            ("language", _LANGUAGE),
            ("mainLibrary", _MAIN_LIBRARY),
        ):
            if not _text(data.get(key), pattern):
                self._add("h5p_json_field", H5P_JSON, field=key)
        embed = data.get("embedTypes")
        if (
            not isinstance(embed, list)
            or not embed
            or not all(isinstance(e, str) and e in EMBED_TYPES for e in embed)
        ):
            self._add("h5p_json_field", H5P_JSON, field="embedTypes")
        preloaded = _dependencies(data.get("preloadedDependencies"))
        if preloaded is None:
            self._add("h5p_json_field", H5P_JSON, field="preloadedDependencies")
        main: LibraryRef | None = None
        main_name = data.get("mainLibrary")
        if preloaded is not None and _text(main_name, _MAIN_LIBRARY):
            main = next((r for r in preloaded if r.machine_name == main_name), None)
            if main is None:
                self._add("main_library_not_preloaded", H5P_JSON, library=main_name)
        if len(self.problems) != before or main is None or preloaded is None:
            return None, None, ()
        authors = data.get("authors")
        metadata = PackageMetadata(
            title=data["title"],
            language=data["language"],
            main_library=main.machine_name,
            embed_types=tuple(str(kind) for kind in embed or ()),
            license=_optional_text(data.get("license")),
            license_version=_optional_text(data.get("licenseVersion")),
            authors=tuple(
                a
                for a in (authors if isinstance(authors, list) else [])
                if isinstance(a, dict)
            ),
            raw=data,
        )
        return metadata, main, preloaded

    def check_content_json(self) -> dict[str, Any] | None:
        if CONTENT_JSON not in self.entries:
            self._add("content_json_missing")
            return None
        if not self.entries[CONTENT_JSON].readable:
            return None
        ok, data = self._json(CONTENT_JSON)
        if not ok or not isinstance(data, dict):
            self._add("content_json_invalid", CONTENT_JSON)
            return None
        return data

    def library_folders(self) -> dict[str, list[str]]:
        folders: dict[str, list[str]] = {}
        for name in sorted(self.stored):
            top, _, rest = name.partition("/")
            if rest and top != CONTENT_DIR:
                folders.setdefault(top, []).append(name)
        return folders

    def check_library(self, folder: str, names: list[str]) -> PackageLibrary | None:
        manifest_name = f"{folder}/library.json"
        for name in names:
            inner = name[len(folder) + 1 :]
            if inner == "semantics.json" and self.entries[name].readable:
                if not self._json(name)[0]:
                    self._add("semantics_json_invalid", name)
            elif inner.startswith("language/") and _kept_in_memory(name):
                if self.entries[name].readable and not self._json(name)[0]:
                    self._add("language_json_invalid", name)
        if manifest_name not in self.entries:
            self._add("library_json_missing", f"{folder}/")
            return None
        if not self.entries[manifest_name].readable:
            return None
        ok, manifest = self._json(manifest_name)
        if not ok or not isinstance(manifest, dict):
            self._add("library_json_invalid", manifest_name)
            return None
        before = len(self.problems)

        def bad(field_name: str) -> None:
            self._add("library_json_field", manifest_name, field=field_name)

        if not _text(manifest.get("title"), _TITLE):
            bad("title")
        machine_name = manifest.get("machineName")
        if not _text(machine_name, MACHINE_NAME):
            bad("machineName")
        versions: dict[str, int | None] = {}
        for key in ("majorVersion", "minorVersion", "patchVersion"):
            versions[key] = _version(manifest.get(key), text_ok=False)
            if versions[key] is None:
                bad(key)
        runnable = manifest.get("runnable")
        if runnable not in (0, 1) or (isinstance(runnable, float)):
            bad("runnable")
        dependencies: dict[str, tuple[LibraryRef, ...]] = {}
        for key in DEPENDENCY_FIELDS:
            if key in manifest:
                refs = _dependencies(manifest[key])
                if refs is None:
                    bad(key)
                dependencies[key] = refs or ()
            else:
                dependencies[key] = ()
        preloaded = {
            key: self._preloaded(folder, manifest_name, manifest.get(key), suffix)
            for key, suffix in (("preloadedJs", ".js"), ("preloadedCss", ".css"))
        }
        major, minor, patch = versions.values()
        if (
            len(self.problems) != before
            or not isinstance(machine_name, str)
            or major is None
            or minor is None
            or patch is None
        ):
            return None  # the reasons were added above
        ref = LibraryRef(machine_name, major, minor)
        if folder != ref.folder:
            self._add("library_folder_name", f"{folder}/", expected=ref.folder)
            return None
        files = tuple(self._package_file(name, folder) for name in names)
        return PackageLibrary(
            ref=ref,
            title=manifest["title"],
            patch=patch,
            runnable=bool(runnable),
            preloaded_js=preloaded["preloadedJs"],
            preloaded_css=preloaded["preloadedCss"],
            preloaded_dependencies=dependencies["preloadedDependencies"],
            editor_dependencies=dependencies["editorDependencies"],
            dynamic_dependencies=dependencies["dynamicDependencies"],
            content_hash=_content_hash(files),
            files=files,
            manifest=manifest,
        )

    def _preloaded(
        self, folder: str, manifest_name: str, value: Any, suffix: str
    ) -> tuple[str, ...]:
        field_name = "preloadedJs" if suffix == ".js" else "preloadedCss"
        if value is None:
            return ()
        if not isinstance(value, list):
            self._add("library_json_field", manifest_name, field=field_name)
            return ()
        paths = []
        for item in value:
            path = item.get("path") if isinstance(item, dict) else None
            if not isinstance(path, str) or not path.lower().endswith(suffix):
                self._add("library_json_field", manifest_name, field=field_name)
                continue
            if _name_problem(path):
                self._add("preloaded_file_escapes", manifest_name, path=path)
                continue
            if f"{folder}/{path}" not in self.stored:
                self._add("preloaded_file_missing", manifest_name, path=path)
                continue
            paths.append(path)
        return tuple(paths)

    def _package_file(self, name: str, area: str) -> PackageFile:
        entry = self.entries[name]
        return PackageFile(
            name=name,
            path=name[len(area) + 1 :],
            size=entry.size,
            sha256=entry.sha256,
            location=entry.location,
        )

    def content_files(self) -> tuple[PackageFile, ...]:
        return tuple(
            self._package_file(name, CONTENT_DIR)
            for name in sorted(self.stored)
            if name.startswith(CONTENT_DIR + "/") and name != CONTENT_JSON
        )


def _optional_text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _content_hash(files: Sequence[PackageFile]) -> str:
    """SHA-256 over the sorted (path, file SHA-256) pairs of a library's files.

    Paths are relative to the library folder, so the hash describes the library
    itself and tells two copies of one version apart.
    """
    combined = hashlib.sha256()
    for file in sorted(files, key=lambda f: f.path):
        line = f"{file.path}\0{file.sha256}\n"
        combined.update(line.encode("utf-8"))
    return combined.hexdigest()


def validate_package(
    source: str | os.PathLike[str] | IO[bytes], *, limits: Limits | None = None
) -> ValidatedPackage:
    """Check an `.h5p` package completely; return it or raise `PackageInvalid`.

    `source` is a path or a seekable binary file. Nothing is written anywhere,
    whatever the archive holds. `PackageInvalid.problems` lists every problem
    found (see the module docstring for the few that end the reading early).
    """
    limits = limits or Limits()
    fp, owned = _open_source(source)
    try:
        try:
            archive = zipfile.ZipFile(fp)
        except Exception:
            # zipfile answers hostile bytes with a grab-bag of exception types
            # (BadZipFile, OSError, ValueError, EOFError, UnicodeDecodeError,
            # struct.error ...). Any of them means the same: not a usable zip.
            raise PackageInvalid([Problem("not_zip")]) from None
        with archive:
            reader = _ArchiveReader(fp, archive, limits)
            reader.run()
    finally:
        if owned:
            fp.close()
    problems = reader.problems
    if reader.stopped:
        # The archive was not read to the end (or not at all): the H5P checks
        # would report files as missing that were simply never looked at.
        raise PackageInvalid(problems)

    checker = _PackageChecker(reader.entries, problems)
    checker.check_file_types()
    metadata, main, preloaded = checker.check_h5p_json()
    content = checker.check_content_json()
    libraries = []
    for folder, names in checker.library_folders().items():
        library = checker.check_library(folder, names)
        if library is not None:
            libraries.append(library)
    cycle = find_cycle({lib.ref: lib.preloaded_dependencies for lib in libraries})
    if cycle:
        shown = " -> ".join(ref.folder for ref in cycle)
        problems.append(Problem("dependency_cycle", params={"cycle": shown}))
    if problems:
        raise PackageInvalid(problems)
    # No problems means h5p.json and content.json were fully valid.
    assert metadata is not None and main is not None and content is not None
    return ValidatedPackage(
        metadata=metadata,
        main_library=main,
        preloaded_dependencies=preloaded,
        libraries=tuple(libraries),
        content=content,
        content_files=checker.content_files(),
        source=source,
    )
