"""Property tests: random and hostile archives never crash the validator or write."""

import io
import os
import stat
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courses.h5p.core.package import Limits, Package, PackageInvalid, read_package

SEGMENTS = st.sampled_from(
    [
        "content",
        "..",
        ".",
        "",
        "H5P.Test-1.0",
        "a",
        "C:",
        "x.json",
        "y.js",
        "z.svg",
        "library.json",
        "h5p.json",
        "content.json",
        "\\",
        "%2e%2e",
        "ü.txt",
    ]
)
NAMES = st.lists(SEGMENTS, min_size=1, max_size=4).map("/".join)
PAYLOADS = st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"{}", b"[]", b"{", b'{"title": 1}', b"\0" * 5000]),
)
ENTRIES = st.lists(
    st.tuples(NAMES, PAYLOADS, st.booleans(), st.booleans()), max_size=12
)
LIMITS = Limits(max_files=8, max_file_size=4000, max_total_size=8000, ratio_floor=1000)


def archive(entries) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as handle:
        for name, data, symlink, deflate in entries:
            info = zipfile.ZipInfo(name or "empty")
            info.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            if symlink:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            handle.writestr(info, data)
    buffer.seek(0)
    return buffer


def snapshot(folder) -> set[str]:
    return {
        os.path.join(root, f) for root, _dirs, files in os.walk(folder) for f in files
    }


@pytest.mark.filterwarnings("ignore:Duplicate name")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=ENTRIES)
def test_random_archives_are_refused_or_accepted_never_crash(tmp_path_factory, entries):
    workdir = tmp_path_factory.mktemp("cwd")
    before_tmp = snapshot(workdir.parent)
    previous = os.getcwd()
    os.chdir(workdir)
    try:
        try:
            result = read_package(archive(entries), limits=LIMITS)
        except PackageInvalid as exc:
            assert exc.problems, "a refusal always names a reason"
        else:
            assert isinstance(result, Package)
    finally:
        os.chdir(previous)
    assert os.listdir(workdir) == []
    assert snapshot(workdir.parent) == before_tmp


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=2000))
def test_random_bytes_are_never_a_package(data):
    try:
        read_package(io.BytesIO(data))
    except PackageInvalid as exc:
        assert exc.problems
