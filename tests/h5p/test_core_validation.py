"""Validating H5P packages: real samples, hand-built hostile archives, messages."""

from __future__ import annotations

import io
import os
import string
import unicodedata
import zipfile
from pathlib import Path

import pytest

from courses.h5p.core.libraries import LibraryRef
from courses.h5p.core.problems import MESSAGES, PackageInvalid, Problem
from courses.h5p.core.validation import (
    CONTENT_EXTENSIONS,
    LIBRARY_EXTENSIONS,
    Limits,
    ValidatedPackage,
    validate_package,
)
from tests.h5p.core_helpers import (
    INVALID_SAMPLES,
    LIBRARY,
    SAMPLES,
    VALID_SAMPLES,
    Entry,
    build_zip,
    data_offset,
    h5p_json,
    library_json,
    package_entries,
    set_declared_size,
    set_flag_bits,
    write_zip,
    writes_recorded,
)

KB = 1024
MB = 1024 * KB


def refuse(source, **kwargs) -> list[Problem]:
    """Validate `source` expecting a refusal; return the problems."""
    with pytest.raises(PackageInvalid) as caught:
        validate_package(source, **kwargs)
    assert caught.value.problems, "a refusal always names a reason"
    return caught.value.problems


def codes(problems: list[Problem]) -> set[str]:
    return {problem.code for problem in problems}


def test_the_samples_are_there():
    # Without them the parametrised tests below would silently test nothing.
    assert len(VALID_SAMPLES) == 4, SAMPLES
    assert len(INVALID_SAMPLES) == 8, SAMPLES


# -- real samples -----------------------------------------------------------------


@pytest.mark.parametrize("sample", VALID_SAMPLES, ids=lambda p: p.name)
def test_every_valid_sample_validates(sample: Path):
    package = validate_package(sample)
    assert isinstance(package, ValidatedPackage)
    assert package.title
    assert package.library(package.main_library) is not None
    assert package.missing_libraries() == set()


EXPECTED_REFUSALS = {
    "blanks-with-script-svg.h5p": ("file_type_not_allowed", "content/images/xss.svg"),
    "broken-content-json.h5p": ("content_json_invalid", "content/content.json"),
    "broken-h5p-json.h5p": ("h5p_json_invalid", "h5p.json"),
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
        "preloaded_file_missing",
        "H5P.GreetingCard-1.0/library.json",
    ),
}


def test_every_invalid_sample_has_an_expectation():
    assert {p.name for p in INVALID_SAMPLES} == set(EXPECTED_REFUSALS)


@pytest.mark.parametrize("sample", INVALID_SAMPLES, ids=lambda p: p.name)
def test_every_invalid_sample_is_refused_for_its_reason(sample: Path):
    code, entry = EXPECTED_REFUSALS[sample.name]
    before = set(os.listdir(sample.parent))
    with writes_recorded() as writes:
        problems = refuse(sample)
    assert (code, entry) in {(p.code, p.entry) for p in problems}
    assert writes == []
    assert set(os.listdir(sample.parent)) == before


def test_schema_sample_names_the_missing_field():
    problems = refuse(SAMPLES / "invalid" / "invalid-h5p-json-schema.h5p")
    assert [p.params for p in problems] == [{"field": "mainLibrary"}]


def test_library_folder_sample_says_what_the_name_should_be():
    problem = refuse(SAMPLES / "invalid" / "invalid-library-directory-name.h5p")[0]
    assert problem.params == {"expected": "H5P.AnotherLibrary-1.0"}
    assert "H5P.AnotherLibrary-1.0" in problem.message("en")


def test_drag_text_metadata_and_libraries():
    package = validate_package(SAMPLES / "valid" / "drag-text.h5p")
    assert package.metadata.title == "Drag the Words"
    assert package.metadata.language == "und"
    assert package.metadata.license == "U"
    assert package.metadata.embed_types == ("div",)
    assert package.main_library == LibraryRef("H5P.DragText", 1, 8)
    drag_text = package.library(package.main_library)
    assert drag_text is not None
    assert (drag_text.patch, drag_text.runnable) == (8, True)
    assert drag_text.preloaded_js == ("dist/h5p-drag-text.js",)
    assert drag_text.preloaded_css == ("dist/h5p-drag-text.css",)
    assert LibraryRef("H5P.Question", 1, 4) in drag_text.preloaded_dependencies
    assert len(drag_text.content_hash) == 64
    assert package.content["textField"].startswith("Blueberries are *blue")
    assert package.content_files == ()  # content.json only, exposed as `content`
    assert len(package.libraries) == 11


