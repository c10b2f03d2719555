"""The README's snippets are the example workspaces' files, so the two cannot drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from readme import README, snippets

REPO = README.parent
FROM_FILES = {name: text for name, text in snippets().items() if name.startswith("examples/")}


def test_the_readme_shows_every_example() -> None:
    shown = {name.split("/")[1] for name in FROM_FILES}
    assert shown >= {"hand_written", "pylock"}, shown
    assert {"module-archive", "module-stubs"} <= snippets().keys()


@pytest.mark.parametrize("name", sorted(FROM_FILES))
def test_snippet_is_in_its_file(name: str) -> None:
    path = REPO / name
    assert path.is_file(), f"README.md shows {name}, which does not exist"
    assert FROM_FILES[name].strip() in path.read_text(), (
        f"README.md's snippet of {name} is not what the file holds: update one of them"
    )


def test_whole_files_are_shown_whole() -> None:
    for name in ("examples/hand_written/BUILD.bazel", "examples/hand_written/uses_yaml.py",
                 "examples/pylock/BUILD.bazel", "examples/pylock/main.py"):  # fmt: skip
        assert FROM_FILES[name].strip() == (REPO / name).read_text().strip(), name


def test_snippet_markers_parse(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("<!-- snippet a -->\n```python\nx = 1\n```\n<!-- snippet b -->\n```\ny\n```\n")
    assert snippets(readme) == {"a": "x = 1\n", "b": "y\n"}
    readme.write_text(readme.read_text() * 2)
    with pytest.raises(ValueError, match="appears twice"):
        snippets(readme)
