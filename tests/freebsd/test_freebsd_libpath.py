"""Finding libnetgraph.so.4: real files in a temporary directory stand in for /usr/lib."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import pytest

from pyngraph.backend.freebsd import LibNetgraph, NotReadyError, libpath


def _nothing(_name: str) -> Optional[str]:
    return None


def test_versioned_file_in_a_known_dir_is_found(tmp_path: Path) -> None:
    (tmp_path / "libnetgraph.so.4").write_bytes(b"")
    assert libpath.candidates([tmp_path], _nothing) == [str(tmp_path / "libnetgraph.so.4")]


def test_dirs_are_searched_in_order(tmp_path: Path) -> None:
    first, second = tmp_path / "usr_lib", tmp_path / "lib"
    for d in (first, second):
        d.mkdir()
        (d / "libnetgraph.so.4").write_bytes(b"")
    assert libpath.candidates([first, second], _nothing) == [
        str(first / "libnetgraph.so.4"), str(second / "libnetgraph.so.4")]


def test_unversioned_symlink_alone_is_not_enough(tmp_path: Path) -> None:
    # Only the development symlink (or another major) present: nothing usable.
    (tmp_path / "libnetgraph.so").write_bytes(b"")
    (tmp_path / "libnetgraph.so.5").write_bytes(b"")
    assert libpath.candidates([tmp_path], _nothing) == []


def test_a_directory_named_like_the_library_is_not_a_library(tmp_path: Path) -> None:
    (tmp_path / "libnetgraph.so.4").mkdir()
    assert libpath.candidates([tmp_path], _nothing) == []


def test_find_library_answer_is_used_only_for_major_4(tmp_path: Path) -> None:
    assert libpath.candidates([tmp_path], lambda name: "libnetgraph.so.4") == ["libnetgraph.so.4"]
    assert libpath.candidates([tmp_path], lambda name: "libnetgraph.so.5") == []


def test_find_library_is_asked_for_netgraph(tmp_path: Path) -> None:
    asked = []
    libpath.candidates([tmp_path], lambda name: asked.append(name))
    assert asked == ["netgraph"]


def test_default_search_on_this_host_finds_nothing_outside_freebsd() -> None:
    # Linux has no libnetgraph: the real /usr/lib and find_library both come up empty.
    if sys.platform.startswith("freebsd"):
        assert libpath.candidates()[0].endswith("libnetgraph.so.4")
    else:
        assert libpath.candidates() == []


def test_search_description_names_the_known_path() -> None:
    assert "/usr/lib/libnetgraph.so.4" in libpath.describe_search()


def test_a_file_that_is_not_a_library_fails_to_load_clearly(tmp_path: Path) -> None:
    fake = tmp_path / "libnetgraph.so.4"
    fake.write_bytes(b"not an ELF object")
    with pytest.raises(NotReadyError, match="cannot load libnetgraph.so.4") as info:
        LibNetgraph([str(fake)])
    assert str(fake) in str(info.value)


def test_no_library_at_all_names_where_it_looked() -> None:
    with pytest.raises(NotReadyError, match="libnetgraph.so.4 not found"):
        LibNetgraph([])
