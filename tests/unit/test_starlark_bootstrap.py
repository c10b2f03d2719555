"""rules/private/bootstrap.bzl, evaluated with starlark-pyo3: the targets of a build lock.

The BUILD text it writes is evaluated again as Starlark, with the rules
recording their attributes, so the tests see targets, not text. Its stages
must agree with :func:`wheelhouse.buildgraph.plan` on generated graphs: each
build's environment holds exactly what the Python plan says provides each
dependency (the seed's wheel, a stage-1 build, or a final build).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import starlark as sl
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wheelhouse.buildgraph import plan
from wheelhouse.errors import CycleError

from starlark_eval import eval_bzl

BOOTSTRAP = eval_bzl("bootstrap.bzl")
RULES = ("py_build_env", "py_wheel_dep", "wheel_fixpoint_test")
#: Characters Bazel allows in a target name (docs: "Labels", target names).
TARGET_NAME = re.compile(r"[A-Za-z0-9!%\-@^_\"#$&'()*+,;<=>?\[\]{|}~/.]+")


def targets(text: str) -> dict[str, dict[str, Any]]:
    """Evaluate a BUILD text; every target by name, with its rule as ``kind``. A name twice fails."""
    found: dict[str, dict[str, Any]] = {}
    module = sl.Module()

    def rule(kind: str) -> Any:
        def record(**attrs: Any) -> None:
            assert attrs["name"] not in found, f"two targets named {attrs['name']}"
            found[attrs["name"]] = {"kind": kind, **attrs}

        return record

    for kind in RULES:
        module.add_callable(kind, rule(kind))
    sl.eval(module, sl.parse("BUILD", text, sl.Dialect.standard()), sl.Globals.standard())
    return found


def generate(
    bl: dict[str, Any], overrides: dict[str, Any] | None = None
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    result: Any = BOOTSTRAP.call("bootstrap_targets", bl, overrides or {})
    text, tests = result
    return targets(text), list(tests)


def env_of(found: dict[str, dict[str, Any]], target: str) -> list[str] | None:
    """The wheels of a build's environment, or None when it has none."""
    build_env = found[target].get("build_env")
    if build_env is None:
        return None
    env = found[build_env.removeprefix(":")]
    assert env["kind"] == "py_build_env"
    return list(env["wheels"])


def bl_target(key: str, stage: int = 0) -> str:
    return str(BOOTSTRAP.call("bl_target", key, stage))


def sdist(key: str) -> str:
    return "@sdist_{}//file".format(key.replace("==", "_"))


def wheel(key: str) -> str:
    return "@wheel_{}//file".format(key.replace("==", "_"))


# --------------------------------------------------------------------------
# Builds outside cycles
# --------------------------------------------------------------------------


def test_chain_gives_one_target_per_build() -> None:
    bl = {
        "builds": {
            "app==1.0": {"env": ["tinyback==2.0"], "sdist": sdist("app==1.0")},
            "tinyback==2.0": {"env": [], "sdist": sdist("tinyback==2.0")},
        },
        "wheels": {},
        "cycles": [],
    }
    found, tests = generate(bl)
    assert tests == []
    assert sorted(found) == ["_bl_app__1.0", "_bl_tinyback__2.0", "_env_0"]
    assert found["_bl_app__1.0"]["kind"] == "py_wheel_dep"
    assert found["_bl_app__1.0"]["sdist"] == sdist("app==1.0")
    assert env_of(found, "_bl_app__1.0") == [":_bl_tinyback__2.0"]
    assert "build_env" not in found["_bl_tinyback__2.0"], "an empty environment needs no py_build_env"


def test_builds_with_the_same_environment_share_it() -> None:
    bl = {
        "builds": {
            "a==1": {"env": ["setuptools==80.9", "wheel==0.45"], "sdist": sdist("a==1")},
            "b==1": {"env": ["wheel==0.45", "setuptools==80.9"], "sdist": sdist("b==1")},
            "c==1": {"env": ["setuptools==68.0"], "sdist": sdist("c==1")},
        },
        "wheels": {k: wheel(k) for k in ("setuptools==80.9", "wheel==0.45", "setuptools==68.0")},
        "cycles": [],
    }
    found, _ = generate(bl)
    envs = sorted(n for n, t in found.items() if t["kind"] == "py_build_env")
    assert envs == ["_env_0", "_env_1"]
    assert found["_bl_a__1"]["build_env"] == found["_bl_b__1"]["build_env"]
    assert found["_bl_c__1"]["build_env"] != found["_bl_a__1"]["build_env"]
    assert env_of(found, "_bl_a__1") == sorted([wheel("setuptools==80.9"), wheel("wheel==0.45")])
    assert env_of(found, "_bl_c__1") == [wheel("setuptools==68.0")]


