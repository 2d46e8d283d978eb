"""Helpers for the H5P core tests: sample paths, hand-built archives, a write spy.

Plain Python on purpose: the core tests run without Django
(`pytest -p no:django --noconftest tests/h5p/test_core_*.py`).
"""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The shared sample packages lie beside the checkout (../shared), in CI too.
SAMPLES = Path(
    os.environ.get(
        "LMS_H5P_SAMPLES",
        Path(__file__).resolve().parents[2].parent / "shared" / "samples" / "h5p",
    )
)
VALID_SAMPLES = sorted((SAMPLES / "valid").glob("*.h5p"))
INVALID_SAMPLES = sorted((SAMPLES / "invalid").glob("*.h5p"))

LIBRARY = "H5P.Test-1.0"


@dataclass
class Entry:
    """One archive entry for `build_zip`."""

    name: str
    data: bytes = b""
    deflate: bool = True
    symlink: bool = False
    method: int | None = None


def h5p_json(**changes: Any) -> bytes:
    """A valid h5p.json for the test library, with `changes` applied."""
    data: dict[str, Any] = {
        "title": "Uji paket",
        "language": "id",
        "mainLibrary": "H5P.Test",
        "embedTypes": ["iframe"],
        "license": "CC BY",
        "authors": [{"name": "Sari", "role": "Author"}],
        "preloadedDependencies": [
            {"machineName": "H5P.Test", "majorVersion": 1, "minorVersion": 0}
        ],
    }
    data.update(changes)
    return json.dumps(data).encode()


def library_json(**changes: Any) -> bytes:
    """A valid library.json for H5P.Test 1.0.3, with `changes` applied."""
    data: dict[str, Any] = {
        "title": "Test",
        "machineName": "H5P.Test",
        "majorVersion": 1,
        "minorVersion": 0,
        "patchVersion": 3,
        "runnable": 1,
        "preloadedJs": [{"path": "scripts/test.js"}],
        "preloadedCss": [{"path": "styles/test.css"}],
    }
    data.update(changes)
    return json.dumps(data).encode()


def package_entries(**overrides: bytes | None) -> list[Entry]:
    """A minimal valid package; `overrides` replace (or, with None, drop) files."""
    files: dict[str, bytes] = {
        "h5p.json": h5p_json(),
        "content/content.json": b'{"text": "Halo"}',
        "content/images/peta.png": b"\x89PNG fake image bytes",
        f"{LIBRARY}/library.json": library_json(),
        f"{LIBRARY}/scripts/test.js": b"H5P.Test = function () {};",
        f"{LIBRARY}/styles/test.css": b".h5p-test { color: red; }",
        f"{LIBRARY}/language/id.json": b'{"semantics": []}',
    }
    for name, data in overrides.items():
        if data is None:
            files.pop(name, None)
        else:
            files[name] = data
    return [Entry(name, data) for name, data in files.items()]


def build_zip(entries: list[Entry]) -> bytes:
    """Write `entries` into zip bytes, hostile names and attributes included."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = (
                entry.method
                if entry.method is not None
                else (zipfile.ZIP_DEFLATED if entry.deflate else zipfile.ZIP_STORED)
            )
            info.create_system = 3  # Unix, so the mode bits below mean what they say
            mode = (stat.S_IFLNK | 0o777) if entry.symlink else (stat.S_IFREG | 0o644)
            info.external_attr = mode << 16
            archive.writestr(info, entry.data)
    return buffer.getvalue()


def write_zip(path: Path, entries: list[Entry]) -> Path:
    """`build_zip` into a file."""
    path.write_bytes(build_zip(entries))
    return path


def _patch_headers(
    data: bytes, name: str, fmt: str, local_at: int, central_at: int, value: int
) -> bytes:
    """Overwrite one field of `name`'s local and central headers."""
    raw = bytearray(data)
    encoded = name.encode()
    for signature, name_at, start, field_at in (
        (b"PK\x03\x04", 26, 30, local_at),
        (b"PK\x01\x02", 28, 46, central_at),
    ):
        position = 0
        while (position := raw.find(signature, position)) != -1:
            name_length = struct.unpack_from("<H", raw, position + name_at)[0]
            if raw[position + start : position + start + name_length] == encoded:
                struct.pack_into(fmt, raw, position + field_at, value)
            position += 4
    return bytes(raw)


def set_declared_size(data: bytes, name: str, size: int) -> bytes:
    """Make the local and central headers of `name` claim `size` uncompressed.

    This is the lying-header zip bomb: small sizes in the headers, large data.
    """
    return _patch_headers(data, name, "<L", 22, 24, size)


def set_flag_bits(data: bytes, name: str, bits: int) -> bytes:
    """Set the general-purpose flags of `name` (zipfile resets them on write)."""
    return _patch_headers(data, name, "<H", 6, 8, bits)


def data_offset(data: bytes, name: str) -> int:
    """Where the (compressed) data of `name` starts in zip bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    return info.header_offset + 30 + name_length + extra_length


# -- watching for writes ------------------------------------------------------------

_WRITE_EVENTS = frozenset(
    {
        "os.mkdir",
        "os.rename",
        "os.remove",
        "os.rmdir",
        "os.symlink",
        "os.link",
        "os.truncate",
        "os.chmod",
        "os.chown",
        "os.utime",
        "shutil.copyfile",
        "shutil.copymode",
        "shutil.move",
        "shutil.rmtree",
        "tempfile.mkstemp",
        "tempfile.mkdtemp",
    }
)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_recording: list[list[tuple[str, tuple[Any, ...]]]] = []
_hook_installed = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _recording:
        return
    if event == "open":
        _path, mode, flags = (*args, None, None, None)[:3]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS
        )
        if writes:
            _recording[-1].append((event, args))
    elif event in _WRITE_EVENTS:
        _recording[-1].append((event, args))


@contextmanager
def writes_recorded() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Record every file-system write attempted inside the block (audit hooks)."""
    global _hook_installed
    if not _hook_installed:
        # Audit hooks cannot be removed; this one does nothing unless recording.
        sys.addaudithook(_audit)
        _hook_installed = True
    events: list[tuple[str, tuple[Any, ...]]] = []
    _recording.append(events)
    try:
        yield events
    finally:
        _recording.pop()


def snapshot(folder: Path) -> set[tuple[str, int, int]]:
    """(path, size, mtime) of every file below `folder`."""
    found = set()
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            info = os.stat(path)
            found.add((path, info.st_size, info.st_mtime_ns))
    return found
