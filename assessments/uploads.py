"""Checks for files trainees upload as assignment or portfolio work.

The name's extension is never trusted on its own: `filetype` (a small, well-kept
library reading the first bytes) must find a type of the same family, so a
renamed program or script is refused. Office documents are zip or OLE
containers whose inner type is not always recognisable from the first bytes, so
each family accepts its container too (a `.docx` detected as a zip passes).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import filetype
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from assessments.models import Section

# Extension → the detected types accepted for it.
_OOXML_ODF = frozenset({"docx", "xlsx", "pptx", "odt", "ods", "odp", "zip"})
_OLE = frozenset({"doc", "xls", "ppt"})
_VIDEO = frozenset({"mp4", "m4v", "mov", "3gp"})
_AUDIO = frozenset({"m4a", "mp3", "aac", "amr", "ogg", "wav", "mp4", "3gp"})
FAMILIES: dict[str, frozenset[str]] = {
    "pdf": frozenset({"pdf"}),
    "doc": _OLE,
    "docx": _OOXML_ODF,
    "xls": _OLE,
    "xlsx": _OOXML_ODF,
    "ppt": _OLE,
    "pptx": _OOXML_ODF,
    "odt": _OOXML_ODF,
    "ods": _OOXML_ODF,
    "odp": _OOXML_ODF,
    "jpg": frozenset({"jpg"}),
    "jpeg": frozenset({"jpg"}),
    "png": frozenset({"png"}),
    "heic": frozenset({"heic"}),
    "mp4": _VIDEO,
    "mov": _VIDEO,
    "3gp": _VIDEO,
    "m4a": _AUDIO,
    "mp3": _AUDIO,
    "amr": _AUDIO,
    "ogg": _AUDIO,
    "wav": _AUDIO,
}
DEFAULT_FILE_TYPES = ("pdf", "docx", "doc", "xlsx", "pptx", "odt", "jpg", "jpeg", "png")
DEFAULT_MAX_FILE_MB = 20
DEFAULT_MAX_FILES = 5
HEAD_BYTES = 8192


@dataclass(frozen=True)
class UploadRules:
    """What an assignment section accepts (from `Section.config`)."""

    file_types: tuple[str, ...]
    max_bytes: int
    max_files: int

    @property
    def accept(self) -> str:
        """The value of the file input's `accept` attribute."""
        return ",".join(f".{kind}" for kind in self.file_types)


def config_problems(config: dict[str, Any]) -> list[str]:
    """Every problem with an assignment section's upload settings."""
    problems = []
    types = config.get("file_types", DEFAULT_FILE_TYPES)
    if not isinstance(types, list | tuple) or not types:
        problems.append(_("List at least one accepted file type."))
    else:
        unknown = sorted({str(t) for t in types} - FAMILIES.keys())
        if unknown:
            problems.append(
                _("Unknown file types: %(types)s. Known: %(known)s.")
                % {"types": ", ".join(unknown), "known": ", ".join(sorted(FAMILIES))}
            )
    for key, default, upper in (
        ("max_file_mb", DEFAULT_MAX_FILE_MB, 200),
        ("max_files", DEFAULT_MAX_FILES, 20),
    ):
        value = config.get(key, default)
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or not 1 <= value <= upper:
            problems.append(
                _("%(key)s must be a whole number from 1 to %(upper)d.")
                % {"key": key, "upper": upper}
            )
    return problems


def rules_for(section: Section) -> UploadRules:
    config = section.config or {}
    return UploadRules(
        file_types=tuple(
            str(t).lower() for t in config.get("file_types", DEFAULT_FILE_TYPES)
        ),
        max_bytes=int(config.get("max_file_mb", DEFAULT_MAX_FILE_MB)) * 1024 * 1024,
        max_files=int(config.get("max_files", DEFAULT_MAX_FILES)),
    )


def file_suffix(name: str) -> str:
    """The lower-case extension of a file name, "" when it has none."""
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def neutral_name(stem: str, original_name: str) -> str:
    """A download name that hides the uploader's own file name but keeps its type."""
    return f"{stem}.{file_suffix(original_name)[:10] or 'bin'}"


def file_download(file_field: Any, *, name: str) -> FileResponse:
    """A stored answer or feedback file as an attachment called `name`."""
    return FileResponse(file_field.open("rb"), as_attachment=True, filename=name)


def _head(upload: UploadedFile) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


def file_problems(upload: UploadedFile, rules: UploadRules) -> list[str]:
    """Every reason to refuse one file, each naming the file."""
    name = upload.name or ""
    problems = []
    suffix = file_suffix(name)
    if suffix not in rules.file_types:
        problems.append(
            _("%(name)s: this type of file is not accepted (accepted: %(types)s).")
            % {"name": name, "types": ", ".join(rules.file_types)}
        )
    if not upload.size:
        problems.append(_("%(name)s: the file is empty.") % {"name": name})
    elif upload.size > rules.max_bytes:
        problems.append(
            _("%(name)s: the file is %(size)s; at most %(limit)s is accepted.")
            % {
                "name": name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(rules.max_bytes),
            }
        )
    if suffix in rules.file_types and upload.size:
        detected = filetype.guess_extension(_head(upload))
        if detected not in FAMILIES.get(suffix, frozenset()):
            problems.append(
                _("%(name)s: the content is not a .%(suffix)s file.")
                % {"name": name, "suffix": suffix}
            )
    return problems


def content_type_of(upload: UploadedFile) -> str:
    """The MIME type read from the content (never the browser's claim)."""
    return filetype.guess_mime(_head(upload)) or "application/octet-stream"


def sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
