"""Remote execution on a real REAPI engine: BuildGrid on loopback, its bot in the forky root.

``scripts/buildgrid`` starts PostgreSQL, BuildGrid 0.4.4 and one ``buildbox-worker``
(with ``buildbox-run-hosttools``); the workspaces get the README's
``.bazelrc`` lines (snippets ``remote-bazelrc``) with the real port. Then:

1. a copy of ``tests/e2e`` builds remotely: every ``WheelhouseBuild``,
   ``WheelhouseInstall`` and ``WheelhouseCoreSite`` spawn has runner ``remote`` in the
   execution log, with the platform's exec properties; ``bazel test`` passes remotely;
2. a second copy elsewhere (other output root, user, TZ, umask) is 100 % remote-cache
   hits, with the same wheels, and every spawn's command line and environment equal
   the first copy's (no absolute host path that differs between machines);
3. a toolchain declared with another interpreter key is a different action key: no
   hit, and the worker refuses with the key it has and the line to declare it;
4. a local build (``--remote_cache=grpc://`` only) gives the same wheels as the remote
   one, and a copy after it is 100 % hits from BuildGrid's CAS over gRPC;
5. the pylock hub (``tests/e2e_lock``, locked by uv) builds and tests remotely, its
   sdist builds run by the bot and equal to a local build's.
Timings and counts land in ``.cache/e2e-remote/report.json`` and the test output.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_e2e import WHEELS, Bazel, _fresh, _remote_hit, make_copy, spawns
from test_lock_e2e import TEMPLATE as LOCK_TEMPLATE
from test_lock_e2e import lock_with_uv

from inputs import REPO, fetch_e2e, fetch_lock_e2e
from readme import snippets
from servers import serve_directory, write_index

pytestmark = pytest.mark.bazel

WORK = REPO / ".cache" / "e2e-remote"
SCRIPT = REPO / "scripts" / "buildgrid"
#: The spawns of the rules that must run on the bot.
WHEEL_MNEMONICS = ("WheelhouseBuild", "WheelhouseInstall", "WheelhouseCoreSite")


@pytest.fixture(scope="module")
def index_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    files = {f.name: f for f in [*fetch_e2e(), *fetch_lock_e2e()]}
    root = write_index(tmp_path_factory.mktemp("index"), sorted(files.values()))
    with serve_directory(root) as url:
        yield url


@dataclass
class Grid:
    """A running BuildGrid: its endpoint, and why a piece died (set by the watchdog)."""

    endpoint: str
    rundir: Path
    died: list[str] = field(default_factory=list)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"


def _kill_bazel_servers() -> None:
    """SIGKILL the Bazel servers of this test's output roots: their clients then fail at once."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"bazel(") and str(WORK).encode() in cmdline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(proc.name), signal.SIGKILL)


def _watch(grid: Grid, done: threading.Event) -> None:
    """A dead bot or server leaves Bazel waiting forever: fail the builds instead."""
    state = json.loads((grid.rundir / "state.json").read_text())
    while not done.wait(2):
        for key, logname in (("worker_pid", "worker.log"), ("server_pid", "server.log")):
            if not _alive(state[key]):
                tail = (grid.rundir / logname).read_text(errors="replace").splitlines()[-15:]
                grid.died.append(f"{logname[:-4]} died:\n" + "\n".join(tail))
                _kill_bazel_servers()
                return


@pytest.fixture(scope="module")
def buildgrid() -> Iterator[Grid]:
    """``scripts/buildgrid start`` as the README says; watched, and stopped whatever happens."""
    rundir = _fresh(WORK / "buildgrid")
    done = threading.Event()
    try:
        proc = subprocess.run(
            [str(SCRIPT), "start", str(rundir)], capture_output=True, text=True, timeout=900, check=False
        )
        assert proc.returncode == 0, proc.stderr[-4000:]
        endpoint = proc.stdout.strip()
        assert re.fullmatch(r"grpc://127\.0\.0\.1:\d+", endpoint), endpoint
        grid = Grid(endpoint, rundir)
        threading.Thread(target=_watch, args=(grid, done), daemon=True).start()
        yield grid
    finally:
        done.set()
        subprocess.run([str(SCRIPT), "stop", str(rundir)], capture_output=True, timeout=120, check=False)


def with_rc(workspace: Path, endpoint: str) -> Path:
    """Append the README's remote ``.bazelrc`` lines, with the real endpoint."""
    port = endpoint.rpartition(":")[2]
    rc = snippets()["remote-bazelrc"].replace("PORT", port)
    with open(workspace / ".bazelrc", "a") as f:
        f.write(rc)
    return workspace