def test_package_from_an_open_file():
    with (SAMPLES / "valid" / "greeting-card.h5p").open("rb") as handle:
        package = validate_package(handle)
        files = {path: stream.read() for path, stream in package.iter_content_files()}
    assert set(files) == {"earth.jpg"}


# -- reading files out after validation ---------------------------------------------


def test_content_and_library_files_stream_out_unchanged():
    sample = SAMPLES / "valid" / "greeting-card.h5p"
    package = validate_package(sample)
    with zipfile.ZipFile(sample) as archive:
        for path, stream in package.iter_content_files():
            assert stream.read() == archive.read(f"content/{path}")
        library = package.libraries[0]
        names = []
        for path, stream in package.iter_library_files(library.ref):
            names.append(path)
            assert stream.read() == archive.read(f"{library.folder}/{path}")
    assert "library.json" in names and "greetingcard.js" in names


def test_write_file_streams_to_a_writer():
    package = validate_package(SAMPLES / "valid" / "greeting-card.h5p")
    image = package.content_files[0]
    received = io.BytesIO()
    package.write_file(image, received.write)
    assert len(received.getvalue()) == image.size == 32233


def test_a_swapped_archive_is_caught_while_storing():
    data = bytearray(build_zip([*package_entries()]))
    buffer = io.BytesIO(data)
    package = validate_package(buffer)
    # Damage the stored image after validation: the copy must not go through.
    image = next(f for f in package.content_files if f.path == "images/peta.png")
    start = data_offset(bytes(data), image.name)
    buffer.seek(start)
    buffer.write(b"\x00" * 8)
    with pytest.raises(PackageInvalid) as caught:
        package.write_file(image, lambda chunk: None)
    assert caught.value.codes == ["archive_changed"]
    with pytest.raises(PackageInvalid):
        for _path, stream in package.iter_content_files():
            stream.read()


def test_content_hash_tells_two_copies_of_one_version_apart():
    first = validate_package(io.BytesIO(build_zip(package_entries())))
    same = validate_package(io.BytesIO(build_zip(package_entries())))
    changed = validate_package(
        io.BytesIO(
            build_zip(package_entries(**{f"{LIBRARY}/scripts/test.js": b"evil()"}))
        )
    )
    hashes = [p.libraries[0].content_hash for p in (first, same, changed)]
    assert hashes[0] == hashes[1] != hashes[2]


def test_harmless_extras_are_skipped_not_refused():
    entries = [
        *package_entries(),
        Entry("README.md", b"# read me"),
        Entry(".gitignore", b"*.pyc"),
        Entry("__MACOSX/._h5p.json", b"\0\5\26\7"),
        Entry("content/.DS_Store", b"\0\0\0\1Bud1"),
        Entry(f"{LIBRARY}/.eslintrc", b"{}"),
    ]
    package = validate_package(io.BytesIO(build_zip(entries)))
    stored = {f.name for f in package.content_files} | {
        f.name for lib in package.libraries for f in lib.files
    }
    assert stored.isdisjoint({e.name for e in entries[-5:]})
    assert package.metadata.authors == ({"name": "Sari", "role": "Author"},)


def test_missing_libraries_are_listed_not_refused():
    entries = package_entries(
        **{
            "h5p.json": h5p_json(
                preloadedDependencies=[
                    {"machineName": "H5P.Test", "majorVersion": 1, "minorVersion": 0},
                    {
                        "machineName": "FontAwesome",
                        "majorVersion": "4",
                        "minorVersion": "5",
                    },
                ]
            )
        }
    )
    package = validate_package(io.BytesIO(build_zip(entries)))
    assert package.missing_libraries() == {LibraryRef("FontAwesome", 4, 5)}


