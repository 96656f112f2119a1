"""``modelport._host._entry_points``: the group's entry points, read from the distributions'
own files (only those that name the group), are exactly what ``importlib.metadata`` finds."""

from __future__ import annotations

import sys
import zipfile
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import pytest
from modelport._host._entry_points import FoundEntryPoint, group_entry_points


def _triples(eps: Any) -> list[tuple[str, str, str]]:
    return [(ep.name, ep.value, ep.group) for ep in eps]


def _dist(root: Path, name: str, entry_points_txt: str | None) -> None:
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if entry_points_txt is not None:
        (info / "entry_points.txt").write_text(entry_points_txt)


@pytest.mark.parametrize("group", ["modelport", "console_scripts", "pytest11"])
def test_same_as_importlib_metadata_for_this_environment(group: str) -> None:
    found = group_entry_points(group)
    assert _triples(found) == _triples(entry_points(group=group))
    versions = {ep.name: ep.dist.version for ep in entry_points(group=group) if ep.dist}
    assert {ep.name: ep.version() for ep in found} == versions


def test_first_on_the_path_wins_and_other_groups_are_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    _dist(first, "mp_probe_one", "[modelport]\nprobe = probe_one.plugin\n")
    _dist(second, "mp_probe_one", "[modelport]\nprobe = shadowed.plugin\n")  # same name: hidden
    _dist(first, "mp_probe_two", "[console_scripts]\nmodelport-probe = x:main\n")  # names it
    _dist(first, "mp_probe_three", None)
    monkeypatch.setattr(sys, "path", [str(first), str(second), *sys.path])
    found = [ep for ep in group_entry_points("modelport") if ep.name == "probe"]
    assert [ep.value for ep in found] == ["probe_one.plugin"]
    expected = [ep for ep in entry_points(group="modelport") if ep.name == "probe"]
    assert _triples(found) == _triples(expected)
    assert all(ep.group == "modelport" for ep in group_entry_points("modelport"))


def test_sections_comments_extras_and_versions_read_as_importlib_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (
        "# generated\n[console_scripts]\nother = x:main\n\n[modelport]\n"
        "  spaced  =  probe_pkg.plugin:hooks.table  \n# a comment line\n"
        "extra = probe_pkg.plugin [fast, gzip]\n[modelport.other]\nnot_this = y\n"
    )
    _dist(tmp_path, "Mp.Probe_Four", text)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    found = [ep for ep in group_entry_points("modelport") if ep.name in ("spaced", "extra")]
    expected = [ep for ep in entry_points(group="modelport") if ep.name in ("spaced", "extra")]
    assert (
        _triples(found)
        == _triples(expected)
        == [
            ("spaced", "probe_pkg.plugin:hooks.table", "modelport"),
            ("extra", "probe_pkg.plugin [fast, gzip]", "modelport"),
        ]
    )
    assert {ep.version() for ep in found} == {"1.0"}


def test_load_imports_the_module_and_follows_the_attributes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "mp_probe_load"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("class Hooks:\n    table = {'ok': True}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for value, expected in (
        ("mp_probe_load:Hooks.table", {"ok": True}),
        ("mp_probe_load : Hooks [extra]", None),
        ("mp_probe_load", None),
    ):
        ours = FoundEntryPoint("probe", value, "modelport", lambda: None).load()
        theirs = EntryPoint("probe", value, "modelport").load()
        assert ours is theirs
        if expected is not None:
            assert ours == expected
    with pytest.raises(AttributeError):
        FoundEntryPoint("probe", "mp_probe_load:Missing", "modelport", lambda: None).load()


def test_a_zip_on_the_path_is_read_through_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("mp_probe_zip-2.0.dist-info/METADATA", "Name: mp_probe_zip\nVersion: 2.0\n")
        z.writestr("mp_probe_zip-2.0.dist-info/entry_points.txt", "[modelport]\nzipped = z.p\n")
    monkeypatch.setattr(sys, "path", [str(archive), *sys.path])
    found = [ep for ep in group_entry_points("modelport") if ep.name == "zipped"]
    assert _triples(found) == [("zipped", "z.p", "modelport")]
    assert found[0].version() == "2.0"


def test_an_unreadable_or_broken_distribution_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dist(tmp_path, "mp_probe_bad", "[modelport]\nno equals sign here\ngood = g.p\n")
    (tmp_path / "mp_probe_bin-1.0.dist-info").mkdir()
    (tmp_path / "mp_probe_bin-1.0.dist-info" / "entry_points.txt").write_bytes(b"\xff\xfe[mod")
    monkeypatch.setattr(sys, "path", [str(tmp_path), str(tmp_path / "missing"), *sys.path])
    found = [ep for ep in group_entry_points("modelport") if ep.name == "good"]
    assert _triples(found) == [("good", "g.p", "modelport")]