def wheel_records(records: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in records if r.get("mnemonic") in WHEEL_MNEMONICS]


def by_action(records: list[dict[str, object]]) -> dict[tuple[object, object, object], dict[str, object]]:
    """Spawns keyed by (mnemonic, target, first output)."""
    keyed = {}
    for r in records:
        outputs = r.get("actualOutputs") or r.get("listedOutputs") or []
        first = outputs[0] if outputs else None  # type: ignore[index]
        keyed[
            (r.get("mnemonic"), r.get("targetLabel"), json.dumps(first, sort_keys=True) if first else None)
        ] = r
    return keyed


def hub_wheels(bazel: Bazel) -> dict[str, str]:
    out = Path(bazel.run("info", "output_base")[0].stdout.strip())
    found = out.glob("execroot/_main/bazel-out/*/bin/external/*pypi__graph/*/*_wheel.wheel/*.whl")
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in found}


def test_remote_execution_on_buildgrid(buildgrid: Grid, index_url: str) -> None:
    report: dict[str, object] = {"endpoint": buildgrid.endpoint}
    bazels: list[Bazel] = []

    def bazel(
        name: str, user: str, tz: str = "UTC", umask: int = 0o022, template: Path | None = None
    ) -> Bazel:
        ws = make_copy(WORK / name / "ws", index_url, **({"template": template} if template else {}))
        b = Bazel(with_rc(ws, buildgrid.endpoint), _fresh(WORK / f"out-{name}"), tz, user, umask)
        bazels.append(b)
        return b

    try:
        _run_all(bazel, report, index_url)
    finally:
        (WORK / "report.json").parent.mkdir(parents=True, exist_ok=True)
        (WORK / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True))
        print(json.dumps(report, indent=2, sort_keys=True))
        for b in bazels:
            b.shutdown()
        assert not buildgrid.died, buildgrid.died


