"""H5P libraries: references, playback order and version comparison.

H5P names a library by machine name and major.minor version ("H5P.Blanks 1.14");
patch versions of one major.minor replace each other, while a new minor version is
a separate library that lives beside the old one (content keeps using the version
it was made with). The functions here are pure: they work on references and
dependency maps, whether those come from an uploaded package or from the
libraries already installed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from courses.h5p.core.problems import Problem

# H5P core's own pattern for machine names (ASCII letters, digits, _ . -).
MACHINE_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,255}$")
# "H5P.Blanks 1.14", the form content.json uses for sub-content.
_LIBRARY_STRING = re.compile(
    r"^(?P<name>[A-Za-z0-9_.\-]{1,255}) (?P<major>\d{1,5})\.(?P<minor>\d{1,5})$"
)


@dataclass(frozen=True, order=True)
class LibraryRef:
    """A library as H5P addresses it: machine name and major.minor version."""

    machine_name: str
    major: int
    minor: int

    @property
    def folder(self) -> str:
        """The folder name inside a package: `H5P.Blanks-1.14`."""
        return f"{self.machine_name}-{self.major}.{self.minor}"

    def __str__(self) -> str:
        return f"{self.machine_name} {self.major}.{self.minor}"

    @classmethod
    def parse(cls, value: str) -> LibraryRef:
        """Read "H5P.Blanks 1.14" (content.json's `library` field).

        Raises ValueError for anything else.
        """
        match = _LIBRARY_STRING.match(value.strip())
        if not match:
            raise ValueError(f"not a library reference: {value!r}")
        return cls(match["name"], int(match["major"]), int(match["minor"]))


class LibraryGraphError(Exception):
    """The dependency graph cannot be played; `problem` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message("en"))
        self.problem = problem


class DependencyCycle(LibraryGraphError):
    """Libraries depend on each other in a circle; `cycle` lists it, closed."""

    def __init__(self, cycle: Sequence[LibraryRef]) -> None:
        self.cycle = list(cycle)
        shown = " -> ".join(ref.folder for ref in self.cycle)
        super().__init__(Problem("dependency_cycle", params={"cycle": shown}))


class LibraryMissing(LibraryGraphError):
    """A library needed for playback is neither in the package nor installed."""

    def __init__(self, ref: LibraryRef) -> None:
        self.ref = ref
        super().__init__(Problem("library_missing", params={"library": ref.folder}))


def _walk(
    start: LibraryRef,
    graph: Mapping[LibraryRef, Sequence[LibraryRef]],
    done: dict[LibraryRef, None],
    *,
    missing_ok: bool,
) -> None:
    """Depth-first post-order from `start`, appending finished refs to `done`.

    Iterative, so a long chain of libraries cannot exhaust Python's recursion
    limit; `done` is an insertion-ordered dict used as an ordered set.
    """
    if start in done:
        return
    # Each frame: (library, iterator over its dependencies). `path` mirrors the
    # stack for cycle reports; `on_path` makes the back-edge test O(1).
    if start not in graph and not missing_ok:
        raise LibraryMissing(start)
    stack = [(start, iter(graph.get(start, ())))]
    path = [start]
    on_path = {start}
    while stack:
        ref, dependencies = stack[-1]
        for dependency in dependencies:
            if dependency in done:
                continue
            if dependency in on_path:
                cycle = [*path[path.index(dependency) :], dependency]
                raise DependencyCycle(cycle)
            if dependency not in graph:
                if not missing_ok:
                    raise LibraryMissing(dependency)
                done[dependency] = None  # installed elsewhere: a leaf here
                continue
            stack.append((dependency, iter(graph[dependency])))
            path.append(dependency)
            on_path.add(dependency)
            break
        else:
            stack.pop()
            path.pop()
            on_path.discard(ref)
            done[ref] = None


