"""PEP 825 variant wheels in a lock hub, chosen statically by build settings.

The test makes a package's wheels with wheelhouse itself (a tiny in-tree backend that
writes the properties it was built with into the module): the plain wheel and the
variants ``x86_64_v2`` and ``x86_64_v3``, and their ``vpure-1.0-variants.json`` with
variantlib. It serves them on a loopback index, writes a pylock.toml with the wheels
and ``[packages.variants-json]`` (no lock writer emits those yet), and builds
``tests/e2e_variants``: the default from ``wheelhouse.variants(...)``, one flag to
switch, a pinned variant, two copies with 100 % remote-cache hits under both settings,
and the bad inputs, each one line naming the package and the fix.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from test_e2e import BAZEL, Bazel, _fresh, _remote_hit, make_copy, spawns

from conftest import write_sdist
from inputs import REPO, fetch_e2e
from servers import nginx_cache, serve_directory, write_index

pytestmark = pytest.mark.bazel

TEMPLATE = REPO / "tests" / "e2e_variants"
WORK = REPO / ".cache" / "e2e-variants"
V2 = "x86_64 :: level :: v2"
V3 = "x86_64 :: level :: v3"
FLAG = "--@pypi//_variants:x86_64__level"

_BACKEND = '''
"""Writes vpure/__init__.py with the variant properties of the build (rules_wheelhouse tests)."""
import base64, hashlib, os, zipfile


def _hash(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    props = os.environ.get("WHEELHOUSE_VARIANT_PROPERTIES", "")
    files = {
        "vpure/__init__.py": ("PROPERTIES = %r\\n" % props).encode(),
        "vpure-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\\nName: vpure\\nVersion: 1.0\\n",
        "vpure-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\n"
        b"Tag: py3-none-any\\n",
    }
    name = "vpure-1.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as out:
        record = []
        for member, data in files.items():
            out.writestr(member, data)
            record.append("%s,%s,%d" % (member, _hash(data), len(data)))
        record.append("vpure-1.0.dist-info/RECORD,,")
        out.writestr("vpure-1.0.dist-info/RECORD", "\\n".join(record) + "\\n")
    return name
'''


def make_wheels(dest: Path) -> list[Path]:
    """The plain wheel, the two variants and the variants json, made with wheelhouse and variantlib."""
    from variantlib.commands.generate_index_json import generate_index_json

    from wheelhouse import BuildRequest, build_wheel
    from wheelhouse.progress import QUIET, Progress

    sdist = write_sdist(
        dest / "sdist",
        "vpure",
        "1.0",
        {
            "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
            'backend-path = ["."]\n',
            "backend.py": _BACKEND,
            "PKG-INFO": "Metadata-Version: 2.1\nName: vpure\nVersion: 1.0\n",
        },
    )
    out = dest / "wheels"
    for props, label in (((), None), ((V2,), "x86_64_v2"), ((V3,), "x86_64_v3")):
        req = BuildRequest(
            sdist=sdist, find_links=(), python=Path(sys.executable), verbosity=QUIET,
            variant_properties=props, variant_label=label,
        )  # fmt: skip
        build_wheel(req, out, progress=Progress(verbosity=QUIET))
    generate_index_json(["-d", str(out)])
    return [*sorted(out.iterdir()), sdist]


def lock_text(
    index_url: str,
    files: list[Path],
    *,
    json_sha: str | None = None,
    extra_wheel: str = "",
    sdist: bool = False,
) -> str:
    """A pylock.toml for vpure: its wheels and [packages.variants-json] (and sdist), pinned by sha256."""

    def entry(path: Path) -> str:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return f'{{ url = "{index_url}/files/{path.name}", hashes = {{ sha256 = "{digest}" }} }}'

    wheels = [entry(p) for p in files if p.suffix == ".whl"]
    if extra_wheel:
        wheels.append(extra_wheel)
    (variants,) = [p for p in files if p.name.endswith("-variants.json")]
    sha = json_sha or hashlib.sha256(variants.read_bytes()).hexdigest()
    sdists = [p for p in files if p.name.endswith(".tar.gz")] if sdist else []
    return (
        'lock-version = "1.0"\ncreated-by = "tests/bazel/test_variants_e2e.py"\n\n'
        '[[packages]]\nname = "vpure"\nversion = "1.0"\n'
        + "".join(f"sdist = {entry(p)}\n" for p in sdists)
        + "wheels = [\n    "
        + ",\n    ".join(wheels)
        + "\n]\n\n[packages.variants-json]\n"
        + f'url = "{index_url}/files/{variants.name}"\nhashes = {{ sha256 = "{sha}" }}\n'
    )


@pytest.fixture(scope="module")
def index() -> Iterator[tuple[str, list[Path]]]:
    WORK.mkdir(parents=True, exist_ok=True)
    made = make_wheels(_fresh(WORK / "made"))
    root = write_index(_fresh(WORK / "index"), [*fetch_e2e(), *made])
    with serve_directory(root) as url:
        yield url, made


def workspace(name: str, url: str, lock: str, module_extra: str = "") -> Path:
    ws = make_copy(WORK / name / "ws", url, TEMPLATE)
    (ws / "pylock.toml").write_text(lock)
    if module_extra:
        with open(ws / "MODULE.bazel", "a") as f:
            f.write(module_extra)
    return ws


def _fails(bazel: Bazel, *args: str) -> str:
    proc = subprocess.run(
        [str(BAZEL), *args], cwd=bazel.workspace, env=bazel.env, capture_output=True, text=True,
        timeout=900, check=False,
    )  # fmt: skip
    assert proc.returncode != 0, f"bazel {' '.join(args)} passed, but should have failed"
    return proc.stderr


def test_variants_are_chosen_by_settings_and_cached_apart(
    index: tuple[str, list[Path]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    url, made = index
    lock = lock_text(url, made)
    with nginx_cache(tmp_path_factory.mktemp("nginx")) as cache:
        flags = [f"--remote_cache={cache}", "--remote_upload_local_results", "--test_output=errors"]
        first = Bazel(workspace("a", url, lock), _fresh(WORK / "out-a"), "UTC", "alice", 0o022)
        second = Bazel(
            workspace("copies/b", url, lock), _fresh(WORK / "out-b"), "Asia/Kathmandu", "bob", 0o027
        )
        try:
            # The default, from wheelhouse.variants(...) in MODULE.bazel: v2.
            first.run("test", "//:variant_test", *flags, f"--test_arg={V2}")
            # One flag switches to v3 (v3 first, v2 as the fallback).
            first.run("test", "//:variant_test", *flags, f"{FLAG}=v3,v2", f"--test_arg={V3}")
            # A value no wheel provides: one line, at analysis time.
            err = _fails(first, "build", "//:variant_test", f"{FLAG}=v9")
            assert (
                f"{FLAG}=v9: no wheel in @@//:pylock.toml provides the variant property x86_64 :: level :: v9"
                in err
            ), err[-3000:]
            # The second copy, both settings: every install a remote-cache hit.
            for setting, props in ((f"{FLAG}=v2", V2), (f"{FLAG}=v3", V3)):
                log = WORK / f"b-{setting[-2:]}.json"
                second.run("test", "//:variant_test", *flags, setting, f"--test_arg={props}",
                           f"--execution_log_json_file={log}")  # fmt: skip
                installs = [r for r in spawns(log) if r.get("mnemonic") == "WheelhouseInstall"]
                assert installs and all(_remote_hit(r) for r in installs), [r.get("runner") for r in installs]
        finally:
            first.shutdown()
            second.shutdown()


def test_a_pinned_variant_wins_over_the_settings(index: tuple[str, list[Path]]) -> None:
    url, made = index
    pinned = workspace(
        "pinned", url, lock_text(url, made), '\nwheelhouse.package(name = "vpure", variant = "x86_64_v3")\n'
    )
    bazel = Bazel(pinned, _fresh(WORK / "out-pinned"), "UTC", "carol", 0o022)
    try:
        # The default says v2 and the flag v2 too: the pin says v3, and v3 it is.
        bazel.run("test", "//:variant_test", "--test_output=errors", f"{FLAG}=v2", f"--test_arg={V3}")
    finally:
        bazel.shutdown()


def test_a_hub_builds_its_sdist_as_a_variant(index: tuple[str, list[Path]]) -> None:
    """wheelhouse.package(variant_properties = ...): the hub's sdist build is a variant wheel."""
    url, made = index
    (setuptools,) = [p for p in fetch_e2e() if p.name.startswith("setuptools-")]
    extra = (
        '\nwheelhouse.package(name = "vpure", build_from_source = True, build_deps = ["//:build_dep"], '
        f'variant_properties = ["{V3}"], variant_label = "x86_64_v3")\n'
    )
    ws = workspace("from-source", url, lock_text(url, made, sdist=True), extra)
    shutil.copyfile(setuptools, ws / setuptools.name)
    with open(ws / "BUILD.bazel", "a") as f:
        # Any wheel: the in-tree backend needs nothing, but a hub build names its environment.
        f.write(
            f'\nfilegroup(name = "build_dep", srcs = ["{setuptools.name}"], '
            'visibility = ["//visibility:public"])\n'
        )
    bazel = Bazel(ws, _fresh(WORK / "out-from-source"), "UTC", "frank", 0o022)
    try:
        bazel.run("test", "//:variant_test", "--test_output=errors", f"--test_arg={V3}")
        out = Path(bazel.run("info", "output_base")[0].stdout.strip())
        built = [
            p.name
            for p in out.glob("execroot/_main/bazel-out/*/bin/external/*pypi__graph/*/*_wheel.wheel/*.whl")
        ]
        assert built == ["vpure-1.0-py3-none-any-x86_64_v3.whl"], built
    finally:
        bazel.shutdown()


