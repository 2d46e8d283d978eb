"""Library references, playback order, cycles and version comparison."""

from __future__ import annotations

import io
import zipfile

import pytest

from courses.h5p.core.libraries import (
    DependencyCycle,
    LibraryChange,
    LibraryMissing,
    LibraryRef,
    LibraryVersion,
    compare_versions,
    find_cycle,
    playback_order,
)
from courses.h5p.core.validation import validate_package
from tests.h5p.core_helpers import SAMPLES, Entry, build_zip

JQUERY_UI = LibraryRef("jQuery.ui", 1, 10)
QUESTION = LibraryRef("H5P.Question", 1, 4)
JOUBEL = LibraryRef("H5P.JoubelUI", 1, 3)
BLANKS = LibraryRef("H5P.Blanks", 1, 14)
FONT = LibraryRef("FontAwesome", 4, 5)


def test_ref_names_and_parsing():
    assert BLANKS.folder == "H5P.Blanks-1.14"
    assert str(BLANKS) == "H5P.Blanks 1.14"
    assert LibraryRef.parse("H5P.Blanks 1.14") == BLANKS
    for bad in ("H5P.Blanks", "H5P.Blanks 1", "H5P.Blanks-1.14", "../x 1.0", ""):
        with pytest.raises(ValueError):
            LibraryRef.parse(bad)


def test_dependencies_come_first_and_main_last():
    graph = {
        BLANKS: (QUESTION, JOUBEL),
        QUESTION: (JOUBEL,),
        JOUBEL: (FONT,),
        FONT: (),
    }
    order = playback_order(BLANKS, graph)
    assert order == [FONT, JOUBEL, QUESTION, BLANKS]


def test_roots_from_h5p_json_are_loaded_and_main_stays_last():
    graph = {BLANKS: (QUESTION,), QUESTION: (), FONT: (), JQUERY_UI: ()}
    order = playback_order(BLANKS, graph, roots=[BLANKS, FONT, QUESTION, JQUERY_UI])
    assert order[-1] == BLANKS
    assert set(order) == {BLANKS, FONT, QUESTION, JQUERY_UI}
    assert order.index(QUESTION) < order.index(BLANKS)


def test_each_library_is_loaded_once():
    graph = {BLANKS: (QUESTION, JOUBEL), QUESTION: (JOUBEL,), JOUBEL: ()}
    assert playback_order(BLANKS, graph).count(JOUBEL) == 1


def test_a_cycle_is_reported_with_its_path():
    graph = {BLANKS: (QUESTION,), QUESTION: (JOUBEL,), JOUBEL: (QUESTION,)}
    with pytest.raises(DependencyCycle) as caught:
        playback_order(BLANKS, graph)
    assert caught.value.cycle == [QUESTION, JOUBEL, QUESTION]
    problem = caught.value.problem
    assert problem.code == "dependency_cycle"
    assert (
        "H5P.Question-1.4 -> H5P.JoubelUI-1.3 -> H5P.Question-1.4"
        in problem.message("en")
    )
    assert "lingkaran" in problem.message("id")


def test_a_library_depending_on_itself_is_a_cycle():
    assert find_cycle({BLANKS: (BLANKS,)}) == [BLANKS, BLANKS]


def test_a_missing_library_is_reported():
    with pytest.raises(LibraryMissing) as caught:
        playback_order(BLANKS, {BLANKS: (QUESTION,)})
    assert caught.value.ref == QUESTION
    assert caught.value.problem.params == {"library": "H5P.Question-1.4"}


def test_find_cycle_treats_absent_libraries_as_installed_leaves():
    assert find_cycle({BLANKS: (QUESTION,)}) is None


def test_long_chains_do_not_hit_the_recursion_limit():
    chain = [LibraryRef(f"Lib{i}", 1, 0) for i in range(5000)]
    graph = {ref: (chain[i + 1],) for i, ref in enumerate(chain[:-1])}
    graph[chain[-1]] = ()
    order = playback_order(chain[0], graph)
    assert order == list(reversed(chain))


def test_playback_order_of_real_samples():
    for sample in ("drag-text.h5p", "column-mixed-questions.h5p"):
        package = validate_package(SAMPLES / "valid" / sample)
        order = playback_order(
            package.main_library,
            package.dependency_graph(),
            roots=package.preloaded_dependencies,
        )
        assert order[-1] == package.main_library
        position = {ref: i for i, ref in enumerate(order)}
        for library in package.libraries:
            if library.ref in position:
                for dependency in library.preloaded_dependencies:
                    assert position[dependency] < position[library.ref]


def version(patch: int, content_hash: str = "a", major: int = 1, minor: int = 14):
    return LibraryVersion("H5P.Blanks", major, minor, patch, content_hash)


@pytest.mark.parametrize(
    ("installed", "incoming", "change"),
    [
        (version(5), version(5), LibraryChange.IDENTICAL),
        (version(5), version(5, "b"), LibraryChange.SAME_VERSION_DIFFERENT_FILES),
        (version(5), version(7, "b"), LibraryChange.PATCH_UPGRADE),
        (version(5), version(3, "b"), LibraryChange.PATCH_DOWNGRADE),
        (version(5), version(0, "b", minor=15), LibraryChange.NEW_MINOR),
        (version(5), version(0, "b", major=2, minor=0), LibraryChange.NEW_MAJOR),
        (version(5), version(9, "b", minor=12), LibraryChange.OLDER_VERSION),
    ],
)
def test_compare_versions(installed, incoming, change):
    assert compare_versions(installed, incoming) is change


def test_only_a_patch_upgrade_replaces_an_installed_copy():
    replacing = {c for c in LibraryChange if c.replaces_installed}
    assert replacing == {LibraryChange.PATCH_UPGRADE}
    alongside = {c for c in LibraryChange if c.installs_alongside}
    assert alongside == {
        LibraryChange.NEW_MINOR,
        LibraryChange.NEW_MAJOR,
        LibraryChange.OLDER_VERSION,
    }


def test_compare_versions_refuses_different_libraries():
    with pytest.raises(ValueError):
        compare_versions(version(1), LibraryVersion("H5P.DragText", 1, 14, 1, "a"))


def as_version(library) -> LibraryVersion:
    return LibraryVersion(
        library.machine_name,
        library.major,
        library.minor,
        library.patch,
        library.content_hash,
    )


def test_a_modified_copy_of_a_real_library_is_told_apart():
    sample = SAMPLES / "valid" / "greeting-card.h5p"
    with zipfile.ZipFile(sample) as archive:
        files = {info.filename: archive.read(info) for info in archive.infolist()}
    files["H5P.GreetingCard-1.0/greetingcard.js"] += b"\n// changed by a trainer\n"
    entries = [Entry(name, data) for name, data in files.items()]
    installed = validate_package(sample).libraries[0]
    incoming = validate_package(io.BytesIO(build_zip(entries))).libraries[0]
    assert installed.ref == incoming.ref and installed.patch == incoming.patch
    change = compare_versions(as_version(installed), as_version(incoming))
    assert change is LibraryChange.SAME_VERSION_DIFFERENT_FILES
    assert not change.replaces_installed