# -- hostile archives -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("content/../../etc/passwd.txt", "path_traversal"),
        ("../outside.json", "path_traversal"),
        ("/etc/cron.d/evil.txt", "absolute_path"),
        ("C:/Windows/evil.txt", "drive_path"),
        ("c:evil.txt", "drive_path"),
        ("content\\..\\evil.txt", "backslash_path"),
        ("content/images\\peta.png", "backslash_path"),
        ("content//double.txt", "unsafe_name"),
        ("content/./here.txt", "unsafe_name"),
        ("content/bell\x07.txt", "unsafe_name"),
    ],
)
def test_unsafe_names_are_refused(tmp_path, name, code):
    path = write_zip(tmp_path / "bad.h5p", [*package_entries(), Entry(name, b"x")])
    problems = refuse(path)
    assert (code, name) in {(p.code, p.entry) for p in problems}


def test_symlink_is_refused(tmp_path):
    entry = Entry("content/link.txt", b"/etc/passwd", symlink=True)
    problems = refuse(write_zip(tmp_path / "s.h5p", [*package_entries(), entry]))
    assert ("symlink", "content/link.txt") in {(p.code, p.entry) for p in problems}


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize(
    "twin",
    [
        "content/images/peta.png",  # exact
        "content/IMAGES/Peta.PNG",  # letter case
    ],
)
def test_duplicate_names_are_refused(tmp_path, twin):
    problems = refuse(write_zip(tmp_path / "d.h5p", [*package_entries(), Entry(twin)]))
    assert [(p.code, p.params) for p in problems] == [
        ("duplicate_entry", {"other": "content/images/peta.png"})
    ]


def test_unicode_normalisation_twins_are_duplicates(tmp_path):
    composed = unicodedata.normalize("NFC", "content/café.txt")
    decomposed = unicodedata.normalize("NFD", "content/café.txt")
    assert composed != decomposed
    entries = [*package_entries(), Entry(composed, b"a"), Entry(decomposed, b"b")]
    assert "duplicate_entry" in codes(refuse(write_zip(tmp_path / "u.h5p", entries)))


def test_a_name_used_as_file_and_folder_is_refused(tmp_path):
    entries = [*package_entries(), Entry("content/images/peta.png/inner.txt", b"x")]
    assert "path_conflict" in codes(refuse(write_zip(tmp_path / "c.h5p", entries)))


def test_too_many_files_with_lowered_limit(tmp_path):
    entries = package_entries() + [Entry(f"content/f{i}.txt", b"x") for i in range(10)]
    problems = refuse(
        write_zip(tmp_path / "m.h5p", entries), limits=Limits(max_files=8)
    )
    assert [p.code for p in problems] == ["too_many_files"]
    assert problems[0].params == {"count": 17, "limit": 8}


def test_lying_header_bomb_is_stopped_by_the_real_size(tmp_path):
    # 5 MB of zeros whose headers claim 100 bytes; the limit is 1 MB.
    bomb = Entry("content/bomb.txt", b"\0" * (5 * MB))
    data = set_declared_size(build_zip([*package_entries(), bomb]), bomb.name, 100)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo(bomb.name).file_size == 100  # the lie is in place
    path = tmp_path / "bomb.h5p"
    path.write_bytes(data)
    limits = Limits(max_file_size=1 * MB, max_ratio=10_000)
    problems = refuse(path, limits=limits)
    assert ("file_too_large", bomb.name) in {(p.code, p.entry) for p in problems}
    assert os.listdir(tmp_path) == ["bomb.h5p"]


def test_lying_header_within_limits_is_a_header_mismatch():
    entry = Entry("content/notes.txt", b"catatan " * 2000)
    data = set_declared_size(build_zip([*package_entries(), entry]), entry.name, 10)
    problems = refuse(io.BytesIO(data))
    assert ("header_mismatch", entry.name) in {(p.code, p.entry) for p in problems}


