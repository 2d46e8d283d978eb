"""Reading and validating an uploaded `.h5p` package, writing nothing.

`read_package()` streams every entry of the archive once, enforcing the limits
while it reads (the sizes in the zip header can lie), checks the whole package
against DESIGN.md §4 and either returns a `Package` (the parsed metadata plus the
verified member names) or raises `PackageInvalid` listing every problem at once.
Nothing is extracted: the storage layer copies members out of the archive only
after validation succeeded.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Any

MB = 1024 * 1024

# H5P core's default whitelist for content files. Markup and code (svg, xml, js,
# css, html) are not allowed in content: an SVG can carry a script.
CONTENT_EXTENSIONS = frozenset(
    "json png jpg jpeg gif bmp tif tiff eot ttf woff woff2 otf webm mp4 ogg mp3 m4a "
    "wav txt pdf rtf doc docx xls xlsx ppt pptx odt ods odp csv diff patch md textile "
    "vtt webvtt".split()
)
# Libraries may also carry their code and vector art.
LIBRARY_EXTENSIONS = CONTENT_EXTENSIONS | {"js", "css", "svg", "xml"}
# Harmless files packaging tools leave at the top level; skipped, never stored.
IGNORED_TOP_LEVEL = frozenset({".gitignore", "README", "README.md", "LICENSE"})
LIBRARY_FOLDER = re.compile(r"^(?P<name>[\w.\-]+)-(?P<major>\d+)\.(?P<minor>\d+)$")
DRIVE = re.compile(r"^[A-Za-z]:")

MESSAGES: dict[str, tuple[str, str]] = {
    # code: (Indonesian, English)
    "not_zip": (
        "Berkas bukan arsip ZIP yang sah.",
        "The file is not a valid ZIP archive.",
    ),
    "unsafe_path": (
        "Nama entri tidak aman (.., jalur absolut, drive atau garis miring terbalik).",
        "Unsafe entry name (.., absolute path, drive letter or backslash).",
    ),
    "symlink": (
        "Arsip berisi tautan simbolik.",
        "The archive contains a symbolic link.",
    ),
    "duplicate": ("Nama entri ganda.", "Duplicate entry name."),
    "too_many_files": (
        "Arsip berisi lebih dari {limit} berkas.",
        "The archive holds more than {limit} files.",
    ),
    "file_too_large": (
        "Berkas lebih besar dari {limit} MB setelah diekstrak.",
        "A file is larger than {limit} MB uncompressed.",
    ),
    "total_too_large": (
        "Isi arsip lebih dari {limit} MB setelah diekstrak.",
        "The archive holds more than {limit} MB uncompressed.",
    ),
    "ratio": (
        "Rasio kompresi lebih dari {limit} (kemungkinan bom ZIP).",
        "Compression ratio over {limit} (a likely zip bomb).",
    ),
    "corrupt_entry": (
        "Entri rusak dan tidak dapat dibaca.",
        "A damaged entry cannot be read.",
    ),
    "extension": (
        "Jenis berkas .{ext} tidak diizinkan di sini.",
        "File type .{ext} is not allowed here.",
    ),
    "missing_h5p_json": ("h5p.json tidak ada.", "h5p.json is missing."),
    "invalid_json": ("Bukan JSON yang sah.", "Not valid JSON."),
    "h5p_json_field": (
        "h5p.json: kolom {field} tidak ada atau salah.",
        "h5p.json: the field {field} is missing or wrong.",
    ),
    "main_not_preloaded": (
        "h5p.json: pustaka utama {library} tidak ada di preloadedDependencies.",
        "h5p.json: the main library {library} is not in preloadedDependencies.",
    ),
    "missing_content_json": (
        "content/content.json tidak ada.",
        "content/content.json is missing.",
    ),
    "missing_library_json": (
        "Folder pustaka tanpa library.json.",
        "A library folder without library.json.",
    ),
    "library_json_field": (
        "library.json: kolom {field} tidak ada atau salah.",
        "library.json: the field {field} is missing or wrong.",
    ),
    "library_folder_name": (
        "Nama folder pustaka harus {expected}.",
        "The library folder must be named {expected}.",
    ),
    "preloaded_missing": (
        "Berkas {path} yang dimuat lebih dulu tidak ada di arsip.",
        "The preloaded file {path} is not in the archive.",
    ),
    "preloaded_escapes": (
        "Berkas {path} yang dimuat lebih dulu keluar dari folder pustaka.",
        "The preloaded file {path} leaves its library folder.",
    ),
    "dependency_missing": (
        "Pustaka {library} dibutuhkan tetapi tidak ada di paket.",
        "The library {library} is required but not in the package.",
    ),
}


@dataclass(frozen=True)
class Problem:
    """One reason a package is refused, with the archive entry it concerns."""

    code: str
    entry: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def message(self, language: str = "id") -> str:
        indonesian, english = MESSAGES[self.code]
        text = (english if language.startswith("en") else indonesian).format(
            **self.params
        )
        return f"{self.entry}: {text}" if self.entry else text


class PackageInvalid(Exception):
    """The package is refused; `problems` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message("en") for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Limits:
    """How much an archive may hold; lowered in tests."""

    max_files: int = 10_000
    max_file_size: int = 100 * MB
    max_total_size: int = 500 * MB
    max_ratio: float = 200.0
    # Below this size a high ratio is harmless (a JSON file of spaces).
    ratio_floor: int = 1 * MB


