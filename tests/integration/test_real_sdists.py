"""Real sdists from the package index: every one must rebuild byte for byte.

The sdists and their build requirements' wheels are pinned by sha256 in
``tests/data`` and fetched once with pip (see ``tests/inputs.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wheelhouse import BuildRequest, verify
from wheelhouse.progress import QUIET, Progress

from inputs import DATA, Inputs, read_pins
from samples import install_and_run

pytestmark = pytest.mark.integration

#: What to run after installing each wheel (it exercises the compiled parts).
SMOKE = {
    "attrs": "import attrs\n@attrs.define\nclass P:\n    x: int\nassert P(1).x == 1",
    "iniconfig": "import iniconfig\nassert iniconfig.IniConfig('x', data='[s]\\nk=v')['s']['k'] == 'v'",
    "mapbox_earcut": "import mapbox_earcut, mapbox_earcut._core\nassert mapbox_earcut.triangulate_float64",
    "markupsafe": "from markupsafe._speedups import _escape_inner as e\nassert e('<a>') == '&lt;a&gt;'",
    "pyyaml": "import yaml\nassert yaml.load('a: [1]', Loader=yaml.CSafeLoader) == {'a': [1]}",
    "tomli": "import tomli\nassert tomli.loads('a = 1') == {'a': 1}",
}


@pytest.mark.parametrize("name", [p.name for p in read_pins(DATA / "sdists.txt")])
def test_real_sdist_is_reproducible_and_works(inputs: Inputs, tmp_path: Path, name: str) -> None:
    import sys

    req = BuildRequest(
        sdist=inputs.sdist(name), find_links=(inputs.wheels,), python=Path(sys.executable), verbosity=QUIET
    )
    outcome = verify(req, tmp_path / "out", progress=Progress(verbosity=QUIET))
    assert outcome.identical, "\n".join(outcome.explanation)
    assert (
        install_and_run(outcome.first.wheel, tmp_path / "inst", SMOKE[name] + "\nprint('ok')").strip() == "ok"
    )