def test_bad_variant_inputs_are_one_line_with_the_fix(index: tuple[str, list[Path]], tmp_path: Path) -> None:
    url, made = index
    v4_url = f"{url}/files/vpure-1.0-py3-none-any-x86_64_v4.whl"
    v4 = f'{{ url = "{v4_url}", hashes = {{ sha256 = "{"1" * 64}" }} }}'
    pin = '\nwheelhouse.package(name = "vpure", variant = "x86_64_v9")\n'
    default = '\nwheelhouse.variants(properties = ["x86_64 :: level :: v7"])\n'
    cases = {
        # The variants json changed (or the lock is wrong): its sha256 does not match.
        "hash": (
            lock_text(url, made, json_sha="0" * 64),
            "",
            "its variants json vpure-1.0-variants.json could not be fetched with sha256 0000",
        ),
        # A locked wheel whose label the variants json does not list.
        "label": (
            lock_text(url, made, extra_wheel=v4),
            "",
            'wheel vpure-1.0-py3-none-any-x86_64_v4.whl has the variant label "x86_64_v4", which '
            "vpure-1.0-variants.json does not list",
        ),
        # A pin to a label that is not there.
        "pin": (
            lock_text(url, made),
            pin,
            pin.strip() + ": @@//:pylock.toml has no such variant of vpure",
        ),
        # Only the v3 variant locked, no plain wheel: with v2 configured nothing fits.
        "nothing": (
            lock_text(url, [p for p in made if not p.name.endswith(("-x86_64_v2.whl", "-any.whl"))]),
            "",
            "wheelhouse: vpure (lock @@//:pylock.toml) has no wheel for the configured variant properties "
            "(x86_64 :: level :: v2), no null variant and no plain wheel on this target",
        ),
        # A default no wheel provides.
        "default": (
            lock_text(url, made),
            default,
            "x86_64 :: level :: v2, v7 is provided by no wheel of @@//:pylock.toml",
        ),
    }
    for name, (lock, extra, message) in cases.items():
        bazel = Bazel(
            workspace(f"bad-{name}", url, lock, extra), _fresh(WORK / "out-bad"), "UTC", "dave", 0o022
        )
        try:
            err = _fails(bazel, "build", "//:variant_test")
        finally:
            bazel.shutdown()
        assert any(message in ln for ln in err.splitlines()), f"{name}: {message!r} not in\n{err[-3000:]}"


