"""The toolchain key an action checks where it runs (a remote worker too)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from wheelhouse.cli import main
from wheelhouse.host.toolchain import ToolchainMismatch, check_action_toolchain, interpreter_key, tools_key

PATH = "/usr/local/bin:/usr/bin:/bin"


def test_matching_keys_pass_and_outside_bazel_nothing_is_checked() -> None:
    check_action_toolchain({}, tools=True)
    here = {"WHEELHOUSE_INTERPRETER": interpreter_key(), "WHEELHOUSE_TOOLS": tools_key(PATH), "PATH": PATH}
    check_action_toolchain(here, tools=True)


def test_the_key_names_this_interpreter() -> None:
    key = interpreter_key()
    assert key.startswith(f"{sys.implementation.name}-{'.'.join(map(str, sys.version_info[:3]))}-")
    assert key.endswith("-" + sysconfig.get_platform().replace("-", "_").replace(".", "_"))
    assert (sysconfig.get_config_var("SOABI") or "none") in key


def test_another_interpreter_is_an_error_with_the_declaration_to_use() -> None:
    other = interpreter_key().replace(".".join(map(str, sys.version_info[:3])), "3.0.1")
    with pytest.raises(ToolchainMismatch) as caught:
        check_action_toolchain({"WHEELHOUSE_INTERPRETER": other, "PATH": PATH}, tools=True)
    message = str(caught.value)
    assert "\n" not in message
    assert f"is {interpreter_key()}, the toolchain's key says {other}" in message
    assert f'interpreter_key = "{interpreter_key()}"' in message
    assert "wheelhouse.toolchain(python = " in message


def test_other_compilers_are_an_error_only_where_they_matter(tmp_path: Path) -> None:
    fake = tmp_path / "gcc"
    fake.write_text("#!/bin/sh\necho 'gcc (Other) 1.0'\n")
    fake.chmod(0o755)
    path = f"{tmp_path}:{PATH}"
    env = {"WHEELHOUSE_INTERPRETER": interpreter_key(), "WHEELHOUSE_TOOLS": tools_key(PATH), "PATH": path}
    assert tools_key(path).startswith("gcc (Other) 1.0 / ")
    with pytest.raises(ToolchainMismatch, match=r"its compilers are 'gcc \(Other\) 1.0 / "):
        check_action_toolchain(env, tools=True)
    check_action_toolchain(env, tools=False)  # installing wheels compiles nothing


def test_a_missing_tool_is_named() -> None:
    assert tools_key("/nonexistent") == "gcc missing / g++ missing / strip missing"


def test_build_wheel_in_a_mismatched_action_fails_before_building(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WHEELHOUSE_INTERPRETER", "cpython-2.7.18-none-linux_x86_64")
    missing = tmp_path / "absent-1.0.tar.gz"
    assert main(["build-wheel", str(missing), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("wheelhouse: error: this machine cannot run the action:"), err
    assert not (tmp_path / "out").exists()


def test_toolchain_key_command_prints_a_module_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "python")}
    out = subprocess.run(
        [sys.executable, "-m", "wheelhouse", "toolchain-key", "--tools-path", PATH],
        capture_output=True, text=True, check=True, env=env,
    ).stdout.strip()  # fmt: skip
    assert out == (
        f'wheelhouse.toolchain(python = "{sys.executable}", interpreter_key = "{interpreter_key()}", '
        f'tools_key = "{tools_key(PATH)}")'
    )
