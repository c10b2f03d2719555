"""wheelhouse.buildlock: pylock.build.toml written deterministically, read back validated."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.pylock import Pylock

from wheelhouse.buildlock import (
    BuildEntry,
    BuildLock,
    CycleEntry,
    LockedFile,
    LockedPackage,
    dumps,
    file_digest,
    loads,
)
from wheelhouse.errors import BuildLockError


def sha(char: str) -> str:
    return char * 64


def wheel(name: str, version: str, char: str) -> LockedFile:
    filename = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    return LockedFile(filename, f"http://127.0.0.1:1/files/{filename}", sha(char))


def sdist(name: str, version: str, char: str) -> LockedFile:
    filename = f"{name}-{version}.tar.gz"
    return LockedFile(filename, f"http://127.0.0.1:1/files/{filename}", sha(char))


def sample() -> BuildLock:
    """A lock with a seeded self-cycle, two setuptools, a runtime build and a build requirement."""
    return BuildLock(
        runtime_lock="sha256:" + sha("0"),
        python="3.11",
        platform="x86_64-manylinux_2_28",
        from_source=":all:",
        seeds=("selfhost==1.0",),
        packages=(
            LockedPackage("flit-core", "3.9.0", sdist("flit_core", "3.9.0", "1")),
            LockedPackage("selfhost", "1.0", sdist("selfhost", "1.0", "2"), (wheel("selfhost", "1.0", "3"),)),
            LockedPackage("setuptools", "68.0", None, (wheel("setuptools", "68.0", "4"),)),
            LockedPackage("setuptools", "80.9", None, (wheel("setuptools", "80.9", "5"),)),
        ),
        builds=(
            BuildEntry(
                "app==1.0",
                sha("6"),
                "runtime",
                ("flit_core>=3", "setuptools<70"),
                (),
                ("flit-core==3.9.0", "setuptools==68.0"),
            ),
            BuildEntry("flit-core==3.9.0", sha("1"), "build", (), (), ()),
            BuildEntry("other==2.0", sha("7"), "runtime", ("setuptools",), ("wheel",), ("setuptools==80.9",)),
            BuildEntry("selfhost==1.0", sha("2"), "build", ("selfhost",), (), ("selfhost==1.0",)),
        ),
        cycles=(CycleEntry(("selfhost==1.0",), ("selfhost==1.0",)),),
    )


def shuffled(lock: BuildLock) -> BuildLock:
    """The same lock with every collection in another order."""
    return dataclasses.replace(
        lock,
        seeds=tuple(reversed(lock.seeds)),
        packages=tuple(
            dataclasses.replace(p, wheels=tuple(reversed(p.wheels))) for p in reversed(lock.packages)
        ),
        builds=tuple(
            dataclasses.replace(
                b, dynamic=tuple(reversed(b.dynamic)), environment=tuple(reversed(b.environment))
            )
            for b in reversed(lock.builds)
        ),
        cycles=tuple(
            CycleEntry(tuple(reversed(c.members)), tuple(reversed(c.seeds))) for c in reversed(lock.cycles)
        ),
    )


def test_round_trip() -> None:
    lock = sample()
    assert loads(dumps(lock)) == lock


def test_same_lock_in_any_order_gives_the_same_bytes() -> None:
    assert dumps(shuffled(sample())) == dumps(sample())
    assert loads(dumps(shuffled(sample()))) == sample()


def test_static_requirements_keep_their_order() -> None:
    # requires is the sdist's own list: kept as written (its order is the backend's)
    text = dumps(sample())
    assert 'requires = ["flit_core>=3", "setuptools<70"]' in text


def test_output_is_a_valid_pep_751_lock() -> None:
    pylock = Pylock.from_dict(tomllib.loads(dumps(sample())))
    versions = sorted((str(p.name), str(p.version)) for p in pylock.packages)
    assert ("setuptools", "68.0") in versions and ("setuptools", "80.9") in versions
    selfhost = next(p for p in pylock.packages if p.name == "selfhost")
    assert selfhost.sdist is not None and selfhost.sdist.hashes == {"sha256": sha("2")}
    assert [w.filename for w in selfhost.wheels or []] == ["selfhost-1.0-py3-none-any.whl"]


def test_several_versions_of_one_name() -> None:
    lock = loads(dumps(sample()))
    assert lock.package("setuptools==68.0").wheels[0].sha256 == sha("4")
    assert lock.package("setuptools==80.9").wheels[0].sha256 == sha("5")
    assert lock.build("app==1.0") is not None and lock.build("setuptools==68.0") is None


def test_missing_package_names_the_fix() -> None:
    with pytest.raises(BuildLockError, match=r"no package nope==1; rerun `wheelhouse lock-build`"):
        sample().package("nope==1")


def test_file_digest(tmp_path: Path) -> None:
    path = tmp_path / "pylock.toml"
    path.write_bytes(b"abc")
    assert file_digest(path) == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# --------------------------------------------------------------------------
# Properties: any text survives, order never matters
# --------------------------------------------------------------------------

texts = st.text(st.characters(codec="utf-8"), max_size=12)  # no lone surrogates
names = st.from_regex(r"[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,3})?", fullmatch=True)
versions = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}", fullmatch=True)
hexes = st.from_regex(r"[0-9a-f]{64}", fullmatch=True)
urls = texts.map(lambda t: f"http://127.0.0.1/{t}")  # PEP 751 wants a url (or path): any text in it
tags = st.sampled_from(["py3-none-any", "1-cp311-abi3-linux_x86_64", "cp311-cp311-manylinux_2_28_x86_64"])


def files(name: str, version: str) -> st.SearchStrategy[LockedFile]:
    """Wheels of ``name==version`` (PEP 751 checks the file name against both)."""
    stem = f"{name.replace('-', '_')}-{version}"
    return st.builds(LockedFile, tags.map(lambda t: f"{stem}-{t}.whl"), urls, hexes)


@st.composite
def locks(draw: st.DrawFn) -> BuildLock:
    keys = draw(st.lists(st.tuples(names, versions), min_size=1, max_size=5, unique=True))
    packages = tuple(
        LockedPackage(
            n,
            v,
            draw(st.none() | st.builds(LockedFile, st.just(f"{n}-{v}.tar.gz"), urls, hexes)),
            tuple(draw(st.lists(files(n, v), min_size=1, max_size=2, unique_by=lambda w: w.name))),
        )
        for n, v in keys
    )
    pins = [f"{n}=={v}" for n, v in keys]
    builds = tuple(
        BuildEntry(
            key,
            draw(hexes),
            draw(st.sampled_from(["runtime", "build"])),
            tuple(draw(st.lists(texts, max_size=3))),
            tuple(sorted(draw(st.lists(texts, max_size=3)))),
            tuple(sorted(draw(st.lists(st.sampled_from(pins), max_size=3, unique=True)))),
        )
        for key in draw(st.lists(st.sampled_from(pins), max_size=4, unique=True))
    )
    return BuildLock(
        runtime_lock=draw(texts),
        python=draw(texts),
        platform=draw(texts),
        from_source=draw(texts),
        seeds=tuple(sorted(draw(st.lists(texts, max_size=2)))),
        packages=packages,
        builds=builds,
        cycles=tuple(
            CycleEntry(tuple(sorted(m)), tuple(sorted(s)))
            for m, s in sorted(
                draw(st.lists(st.tuples(st.lists(texts, min_size=1), st.lists(texts)), max_size=2))
            )
        ),
    )


@settings(max_examples=200, deadline=None)
@given(locks())
def test_any_lock_round_trips_and_order_does_not_matter(lock: BuildLock) -> None:
    text = dumps(lock)
    back = loads(text)
    canonical = dataclasses.replace(
        lock,
        packages=tuple(
            dataclasses.replace(p, wheels=tuple(sorted(p.wheels, key=lambda w: w.name)))
            for p in sorted(lock.packages, key=lambda p: (p.name, p.version))
        ),
        builds=tuple(sorted(lock.builds, key=lambda b: b.package)),
        cycles=tuple(sorted(lock.cycles, key=lambda c: (c.members, c.seeds))),  # each sorted by the strategy
    )
    assert back == canonical
    assert dumps(shuffled(lock)) == text


# --------------------------------------------------------------------------
# Malformed build locks: one line, the file, the fix
# --------------------------------------------------------------------------

GOOD = dumps(sample())
#: The good lock up to its first build: [tool.wheelhouse] is the last table open.
HEAD = GOOD.split("[[tool.wheelhouse.builds]]")[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lock-version = [", "not valid TOML"),
        ('lock-version = "1.0"\n[[packages]]\nname = "a"\n', "not a valid PEP 751 lock"),
        (GOOD.split("[tool.wheelhouse]")[0], "no [tool.wheelhouse] table (not a build lock)"),
        (GOOD.replace("format = 1", "format = 2"), "format 2, this wheelhouse reads 1"),
        (
            GOOD.replace('environment = ["selfhost==1.0"]', 'environment = ["selfhost==9"]'),
            "the build environment of selfhost==1.0 names selfhost==9, which has no [[packages]] entry",
        ),
        (
            GOOD.replace('requires = ["selfhost"]', 'requires = "selfhost"'),
            "requires is not a list of strings",
        ),
        (GOOD.replace("dynamic = [", "dynamic = [1, ", 1), "dynamic is not a list of strings"),
        (GOOD.replace('role = "build"', 'role = "seed"', 1), "has no sdist hash or role"),
        (GOOD.replace('python = "3.11"\n', ""), "[tool.wheelhouse] python is missing"),
        (GOOD.replace('runtime-lock = "', "runtime-lock = 1 #", 1), "runtime-lock is missing"),
        (GOOD.replace(sha("4"), sha("4")[:40]), "has no name or no sha256 hash"),
        (GOOD.replace('seeds = ["selfhost==1.0"]', 'seeds = "selfhost==1.0"', 1), "seeds is not a list"),
        (HEAD + "cycles = 3\n", "cycles is not an array of tables"),
        (HEAD + "builds = { package = 'app==1.0' }\n", "builds is not an array of tables"),
        (HEAD + "cycles = [1]\n", "a [[tool.wheelhouse.cycles]] entry is not a table"),
        (
            GOOD.replace('package = "app==1.0"', "package = 1"),
            "a [[tool.wheelhouse.builds]] entry has no package",
        ),
    ],
)
def test_malformed_build_locks(text: str, expected: str) -> None:
    with pytest.raises(BuildLockError) as exc:
        loads(text, "some/pylock.build.toml")
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith("some/pylock.build.toml: "), message
    assert expected in message, message
    assert message.endswith("regenerate it with `wheelhouse lock-build`"), message


def test_every_malformed_case_starts_from_a_good_lock() -> None:
    assert loads(GOOD) == sample()
