"""Why a package is refused: stable problem codes with bilingual messages.

Every refusal in the H5P core is a `Problem`: a stable `code` that programs and
tests rely on, the archive `entry` it concerns (or None for the package as a
whole), and `params` for the message. The Indonesian and English wording lives in
one table, `MESSAGES`, so a translator or reviewer reads every message in one
place; Indonesian comes first because it is the interface's default language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

# code: {language: template}. Templates use str.format fields filled from
# Problem.params; entry names are added by Problem.message(), not by templates.
MESSAGES: dict[str, dict[str, str]] = {
    "not_zip": {
        "id": "Berkas ini bukan arsip ZIP yang dapat dibaca.",
        "en": "The file is not a readable ZIP archive.",
    },
    "too_many_files": {
        "id": "Arsip berisi {count} entri; paling banyak {limit}.",
        "en": "The archive holds {count} entries; at most {limit} are allowed.",
    },
    "path_traversal": {
        "id": "Nama entri memuat '..' dan dapat keluar dari folder tujuan.",
        "en": "The entry name contains '..' and could escape its folder.",
    },
    "absolute_path": {
        "id": "Nama entri adalah jalur absolut.",
        "en": "The entry name is an absolute path.",
    },
    "drive_path": {
        "id": "Nama entri diawali huruf drive (misalnya C:).",
        "en": "The entry name starts with a drive letter (such as C:).",
    },
    "backslash_path": {
        "id": "Nama entri memuat garis miring terbalik (\\).",
        "en": "The entry name contains a backslash (\\).",
    },
    "unsafe_name": {
        "id": "Nama entri memuat karakter kendali atau bagian jalur yang kosong.",
        "en": "The entry name contains control characters or an empty path part.",
    },
    "symlink": {
        "id": "Entri ini adalah tautan simbolik.",
        "en": "The entry is a symbolic link.",
    },
    "duplicate_entry": {
        "id": "Nama entri sama dengan {other} (tanpa membedakan huruf besar/kecil).",
        "en": "The entry name duplicates {other} (ignoring letter case).",
    },
    "path_conflict": {
        "id": "Entri ini bertabrakan dengan {other}: satu nama dipakai sebagai "
        "berkas sekaligus folder.",
        "en": "The entry clashes with {other}: one name is used as both a file "
        "and a folder.",
    },
    "encrypted_entry": {
        "id": "Entri ini terenkripsi.",
        "en": "The entry is encrypted.",
    },
    "unsupported_compression": {
        "id": "Metode kompresi {method} tidak didukung (hanya stored dan deflate).",
        "en": "Compression method {method} is not supported (only stored and deflate).",
    },
    "corrupt_entry": {
        "id": "Entri rusak dan tidak dapat dibaca.",
        "en": "The entry is damaged and cannot be read.",
    },
    "header_mismatch": {
        "id": "Header ZIP entri ini tidak sesuai dengan isinya.",
        "en": "The entry's ZIP header does not match its data.",
    },
    "file_too_large": {
        "id": "Berkas lebih besar dari {limit_mb} MB setelah diekstrak.",
        "en": "The file is larger than {limit_mb} MB uncompressed.",
    },
    "total_too_large": {
        "id": "Isi arsip lebih dari {limit_mb} MB setelah diekstrak.",
        "en": "The archive holds more than {limit_mb} MB uncompressed.",
    },
    "compression_ratio": {
        "id": "Rasio kompresi melebihi {limit} (kemungkinan bom ZIP).",
        "en": "The compression ratio exceeds {limit} (a likely zip bomb).",
    },
    "h5p_json_missing": {
        "id": "Berkas h5p.json tidak ada di akar arsip.",
        "en": "h5p.json is missing from the top of the archive.",
    },
    "h5p_json_invalid": {
        "id": "h5p.json bukan objek JSON yang sah.",
        "en": "h5p.json is not a valid JSON object.",
    },
    "h5p_json_field": {
        "id": "h5p.json: kolom {field} tidak ada atau tidak sah.",
        "en": "h5p.json: the field {field} is missing or invalid.",
    },
    "main_library_not_preloaded": {
        "id": "h5p.json: pustaka utama {library} tidak tercantum di "
        "preloadedDependencies.",
        "en": "h5p.json: the main library {library} is not listed in "
        "preloadedDependencies.",
    },
    "content_json_missing": {
        "id": "Berkas content/content.json tidak ada.",
        "en": "content/content.json is missing.",
    },
    "content_json_invalid": {
        "id": "content/content.json bukan objek JSON yang sah.",
        "en": "content/content.json is not a valid JSON object.",
    },
    "library_json_missing": {
        "id": "Folder pustaka ini tidak memiliki library.json.",
        "en": "This library folder has no library.json.",
    },
    "library_json_invalid": {
        "id": "library.json bukan objek JSON yang sah.",
        "en": "library.json is not a valid JSON object.",
    },
    "library_json_field": {
        "id": "library.json: kolom {field} tidak ada atau tidak sah.",
        "en": "library.json: the field {field} is missing or invalid.",
    },
    "library_folder_name": {
        "id": "Nama folder pustaka harus {expected}.",
        "en": "The library folder must be named {expected}.",
    },
    "preloaded_file_missing": {
        "id": "Berkas {path} yang harus dimuat tidak ada di folder pustaka.",
        "en": "The preloaded file {path} is not in the library folder.",
    },
    "preloaded_file_escapes": {
        "id": "Berkas {path} yang harus dimuat berada di luar folder pustaka.",
        "en": "The preloaded file {path} lies outside the library folder.",
    },
    "language_json_invalid": {
        "id": "Berkas bahasa ini bukan JSON yang sah.",
        "en": "This language file is not valid JSON.",
    },
    "semantics_json_invalid": {
        "id": "semantics.json bukan JSON yang sah.",
        "en": "semantics.json is not valid JSON.",
    },
    "file_type_not_allowed": {
        "id": "Jenis berkas '.{extension}' tidak diizinkan di sini (js, css, svg "
        "dan xml hanya boleh di dalam folder pustaka).",
        "en": "File type '.{extension}' is not allowed here (js, css, svg and "
        "xml may only appear inside library folders).",
    },
    "dependency_cycle": {
        "id": "Ketergantungan pustaka membentuk lingkaran: {cycle}.",
        "en": "Library dependencies form a cycle: {cycle}.",
    },
    "library_missing": {
        "id": "Pustaka {library} dibutuhkan tetapi tidak tersedia.",
        "en": "The library {library} is required but not available.",
    },
    "archive_changed": {
        "id": "Entri berubah sejak arsip divalidasi; impor dibatalkan.",
        "en": "The entry changed after the archive was validated; import stopped.",
    },
}

# Entry names come from the uploader: shorten them and hide control characters
# before they reach a message shown in the interface or a log.
_MAX_SHOWN = 160


def _shown(name: str) -> str:
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in name)
    if len(cleaned) > _MAX_SHOWN:
        cleaned = cleaned[: _MAX_SHOWN - 3] + "..."
    return cleaned


@dataclass(frozen=True)
class Problem:
    """One reason for refusal: a stable code, the entry concerned, message params."""

    code: str
    entry: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in MESSAGES:
            # A typo in a code would otherwise surface only when someone reads
            # the message; fail where the problem is made.
            raise ValueError(f"unknown H5P problem code {self.code!r}")

    def message(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The message in `language` ("id" or "en"; "en-US" etc. also work).

        Unknown languages fall back to Indonesian, the interface's default.
        """
        primary = language.split("-")[0].split("_")[0].lower()
        templates = MESSAGES[self.code]
        template = templates.get(primary, templates[DEFAULT_LANGUAGE])
        text = template.format(**{k: _shown(str(v)) for k, v in self.params.items()})
        if self.entry:
            return f"{_shown(self.entry)}: {text}"
        return text


class PackageInvalid(Exception):
    """An H5P package is refused; `problems` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:
            raise ValueError("PackageInvalid needs at least one problem")
        self.problems = list(problems)
        super().__init__("; ".join(p.message("en") for p in self.problems))

    @property
    def codes(self) -> list[str]:
        """The problem codes, in the order found (handy in tests and logs)."""
        return [problem.code for problem in self.problems]