def test_ratio_bomb_entry_is_refused():
    # Incompressible filler keeps the archive-wide ratio low, so the single
    # entry's own ratio is what trips.
    filler = Entry("content/noise.txt", os.urandom(2 * MB), deflate=False)
    bomb = Entry("content/zeros.txt", b"\0" * (3 * MB))
    data = build_zip([*package_entries(), filler, bomb])
    problems = refuse(io.BytesIO(data))
    assert ("compression_ratio", bomb.name) in {(p.code, p.entry) for p in problems}


def test_ratio_bomb_across_many_entries_is_refused():
    # Each entry alone is too small to judge; together they expand 500-fold.
    many = [Entry(f"content/z{i}.txt", b"\0" * (100 * KB)) for i in range(40)]
    data = build_zip([*package_entries(), *many])
    problems = refuse(io.BytesIO(data))
    assert ("compression_ratio", None) in {(p.code, p.entry) for p in problems}


def test_total_size_limit(tmp_path):
    big = [
        Entry(f"content/r{i}.txt", os.urandom(600 * KB), deflate=False)
        for i in range(3)
    ]
    problems = refuse(
        write_zip(tmp_path / "t.h5p", [*package_entries(), *big]),
        limits=Limits(max_total=1 * MB),
    )
    assert "total_too_large" in codes(problems)


def test_single_file_limit():
    big = Entry("content/big.txt", os.urandom(300 * KB), deflate=False)
    problems = refuse(
        io.BytesIO(build_zip([*package_entries(), big])),
        limits=Limits(max_file_size=200 * KB),
    )
    assert [(p.code, p.entry, p.params) for p in problems] == [
        ("file_too_large", big.name, {"limit_mb": f"{200 / 1024:g}"})
    ]


def test_encrypted_and_exotic_entries_are_refused():
    entries = [
        *package_entries(),
        Entry("content/secret.txt", b"x"),
        Entry("content/bz.txt", b"y" * 100, method=zipfile.ZIP_BZIP2),
    ]
    data = set_flag_bits(build_zip(entries), "content/secret.txt", 0x1)
    problems = {(p.code, p.entry) for p in refuse(io.BytesIO(data))}
    assert ("encrypted_entry", "content/secret.txt") in problems
    assert ("unsupported_compression", "content/bz.txt") in problems


def test_damaged_data_is_refused():
    entry = Entry("content/notes.txt", b"Ini catatan pelatihan. " * 200)
    data = bytearray(build_zip([*package_entries(), entry]))
    start = data_offset(bytes(data), entry.name)
    data[start + 5 : start + 25] = b"\xff" * 20
    problems = refuse(io.BytesIO(bytes(data)))
    assert ("corrupt_entry", entry.name) in {(p.code, p.entry) for p in problems}


def test_local_name_differing_from_directory_is_refused():
    entry = Entry("content/good.txt", b"baik")
    data = bytearray(build_zip([*package_entries(), entry]))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        offset = archive.getinfo(entry.name).header_offset
    data[offset + 30 : offset + 30 + len("content/good.txt")] = b"content/evil.txt"
    problems = refuse(io.BytesIO(bytes(data)))
    assert ("header_mismatch", entry.name) in {(p.code, p.entry) for p in problems}


@pytest.mark.parametrize("data", [b"", b"PK", b"not a zip at all", b"PK\x03\x04" * 9])
def test_not_a_zip(data):
    assert [p.code for p in refuse(io.BytesIO(data))] == ["not_zip"]


def test_an_empty_zip_is_a_zip_without_a_package():
    empty = b"PK\x05\x06" + b"\0" * 18
    assert codes(refuse(io.BytesIO(empty))) == {
        "h5p_json_missing",
        "content_json_missing",
    }


def test_missing_path_is_the_callers_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        validate_package(tmp_path / "nowhere.h5p")