def _run_all(bazel: Callable[..., Bazel], report: dict[str, object], index_url: str) -> None:
    # 1. Remote execution: every wheel action on the bot.
    first = bazel("first", "alice")
    log_a = WORK / "first-exec.json"
    _, report["remote_cold_build_s"] = first.run(
        "build", "--config=buildgrid", "//...", f"--execution_log_json_file={log_a}"
    )
    records_a = spawns(log_a)
    wheel_a = wheel_records(records_a)
    report["remote_spawns"] = sum(1 for r in records_a if r.get("runner") == "remote")
    report["remote_wheel_spawns"] = {
        m: sum(1 for r in wheel_a if r.get("mnemonic") == m and r.get("runner") == "remote")
        for m in WHEEL_MNEMONICS
    }
    assert {r.get("runner") for r in wheel_a} == {"remote"}, [
        (r.get("mnemonic"), r.get("runner")) for r in wheel_a
    ]
    assert sum(1 for r in wheel_a if r.get("mnemonic") == "WheelhouseBuild") == len(WHEELS)
    assert all(report["remote_wheel_spawns"].values()), report["remote_wheel_spawns"]  # type: ignore[union-attr]
    for r in wheel_a:
        props = {p["name"]: p["value"] for p in r.get("platform", {}).get("properties", [])}  # type: ignore[union-attr]
        assert props == {"OSFamily": "linux", "ISA": "x86-64"}, props
    _, report["remote_test_s"] = first.run("test", "--config=buildgrid", "//...", "--test_output=errors")
    remote_digests = first.wheel_digests()

    # 2. A second copy, another machine's identity: 100 % hits, same commands.
    second = bazel("copies/second", "bob", "Asia/Kathmandu", 0o027)
    log_b = WORK / "second-exec.json"
    proc, report["remote_second_build_s"] = second.run(
        "build", "--config=buildgrid", "//...", f"--execution_log_json_file={log_b}"
    )
    records_b = spawns(log_b)
    hits = [r for r in records_b if _remote_hit(r)]
    report["second_build_spawns"] = len(records_b)
    report["second_build_remote_hits"] = len(hits)
    report["second_build_summary"] = next(
        (ln.strip() for ln in reversed(proc.stderr.splitlines()) if "processes:" in ln), ""
    )
    assert len(hits) == len(records_b) > 0, [(r.get("mnemonic"), r.get("runner")) for r in records_b]
    assert second.wheel_digests() == remote_digests
    keyed_a, keyed_b = by_action(records_a), by_action(records_b)
    assert keyed_a.keys() == keyed_b.keys()
    for key, rec in keyed_b.items():
        for part in ("commandArgs", "environmentVariables", "platform"):
            assert rec.get(part) == keyed_a[key].get(part), (key, part)
        text = json.dumps([rec.get("commandArgs"), rec.get("environmentVariables")])
        assert str(WORK) not in text and "alice" not in text and "bob" not in text, (key, text)

    # 3. Another interpreter key: a different action key (no hit), and the worker says so.
    keyed = bazel("keyed", "carol")
    with open(keyed.workspace / "MODULE.bazel", "a") as f:
        f.write(
            '\nwheelhouse.toolchain(python = "/usr/bin/python3", '
            'interpreter_key = "cpython-3.14.0-cpython-314-x86_64-linux-gnu-linux_x86_64")\n'
        )
    log_k = WORK / "keyed-exec.json"
    bad = subprocess.run(
        [str(REPO / "scripts" / "bazel"), "build", "--config=buildgrid", "--keep_going", "//:tomli",
         f"--execution_log_json_file={log_k}"],
        cwd=keyed.workspace, env=keyed.env, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert bad.returncode != 0
    builds_k = [r for r in spawns(log_k) if r.get("mnemonic") == "WheelhouseBuild"]
    assert builds_k and not [r for r in builds_k if _remote_hit(r)]
    lines = [ln for ln in bad.stderr.splitlines() if "wheelhouse: error: this machine cannot run" in ln]
    assert lines, bad.stderr[-3000:]
    assert "the toolchain's key says cpython-3.14.0-" in lines[0], lines[0]
    assert 'wheelhouse.toolchain(python = "/usr/bin/python3", interpreter_key = "cpython-3.14.' in lines[0]
    report["other_interpreter_key"] = {"wheel_builds": len(builds_k), "hits": 0, "error": lines[0][:160]}

    # 4. A local build with the gRPC cache: same wheels; then a copy all hits over gRPC.
    local = bazel("local", "dave")
    log_l = WORK / "local-exec.json"
    _, report["local_build_s"] = local.run(
        "build", "--config=grpc_cache", "//...", f"--execution_log_json_file={log_l}"
    )
    builds_l = [r for r in spawns(log_l) if r.get("mnemonic") == "WheelhouseBuild"]
    assert builds_l and not [r for r in builds_l if r.get("runner") in ("remote", "remote cache hit")]
    local_digests = local.wheel_digests()
    report["wheels"] = {
        name: {"file": f, "remote_sha256": d, "local_sha256": local_digests[name][1]}
        for name, (f, d) in remote_digests.items()
    }
    assert local_digests == remote_digests
    after = bazel("local-second", "erin", "America/St_Johns", 0o077)
    log_g = WORK / "grpc-exec.json"
    _, report["grpc_cache_build_s"] = after.run(
        "build", "--config=grpc_cache", "//...", f"--execution_log_json_file={log_g}"
    )
    records_g = spawns(log_g)
    report["grpc_cache_hits"] = f"{sum(1 for r in records_g if _remote_hit(r))}/{len(records_g)}"
    assert records_g and all(_remote_hit(r) for r in records_g)
    assert after.wheel_digests() == remote_digests

    # 5. The pylock hub, remotely; its sdist builds equal a local build's.
    hub = bazel("hub", "frank", template=LOCK_TEMPLATE)
    lock_with_uv(hub.workspace, index_url)
    log_h = WORK / "hub-exec.json"
    _, report["hub_remote_build_s"] = hub.run(
        "build", "--config=buildgrid", "@pypi//...", "//...", f"--execution_log_json_file={log_h}"
    )
    wheel_h = wheel_records(spawns(log_h))
    report["hub_remote_wheel_spawns"] = {
        f"{m} {runner}": sum(1 for r in wheel_h if (r.get("mnemonic"), r.get("runner")) == (m, runner))
        for m in WHEEL_MNEMONICS
        for runner in ("remote", "remote cache hit")
    }
    # Executed by the bot, or already in its cache (the core's site is the same action as in 1.).
    assert wheel_h and {r.get("runner") for r in wheel_h} <= {"remote", "remote cache hit"}
    assert {r.get("runner") for r in wheel_h if r.get("mnemonic") == "WheelhouseBuild"} == {"remote"}
    hub.run("test", "--config=buildgrid", "//...", "--test_output=errors")
    hub_remote = hub_wheels(hub)
    hub_local = bazel("hub-local", "grace", template=LOCK_TEMPLATE)
    (hub_local.workspace / "pylock.toml").write_text((hub.workspace / "pylock.toml").read_text())
    hub_local.run("build", "@pypi//...")
    report["hub_sdist_wheels"] = sorted(hub_remote)
    assert sorted(n.split("-")[0] for n in hub_remote) == ["markupsafe", "pyyaml"], hub_remote
    assert hub_wheels(hub_local) == hub_remote