def test_malformed_variant_json_in_a_wheel_fails_the_install(index: tuple[str, list[Path]]) -> None:
    """A variant wheel whose variant.json is broken: the install action names it and the fix."""
    import zipfile

    _, made = index
    (v3,) = [p for p in made if p.name.endswith("-x86_64_v3.whl")]
    broken_dir = _fresh(WORK / "broken")
    broken_dir.mkdir(parents=True)
    broken = broken_dir / v3.name
    with zipfile.ZipFile(v3) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith("/variant.json"):
                data = b'{"variants": {"x86_64_v3": {"x86_64": "v3"}}}'
            dst.writestr(item, data)
    files = [p for p in made if p != v3]
    root = write_index(_fresh(WORK / "index-broken"), [*fetch_e2e(), *files, broken])
    with serve_directory(root) as broken_url:
        lock = lock_text(broken_url, [*files, broken])
        bazel = Bazel(
            workspace("broken-ws", broken_url, lock), _fresh(WORK / "out-broken"), "UTC", "erin", 0o022
        )
        try:
            err = _fails(bazel, "build", "//:variant_test", f"{FLAG}=v3")
        finally:
            bazel.shutdown()
    lines = [ln for ln in err.splitlines() if ln.startswith("wheelhouse: error:")]
    assert (
        lines
        and "vpure-1.0-py3-none-any-x86_64_v3.whl: malformed vpure-1.0.dist-info/variant.json" in lines[0]
    ), err[-3000:]
    assert "rebuild the variant wheel" in lines[0]
    shutil.rmtree(broken_dir, ignore_errors=True)