def test_environment_naming_nothing_known_fails_with_the_fix() -> None:
    bl = {"builds": {"a==1": {"env": ["ghost==1"], "sdist": sdist("a==1")}}, "wheels": {}, "cycles": []}
    with pytest.raises(
        sl.StarlarkError, match=r"environment of a==1 names ghost==1, .* rerun `wheelhouse lock-build`"
    ):
        generate(bl)


# --------------------------------------------------------------------------
# Seeded cycles: two stages and a fixpoint test
# --------------------------------------------------------------------------

TWO_CYCLE = {
    "builds": {
        "hatch==1.0": {"env": ["scm==2.0", "packaging==24.0"], "sdist": sdist("hatch==1.0")},
        "scm==2.0": {"env": ["hatch==1.0"], "sdist": sdist("scm==2.0")},
        "app==3.0": {"env": ["hatch==1.0"], "sdist": sdist("app==3.0")},
    },
    "wheels": {"hatch==1.0": wheel("hatch==1.0"), "packaging==24.0": wheel("packaging==24.0")},
    "cycles": [{"members": ["hatch==1.0", "scm==2.0"], "seeds": ["hatch==1.0"]}],
}


def test_two_cycle_with_a_seed() -> None:
    found, tests = generate(TWO_CYCLE)
    builds = sorted(n for n, t in found.items() if t["kind"] == "py_wheel_dep")
    assert builds == ["_bl1_hatch__1.0", "_bl1_scm__2.0", "_bl_app__3.0", "_bl_hatch__1.0", "_bl_scm__2.0"]
    # stage 1: the seed's wheel for the edge into the seed, stage-1 builds for the rest
    assert env_of(found, "_bl1_scm__2.0") == [wheel("hatch==1.0")]
    assert env_of(found, "_bl1_hatch__1.0") == sorted([":_bl1_scm__2.0", wheel("packaging==24.0")])
    # stage 2: stage-1 builds only, never the seed
    assert env_of(found, "_bl_scm__2.0") == [":_bl1_hatch__1.0"]
    assert env_of(found, "_bl_hatch__1.0") == sorted([":_bl1_scm__2.0", wheel("packaging==24.0")])
    # everything else uses the final (stage-2) build
    assert env_of(found, "_bl_app__3.0") == [":_bl_hatch__1.0"]
    for name in ("_bl1_hatch__1.0", "_bl_hatch__1.0"):
        assert found[name]["sdist"] == sdist("hatch==1.0")
    assert tests == ["_fixpoint_0"]
    fixpoint = found["_fixpoint_0"]
    assert fixpoint["kind"] == "wheel_fixpoint_test"
    assert fixpoint["stage1"] == [":_bl1_hatch__1.0", ":_bl1_scm__2.0"]
    assert fixpoint["stage2"] == [":_bl_hatch__1.0", ":_bl_scm__2.0"]


def test_seed_without_a_wheel_fails_with_the_fix() -> None:
    bl = {**TWO_CYCLE, "wheels": {"packaging==24.0": wheel("packaging==24.0")}}
    with pytest.raises(sl.StarlarkError, match=r"seeds hatch==1.0 for scm==2.0 but has no wheel for it"):
        generate(bl)


def test_overrides_apply_to_both_stages() -> None:
    overrides = {
        "scm": {
            "env": {"SCM_PRETEND_VERSION": "2.0"},
            "patches": ["//patches:scm.patch"],
            "config_settings": {},
        },
        "other": {"env": {"X": "1"}},
    }
    found, _ = generate(TWO_CYCLE, overrides)
    for name in ("_bl1_scm__2.0", "_bl_scm__2.0"):
        assert found[name]["env"] == {"SCM_PRETEND_VERSION": "2.0"}
        assert found[name]["patches"] == ["//patches:scm.patch"]
        assert "config_settings" not in found[name], "empty options are left out"
    for name in ("_bl1_hatch__1.0", "_bl_hatch__1.0", "_bl_app__3.0"):
        assert "env" not in found[name] and "patches" not in found[name]