def playback_order(
    main: LibraryRef,
    graph: Mapping[LibraryRef, Sequence[LibraryRef]],
    *,
    roots: Iterable[LibraryRef] = (),
) -> list[LibraryRef]:
    """The order in which to load libraries so each comes after what it needs.

    `graph` maps every available library to its `preloadedDependencies`, in the
    order library.json lists them (that order is kept, as H5P players do).
    `roots` are extra libraries to load, such as h5p.json's preloadedDependencies;
    the main library and what it needs come last, the main library itself at the
    very end. Raises `DependencyCycle` or `LibraryMissing`.
    """
    done: dict[LibraryRef, None] = {}
    for root in roots:
        if root != main:
            _walk(root, graph, done, missing_ok=False)
    if main in done:
        # Another root needs the main library; loading it "last" would break
        # that root, so keep the dependency order and say nothing more.
        return list(done)
    _walk(main, graph, done, missing_ok=False)
    return list(done)


def find_cycle(
    graph: Mapping[LibraryRef, Sequence[LibraryRef]],
) -> list[LibraryRef] | None:
    """A dependency cycle in `graph` (closed: first == last), or None.

    Libraries referenced but absent from `graph` count as leaves: a package may
    rely on libraries the server already has.
    """
    done: dict[LibraryRef, None] = {}
    for ref in sorted(graph):
        try:
            _walk(ref, graph, done, missing_ok=True)
        except DependencyCycle as cycle:
            return cycle.cycle
    return None


@dataclass(frozen=True)
class LibraryVersion:
    """One concrete copy of a library: full version and a hash of its files."""

    machine_name: str
    major: int
    minor: int
    patch: int
    content_hash: str

    @property
    def ref(self) -> LibraryRef:
        """The major.minor reference content uses to address this library."""
        return LibraryRef(self.machine_name, self.major, self.minor)


class LibraryChange(enum.Enum):
    """How an incoming library relates to an installed one of the same name."""

    IDENTICAL = "identical"
    """Same version, same files: nothing to install."""
    SAME_VERSION_DIFFERENT_FILES = "same_version_different_files"
    """Same major.minor.patch but other files: never replaces the installed copy."""
    PATCH_UPGRADE = "patch_upgrade"
    """Same major.minor, higher patch: replaces the installed copy (if allowed)."""
    PATCH_DOWNGRADE = "patch_downgrade"
    """Same major.minor, lower patch: the installed copy is kept."""
    NEW_MINOR = "new_minor"
    """Same major, higher minor: installed beside the old one."""
    NEW_MAJOR = "new_major"
    """Higher major: installed beside the old one."""
    OLDER_VERSION = "older_version"
    """Lower major.minor: installed beside the newer one."""

    @property
    def replaces_installed(self) -> bool:
        """True only when the incoming copy should overwrite the installed one."""
        return self is LibraryChange.PATCH_UPGRADE

    @property
    def installs_alongside(self) -> bool:
        """True when the incoming copy is another major.minor, stored separately."""
        return self in (
            LibraryChange.NEW_MINOR,
            LibraryChange.NEW_MAJOR,
            LibraryChange.OLDER_VERSION,
        )


def compare_versions(
    installed: LibraryVersion, incoming: LibraryVersion
) -> LibraryChange:
    """Classify `incoming` against `installed` (same machine name required).

    The content hash tells two copies of one version apart: a trainer's package
    that carries a modified "H5P.Blanks 1.14.5" is SAME_VERSION_DIFFERENT_FILES,
    and DESIGN.md §4 says it must not replace the installed copy.
    """
    if installed.machine_name != incoming.machine_name:
        raise ValueError(
            f"different libraries: {installed.machine_name} and {incoming.machine_name}"
        )
    old = (installed.major, installed.minor)
    new = (incoming.major, incoming.minor)
    if new != old:
        if new < old:
            return LibraryChange.OLDER_VERSION
        if incoming.major > installed.major:
            return LibraryChange.NEW_MAJOR
        return LibraryChange.NEW_MINOR
    if incoming.patch > installed.patch:
        return LibraryChange.PATCH_UPGRADE
    if incoming.patch < installed.patch:
        return LibraryChange.PATCH_DOWNGRADE
    if incoming.content_hash == installed.content_hash:
        return LibraryChange.IDENTICAL
    return LibraryChange.SAME_VERSION_DIFFERENT_FILES