# -- H5P rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"h5p.json": None}, ("h5p_json_missing", None)),
        ({"h5p.json": b"[1, 2]"}, ("h5p_json_invalid", "h5p.json")),
        ({"h5p.json": b"[" * 100_000}, ("h5p_json_invalid", "h5p.json")),
        ({"h5p.json": h5p_json(title="")}, ("h5p_json_field", "h5p.json")),
        (
            {"h5p.json": h5p_json(language="bahasa indonesia")},
            ("h5p_json_field", "h5p.json"),
        ),
        ({"h5p.json": h5p_json(embedTypes=[])}, ("h5p_json_field", "h5p.json")),
        ({"h5p.json": h5p_json(embedTypes=["object"])}, ("h5p_json_field", "h5p.json")),
        (
            {"h5p.json": h5p_json(preloadedDependencies=[{"machineName": "X"}])},
            ("h5p_json_field", "h5p.json"),
        ),
        (
            {"h5p.json": h5p_json(mainLibrary="H5P.Other")},
            ("main_library_not_preloaded", "h5p.json"),
        ),
        ({"content/content.json": None}, ("content_json_missing", None)),
        (
            {"content/content.json": b"{'a': 1}"},
            ("content_json_invalid", "content/content.json"),
        ),
        (
            {"content/content.json": b'"just text"'},
            ("content_json_invalid", "content/content.json"),
        ),
        ({f"{LIBRARY}/library.json": None}, ("library_json_missing", f"{LIBRARY}/")),
        (
            {f"{LIBRARY}/library.json": b"nope"},
            ("library_json_invalid", f"{LIBRARY}/library.json"),
        ),
        (
            {f"{LIBRARY}/library.json": library_json(patchVersion="3")},
            ("library_json_field", f"{LIBRARY}/library.json"),
        ),
        (
            {f"{LIBRARY}/library.json": library_json(runnable="yes")},
            ("library_json_field", f"{LIBRARY}/library.json"),
        ),
        (
            {
                f"{LIBRARY}/library.json": library_json(
                    preloadedDependencies=[{"machineName": 7}]
                )
            },
            ("library_json_field", f"{LIBRARY}/library.json"),
        ),
        (
            {f"{LIBRARY}/library.json": library_json(editorDependencies="H5PEditor.X")},
            ("library_json_field", f"{LIBRARY}/library.json"),
        ),
        (
            {f"{LIBRARY}/library.json": library_json(minorVersion=1)},
            ("library_folder_name", f"{LIBRARY}/"),
        ),
        (
            {
                f"{LIBRARY}/library.json": library_json(
                    preloadedJs=[{"path": "../H5P.Other-1.0/x.js"}]
                )
            },
            ("preloaded_file_escapes", f"{LIBRARY}/library.json"),
        ),
        (
            {
                f"{LIBRARY}/library.json": library_json(
                    preloadedCss=[{"path": "/styles/test.css"}]
                )
            },
            ("preloaded_file_escapes", f"{LIBRARY}/library.json"),
        ),
        (
            {f"{LIBRARY}/styles/test.css": None},
            ("preloaded_file_missing", f"{LIBRARY}/library.json"),
        ),
        (
            {f"{LIBRARY}/language/id.json": b"{,}"},
            ("language_json_invalid", f"{LIBRARY}/language/id.json"),
        ),
        (
            {f"{LIBRARY}/semantics.json": b"[{]"},
            ("semantics_json_invalid", f"{LIBRARY}/semantics.json"),
        ),
        (
            {"content/script.js": b"alert(1)"},
            ("file_type_not_allowed", "content/script.js"),
        ),
        (
            {"content/page.html": b"<script>"},
            ("file_type_not_allowed", "content/page.html"),
        ),
        (
            {"content/image.svg": b"<svg/>"},
            ("file_type_not_allowed", "content/image.svg"),
        ),
        ({"content/data.xml": b"<a/>"}, ("file_type_not_allowed", "content/data.xml")),
        (
            {"content/noextension": b"x"},
            ("file_type_not_allowed", "content/noextension"),
        ),
        (
            {f"{LIBRARY}/run.php": b"<?php"},
            ("file_type_not_allowed", f"{LIBRARY}/run.php"),
        ),
        ({"stray/readme.txt": b"x"}, ("library_json_missing", "stray/")),
    ],
)
def test_h5p_rules(overrides, expected):
    problems = refuse(io.BytesIO(build_zip(package_entries(**overrides))))
    assert expected in {(p.code, p.entry) for p in problems}


