"""Property tests: random and hostile archives never crash the validator or write.

Whatever bytes arrive, `validate_package` either returns a package or raises
`PackageInvalid` naming at least one problem in both languages; any other
exception, and any attempt to write to the file system, fails the test.
Writes are caught three ways: an audit hook records every write-mode open and
every file-system call that changes something, validation runs with an empty
working directory that must stay empty, and pytest's temporary tree is
compared before and after.
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.h5p.core.problems import PackageInvalid
from courses.h5p.core.validation import Limits, ValidatedPackage, validate_package
from tests.h5p.core_helpers import (
    LIBRARY,
    SAMPLES,
    Entry,
    build_zip,
    h5p_json,
    library_json,
    package_entries,
    snapshot,
    writes_recorded,
)

LIMITS = Limits(
    max_files=24, max_file_size=40_000, max_total=120_000, ratio_grace=8_000
)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SEGMENTS = st.sampled_from(
    [
        "content",
        "content.json",
        "h5p.json",
        LIBRARY,
        "H5P.Other-2.1",
        "library.json",
        "semantics.json",
        "language",
        "id.json",
        "scripts",
        "test.js",
        "x.svg",
        "a.png",
        "..",
        ".",
        "",
        "C:",
        "\\",
        "a\\b",
        "__MACOSX",
        ".hidden",
        "%2e%2e",
        "CONTENT",
        "ü.txt",
        "e\u0301.txt",
        "\x01",
    ]
)
NAMES = st.lists(SEGMENTS, min_size=1, max_size=4).map("/".join) | st.text(
    max_size=30
).filter(lambda name: "\x00" not in name and name.strip("/") != "")
PAYLOADS = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"{}",
            b"[]",
            b"{",
            b"null",
            b"\xef\xbb\xbf{}",
            b"[" * 5_000 + b"]" * 5_000,
            b"1" * 5_000,
            b"\0" * 30_000,
            b"\0" * 50_000,
            h5p_json(),
            h5p_json(mainLibrary="H5P.Other"),
            h5p_json(preloadedDependencies="nope"),
            library_json(),
            library_json(majorVersion=True),
            library_json(preloadedJs=[{"path": "../../x.js"}]),
            library_json(preloadedDependencies=[{"machineName": "H5P.Test"}]),
        ]
    ),
)
ENTRIES = st.lists(
    st.builds(
        Entry,
        name=NAMES,
        data=PAYLOADS,
        deflate=st.booleans(),
        symlink=st.booleans(),
        method=st.sampled_from([None, None, None, zipfile.ZIP_BZIP2]),
    ),
    max_size=10,
)


@pytest.fixture(scope="module")
def empty_cwd(tmp_path_factory) -> Path:
    """An empty working directory for validation runs; it must stay empty."""
    return tmp_path_factory.mktemp("empty-cwd")


def validate_watched(data: bytes, empty_cwd: Path, limits: Limits = LIMITS) -> None:
    """Validate `data` in memory; assert the outcome and that nothing was written."""
    watched = empty_cwd.parent  # pytest's temporary tree for this session
    before = snapshot(watched)
    previous = os.getcwd()
    os.chdir(empty_cwd)
    try:
        with writes_recorded() as writes:
            try:
                result = validate_package(io.BytesIO(data), limits=limits)
            except PackageInvalid as refusal:
                assert refusal.problems
                for problem in refusal.problems:
                    assert problem.message("id") and problem.message("en")
            else:
                assert isinstance(result, ValidatedPackage)
    finally:
        os.chdir(previous)
    assert writes == []
    assert os.listdir(empty_cwd) == []
    assert snapshot(watched) == before


@pytest.mark.filterwarnings("ignore:Duplicate name")
@SETTINGS
@given(entries=ENTRIES)
def test_random_archives_only_ever_raise_package_invalid(empty_cwd, entries):
    validate_watched(build_zip(entries), empty_cwd)


@pytest.mark.filterwarnings("ignore:Duplicate name")
@SETTINGS
@given(
    extra=ENTRIES,
    dropped=st.sets(st.sampled_from([e.name for e in package_entries()])),
)
def test_damaged_valid_packages_only_ever_raise_package_invalid(
    empty_cwd, extra, dropped
):
    # Starting from a valid package reaches the H5P-level checks far more often
    # than purely random archives do.
    entries = [e for e in package_entries() if e.name not in dropped] + extra
    validate_watched(build_zip(entries), empty_cwd)


@SETTINGS
@given(data=st.binary(max_size=2_000))
def test_random_bytes_only_ever_raise_package_invalid(empty_cwd, data):
    validate_watched(data, empty_cwd)


SAMPLE_BYTES = (SAMPLES / "valid" / "greeting-card.h5p").read_bytes()


@SETTINGS
@given(
    flips=st.lists(
        st.tuples(st.integers(0, len(SAMPLE_BYTES) - 1), st.integers(0, 255)),
        max_size=12,
    ),
    cut=st.integers(0, len(SAMPLE_BYTES)),
)
def test_corrupted_real_sample_only_ever_raises_package_invalid(empty_cwd, flips, cut):
    # Byte flips land in local headers, compressed data and the central
    # directory alike: every reading path meets damaged input.
    data = bytearray(SAMPLE_BYTES)
    for position, value in flips:
        data[position] = value
    validate_watched(bytes(data[:cut] if cut < len(data) else data), empty_cwd)


def test_bombs_under_watch_write_nothing(empty_cwd):
    # The hostile archives of test_core_validation, once more under full watch.
    zeros = Entry("content/zeros.txt", b"\0" * 2_000_000)
    noise = Entry(
        "content/noise.txt", random.Random(7).randbytes(300_000), deflate=False
    )
    link = Entry("content/link.txt", b"/etc/passwd", symlink=True)
    for entries in ([zeros], [noise, zeros], [link, Entry("../../up.txt", b"x")]):
        validate_watched(build_zip(package_entries() + entries), empty_cwd, Limits())


def test_the_write_watch_sees_writes(tmp_path):
    # The guards above are only worth something if they notice a write.
    with writes_recorded() as writes:
        (tmp_path / "written.txt").write_text("x")
        os.mkdir(tmp_path / "folder")
        with open(tmp_path / "written.txt", "rb") as handle:  # reading is fine
            handle.read()
    assert [event for event, _args in writes] == ["open", "os.mkdir"]
    before = snapshot(tmp_path)
    (tmp_path / "folder" / "new.txt").write_text("y")
    assert snapshot(tmp_path) != before