@dataclass(frozen=True)
class LibraryRef:
    machine_name: str
    major: int
    minor: int

    @property
    def folder(self) -> str:
        return f"{self.machine_name}-{self.major}.{self.minor}"


@dataclass
class Library:
    """A library folder of the package, as its library.json describes it."""

    folder: str
    machine_name: str
    major: int
    minor: int
    patch: int
    title: str
    runnable: bool
    preloaded_js: list[str]
    preloaded_css: list[str]
    dependencies: list[LibraryRef]
    content_hash: str
    files: list[str]  # member names, for the storage layer

    @property
    def ref(self) -> LibraryRef:
        return LibraryRef(self.machine_name, self.major, self.minor)


@dataclass
class Package:
    """A validated package: metadata, content parameters and member names."""

    h5p: dict[str, Any]
    main_library: LibraryRef
    libraries: list[Library]
    content_params: dict[str, Any]
    content_files: list[str]  # members below content/, incl. content.json

    @property
    def title(self) -> str:
        return str(self.h5p.get("title", ""))


def _unsafe(name: str) -> bool:
    if "\\" in name or name.startswith("/") or DRIVE.match(name) or "\x00" in name:
        return True
    return any(part in ("..", ".") for part in name.split("/"))


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _extension(name: str) -> str:
    suffix = PurePosixPath(name).suffix
    return suffix[1:].lower() if suffix else ""


def _stream(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, budget: list[int]
) -> tuple[bytes | None, str | None, str | None]:
    """Read one entry in chunks, stopping at the first limit crossed.

    Returns (data or None if not kept, sha256 hex, problem code or None). Only
    small JSON files are kept in memory; everything else is hashed and dropped.
    """
    keep = info.filename.endswith(".json")
    digest = hashlib.sha256()
    kept = bytearray()
    size = 0
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(64 * 1024):
                size += len(chunk)
                budget[0] += len(chunk)
                if size > limits.max_file_size:
                    return None, None, "file_too_large"
                if budget[0] > limits.max_total_size:
                    return None, None, "total_too_large"
                if size > limits.ratio_floor and size > limits.max_ratio * max(
                    info.compress_size, 1
                ):
                    return None, None, "ratio"
                digest.update(chunk)
                if keep:
                    kept += chunk
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError):
        return None, None, "corrupt_entry"
    return (bytes(kept) if keep else None), digest.hexdigest(), None


def _int(value: Any) -> int | None:
    """H5P files write versions as numbers or numeric strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _dependency_refs(
    value: Any, where: str, code: str, problems: list[Problem]
) -> list[LibraryRef]:
    if value is None:
        return []
    refs = []
    if not isinstance(value, list):
        problems.append(Problem(code, where, {"field": "preloadedDependencies"}))
        return refs
    for item in value:
        name = item.get("machineName") if isinstance(item, dict) else None
        major = _int(item.get("majorVersion")) if isinstance(item, dict) else None
        minor = _int(item.get("minorVersion")) if isinstance(item, dict) else None
        if not isinstance(name, str) or major is None or minor is None:
            problems.append(Problem(code, where, {"field": "preloadedDependencies"}))
            continue
        refs.append(LibraryRef(name, major, minor))
    return refs


def _load_json(data: bytes | None, entry: str, problems: list[Problem]) -> Any:
    try:
        return json.loads((data or b"").decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError):
        problems.append(Problem("invalid_json", entry))
        return None


def iter_members(source: str | IO[bytes]) -> Iterator[zipfile.ZipInfo]:
    """The archive's member list (used by the storage layer after validation)."""
    with zipfile.ZipFile(source) as archive:
        yield from archive.infolist()