def test_markup_is_fine_inside_libraries():
    extras = {
        f"{LIBRARY}/images/icon.svg": b"<svg/>",
        f"{LIBRARY}/data/list.xml": b"<a/>",
        f"{LIBRARY}/scripts/more.js": b"1",
    }
    validate_package(io.BytesIO(build_zip(package_entries(**extras))))
    assert {"js", "css", "svg", "xml"} <= LIBRARY_EXTENSIONS
    assert {"js", "css", "svg", "xml"}.isdisjoint(CONTENT_EXTENSIONS)


def test_dependency_cycle_is_refused():
    other = "H5P.Other-1.0"
    entries = package_entries(
        **{
            f"{LIBRARY}/library.json": library_json(
                preloadedDependencies=[
                    {"machineName": "H5P.Other", "majorVersion": 1, "minorVersion": 0}
                ]
            ),
            f"{other}/library.json": library_json(
                machineName="H5P.Other",
                preloadedJs=[],
                preloadedCss=[],
                preloadedDependencies=[
                    {"machineName": "H5P.Test", "majorVersion": 1, "minorVersion": 0}
                ],
            ),
        }
    )
    problems = refuse(io.BytesIO(build_zip(entries)))
    assert [p.code for p in problems] == ["dependency_cycle"]
    assert "H5P.Other-1.0" in problems[0].params["cycle"]


# -- every problem at once, in two languages ---------------------------------------


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_all_problems_are_reported_at_once(tmp_path):
    entries = [
        *package_entries(
            **{
                "content/content.json": None,
                f"{LIBRARY}/library.json": library_json(title=""),
            }
        ),
        Entry("../escape.txt", b"x"),
        Entry("/absolute.txt", b"x"),
        Entry("content\\windows.txt", b"x"),
        Entry("D:/drive.txt", b"x"),
        Entry("content/link.txt", b"/etc", symlink=True),
        Entry("content/images/PETA.png", b"twin"),
        Entry("content/xss.svg", b"<svg onload=alert(1)/>"),
    ]
    problems = refuse(write_zip(tmp_path / "all.h5p", entries))
    assert codes(problems) == {
        "path_traversal",
        "absolute_path",
        "backslash_path",
        "drive_path",
        "symlink",
        "duplicate_entry",
        "file_type_not_allowed",
        "content_json_missing",
        "library_json_field",
    }
    assert os.listdir(tmp_path) == ["all.h5p"]


def test_messages_are_bilingual():
    problem = Problem("file_too_large", "content/video.mp4", {"limit_mb": "100"})
    indonesian, english = problem.message("id"), problem.message("en")
    assert (
        indonesian
        == "content/video.mp4: Berkas lebih besar dari 100 MB setelah diekstrak."
    )
    assert english == "content/video.mp4: The file is larger than 100 MB uncompressed."
    assert problem.message("en-US") == english
    assert problem.message() == indonesian  # Indonesian first
    assert problem.message("fr") == indonesian


def test_every_message_has_both_languages_with_the_same_fields():
    formatter = string.Formatter()
    for code, templates in MESSAGES.items():
        assert set(templates) == {"id", "en"}, code
        fields = [
            {name for _text, name, _spec, _conv in formatter.parse(text) if name}
            for text in templates.values()
        ]
        assert fields[0] == fields[1], code
        problem = Problem(code, "x", dict.fromkeys(fields[0], "1"))
        assert problem.message("id") != problem.message("en")


def test_refusal_messages_from_a_real_sample_read_well_in_both_languages():
    problem = refuse(SAMPLES / "invalid" / "blanks-with-script-svg.h5p")[0]
    assert problem.message("en") == (
        "content/images/xss.svg: File type '.svg' is not allowed here (js, css, svg "
        "and xml may only appear inside library folders)."
    )
    assert problem.message("id").startswith(
        "content/images/xss.svg: Jenis berkas '.svg' tidak diizinkan di sini"
    )


def test_hostile_entry_names_are_tamed_in_messages():
    problem = Problem("unsafe_name", "a\x1b[31m" + "b" * 500)
    shown = problem.message("en")
    assert "\x1b" not in shown and len(shown) < 300


def test_unknown_problem_code_is_a_programming_error():
    with pytest.raises(ValueError):
        Problem("no_such_code")
