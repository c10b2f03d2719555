"""The README's marked snippets: ``<!-- snippet NAME -->`` followed by a fenced code block."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
_SNIPPET = re.compile(r"<!-- snippet (\S+) -->\n```[a-z]*\n(.*?)\n```", re.S)


def snippets(readme: Path = README) -> dict[str, str]:
    """Every marked snippet of ``readme`` by name (its text, without the fences)."""
    found: dict[str, str] = {}
    for name, text in _SNIPPET.findall(readme.read_text()):
        if name in found:
            raise ValueError(f"{readme}: snippet {name} appears twice")
        found[name] = text + "\n"
    return found