def read_package(source: str | IO[bytes], *, limits: Limits | None = None) -> Package:
    """Validate a package completely; return it or raise `PackageInvalid`.

    `source` is a path or a seekable binary file. Nothing is written anywhere.
    """
    limits = limits or Limits()
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise PackageInvalid([Problem("not_zip")]) from None
    with archive:
        return _validate(archive, limits)


def _validate(archive: zipfile.ZipFile, limits: Limits) -> Package:
    problems: list[Problem] = []
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > limits.max_files:
        raise PackageInvalid(
            [Problem("too_many_files", params={"limit": limits.max_files})]
        )
    seen: set[str] = set()
    json_files: dict[str, bytes] = {}
    hashes: dict[str, str] = {}
    budget = [0]
    for info in infos:
        name = info.filename
        if _unsafe(name):
            problems.append(Problem("unsafe_path", name))
            continue
        if _is_symlink(info):
            problems.append(Problem("symlink", name))
            continue
        if name.lower() in seen:
            problems.append(Problem("duplicate", name))
            continue
        seen.add(name.lower())
        data, digest, failure = _stream(archive, info, limits, budget)
        if failure:
            limit = {
                "file_too_large": limits.max_file_size // MB,
                "total_too_large": limits.max_total_size // MB,
                "ratio": limits.max_ratio,
            }.get(failure)
            problems.append(Problem(failure, name, {"limit": limit}))
            if failure == "total_too_large":
                break  # every later entry would say the same
            continue
        hashes[name] = digest or ""
        if data is not None:
            json_files[name] = data
    if any(p.code in {"ratio", "total_too_large"} for p in problems):
        raise PackageInvalid(problems)

    names = set(hashes)
    folders: dict[str, list[str]] = {}
    content_files: list[str] = []
    for name in sorted(names):
        top, _, rest = name.partition("/")
        if not rest:
            if name not in {"h5p.json"} and name not in IGNORED_TOP_LEVEL:
                problems.append(Problem("extension", name, {"ext": _extension(name)}))
            continue
        if top == "content":
            content_files.append(name)
            if _extension(name) not in CONTENT_EXTENSIONS:
                problems.append(Problem("extension", name, {"ext": _extension(name)}))
        else:
            folders.setdefault(top, []).append(name)
            if _extension(name) not in LIBRARY_EXTENSIONS:
                problems.append(Problem("extension", name, {"ext": _extension(name)}))

    h5p = _check_h5p_json(json_files, names, problems)
    content_params = None
    if "content/content.json" not in names:
        problems.append(Problem("missing_content_json"))
    else:
        content_params = _load_json(
            json_files.get("content/content.json"), "content/content.json", problems
        )
    libraries = [
        library
        for folder, files in sorted(folders.items())
        if (library := _check_library(folder, files, json_files, hashes, problems))
    ]
    for name, data in json_files.items():
        if "/language/" in name and not name.startswith("content/"):
            _load_json(data, name, problems)

    main = None
    if h5p is not None:
        main_name = h5p["mainLibrary"]
        preloaded = _dependency_refs(
            h5p.get("preloadedDependencies"), "h5p.json", "h5p_json_field", problems
        )
        matches = [ref for ref in preloaded if ref.machine_name == main_name]
        if not matches:
            problems.append(
                Problem("main_not_preloaded", "h5p.json", {"library": main_name})
            )
        else:
            main = matches[0]
        # A folder that is there but broken was reported already; do not also
        # call its library missing.
        present = {lib.ref for lib in libraries} | {
            LibraryRef(m["name"], int(m["major"]), int(m["minor"]))
            for folder in folders
            if (m := LIBRARY_FOLDER.match(folder))
        }
        needed = set(preloaded)
        for lib in libraries:
            needed.update(lib.dependencies)
        for ref in sorted(needed - present, key=lambda r: r.folder):
            problems.append(
                Problem("dependency_missing", params={"library": ref.folder})
            )
    if problems:
        raise PackageInvalid(problems)
    assert h5p is not None and main is not None  # guaranteed when no problems
    return Package(
        h5p=h5p,
        main_library=main,
        libraries=libraries,
        content_params=content_params if isinstance(content_params, dict) else {},
        content_files=content_files,
    )


