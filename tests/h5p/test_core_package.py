"""The package validator (plain Python): real samples and hand-made hostile zips."""

import io
import stat
import zipfile

import pytest

from courses.h5p.core.package import Limits, PackageInvalid, read_package
from tests.h5p.h5p_factories import SAMPLES

EXPECTED_REFUSALS = {
    "blanks-with-script-svg.h5p": ("extension", "content/images/xss.svg"),
    "broken-content-json.h5p": ("invalid_json", "content/content.json"),
    "broken-h5p-json.h5p": ("invalid_json", "h5p.json"),
    "corrupt_archive.h5p": ("not_zip", None),
    "invalid-h5p-json-schema.h5p": ("h5p_json_field", "h5p.json"),
    "invalid-library-directory-name.h5p": (
        "library_folder_name",
        "H5P.GreetingCard-1.0/",
    ),
    "invalid-library-json.h5p": (
        "library_json_field",
        "H5P.GreetingCard-1.0/library.json",
    ),
    "missing-preloaded-js.h5p": (
        "preloaded_missing",
        "H5P.GreetingCard-1.0/library.json",
    ),
}

GOOD_H5P_JSON = (
    b'{"title":"Uji","language":"id","mainLibrary":"H5P.Test","embedTypes":["div"],'
    b'"preloadedDependencies":[{"machineName":"H5P.Test","majorVersion":1,'
    b'"minorVersion":0}]}'
)
GOOD_LIBRARY_JSON = (
    b'{"title":"Test","machineName":"H5P.Test","majorVersion":1,"minorVersion":0,'
    b'"patchVersion":2,"runnable":1,"preloadedJs":[{"path":"t.js"}]}'
)


def build(entries: dict[str, bytes], *, symlinks: tuple[str, ...] = ()) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, data)
    buffer.seek(0)
    return buffer


def minimal(**extra: bytes) -> dict[str, bytes]:
    return {
        "h5p.json": GOOD_H5P_JSON,
        "content/content.json": b"{}",
        "H5P.Test-1.0/library.json": GOOD_LIBRARY_JSON,
        "H5P.Test-1.0/t.js": b"var x = 1;",
        **extra,
    }


def codes(source, **kwargs) -> set[tuple[str, str | None]]:
    with pytest.raises(PackageInvalid) as caught:
        read_package(source, **kwargs)
    return {(p.code, p.entry) for p in caught.value.problems}


@pytest.mark.parametrize("path", sorted((SAMPLES / "valid").glob("*.h5p")), ids=str)
def test_every_valid_sample_validates(path):
    package = read_package(str(path))
    assert package.title and package.libraries
    assert package.main_library in {lib.ref for lib in package.libraries}


@pytest.mark.parametrize("name", sorted(EXPECTED_REFUSALS))
def test_every_invalid_sample_is_refused_naming_its_problem(name):
    assert EXPECTED_REFUSALS[name] in codes(str(SAMPLES / "invalid" / name))


def test_minimal_package_validates():
    package = read_package(build(minimal()))
    (library,) = package.libraries
    assert (library.folder, library.patch, library.preloaded_js) == (
        "H5P.Test-1.0",
        2,
        ["t.js"],
    )


@pytest.mark.parametrize(
    "name",
    [
        "../evil.json",
        "content/../../evil.json",
        "/etc/passwd.json",
        "C:/x.json",
        "content\\evil.json",
        "content/./x.json",
    ],
)
def test_path_tricks_are_refused(name):
    assert ("unsafe_path", name) in codes(build(minimal(**{name: b"{}"})))


def test_symlinks_and_duplicates_are_refused():
    entries = minimal(**{"content/link.json": b"/etc/passwd"})
    assert ("symlink", "content/link.json") in codes(
        build(entries, symlinks=("content/link.json",))
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in minimal().items():
            archive.writestr(name, data)
        archive.writestr("CONTENT/content.json", b"{}")  # same name, other case
    buffer.seek(0)
    assert ("duplicate", "CONTENT/content.json") in codes(buffer)


def test_file_count_size_total_and_ratio_limits_hold():
    many = minimal(**{f"content/{i}.txt": b"x" for i in range(20)})
    assert ("too_many_files", None) in codes(build(many), limits=Limits(max_files=10))
    big = minimal(**{"content/big.txt": b"a" * 5000})
    assert ("file_too_large", "content/big.txt") in codes(
        build(big), limits=Limits(max_file_size=4000, ratio_floor=10**9)
    )
    total = minimal(**{f"content/{i}.txt": b"b" * 3000 for i in range(5)})
    assert any(
        code == "total_too_large"
        for code, _ in codes(
            build(total), limits=Limits(max_total_size=10_000, ratio_floor=10**9)
        )
    )
    bomb = minimal(**{"content/bomb.txt": b"\0" * 3_000_000})
    assert ("ratio", "content/bomb.txt") in codes(build(bomb))


def test_a_lying_header_does_not_get_past_the_size_limit():
    """The declared size says 10 bytes; the stream holds 50,000."""
    buffer = build(minimal(**{"content/liar.txt": b"z" * 50_000}))
    data = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("content/liar.txt")
    # Patch file_size in the central directory entry (offset 24 of its header).
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"content/liar.txt") + 1)
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    assert info.file_size == 50_000
    problems = codes(
        io.BytesIO(bytes(data)), limits=Limits(max_file_size=20_000, ratio_floor=10**9)
    )
    assert {c for c, _ in problems} & {"file_too_large", "corrupt_entry"}


def test_every_problem_is_reported_at_once_in_both_languages():
    entries = minimal(**{"content/x.js": b"alert(1)", "../up.json": b"{}"})
    entries["H5P.Test-1.0/library.json"] = GOOD_LIBRARY_JSON.replace(b"t.js", b"no.js")
    with pytest.raises(PackageInvalid) as caught:
        read_package(build(entries))
    problems = caught.value.problems
    assert {p.code for p in problems} == {
        "unsafe_path",
        "extension",
        "preloaded_missing",
    }
    messages = {p.code: (p.message("id"), p.message("en")) for p in problems}
    assert messages["extension"] == (
        "content/x.js: Jenis berkas .js tidak diizinkan di sini.",
        "content/x.js: File type .js is not allowed here.",
    )


def test_content_may_not_carry_markup_but_libraries_may():
    assert ("extension", "content/pic.svg") in codes(
        build(minimal(**{"content/pic.svg": b"<svg/>"}))
    )
    read_package(build(minimal(**{"H5P.Test-1.0/icon.svg": b"<svg/>"})))