def test_two_cycles_get_two_fixpoints_in_a_stable_order() -> None:
    bl = {
        "builds": {
            "b==1": {"env": ["b==1"], "sdist": sdist("b==1")},
            "a==1": {"env": ["a==1"], "sdist": sdist("a==1")},
        },
        "wheels": {"a==1": wheel("a==1"), "b==1": wheel("b==1")},
        "cycles": [{"members": ["b==1"], "seeds": ["b==1"]}, {"members": ["a==1"], "seeds": ["a==1"]}],
    }
    found, tests = generate(bl)
    assert tests == ["_fixpoint_0", "_fixpoint_1"]
    assert found["_fixpoint_0"]["stage1"] == [":_bl1_a__1"] and found["_fixpoint_1"]["stage1"] == [
        ":_bl1_b__1"
    ]
    assert env_of(found, "_bl1_a__1") == [wheel("a==1")] and env_of(found, "_bl_a__1") == [":_bl1_a__1"]


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

ODD_VERSIONS = ["1.0", "1.0+local.7", "2!1.0", "1.0.post1.dev2", "1.0rc1", "1.0+ubuntu-1", "0!0.0a0+x.y.z"]


@pytest.mark.parametrize("version", ODD_VERSIONS)
def test_odd_versions_give_valid_target_names(version: str) -> None:
    key = f"zope-interface=={version}"
    for stage in (0, 1):
        name = bl_target(key, stage)
        assert TARGET_NAME.fullmatch(name), name
        assert ":" not in name and "//" not in name


names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
versions = st.sampled_from(ODD_VERSIONS) | st.from_regex(
    r"([0-9]!)?[0-9](\.[0-9]){0,2}(\+[a-z0-9]+(\.[a-z0-9]+)?)?", fullmatch=True
)


@settings(max_examples=300, deadline=None)
@given(st.sets(st.tuples(names, versions), min_size=2, max_size=8))
def test_generated_names_never_collide(keys: set[tuple[str, str]]) -> None:
    made: dict[str, tuple[str, str, int]] = {}
    for name, version in keys:
        for stage in (0, 1):
            target = bl_target(f"{name}=={version}", stage)
            assert TARGET_NAME.fullmatch(target), target
            assert not target.startswith(("_env_", "_fixpoint_"))
            assert made.setdefault(target, (name, version, stage)) == (name, version, stage), target


# --------------------------------------------------------------------------
# Differential: the same stages as wheelhouse.buildgraph.plan
# --------------------------------------------------------------------------

NODES = [f"p{i}==1.{i}" for i in range(6)]


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(NODES), st.lists(st.sampled_from(NODES), max_size=3, unique=True), min_size=1
    ),
    st.sets(st.sampled_from(NODES), max_size=3),
    st.lists(st.sampled_from(["setuptools==80.9", "wheel==0.45"]), max_size=2, unique=True),
)
def test_stages_agree_with_the_python_plan(
    partial: dict[str, list[str]], seeds: set[str], extra: list[str]
) -> None:
    nodes = set(partial) | {d for ds in partial.values() for d in ds}
    edges = {n: partial.get(n, []) for n in sorted(nodes)}
    try:
        steps = plan(edges, seeds)
    except CycleError:
        assume(False)
        return
    bl = {
        "builds": {n: {"env": [*edges[n], *extra], "sdist": sdist(n)} for n in edges},
        "wheels": {k: wheel(k) for k in [*seeds, *extra]},
        "cycles": [{"members": c.members, "seeds": c.seeds} for c in steps.cycles],
    }
    found, tests = generate(bl)
    assert len(tests) == len(steps.cycles)
    expected_targets = {bl_target(s.node, 1 if s.stage == 1 else 0) for s in steps.steps}
    assert {n for n, t in found.items() if t["kind"] == "py_wheel_dep"} == expected_targets
    for step in steps.steps:
        provided = [wheel(d) if stage == -1 else ":" + bl_target(d, stage) for d, stage in step.deps]
        want = sorted([*provided, *map(wheel, extra)]) or None
        assert env_of(found, bl_target(step.node, 1 if step.stage == 1 else 0)) == want, step