def _check_h5p_json(
    json_files: dict[str, bytes], names: set[str], problems: list[Problem]
) -> dict[str, Any] | None:
    if "h5p.json" not in names:
        problems.append(Problem("missing_h5p_json"))
        return None
    h5p = _load_json(json_files.get("h5p.json"), "h5p.json", problems)
    if h5p is None:
        return None
    if not isinstance(h5p, dict):
        problems.append(Problem("invalid_json", "h5p.json"))
        return None
    before = len(problems)
    for key in ("title", "language", "mainLibrary"):
        if not isinstance(h5p.get(key), str) or not h5p[key]:
            problems.append(Problem("h5p_json_field", "h5p.json", {"field": key}))
    embed = h5p.get("embedTypes")
    if (
        not isinstance(embed, list)
        or not embed
        or any(e not in ("div", "iframe") for e in embed)
    ):
        problems.append(Problem("h5p_json_field", "h5p.json", {"field": "embedTypes"}))
    if not isinstance(h5p.get("preloadedDependencies"), list):
        problems.append(
            Problem("h5p_json_field", "h5p.json", {"field": "preloadedDependencies"})
        )
    return h5p if len(problems) == before else None


def _check_library(
    folder: str,
    files: list[str],
    json_files: dict[str, bytes],
    hashes: dict[str, str],
    problems: list[Problem],
) -> Library | None:
    manifest_name = f"{folder}/library.json"
    if manifest_name not in hashes:
        problems.append(Problem("missing_library_json", f"{folder}/"))
        return None
    manifest = _load_json(json_files.get(manifest_name), manifest_name, problems)
    if not isinstance(manifest, dict):
        return None
    before = len(problems)
    for key in ("title", "machineName"):
        if not isinstance(manifest.get(key), str) or not manifest[key]:
            problems.append(
                Problem("library_json_field", manifest_name, {"field": key})
            )
    versions = {}
    for key in ("majorVersion", "minorVersion", "patchVersion"):
        value = manifest.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(
                Problem("library_json_field", manifest_name, {"field": key})
            )
        versions[key] = value
    if manifest.get("runnable") not in (0, 1, True, False):
        problems.append(
            Problem("library_json_field", manifest_name, {"field": "runnable"})
        )
    if len(problems) != before:
        return None
    name, major, minor = (
        manifest["machineName"],
        versions["majorVersion"],
        versions["minorVersion"],
    )
    expected = f"{name}-{major}.{minor}"
    if folder != expected:
        problems.append(
            Problem("library_folder_name", f"{folder}/", {"expected": expected})
        )
        return None
    preloaded: dict[str, list[str]] = {"preloadedJs": [], "preloadedCss": []}
    for key in preloaded:
        entries = manifest.get(key) or []
        if not isinstance(entries, list):
            problems.append(
                Problem("library_json_field", manifest_name, {"field": key})
            )
            continue
        for item in entries:
            path = item.get("path") if isinstance(item, dict) else None
            if not isinstance(path, str) or not path:
                problems.append(
                    Problem("library_json_field", manifest_name, {"field": key})
                )
                continue
            if _unsafe(path):
                problems.append(
                    Problem("preloaded_escapes", manifest_name, {"path": path})
                )
                continue
            if f"{folder}/{path}" not in hashes:
                problems.append(
                    Problem("preloaded_missing", manifest_name, {"path": path})
                )
                continue
            preloaded[key].append(path)
    dependencies = _dependency_refs(
        manifest.get("preloadedDependencies"),
        manifest_name,
        "library_json_field",
        problems,
    )
    if len(problems) != before:
        return None
    # One hash over (path, file hash) pairs tells two copies of a version apart.
    combined = hashlib.sha256()
    for name in sorted(files):
        combined.update(name.encode() + b"\0" + hashes[name].encode() + b"\n")
    return Library(
        folder=folder,
        machine_name=manifest["machineName"],
        major=versions["majorVersion"],
        minor=versions["minorVersion"],
        patch=versions["patchVersion"],
        title=manifest["title"],
        runnable=bool(manifest["runnable"]),
        preloaded_js=preloaded["preloadedJs"],
        preloaded_css=preloaded["preloadedCss"],
        dependencies=dependencies,
        content_hash=combined.hexdigest(),
        files=sorted(files),
    )
