"""``modelport._host._entry_points``: the group's entry points, found by reading only the
distributions that name the group, are exactly what ``importlib.metadata`` finds."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from modelport._host._entry_points import group_entry_points


def _dist(root: Path, name: str, entry_points_txt: str | None) -> None:
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if entry_points_txt is not None:
        (info / "entry_points.txt").write_text(entry_points_txt)


@pytest.mark.parametrize("group", ["modelport", "console_scripts", "pytest11"])
def test_same_as_importlib_metadata_for_this_environment(group: str) -> None:
    assert group_entry_points(group) == list(entry_points(group=group))


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
    assert found == expected
    assert all(ep.group == "modelport" for ep in group_entry_points("modelport"))
