"""Reading zip entries without trusting the sizes their headers claim.

`zipfile` parses the central directory (the list of entries), but the entries'
data is read here, straight from the archive bytes: each entry is decompressed
in bounded chunks so the caller can count the bytes really produced and stop the
moment a limit is crossed. A header that under-states an entry's size (the
classic zip bomb trick) therefore changes nothing: what counts is the output.

Only the two methods real H5P tools write are accepted: stored and deflate.
Other methods (bzip2, lzma) would need their own bounded decompressors and buy
nothing for H5P, so they are refused.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Generator
from dataclasses import dataclass
from typing import IO

# Read the compressed side in 64 KiB pieces and never ask zlib for more than
# 64 KiB of output per call: memory stays flat whatever the archive claims.
CHUNK = 64 * 1024

_LOCAL_HEADER = struct.Struct("<4sHHHHHLLLHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_FLAG_ENCRYPTED = 0x1
_FLAG_STRONG_ENCRYPTION = 0x40
_FLAG_UTF8 = 0x800
STORED = zipfile.ZIP_STORED
DEFLATED = zipfile.ZIP_DEFLATED


class EntryError(Exception):
    """An entry cannot be read; `code` is a problem code from problems.py."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class EntryLocation:
    """Where an entry's data lies, as the central directory states it."""

    name: str
    orig_name: str
    header_offset: int
    compress_size: int
    declared_size: int
    method: int
    flags: int
    crc: int

    @classmethod
    def from_info(cls, info: zipfile.ZipInfo) -> EntryLocation:
        """Copy what reading needs out of a `zipfile.ZipInfo`."""
        return cls(
            name=info.filename,
            orig_name=info.orig_filename,
            header_offset=info.header_offset,
            compress_size=info.compress_size,
            declared_size=info.file_size,
            method=info.compress_type,
            flags=info.flag_bits,
            crc=info.CRC,
        )


def source_size(fp: IO[bytes]) -> int:
    """The archive's real size in bytes (the one number a header cannot fake)."""
    position = fp.tell()
    try:
        size: int = fp.seek(0, 2)
        return size
    finally:
        fp.seek(position)


def _data_start(fp: IO[bytes], location: EntryLocation, archive_size: int) -> int:
    """Check the local header against the central directory; return data offset."""
    if location.flags & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION):
        raise EntryError("encrypted_entry")
    if location.method not in (STORED, DEFLATED):
        raise EntryError("unsupported_compression", method=location.method)
    if location.header_offset < 0 or (
        location.header_offset + _LOCAL_HEADER.size > archive_size
    ):
        raise EntryError("corrupt_entry")
    fp.seek(location.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise EntryError("corrupt_entry")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_SIGNATURE:
        raise EntryError("corrupt_entry")
    name_length: int = fields[9]
    extra_length: int = fields[10]
    raw_name = fp.read(name_length)
    encoding = "utf-8" if location.flags & _FLAG_UTF8 else "cp437"
    try:
        local_name = raw_name.decode(encoding)
    except UnicodeDecodeError:
        raise EntryError("header_mismatch") from None
    # Two names for one entry let different unzip tools see different files.
    if local_name != location.orig_name:
        raise EntryError("header_mismatch")
    start = location.header_offset + _LOCAL_HEADER.size + name_length + extra_length
    if start + location.compress_size > archive_size:
        raise EntryError("header_mismatch")
    return start


def read_chunks(
    fp: IO[bytes], location: EntryLocation, archive_size: int
) -> Generator[tuple[bytes, int], None, None]:
    """Yield the entry's uncompressed data as (chunk, compressed bytes used so far).

    The second number is what the decompressor really consumed, so a caller can
    compute an honest compression ratio. Raises `EntryError` for damaged data, and
    after the last chunk when the data's size or CRC differs from the header.
    Closing the generator early (a limit was crossed) reads nothing more.
    """
    start = _data_start(fp, location, archive_size)
    remaining = location.compress_size
    position = start
    produced = 0
    crc = 0
    if location.method == STORED:
        if location.compress_size != location.declared_size:
            raise EntryError("header_mismatch")
        while remaining:
            fp.seek(position)
            chunk = fp.read(min(CHUNK, remaining))
            if not chunk:
                raise EntryError("corrupt_entry")
            position += len(chunk)
            remaining -= len(chunk)
            produced += len(chunk)
            crc = zlib.crc32(chunk, crc)
            yield chunk, position - start
    else:
        decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
        fed = 0
        while not decompressor.eof:
            if decompressor.unconsumed_tail:
                data = decompressor.unconsumed_tail
            elif remaining:
                # Seek every time: the caller may use the same file in between.
                fp.seek(position)
                data = fp.read(min(CHUNK, remaining))
                if not data:
                    raise EntryError("corrupt_entry")
                position += len(data)
                remaining -= len(data)
                fed += len(data)
            else:
                data = b""
            try:
                chunk = decompressor.decompress(data, CHUNK)
            except zlib.error:
                raise EntryError("corrupt_entry") from None
            if not chunk and (not data or decompressor.unconsumed_tail == data):
                # No output and no input used up without reaching the end of the
                # stream: the data is truncated or will never finish.
                raise EntryError("corrupt_entry")
            if chunk:
                produced += len(chunk)
                crc = zlib.crc32(chunk, crc)
                yield chunk, fed - len(decompressor.unconsumed_tail)
    if crc != location.crc:
        raise EntryError("corrupt_entry")
    if produced != location.declared_size:
        raise EntryError("header_mismatch")
